"""Fixtures for the process stage: the repository's taxonomy and a Processor on a temp state dir."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from processing.cleaning import clean_title
from processing.pipeline import Processor, analyse_texts
from processing.relevance_model import load_model
from whirlpool.article import Article, article_id
from whirlpool.report import StageReport
from whirlpool.settings import ProcessSettings, Settings
from whirlpool.taxonomy import Taxonomy, load_taxonomy
from whirlpool.urls import canonical_url

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy(REPO / "config" / "taxonomy.yaml")


@pytest.fixture(scope="module")
def analyse(taxonomy):
    """Language, tags, relevance (the learned scorer) and themes of a title and lead."""
    learned = ProcessSettings(relevance_model="learned")
    model = load_model()

    def run(title: str, summary: str = ""):
        return analyse_texts(taxonomy, learned, clean_title(title), summary, "", model)

    return run


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", config_dir=REPO / "config")


@pytest.fixture
def processor(settings: Settings):
    processor = Processor.from_settings(settings)
    yield processor
    processor.close()


@pytest.fixture
def rule_processor(settings: Settings):
    """A processor with the theme rule alone (``process.theme_model: rules``)."""
    processor = Processor.from_settings(
        settings.model_copy(update={"process": ProcessSettings(theme_model="rules")})
    )
    yield processor
    processor.close()


def make_article(
    url: str, title: str, body: str, published: str | None = "2026-11-20T08:00:00", **extra
) -> Article:
    canonical = canonical_url(url)
    return Article(
        id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        source_id=extra.pop("source_id", "test-source"),
        title=title,
        body=body,
        published_at=datetime.fromisoformat(published).replace(tzinfo=UTC) if published else None,
        **extra,
    )


def relevant_themes(processor: Processor, title: str, lead: str) -> list[str]:
    """The themes of a headline and lead that the processor finds relevant (asserted)."""
    article = make_article("https://news.example/item", title, "", summary=lead)
    [result] = list(processor.process([article], StageReport("process")))
    assert result.relevant, (result.relevance, result.evidence)
    return result.themes
