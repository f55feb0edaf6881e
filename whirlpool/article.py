"""The one Article schema, shared by crawlers, processing, indexing, alerting and the DAGs.

Every stage reads and writes this model; the index mapping is generated from it
(see ``indexing``). Bump ``SCHEMA_VERSION`` whenever a field changes meaning or type.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum

import msgspec
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

SCHEMA_VERSION = 1


class SourceKind(StrEnum):
    STATE_MEDIA = "state_media"
    WIRE = "wire"
    INDEPENDENT = "independent"
    GOVERNMENT = "government"
    THINK_TANK = "think_tank"
    SPECIALIST = "specialist"
    AGGREGATOR = "aggregator"


class ExtractionMethod(StrEnum):
    """How the body text was obtained."""

    TRAFILATURA = "trafilatura"  # full page extracted
    FEED_CONTENT = "feed_content"  # the feed carried the full text (content:encoded, atom content)
    FEED_SUMMARY = "feed_summary"  # page failed or was a paywall stub: only the feed's summary
    LISTING = "listing"  # listing-page spider, extracted with configured selectors
    NONE = "none"


class DateSource(StrEnum):
    """Where ``published_at`` came from: alerts and spike counts leave out guessed dates."""

    PAGE = "page"  # from the article page (metadata / htmldate)
    FEED = "feed"  # from the feed entry
    GUESSED = "guessed"  # nothing found: set to the fetch time, and marked
    CLAMPED = "clamped"  # a date in the future, clamped to the fetch time


GUESSED_DATE_SOURCES = frozenset({DateSource.GUESSED, DateSource.CLAMPED})


class Evidence(BaseModel):
    """One taxonomy match: which term matched which concept, in which field, where."""

    model_config = ConfigDict(extra="forbid")

    concept: str  # taxonomy id, e.g. "person.kim_jong_un" or "theme.arms_transfers"
    kind: str  # actor | theme | entity | place
    term: str  # the surface form found in the text
    field: str  # title | summary | body
    start: int
    end: int


def article_id(canonical_url: str) -> str:
    """Stable id: a hash of the canonical URL (the same page always gets the same id)."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:20]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Article(BaseModel):
    """A news item at any stage: collected (raw), processed (tagged), indexed."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    schema_version: int = SCHEMA_VERSION
    id: str
    url: str
    canonical_url: str
    source_id: str
    source_name: str = ""
    source_kind: str = ""
    source_country: str = ""
    feed_url: str | None = None

    title: str = ""
    summary: str = ""
    body: str = ""
    authors: list[str] = Field(default_factory=list)

    published_at: datetime | None = None
    published_at_source: DateSource = DateSource.GUESSED
    fetched_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None

    language: str = "und"
    language_hint: str | None = None  # from the page or the source's config; not authoritative

    themes: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list)  # taxonomy ids: people, organisations, weapons
    places: list[str] = Field(default_factory=list)  # taxonomy ids of places
    actors: list[str] = Field(default_factory=list)  # sides present: "russia", "dprk"
    relevance: float = 0.0
    relevant: bool = False
    evidence: list[Evidence] = Field(default_factory=list)

    cluster_id: str | None = None  # duplicate cluster (id of its earliest member)
    is_representative: bool = True  # the earliest member of its cluster
    content_hash: str | None = None  # hash of normalised title+body, for exact duplicates

    # the story: articles about one event, in any language (processing.stories); as the story
    # stood when this article was processed
    story_id: str | None = None
    story_first_source: str = ""  # the source that reported it first (earliest trusted date)
    story_first_source_kind: str = ""
    story_first_seen: datetime | None = None  # None while no member has a trusted date
    story_languages: list[str] = Field(default_factory=list)

    extraction_method: ExtractionMethod = ExtractionMethod.NONE

    # Canonical URLs the crawl reached this article by (a feed link before its redirect): marked seen
    # with it, so the link is not fetched again. Not a field: never stored or indexed.
    _reached_by: list[str] = PrivateAttr(default_factory=list)

    @field_validator("published_at", "fetched_at", "processed_at", "story_first_seen")
    @classmethod
    def _aware_utc(cls, value: datetime | None) -> datetime | None:
        """All datetimes are timezone-aware UTC; naive ones are taken as UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def date_is_guessed(self) -> bool:
        return self.published_at_source in GUESSED_DATE_SOURCES

    def to_json(self) -> str:
        """``model_dump_json()``, the same text (see ``to_json_bytes``)."""
        return self.to_json_bytes().decode("utf-8")

    def to_json_bytes(self) -> bytes:
        """``model_dump_json()`` as UTF-8, written by msgspec from the field values where they are
        of the types msgspec writes exactly as pydantic does (~12 against ~30 µs an article, about
        half of pydantic's spent on the ~14 evidence objects; issue 11). Anything else (a subclass,
        fields set out of order, evidence not ``Evidence``, a relevance msgspec writes otherwise,
        such as an int or 1e16, text it cannot encode) takes pydantic's serialiser."""
        values = self.__dict__
        relevance = values.get("relevance")
        if (
            type(self) is Article
            and type(relevance) is float
            and -_FLOAT_EXACT < relevance < _FLOAT_EXACT
            and tuple(values) == _FIELD_ORDER
        ):
            evidence = values["evidence"]
            if all([type(item) is Evidence for item in evidence]):
                try:
                    return _encode({**values, "evidence": [item.__dict__ for item in evidence]})
                except (TypeError, ValueError, UnicodeError):
                    pass  # pydantic's own error, or its way of writing what msgspec would not
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_json(cls, line: str | bytes) -> Article:
        return cls.model_validate_json(line)


_FIELD_ORDER = tuple(Article.model_fields)
# floats of this size or more pydantic writes as 1e+16, msgspec as 1e16 (below, both alike; NaN
# and infinities fail the comparison and take pydantic's path)
_FLOAT_EXACT = 1e16
_encode = msgspec.json.Encoder().encode
