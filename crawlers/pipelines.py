"""Item pipelines of the collect crawl, one step each: skip what was collected, write the raw batch,
mark the URLs seen. Their counts go to ``crawler.stats`` under ``collect/``.

They are switched on by ``ITEM_PIPELINES`` in ``crawlers.settings`` and read where to write from
``COLLECT_DATA_DIR``, ``COLLECT_BATCH`` and ``COLLECT_STATE_DIR`` (set per run by ``crawlers.run``).
The order is what makes a crash safe: an article is written before its URLs are marked seen, so a crash
between the two fetches it once more (same id, harmless downstream) and never loses it.

A write that fails (a full disk, a locked database) stops the crawl with the failure as its finish
reason: ``crawlers.run`` then exits non-zero and the parent reports that one line. What was written
before is kept; nothing after it is written or marked seen.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro

from crawlers.state import SeenUrls, connect
from whirlpool.article import Article, ExtractionMethod
from whirlpool.stagestore import RAW, BatchWriter, StageStore
from whirlpool.urls import canonical_url

METHOD_COUNTS = {
    ExtractionMethod.TRAFILATURA: "full_text",
    ExtractionMethod.LISTING: "full_text",
    ExtractionMethod.FEED_CONTENT: "feed_content",
    ExtractionMethod.FEED_SUMMARY: "feed_summary_fallback",
}


logger = logging.getLogger(__name__)


def stop_crawl(crawler: Crawler, reason: str) -> None:
    """Close the crawl with ``reason`` as its finish reason. Scheduled, not awaited: the engine lets the
    items in progress through the pipelines first."""
    logger.error("stopping the crawl: %s", reason)
    deferred_from_coro(crawler.engine.close_spider_async(reason=reason))


def _required(crawler: Crawler, name: str) -> str:
    value = crawler.settings.get(name)
    if not value:
        raise NotConfigured(f"{name} is not set")
    return str(value)


class _SeenUrlsStep:
    def __init__(self, state_dir: Path, crawler: Crawler):
        self.state_dir = state_dir
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.seen: SeenUrls | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(Path(_required(crawler, "COLLECT_STATE_DIR")), crawler)

    def open_spider(self) -> None:
        self.seen = SeenUrls(connect(self.state_dir))

    def close_spider(self) -> None:
        if self.seen is not None:
            self.seen.connection.close()


class DropSeenArticles(_SeenUrlsStep):
    """Drop an article whose canonical URL was already collected (by an earlier run or page)."""

    def process_item(self, article: Article) -> Article:
        assert self.seen is not None
        if article.canonical_url in self.seen:
            self.stats.inc_value("collect/articles_already_seen")
            raise DropItem(f"already collected: {article.canonical_url}", log_level="DEBUG")
        return article


class WriteRawBatch:
    """Append each article to this run's raw batch (flushed per article; sealed when the crawl ends)."""

    def __init__(self, data_dir: Path, batch_name: str, crawler: Crawler):
        self.store = StageStore(data_dir)
        self.batch_name = batch_name
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.writer: BatchWriter | None = None
        self.failed: str | None = None  # why writing stopped; later articles are dropped, not appended

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WriteRawBatch:
        data_dir = Path(_required(crawler, "COLLECT_DATA_DIR"))
        return cls(data_dir, _required(crawler, "COLLECT_BATCH"), crawler)

    def open_spider(self) -> None:
        self.writer = self.store.writer(RAW, self.batch_name)

    def process_item(self, article: Article) -> Article:
        assert self.writer is not None
        if self.failed:
            raise DropItem(f"not written, the crawl is stopping: {self.failed}")
        try:
            self.writer.write(article)
        except OSError as exc:
            self.failed = f"raw batch write failed: {exc}"
            stop_crawl(self.crawler, self.failed)
            raise DropItem(self.failed) from exc
        self.stats.inc_value("collect/articles_new")
        self.stats.inc_value(f"collect/source/{article.source_id}/articles")
        if article.extraction_method in METHOD_COUNTS:
            self.stats.inc_value(f"collect/{METHOD_COUNTS[article.extraction_method]}")
        if article.date_is_guessed:
            self.stats.inc_value(f"collect/dates_{article.published_at_source}")
        return article

    def close_spider(self) -> None:
        if self.writer is not None:
            self.writer.close()


class MarkUrlsSeen(_SeenUrlsStep):
    """Record every URL the article is known by, so no later run fetches it again."""

    def process_item(self, article: Article) -> Article:
        assert self.seen is not None
        keys = dict.fromkeys([*article._reached_by, canonical_url(article.url), article.canonical_url])
        try:
            self.seen.add(list(keys), article.id, article.source_id, article.fetched_at.isoformat())
        except (sqlite3.Error, OSError) as exc:
            reason = f"seen URLs write failed: {exc}"
            stop_crawl(self.crawler, reason)
            raise DropItem(reason) from exc  # written to the raw batch: fetched once more next time
        return article
