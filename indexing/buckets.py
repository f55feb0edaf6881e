"""Trend counts shared by both backends: fixed-width buckets aligned to ``start``, zeros filled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from indexing.backend import BucketCount, Dimension, SearchFilters
from whirlpool.article import Article


def window_filters(filters: SearchFilters | None, start: datetime, end: datetime) -> SearchFilters:
    """The caller's filters within [start, end), representatives only (a cluster counts once)."""
    base = filters or SearchFilters()
    since = max(start, base.since) if base.since else start
    until = min(end, base.until) if base.until else end
    return replace(base, since=since, until=until, representatives_only=True)


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
    if interval <= timedelta(0):
        raise ValueError("interval must be positive")
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
