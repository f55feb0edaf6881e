"""Trend counts as Whirlpool computed them before counting moved into the engine (commit ec6fc32):
fetch every matching cluster representative and count on the client. Kept for the benchmark
only, to measure the engine-side counts against in the same run; the library never calls it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from indexing.backend import BucketCount, Dimension, IndexBackend, SearchFilters
from indexing.buckets import window_filters
from indexing.query import parse_query
from whirlpool.article import Article


def dimension_values(article: Article, dimension: Dimension) -> list[str]:
    """The values an article counts under (multi-valued fields count in each value)."""
    if dimension == "total":
        return ["total"]
    value = getattr(article, dimension)
    values = value if isinstance(value, list) else [value]
    return sorted({str(v) for v in values if v})


def count_into_buckets(
    rows: Iterable[tuple[datetime | None, list[str]]],
    interval: timedelta,
    start: datetime,
    end: datetime,
    dimension: Dimension,
) -> dict[str, list[BucketCount]]:
    """Count (date, values) rows into every bucket of [start, end); ``"total"`` always present."""
    width = interval.total_seconds()
    slots = max(0, int(-(-(end - start).total_seconds() // width)))
    counts: dict[str, list[int]] = {}
    if dimension == "total":
        counts["total"] = [0] * slots
    for published_at, values in rows:
        if published_at is None or not (start <= published_at < end):
            continue
        slot = int((published_at - start).total_seconds() // width)
        for value in values:
            counts.setdefault(value, [0] * slots)[slot] += 1
    return {
        value: [BucketCount(start=start + interval * i, count=n) for i, n in enumerate(numbers)]
        for value, numbers in sorted(counts.items())
    }


def client_side_bucket_counts(
    backend: IndexBackend,
    dimension: Dimension,
    interval: timedelta,
    start: datetime,
    end: datetime,
    query: str | None = None,
    filters: SearchFilters | None = None,
) -> dict[str, list[BucketCount]]:
    """The pre-engine ``bucket_counts`` of either backend, unchanged."""
    if backend.name == "embedded":
        return _embedded(backend, dimension, interval, start, end, query, filters)
    return _elasticsearch(backend, dimension, interval, start, end, query, filters)


def _embedded(backend, dimension, interval, start, end, query, filters):
    tantivy_query = backend._filtered(parse_query(query or ""), window_filters(filters, start, end))
    searcher = backend.index.searcher()
    total = searcher.search(tantivy_query, limit=1, count=True).count
    rows = []
    if total:
        for _score, address in searcher.search(tantivy_query, limit=total).hits:
            article = Article.from_json(bytes(searcher.doc(address).get_first("doc")))
            rows.append((article.published_at, dimension_values(article, dimension)))
    return count_into_buckets(rows, interval, start, end, dimension)


def _elasticsearch(backend, dimension, interval, start, end, query, filters):
    es_query = backend._filtered(parse_query(query or ""), window_filters(filters, start, end))
    source = ["id", "published_at"] + ([] if dimension == "total" else [dimension])
    rows = []
    search_after = None
    while True:
        page = backend._call(
            backend.client.search,
            index=backend.alias,
            query=es_query,
            source=source,
            size=5000,
            sort=[{"id": "asc"}],
            search_after=search_after,
        )["hits"]["hits"]
        for raw in page:
            article = Article.model_validate(
                {"url": "", "canonical_url": "", "source_id": "", **raw["_source"]}
            )
            rows.append((article.published_at, dimension_values(article, dimension)))
        if len(page) < 5000:
            break
        search_after = page[-1]["sort"]
    return count_into_buckets(rows, interval, start, end, dimension)
