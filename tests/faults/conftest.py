"""The fault suite: one fault of a hostile or broken web per test, against a real site on 127.0.0.1.

Every test accounts for what went in and what came out: each item of a feed is either an article or
a line in the run's report, never silently gone (``lost``), never written twice (``duplicated``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawlers.collect import collect_sources
from tests.collect.conftest import fast_settings
from tests.collect.fixture_site import FixtureSite, feed_source
from whirlpool.article import Article
from whirlpool.report import StageReport
from whirlpool.settings import Settings
from whirlpool.sources import Source
from whirlpool.stagestore import RAW, StageStore

RSS = "application/rss+xml; charset=utf-8"


@pytest.fixture(scope="package")
def site():
    site = FixtureSite().start()
    yield site
    site.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Fast crawl settings; the network policy allows the fixture site's 127.0.0.1 and nothing else."""
    return fast_settings(tmp_path / "data")


@dataclass
class Run:
    """One collect run: its report, the articles written, and the ledger of the items."""

    report: StageReport
    articles: list[Article]

    @property
    def lines(self) -> list[str]:
        """Every error and warning of the run, as the report prints them."""
        return [outcome.line() for outcome in self.report.outcomes]

    def ledger(self, links: list[str]) -> dict[str, int]:
        """``links`` went in: how many came out as articles, how many the report names instead,
        how many are neither (lost), and how many articles are written more than once."""
        out = {article.url for article in self.articles}
        reported = {outcome.url for outcome in self.report.outcomes}
        ids = Counter(article.id for article in self.articles)
        return {
            "in": len(links),
            "out": sum(link in out for link in links),
            "reported": sum(link not in out and link in reported for link in links),
            "lost": sum(link not in out and link not in reported for link in links),
            "duplicated": sum(n - 1 for n in ids.values()),
        }


def collect(settings: Settings, *sources: Source) -> Run:
    store = StageStore(settings.data_dir)
    report = collect_sources(settings, list(sources), store, force=True)
    articles = [article for batch in store.batches(RAW) for article in store.read_batch(batch)]
    return Run(report, articles)


def source(site: FixtureSite, source_id: str, *feed_paths: str, **extra) -> Source:
    return feed_source(site, source_id, *feed_paths, **extra)
