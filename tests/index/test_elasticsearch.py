"""Elasticsearch-only behaviour: template from the Article model, alias and rollover, dead letters,
an unreachable cluster, and migrate (on noida-db in CI, on a real cluster with WHIRLPOOL_ES_URL)."""

from __future__ import annotations

import json

import pytest
from elasticsearch import Elasticsearch

from indexing.backend import IndexUnavailable
from indexing.elasticsearch_backend import ElasticsearchBackend, translate
from indexing.mapping import DERIVED_FIELDS, article_mapping
from indexing.query import parse_query
from tests.index.corpus import CORPUS, make_article
from whirlpool.article import Article
from whirlpool.loopback import free_port


def test_mapping_covers_every_article_field_with_language_subfields():
    properties = article_mapping()["properties"]
    assert set(properties) == set(Article.model_fields) | set(DERIVED_FIELDS)
    assert set(properties["title"]["fields"]) == {"en", "ru", "uk", "cjk", "cjk_unigrams"}
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


def test_one_character_cjk_queries_search_a_unigram_subfield_the_cjk_bigrams_lack(es_backend):
    """北 inside 北朝鮮: .cjk holds only bigrams (北朝, 朝鮮, …), .cjk_unigrams holds 北 as well, and a
    query of one CJK character searches it (for Hangul and Katakana, where the root field keeps
    runs whole, see test_one_character_cjk_query_finds_the_character_inside_a_run)."""
    es_backend.ensure_ready()
    es_backend.upsert([make_article("https://cjk.example/ja", title="北朝鮮がロシアに砲弾を輸出")])

    def hits(field: str, text: str) -> int:
        query = {"match_phrase": {field: text}}
        return es_backend.client.count(index=es_backend.alias, query=query)["count"]

    assert hits("title.cjk", "北") == 0
    assert hits("title.cjk_unigrams", "北") == 1

    def searched(query: str) -> set[str]:
        should = translate(parse_query(query))["bool"]["should"]
        return {field for clause in should for field in clause["match_phrase"]}

    assert {"title.cjk_unigrams", "summary.cjk_unigrams", "body.cjk_unigrams"} <= searched("북")
    assert not any(field.endswith("cjk_unigrams") for field in searched("북러") | searched("n"))
