"""The sources a team monitors, as declared in ``config/sources.yaml``."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from whirlpool.article import SourceKind
from whirlpool.yamlconfig import ConfigError, load_model

LANGUAGES = ("en", "ru", "uk", "ko", "ja", "zh")


class ListingSelectors(BaseModel):
    """For sites without a feed: which links on a listing page are articles."""

    model_config = ConfigDict(extra="forbid")

    pages: list[HttpUrl] = Field(min_length=1)
    article_links: str  # CSS selector of <a> elements pointing at articles
    title: str | None = None  # CSS selectors on the article page (trafilatura is used when absent)
    body: str | None = None
    published: str | None = None  # CSS selector of the publication date (its datetime attribute or text)


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    homepage: HttpUrl
    feeds: list[HttpUrl] = Field(default_factory=list)
    sitemaps: list[HttpUrl] = Field(default_factory=list)  # Google News sitemaps
    listing: ListingSelectors | None = None
    language: str
    country: str = Field(min_length=2, max_length=2)
    kind: SourceKind
    poll_minutes: int = Field(30, ge=1)
    enabled: bool = True
    disabled_reason: str | None = None
    group: str | None = None  # fan-out group for the Airflow collect DAG (default: the language)
    fetch_full_articles: bool = True

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("country")
    @classmethod
    def _upper_country(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _has_something_to_poll(self) -> Source:
        if not (self.feeds or self.sitemaps or self.listing):
            raise ValueError("a source needs at least one of: feeds, sitemaps, listing")
        if not self.enabled and not self.disabled_reason:
            raise ValueError("a disabled source needs a disabled_reason")
        return self

    @property
    def fan_out_group(self) -> str:
        return self.group or self.language


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[Source]

    @model_validator(mode="after")
    def _unique_ids(self) -> SourcesFile:
        seen: set[str] = set()
        for source in self.sources:
            if source.id in seen:
                raise ValueError(f"duplicate source id '{source.id}'")
            seen.add(source.id)
        return self


def load_sources(path: Path, only_enabled: bool = False) -> list[Source]:
    """Load and validate the sources file; raises ConfigError naming file, line and field."""
    sources = load_model(path, SourcesFile).sources
    if only_enabled:
        sources = [s for s in sources if s.enabled]
    return sources


__all__ = ["ConfigError", "ListingSelectors", "Source", "SourcesFile", "load_sources", "LANGUAGES"]
