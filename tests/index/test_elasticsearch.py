"""Elasticsearch-only behaviour: template from the Article model, alias and rollover, dead letters,
an unreachable cluster, and migrate (on noida-db in CI, on a real cluster with WHIRLPOOL_ES_URL)."""

from __future__ import annotations

import json

import pytest
from elasticsearch import Elasticsearch

from indexing.backend import IndexUnavailable
from indexing.elasticsearch_backend import ElasticsearchBackend
from indexing.mapping import DERIVED_FIELDS, article_mapping
from tests.index.corpus import CORPUS, make_article
from whirlpool.article import Article
from whirlpool.loopback import free_port


def test_mapping_covers_every_article_field_with_language_subfields():
    properties = article_mapping()["properties"]
    assert set(properties) == set(Article.model_fields) | set(DERIVED_FIELDS)
    assert set(properties["title"]["fields"]) == {"en", "ru", "uk", "cjk"}
    assert properties["published_at"]["type"] == "date"
    assert properties["themes"]["type"] == "keyword"
    assert properties["relevant"]["type"] == "boolean"
    assert properties["evidence"] == {"type": "object", "enabled": False}


def test_ensure_ready_creates_a_versioned_index_behind_a_write_alias(es_backend):
    es_backend.ensure_ready()
    es_backend.ensure_ready()  # idempotent
    assert es_backend.alias_indices() == {f"{es_backend.alias}-v1-000001": True}
    mapping = es_backend.client.indices.get_mapping(index=es_backend.alias)
    fields = next(iter(mapping.values()))["mappings"]["properties"]
    assert fields["body"]["fields"]["ru"]["analyzer"] == "russian"


def test_rollover_moves_writes_to_a_new_index_and_search_still_sees_everything(es_backend):
    es_backend.ensure_ready()
    es_backend.upsert(list(CORPUS.values())[:3])
    new_index = es_backend.rollover()
    assert new_index == f"{es_backend.alias}-v1-000002"
    es_backend.upsert(list(CORPUS.values())[3:])
    assert es_backend.alias_indices()[new_index] is True
    assert es_backend.count() == len(CORPUS)


def test_migrate_swaps_the_alias_to_a_new_version_and_keeps_every_document(es_backend):
    es_backend.ensure_ready()
    es_backend.upsert(CORPUS.values())
    result = es_backend.migrate()
    assert result.new_index == f"{es_backend.alias}-v2-000001"
    assert result.documents_before == result.documents_after == len(CORPUS)
    assert es_backend.alias_indices() == {result.new_index: True}
    assert es_backend.count() == len(CORPUS)
    article = CORPUS["ru_meeting"]
    assert es_backend.get(article.id) == article
    es_backend.upsert([article.model_copy(update={"title": "after migration"})])
    assert es_backend.count() == len(CORPUS)  # writes go to the new version, still in place


def test_documents_the_mapping_rejects_go_to_the_dead_letter_file_with_the_reason(es_backend, tmp_path):
    # An index whose mapping disagrees with the article schema (source_kind as a number).
    es_backend.client.indices.create(
        index=f"{es_backend.alias}-v1-000001",
        aliases={es_backend.alias: {"is_write_index": True}},
        mappings={"properties": {"source_kind": {"type": "integer"}}},
    )
    good = make_article("https://x.example/good", title="accepted", source_kind="7")
    bad = make_article("https://x.example/bad", title="rejected", source_kind="wire")
    result = es_backend.upsert([good, bad])
    assert (result.indexed, result.failed) == (1, 1)
    assert len(result.errors) == 1 and bad.id in result.errors[0]
    records = [json.loads(line) for line in open(result.dead_letter_path, encoding="utf-8")]
    assert [r["id"] for r in records] == [bad.id]
    assert "source_kind" in records[0]["reason"]
    assert Article.model_validate(records[0]["article"]) == bad


def test_an_unreachable_cluster_raises_index_unavailable(tmp_path):
    client = Elasticsearch(f"http://127.0.0.1:{free_port()}", max_retries=0, request_timeout=2)
    backend = ElasticsearchBackend(client, "down", tmp_path)
    with pytest.raises(IndexUnavailable):
        backend.ensure_ready()
    with pytest.raises(IndexUnavailable):
        backend.upsert(CORPUS.values())
