"""The Elasticsearch backend: a write alias over versioned indices, bulk upserts by article id.

Layout: the alias ``<prefix>`` points at ``<prefix>-v<N>-000001`` (and its rollovers); the
index template ``<prefix>`` (mapping generated from Article) applies to every ``<prefix>-v*``.
``migrate`` creates version N+1, reindexes, checks the count and swaps the alias atomically.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from indexing.backend import (
    BucketCount,
    BulkResult,
    CountUnit,
    Dimension,
    Hit,
    IndexBackend,
    IndexUnavailable,
    SearchFilters,
    SearchRequest,
    SearchResult,
)
from indexing.buckets import (
    read_trend_aggregation,
    trend_aggregation,
    window_filters,
)
from indexing.fields import (
    DATE_SOURCE_FIELD,
    FILTER_FIELDS,
    FLAG_FILTERS,
    QUERY_TEXT_FIELDS,
    TRUSTED_DATE_SOURCES,
)
from indexing.mapping import (
    CJK_UNIGRAM_SUBFIELD,
    LANGUAGE_SUBFIELDS,
    article_from_source,
    index_document,
    index_template,
)
from indexing.query import And, Keyword, MatchAll, Node, Not, Text, parse_query
from indexing.searching import prepare_query
from whirlpool.article import Article, utcnow


@dataclass
class MigrationResult:
    alias: str
    old_indices: list[str]
    new_index: str
    documents_before: int
    documents_after: int


class ElasticsearchBackend(IndexBackend):
    name = "elasticsearch"

    def __init__(
        self,
        client: Elasticsearch,
        prefix: str,
        dead_letter_dir: Path,
        chunk_size: int = 500,
        max_retries: int = 3,
    ) -> None:
        self.client = client
        self.alias = prefix
        self.dead_letter_dir = Path(dead_letter_dir)
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.taxonomy = None
        # Index settings added to the template: replicas and the ILM policy (indexing/lifecycle.py).
        self.template_settings: dict[str, Any] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> ElasticsearchBackend:
        es = settings.elasticsearch
        if not es.url:
            raise ValueError("the elasticsearch backend needs elasticsearch.url (or WHIRLPOOL_ES_URL)")
        options: dict[str, Any] = {
            "request_timeout": es.request_timeout_seconds,
            "max_retries": es.max_retries,
            "retry_on_timeout": True,
            "verify_certs": es.verify_certs,
        }
        if es.ca_certs:
            options["ca_certs"] = es.ca_certs
        if es.api_key:
            options["api_key"] = es.api_key.get_secret_value()
        elif es.username and es.password:
            options["basic_auth"] = (es.username, es.password.get_secret_value())
        client = Elasticsearch(es.url, **options)
        return cls(
            client, es.index_prefix, settings.data_dir / "deadletter", es.bulk_chunk_size, es.max_retries
        )

    def close(self) -> None:
        self.client.close()

    # -- setup -----------------------------------------------------------------------------
    def first_index(self, version: int) -> str:
        return f"{self.alias}-v{version}-000001"

    def template(self) -> dict[str, Any]:
        body = index_template(self.alias)
        body["template"]["settings"].update(self.template_settings)
        return body

    def put_template(self) -> None:
        self.client.indices.put_index_template(name=self.alias, **self.template())

    def ensure_ready(self) -> None:
        """Create the template and the first index when the alias is missing. Once it exists the
        template is left alone: putting it is `whirlpool index setup`'s job (and `migrate`'s), done as
        a privileged user, so the pipeline's role needs no cluster privilege."""
        try:
            if not self.client.indices.exists_alias(name=self.alias):
                self.put_template()
                self.client.indices.create(
                    index=self.first_index(1), aliases={self.alias: {"is_write_index": True}}
                )
        except (TransportError, ApiError) as exc:
            raise IndexUnavailable(
                f"Elasticsearch at {self._where()} refused setup: {_one_line(exc)}"
            ) from exc

    def _where(self) -> str:
        nodes = self.client.transport.node_pool.all()
        return ", ".join(str(n.base_url) for n in nodes) or "?"

    def alias_indices(self) -> dict[str, bool]:
        """Index name → whether it is the alias's write index."""
        found = self.client.indices.get_alias(name=self.alias)
        return {
            name: bool(body["aliases"][self.alias].get("is_write_index", len(found) == 1))
            for name, body in found.items()
        }

    def rollover(self, max_docs: int | None = None) -> str | None:
        """Roll the write alias over to a new index (when ``max_docs`` is reached, if given)."""
        conditions = {"max_docs": max_docs} if max_docs else None
        response = self.client.indices.rollover(alias=self.alias, conditions=conditions)
        return response["new_index"] if response.get("rolled_over") else None

    def migrate(self) -> MigrationResult:
        """Create the next index version with the current template, reindex, swap the alias."""
        self.ensure_ready()
        self.put_template()
        old = sorted(self.alias_indices())
        version = 1 + max(int(m.group(1)) for m in (re.search(r"-v(\d+)-", n) for n in old) if m)
        new_index = self.first_index(version)
        self.client.indices.refresh(index=self.alias)
        before = self.client.count(index=self.alias)["count"]
        self.client.indices.create(index=new_index)
        self.client.reindex(source={"index": self.alias}, dest={"index": new_index}, refresh=True)
        after = self.client.count(index=new_index)["count"]
        if after != before:
            self.client.indices.delete(index=new_index)
            raise IndexUnavailable(f"migration aborted: {before} documents in {self.alias}, {after} copied")
        actions = [{"remove": {"index": name, "alias": self.alias}} for name in old]
        actions.append({"add": {"index": new_index, "alias": self.alias, "is_write_index": True}})
        self.client.indices.update_aliases(actions=actions)
        return MigrationResult(self.alias, old, new_index, before, after)

    # -- writes ----------------------------------------------------------------------------
    def upsert(self, articles: Iterable[Article]) -> BulkResult:
        result = BulkResult()
        failures: list[dict[str, Any]] = []
        documents: dict[str, Article] = {}

        def actions() -> Iterator[dict[str, Any]]:
            for article in articles:
                documents[article.id] = article
                yield {
                    "_op_type": "index",
                    "_index": self.alias,
                    "_id": article.id,
                    "_source": index_document(article, self.taxonomy),
                }

        try:
            for ok, info in helpers.streaming_bulk(
                self.client,
                actions(),
                chunk_size=self.chunk_size,
                max_retries=self.max_retries,
                initial_backoff=1,
                raise_on_error=False,
                raise_on_exception=True,
            ):
                if ok:
                    result.indexed += 1
                    continue
                item = next(iter(info.values()))
                reason = _reason(item.get("error"))
                failures.append({"id": item.get("_id"), "status": item.get("status"), "reason": reason})
                result.errors.append(f"{item.get('_id')}: rejected by Elasticsearch: {reason}")
            self.client.indices.refresh(index=self.alias)
        except (TransportError, ApiError) as exc:
            if failures:
                self._dead_letter(failures, documents, result)
            raise IndexUnavailable(
                f"Elasticsearch at {self._where()} failed mid-batch ({result.indexed} written): {_one_line(exc)}"
            ) from exc
        if failures:
            self._dead_letter(failures, documents, result)
        return result

    def delete_older_than(self, cutoff: datetime, dry_run: bool = False) -> int:
        query = {"range": {"published_at": {"lt": cutoff.isoformat()}}}
        if dry_run:
            return self._call(self.client.count, index=self.alias, query=query)["count"]
        done = self._call(
            self.client.delete_by_query, index=self.alias, query=query, refresh=True, conflicts="proceed"
        )
        return int(done.get("deleted", 0))

    def _dead_letter(
        self, failures: list[dict[str, Any]], documents: dict[str, Article], result: BulkResult
    ) -> None:
        """Append every rejected document, with the reason, to a new dead-letter file."""
        self.dead_letter_dir.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        path = self.dead_letter_dir / f"index-{stamp}.jsonl"
        temporary = path.with_suffix(".jsonl.tmp")
        with temporary.open("w", encoding="utf-8") as out:
            for failure in failures:
                article = documents.get(failure["id"])
                record = {**failure, "article": json.loads(article.to_json()) if article else None}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(temporary, path)
        result.failed += len(failures)
        result.dead_letter_path = str(path)

    # -- reads -----------------------------------------------------------------------------
    def _call(self, fn, **kwargs):
        try:
            return fn(**kwargs)
        except (TransportError, ApiError) as exc:
            raise IndexUnavailable(f"Elasticsearch at {self._where()}: {_one_line(exc)}") from exc

    def get(self, article_id: str) -> Article | None:
        found = self._call(self.client.search, index=self.alias, query={"term": {"id": article_id}}, size=1)
        hits = found["hits"]["hits"]
        return article_from_source(hits[0]["_source"]) if hits else None

    def count(self, filters: SearchFilters | None = None) -> int:
        query = self._filtered(MatchAll(), filters or SearchFilters())
        return self._call(self.client.count, index=self.alias, query=query)["count"]

    def search(self, request: SearchRequest) -> SearchResult:
        node, expanded = prepare_query(request, self.taxonomy)
        body: dict[str, Any] = {
            "index": self.alias,
            "query": self._filtered(node, request.filters),
            "size": request.limit,
            "from_": request.offset,
            "track_total_hits": True,
        }
        if request.sort == "date":
            body["sort"] = [{"published_at": {"order": "desc", "missing": "_last"}}]
        if request.highlight:
            fields = {
                name: {"number_of_fragments": 1, "fragment_size": 200}
                for name in ("title", "summary", "body")
            }
            body["highlight"] = {"pre_tags": ["<mark>"], "post_tags": ["</mark>"], "fields": fields}
        found = self._call(self.client.search, **body)
        hits = []
        for raw in found["hits"]["hits"]:
            highlights = [
                fragment for fragments in raw.get("highlight", {}).values() for fragment in fragments
            ]
            article = article_from_source(raw["_source"])
            hits.append(Hit(article=article, score=float(raw.get("_score") or 0.0), highlights=highlights))
        return SearchResult(total=found["hits"]["total"]["value"], hits=hits, expanded_query=expanded)

    def bucket_counts(
        self,
        dimension: Dimension,
        interval: timedelta,
        start: datetime,
        end: datetime,
        query: str | None = None,
        filters: SearchFilters | None = None,
        unit: CountUnit = "clusters",
    ) -> dict[str, list[BucketCount]]:
        """Counted by Elasticsearch: ``size: 0`` and a terms + date_histogram aggregation."""
        es_query = self._filtered(parse_query(query or ""), window_filters(filters, start, end))
        found = self._call(
            self.client.search,
            index=self.alias,
            query=es_query,
            size=0,
            track_total_hits=False,
            aggs=trend_aggregation(dimension, interval, start, unit),
        )
        return read_trend_aggregation(found["aggregations"], dimension, interval, start, end, unit)

    # -- translation -----------------------------------------------------------------------
    def _filtered(self, node: Node, filters: SearchFilters) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = []
        for attribute, field in FILTER_FIELDS.items():
            values = getattr(filters, attribute)
            if values:
                clauses.append({"terms": {field: list(values)}})
        for attribute, flag in FLAG_FILTERS.items():
            if getattr(filters, attribute):
                clauses.append({"term": {flag: True}})
        if filters.exclude_guessed_dates:
            clauses.append({"terms": {DATE_SOURCE_FIELD: list(TRUSTED_DATE_SOURCES)}})
        if filters.since or filters.until:
            bounds = {}
            if filters.since:
                bounds["gte"] = filters.since.isoformat()
            if filters.until:
                bounds["lt"] = filters.until.isoformat()
            clauses.append({"range": {"published_at": bounds}})
        return {"bool": {"must": [translate(node)], "filter": clauses}}


def translate(node: Node) -> dict[str, Any]:
    """Our parse tree as Elasticsearch query DSL (mirrors the embedded translation)."""
    if isinstance(node, MatchAll):
        return {"match_all": {}}
    if isinstance(node, Keyword):
        return {"term": {node.field: node.value}}
    if isinstance(node, Text):
        bases = [f for name in (node.fields or QUERY_TEXT_FIELDS) for f in QUERY_TEXT_FIELDS[name]]
        if node.prefix:
            should = [{"prefix": {base: node.text.lower()}} for base in bases]
        else:
            fields = [
                base + suffix for base in bases for suffix in ["", *(f".{k}" for k in LANGUAGE_SUBFIELDS)]
            ]
            if is_one_cjk_character(node.text):
                fields += [f"{base}.{CJK_UNIGRAM_SUBFIELD}" for base in bases]
            should = [{"match_phrase": {field: node.text}} for field in fields]
        return {"bool": {"should": should, "minimum_should_match": 1}}
    if isinstance(node, Not):
        return {"bool": {"must_not": [translate(node.item)]}}
    if isinstance(node, And):
        must = [translate(i) for i in node.items if not isinstance(i, Not)]
        must_not = [translate(i.item) for i in node.items if isinstance(i, Not)]
        return {"bool": {"must": must or [{"match_all": {}}], "must_not": must_not}}
    return {"bool": {"should": [translate(i) for i in node.items], "minimum_should_match": 1}}


CJK_SCRIPTS = ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA", "KATAKANA", "HANGUL")


def is_one_cjk_character(text: str) -> bool:
    """A query of one Han, Hiragana, Katakana or Hangul character (北, 俄, 朝), which the cjk
    bigrams cannot find inside a run of characters: it also searches the unigram sub-field."""
    text = text.strip()
    return len(text) == 1 and unicodedata.name(text, "").startswith(CJK_SCRIPTS)


def _reason(error: Any) -> str:
    if isinstance(error, dict):
        caused = error.get("caused_by", {})
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
        if caused:
            text += f" ({caused.get('type', '')}: {caused.get('reason', '')})"
        return _one_line(text)
    return _one_line(str(error))


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())[:500]
