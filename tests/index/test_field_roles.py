"""The field roles in indexing.fields drive both backends, the query syntax and the filters."""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, datetime

import pytest
import tantivy

from indexing.backend import Dimension, SearchFilters, SearchRequest
from indexing.embedded import EmbeddedBackend
from indexing.fields import (
    AGGREGATABLE_KEYWORDS,
    FIELDS,
    FILTER_FIELDS,
    FLAG_FILTERS,
    KEYWORD_QUERY_NAMES,
    QUERY_TEXT_FIELDS,
    IndexedField,
    Role,
    named,
)
from indexing.mapping import _field_mapping, article_mapping
from whirlpool.article import Article, DateSource


def test_every_declared_field_is_an_article_field():
    assert {f.name for f in FIELDS} <= set(Article.model_fields)


def test_every_search_filter_is_declared_on_a_field():
    """A new SearchFilters attribute must name the field it filters in indexing.fields."""
    attributes = {f.name for f in dataclasses.fields(SearchFilters)}
    declared = set(FILTER_FIELDS) | set(FLAG_FILTERS) | {"since", "until", "exclude_guessed_dates"}
    assert attributes == declared


def test_trend_dimensions_are_the_aggregatable_keywords():
    dimensions = set(typing.get_args(Dimension)) - {"total"}
    assert dimensions == set(AGGREGATABLE_KEYWORDS) - {"story_id"}


def test_embedded_schema_has_one_field_per_declared_role(tmp_path):
    backend = EmbeddedBackend(tmp_path)
    backend.ensure_ready()
    searcher = backend.index.searcher()
    for name in named(Role.KEYWORD):  # a missing field makes term queries raise
        assert searcher.search(tantivy.Query.term_query(backend.schema, name, "x"), limit=1).count == 0
    for base in QUERY_TEXT_FIELDS:
        for suffix in ("", "_en", "_ru", "_cjk"):
            backend.index.parse_query(f'{base}{suffix}:"x"')


def test_elasticsearch_mapping_follows_the_roles():
    properties = article_mapping()["properties"]
    for field in FIELDS:
        mapped = properties[field.name]
        expected = {
            Role.TEXT: "text",
            Role.KEYWORD: "keyword",
            Role.FLAG: "boolean",
            Role.DATE: "date",
            Role.STORED: "object",
        }[field.role]
        assert mapped["type"] == expected, field.name
    assert set(properties["summary"]["fields"]) == set(properties["title"]["fields"])


def test_a_role_that_contradicts_the_field_type_is_refused(monkeypatch):
    from indexing import fields

    monkeypatch.setitem(fields.BY_NAME, "relevance", IndexedField("relevance", Role.KEYWORD))
    with pytest.raises(TypeError, match="relevance is declared keyword but its type maps to float"):
        _field_mapping("relevance", Article.model_fields["relevance"].annotation)


def test_query_names_come_from_the_declaration(tmp_path):
    backend = EmbeddedBackend(tmp_path)
    article = Article(
        id="a1",
        url="http://127.0.0.1/a",
        canonical_url="http://127.0.0.1/a",
        source_id="kcna",
        source_kind="state_media",
        title="Kim meets Shoigu",
        summary="Talks in Pyongyang",
        body="",
        language="en",
        themes=["theme.military_cooperation"],
        entities=["person.kim_jong_un"],
        places=["place.pyongyang"],
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
        published_at_source=DateSource.PAGE,
    )
    backend.upsert([article])
    for name, field in KEYWORD_QUERY_NAMES.items():
        value = getattr(article, field)
        value = value[0] if isinstance(value, list) else value
        found = backend.search(SearchRequest(query=f"{name}:{value}")).total
        assert found == 1, name
    # the summary is searched as "body"
    assert backend.search(SearchRequest(query="body:Pyongyang")).total == 1
    assert backend.search(SearchRequest(query="title:Pyongyang")).total == 0


def _former_v2_index(directory, articles):
    """An embedded index as schema version 2 wrote it (a ``date_guessed`` flag, no date source)."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_bytes_field("doc", stored=True, indexed=False)
    for base in ("title", "body"):
        builder.add_text_field(base, tokenizer_name="default")
    builder.add_boolean_field("date_guessed", indexed=True, fast=True)
    directory.mkdir(parents=True)
    index = tantivy.Index(builder.build(), path=str(directory))
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    for article in articles:
        doc = tantivy.Document()
        doc.add_text("id", article.id)
        doc.add_bytes("doc", article.to_json().encode("utf-8"))
        doc.add_text("title", article.title)
        doc.add_boolean("date_guessed", article.date_is_guessed)
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()


def test_an_index_of_the_former_schema_is_copied_into_the_new_one(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr("indexing.embedded.MIGRATION_PAGE", 2)  # three articles: two pages
    articles = [
        Article(
            id=f"a{n}",
            url=f"http://127.0.0.1/{n}",
            canonical_url=f"http://127.0.0.1/{n}",
            source_id="yonhap",
            title=f"북러 회담 {n}",
            published_at=datetime(2026, 11, n + 1, tzinfo=UTC),
            published_at_source=DateSource.GUESSED if n == 0 else DateSource.FEED,
        )
        for n in range(3)
    ]
    _former_v2_index(tmp_path / "v2", articles)

    backend = EmbeddedBackend(tmp_path)
    assert backend.count() == 3
    assert "copied 3 articles from schema v2 into v3" in caplog.text
    assert backend.get("a2").title == "북러 회담 2"
    trusted = backend.search(SearchRequest(query="북러", filters=SearchFilters(exclude_guessed_dates=True)))
    assert sorted(hit.article.id for hit in trusted.hits) == ["a1", "a2"]
    assert (tmp_path / "v2").is_dir()  # left for the user to delete
