"""The collect spider: feeds, news sitemaps and listing pages in; Article items and requests out.

It only wires: feed and sitemap parsing, extraction and article building are plain functions in
``crawlers``; the item pipelines (``crawlers.pipelines``) store what it yields. Counts go to
``crawler.stats`` under ``collect/`` (per source under ``collect/source/<id>/``, where ``polled`` is set
once every feed, sitemap and listing page of the source has answered or failed); every failure is an
outcome record handed to ``on_outcome``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable, Container
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding, resolve_encoding

from crawlers.articles import build_article
from crawlers.extraction import ExtractedPage, date_from_text, error_page_reason, extract_article
from crawlers.failures import describe_failure
from crawlers.feeds import FeedEntry, parse_feed
from crawlers.googlenews import decode_google_news_url
from crawlers.netpolicy import RefusedByNetworkPolicy, scheme_refusal
from crawlers.sitemaps import parse_sitemap
from whirlpool.article import Article, ExtractionMethod
from whirlpool.report import Outcome, ProgressCallback, no_progress
from whirlpool.settings import CollectSettings
from whirlpool.sources import ListingSelectors, Source
from whirlpool.urls import canonical_url


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _ignore(outcome: Outcome) -> None:
    return None


class CollectSpider(scrapy.Spider):
    name = "collect"

    def __init__(
        self,
        sources: list[Source],
        collect: CollectSettings,
        validators: dict[str, dict] | None = None,
        seen: Container[str] = frozenset(),
        on_outcome: Callable[[Outcome], None] = _ignore,
        progress: ProgressCallback = no_progress,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.sources = {s.id: s for s in sources}
        self.collect = collect
        self.validators = validators or {}
        self.seen = seen  # canonical URLs collected by earlier runs
        self.on_outcome = on_outcome
        self.progress = progress
        self.queued: set[str] = set()
        self.polls_pending: Counter[str] = Counter()  # per source: feeds, sitemaps, pages not answered yet
        self.pages_total = 0
        self.pages_done = 0

    # -- records ------------------------------------------------------------------------------------
    def _count(self, name: str, n: int = 1, source_id: str | None = None) -> None:
        key = f"collect/source/{source_id}/{name}" if source_id else f"collect/{name}"
        self.crawler.stats.inc_value(key, n)

    def _fail(self, reason: str, source_id: str, url: str) -> None:
        self.on_outcome(Outcome("collect", reason, source_id, url))

    def _warn(self, reason: str, source_id: str, url: str) -> None:
        self.on_outcome(Outcome("collect", reason, source_id, url, severity="warning"))

    # -- start --------------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources.values():
            pages = source.listing.pages if source.listing else []
            self.polls_pending[source.id] = len(source.feeds) + len(source.sitemaps) + len(pages)
            for feed in source.feeds:
                yield self._feed_request(source, str(feed))
            for sitemap in source.sitemaps:
                yield self._fetch(source, str(sitemap), self.parse_sitemap, "sitemap")
            if source.listing:
                for page in source.listing.pages:
                    yield self._fetch(source, str(page), self.parse_listing, "listing")

    def _fetch(self, source: Source, url: str, callback, kind: str, **meta: Any) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_poll_error,
            dont_filter=True,
            meta={"source_id": source.id, "poll_url": url, "kind": kind, **meta},
        )

    def _feed_request(self, source: Source, url: str) -> scrapy.Request:
        headers = {}
        cached = self.validators.get(url) or {}
        if cached.get("etag"):
            headers["If-None-Match"] = cached["etag"]
        if cached.get("last_modified"):
            headers["If-Modified-Since"] = cached["last_modified"]
        request = self._fetch(source, url, self.parse_feed, "feed", handle_httpstatus_list=[304])
        return request.replace(headers=headers)

    # -- feeds, sitemaps, listings ------------------------------------------------------------------
    def _poll_answered(self, source_id: str, follow_ups: int = 0) -> None:
        """One poll of the source is over (``follow_ups``: child sitemaps it adds); the last one marks
        the source polled, a durable stat the parent reads even when the crawl dies later."""
        self.polls_pending[source_id] += follow_ups - 1
        if self.polls_pending[source_id] == 0:
            self.crawler.stats.set_value(f"collect/source/{source_id}/polled", 1)

    def _polled(self, response: Response, entries: int = 0, follow_ups: int = 0) -> None:
        """A poll that worked: counted for its source; a feed's validators kept for the next poll."""
        source_id, poll_url = response.meta["source_id"], response.meta["poll_url"]
        self._count("polls_ok", source_id=source_id)
        self._count("entries", entries, source_id=source_id)
        etag, modified = _header(response, "ETag"), _header(response, "Last-Modified")
        if response.meta["kind"] == "feed" and (etag or modified):
            self.crawler.stats.set_value(
                f"collect/feed/{poll_url}", {"etag": etag, "last_modified": modified}
            )
        self._poll_answered(source_id, follow_ups)

    def _poll_failed(self, response: Response, reason: str) -> None:
        self._fail(f"{reason} ({response.url})", response.meta["source_id"], response.meta["poll_url"])
        self._poll_answered(response.meta["source_id"])

    def parse_feed(self, response: Response):
        source = self.sources[response.meta["source_id"]]
        if response.status == 304:
            self._count("polls_ok", source_id=source.id)
            self._count("feeds_not_modified")
            self._poll_answered(source.id)
            return
        headers = {k.decode("latin-1"): v[0].decode("latin-1") for k, v in response.headers.items() if v}
        parsed = parse_feed(response.body, headers, self.collect.max_items_per_feed)
        if parsed.error:
            self._poll_failed(response, parsed.error)
            return
        if parsed.warning:
            self._warn(parsed.warning, source.id, response.url)
        self._polled(response, entries=len(parsed.entries))
        for entry in parsed.entries:
            yield from self._follow_entry(source, entry, response.meta["poll_url"])

    def parse_sitemap(self, response: Response):
        source = self.sources[response.meta["source_id"]]
        sitemap = parse_sitemap(response.body, self.collect.max_items_per_feed)
        if sitemap.error:
            self._poll_failed(response, sitemap.error)
            return
        self._polled(response, entries=len(sitemap.entries), follow_ups=len(sitemap.sitemaps))
        for url in sitemap.sitemaps:
            yield self._fetch(source, url, self.parse_sitemap, "sitemap")
        for entry in sitemap.entries:
            yield from self._follow_entry(source, entry, None)

    def parse_listing(self, response: Response):
        source = self.sources[response.meta["source_id"]]
        if not isinstance(response, TextResponse) or source.listing is None:
            self._poll_failed(response, "not an HTML listing page")
            return
        links = response.css(f"{source.listing.article_links}::attr(href)").getall()
        entries = [
            FeedEntry(urljoin(response.url, href.strip()), None, "", "", "", None, [])
            for href in dict.fromkeys(links)
        ]
        self._polled(response, entries=len(entries))
        for entry in entries[: self.collect.max_items_per_feed]:
            yield from self._follow_entry(source, entry, None, listing=True)

    def on_poll_error(self, failure: Failure) -> None:
        request = failure.request
        reason = describe_failure(failure, request.url, self.collect)
        self._fail(reason, request.meta["source_id"], request.meta["poll_url"])
        self._poll_answered(request.meta["source_id"])

    # -- entries and pages --------------------------------------------------------------------------
    def _follow_entry(self, source: Source, entry: FeedEntry, feed_url: str | None, listing: bool = False):
        link = decode_google_news_url(entry.link) or entry.link
        entry.link = link
        self._count("entries_seen")
        refused = scheme_refusal(link)
        if refused:  # javascript:, file:, data:, ftp: ... in a feed or on a listing page
            self._count("links_refused")
            self._warn(refused, source.id, link)
            return
        key = canonical_url(link)
        if key in self.queued or key in self.seen:
            self._count("articles_already_seen")
            return
        self.queued.add(key)
        if not (source.fetch_full_articles and self.collect.fetch_full_articles):
            yield self._article(source, link, entry, None, feed_url, key)
            return
        self.pages_total += 1
        yield scrapy.Request(
            link,
            callback=self.parse_page,
            errback=self.on_page_error,
            # Not Scrapy's duplicate filter: it would silently drop a redirect back to a URL already
            # requested (a redirect loop), losing the item. Links are deduplicated above, by canonical
            # URL, and an article reached twice by redirects is dropped as seen (DropSeenArticles).
            dont_filter=True,
            meta={
                "source_id": source.id,
                "entry": entry.to_dict(),
                "feed_url": feed_url,
                "key": key,
                "listing": listing,
            },
        )

    def _page_done(self, url: str) -> None:
        self.pages_done += 1
        self.progress(self.pages_done, self.pages_total, url)

    def parse_page(self, response: Response):
        meta = response.meta
        source = self.sources[meta["source_id"]]
        entry = FeedEntry.from_dict(meta["entry"])
        self._page_done(response.url)
        is_text = isinstance(response, TextResponse)
        if not is_text and not response.body.lstrip()[:1] == b"<":
            content_type = _header(response, "Content-Type") or "unknown"
            self._fail(f"not an HTML page ({content_type})", source.id, response.url)
            yield self._article(source, response.url, entry, None, meta["feed_url"], meta["key"])
            return
        # Only the charset the server declared: extract_article reads a BOM and <meta> itself, checks a
        # declared charset against the bytes, and detects an undeclared one Cyrillic-first.
        # (response.encoding would be Scrapy's own guess when nothing is declared.)
        declared = http_content_type_encoding(_header(response, "Content-Type") or "")
        page = extract_article(response.body, response.url, declared)
        if declared and resolve_encoding(declared) != resolve_encoding(page.encoding):
            self._warn(
                f"page declares {declared.lower()} but is not: read as {page.encoding}, "
                f"detected from its text ({response.url})",
                source.id,
                entry.link,
            )
        soft_404 = error_page_reason(page, self.collect.min_body_chars)
        if soft_404:  # the page is not the story: what the feed said is kept, as for a failed page
            self._fail(f"{soft_404} at {response.url}", source.id, entry.link)
            if entry.title or entry.summary or entry.content:
                yield self._article(source, entry.link, entry, None, meta["feed_url"], meta["key"])
            return
        method = ExtractionMethod.TRAFILATURA
        listing = source.listing if meta.get("listing") else None
        if listing is not None:  # the site's own selectors, where configured, over trafilatura's reading
            method = _apply_listing_selectors(response, listing, page) or method
        yield self._article(source, response.url, entry, page, meta["feed_url"], meta["key"], method)

    def on_page_error(self, failure: Failure):
        request = failure.request
        meta = request.meta
        source = self.sources[meta["source_id"]]
        entry = FeedEntry.from_dict(meta["entry"])
        self._page_done(request.url)
        # named by the feed's link, the item it stands for; the reason names where a redirect went
        self._fail(describe_failure(failure, request.url, self.collect), source.id, entry.link)
        if failure.check(RefusedByNetworkPolicy):
            self._count("links_refused")  # a link into a private network is not an article
            return
        if entry.title or entry.summary or entry.content:
            # what the feed said is kept, a headline alone too: for headline feeds it is the story
            yield self._article(source, entry.link, entry, None, meta["feed_url"], meta["key"])

    def _article(
        self,
        source: Source,
        url: str,
        entry: FeedEntry,
        page: ExtractedPage | None,
        feed_url: str | None,
        key: str,
        method: ExtractionMethod = ExtractionMethod.TRAFILATURA,
    ) -> Article:
        article = build_article(
            source, url, entry, page, datetime.now(UTC), self.collect.min_body_chars, feed_url, method
        )
        article._reached_by = [key]
        return article


def _apply_listing_selectors(
    response: TextResponse, listing: ListingSelectors, page: ExtractedPage
) -> ExtractionMethod | None:
    """Body, title and date from a listing site's CSS selectors; LISTING when the body came from them."""
    method = None
    if listing.body:
        body = " ".join(t.strip() for t in response.css(f"{listing.body} ::text").getall()).strip()
        if body:
            page.text, method = body, ExtractionMethod.LISTING
    if listing.title:
        title = " ".join(response.css(f"{listing.title} ::text").getall()).strip()
        page.title = title or page.title
    if listing.published:
        found = date_from_text(
            response.css(f"{listing.published}::attr(datetime)").getall()
            + [" ".join(response.css(f"{listing.published} ::text").getall())]
        )
        page.published_at = found or page.published_at
    return method
