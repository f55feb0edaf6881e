"""The one interface every index backend implements (embedded tantivy, Elasticsearch).

Both pass the same shared test suite (``tests/index/test_backend_contract.py``).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from whirlpool.article import Article

# Dimensions trend counts can be split by.
Dimension = Literal["themes", "entities", "places", "source_id", "source_kind", "language", "total"]
# What trend counts count: duplicate clusters (copies once), or stories (one event in any language
# once; an article indexed before stories existed is its cluster's story).
CountUnit = Literal["clusters", "stories"]


class IndexUnavailable(Exception):
    """The index cannot be reached or refuses writes: the caller keeps the batch for the next run."""


class BackendNotConfigured(ValueError):
    """The chosen backend lacks a setting it needs; the message names the setting to set."""


class QuerySyntaxError(ValueError):
    """A search query that cannot be parsed; the message names the problem in one line."""


@dataclass
class SearchFilters:
    since: datetime | None = None  # published_at >= since
    until: datetime | None = None  # published_at < until
    languages: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    source_ids: list[str] = field(default_factory=list)
    source_kinds: list[str] = field(default_factory=list)
    relevant_only: bool = False
    representatives_only: bool = False  # one hit per duplicate cluster
    story_ids: list[str] = field(default_factory=list)
    exclude_guessed_dates: bool = False


@dataclass
class SearchRequest:
    query: str = ""  # Lucene/KQL-like: terms, "phrases", AND/OR/NOT, field:value, entity:<id>, prefix*
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: Literal["relevance", "date"] = "relevance"
    limit: int = 20
    offset: int = 0
    exact: bool = False  # True turns cross-script taxonomy expansion off
    highlight: bool = True


@dataclass
class Hit:
    article: Article
    score: float
    highlights: list[str] = field(default_factory=list)  # snippets with <mark>…</mark>


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    expanded_query: str | None = None  # the query after cross-script expansion, for display


@dataclass
class BulkResult:
    indexed: int = 0  # created or updated
    failed: int = 0  # rejected documents, written to the dead-letter file
    dead_letter_path: str | None = None
    errors: list[str] = field(default_factory=list)  # one line each


@dataclass
class BucketCount:
    start: datetime
    count: int  # clusters (or stories), not copies


class IndexBackend(abc.ABC):
    name: str
    taxonomy: Any = None  # whirlpool.taxonomy.Taxonomy for cross-script expansion, or None

    @abc.abstractmethod
    def ensure_ready(self) -> None:
        """Create the index (template, alias, schema) if missing. Raises IndexUnavailable."""

    @abc.abstractmethod
    def upsert(self, articles: Iterable[Article]) -> BulkResult:
        """Index by article id (re-indexing replaces). Raises IndexUnavailable when nothing can be written."""

    @abc.abstractmethod
    def get(self, article_id: str) -> Article | None: ...

    @abc.abstractmethod
    def count(self, filters: SearchFilters | None = None) -> int: ...

    @abc.abstractmethod
    def search(self, request: SearchRequest) -> SearchResult:
        """Raises QuerySyntaxError for a malformed query."""

    @abc.abstractmethod
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
        """Clusters (or with ``unit="stories"``, stories) per time bucket per value of ``dimension`` (every bucket in [start, end), zeros
        included; buckets aligned to ``start``; bounds and ``interval`` in whole seconds, ``start``
        and ``end`` rounded down to the second). Counts cluster representatives only, so copies of
        one story count once; ``filters.exclude_guessed_dates`` leaves out guessed dates. For
        ``"total"`` the single key is ``"total"``."""

    @abc.abstractmethod
    def delete_older_than(self, cutoff: datetime, dry_run: bool = False) -> int:
        """Delete every document published before ``cutoff`` (its trusted date, or the fetch time
        when the date was guessed); returns how many (with ``dry_run``, how many would be).
        Documents with no date are kept. Retention (``whirlpool prune``) calls it."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or connections."""
