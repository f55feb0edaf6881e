"""The collect spider: feeds, news sitemaps and listing pages in; raw articles out as events.

It only wires: parsing, extraction and article building are plain functions in ``crawlers``.
Every result goes through ``emit`` (one JSON event per line to the parent process).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import scrapy
from lxml import etree
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawlers.articles import build_article
from crawlers.extraction import extract_article
from crawlers.failures import describe_failure
from crawlers.feeds import FeedEntry, html_to_text, parse_feed
from crawlers.googlenews import decode_google_news_url
from whirlpool.article import ExtractionMethod
from whirlpool.settings import CollectSettings
from whirlpool.sources import Source
from whirlpool.urls import canonical_url, is_http_url

Emit = Callable[[dict[str, Any]], None]


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _charset(response: Response) -> str | None:
    content_type = _header(response, "Content-Type") or ""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


class CollectSpider(scrapy.Spider):
    name = "collect"

    def __init__(
        self,
        sources: list[Source],
        collect: CollectSettings,
        validators: dict[str, dict],
        seen: sqlite3.Connection,
        emit: Emit,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.sources = {s.id: s for s in sources}
        self.collect = collect
        self.validators = validators
        self.seen = seen
        self.emit = emit
        self.queued: set[str] = set()
        self.pages_total = 0
        self.pages_done = 0

    # -- start ----------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources.values():
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

    # -- feeds, sitemaps, listings ---------------------------------------------------------------
    def _polled(self, response: Response, status: str, entries: int = 0, reason: str | None = None) -> None:
        self.emit(
            {
                "event": "poll",
                "source_id": response.meta["source_id"],
                "url": response.meta["poll_url"],
                "kind": response.meta["kind"],
                "status": status,
                "entries": entries,
                "reason": reason,
                "etag": _header(response, "ETag"),
                "last_modified": _header(response, "Last-Modified"),
            }
        )

    def parse_feed(self, response: Response):
        source = self.sources[response.meta["source_id"]]
        if response.status == 304:
            self._polled(response, "not_modified")
            return
        headers = {k.decode("latin-1"): v[0].decode("latin-1") for k, v in response.headers.items() if v}
        parsed = parse_feed(response.body, headers, self.collect.max_items_per_feed)
        if parsed.error:
            self._polled(response, "failed", reason=f"{parsed.error} ({response.url})")
            return
        if parsed.warning:
            self.emit(
                {"event": "warn", "source_id": source.id, "url": response.url, "reason": parsed.warning}
            )
        self._polled(response, "ok", entries=len(parsed.entries))
        for entry in parsed.entries:
            yield from self._follow_entry(source, entry, response.meta["poll_url"])

    def parse_sitemap(self, response: Response):
        source = self.sources[response.meta["source_id"]]
        try:
            root = etree.fromstring(
                response.body, parser=etree.XMLParser(recover=True, resolve_entities=False)
            )
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            self._polled(response, "failed", reason=f"not a sitemap: unreadable XML ({response.url})")
            return
        children = [el for el in root if isinstance(el.tag, str)]
        if etree.QName(root).localname == "sitemapindex":
            self._polled(response, "ok")
            for child in children[:20]:
                loc = child.findtext("{*}loc")
                if loc and is_http_url(loc.strip()):
                    yield self._fetch(source, loc.strip(), self.parse_sitemap, "sitemap")
            return
        entries = []
        for child in children[: self.collect.max_items_per_feed]:
            loc = (child.findtext("{*}loc") or "").strip()
            if not loc:
                continue
            date_text = child.findtext(".//{*}publication_date") or child.findtext("{*}lastmod")
            published = None
            if date_text:
                try:
                    published = datetime.fromisoformat(date_text.strip().replace("Z", "+00:00"))
                    published = published.replace(tzinfo=published.tzinfo or UTC).astimezone(UTC)
                except ValueError:
                    published = None
            title = html_to_text(child.findtext(".//{*}title") or "")
            entries.append(FeedEntry(loc, None, title, "", "", published, []))
        self._polled(response, "ok", entries=len(entries))
        for entry in entries:
            yield from self._follow_entry(source, entry, None)

    def parse_listing(self, response: Response):
        source = self.sources[response.meta["source_id"]]
        if not isinstance(response, TextResponse) or source.listing is None:
            self._polled(response, "failed", reason=f"not an HTML listing page ({response.url})")
            return
        links = response.css(f"{source.listing.article_links}::attr(href)").getall()
        entries = []
        for href in dict.fromkeys(links):
            entries.append(FeedEntry(urljoin(response.url, href.strip()), None, "", "", "", None, []))
        self._polled(response, "ok", entries=len(entries))
        for entry in entries[: self.collect.max_items_per_feed]:
            yield from self._follow_entry(source, entry, None, listing=True)

    def on_poll_error(self, failure: Failure) -> None:
        request = failure.request
        reason = describe_failure(failure, request.url, self.collect)
        self.emit(
            {
                "event": "poll",
                "source_id": request.meta["source_id"],
                "url": request.meta["poll_url"],
                "kind": request.meta["kind"],
                "status": "failed",
                "entries": 0,
                "reason": reason,
            }
        )

    # -- entries and pages -------------------------------------------------------------------------
    def _follow_entry(self, source: Source, entry: FeedEntry, feed_url: str | None, listing: bool = False):
        link = decode_google_news_url(entry.link) or entry.link
        entry.link = link
        if not is_http_url(link):
            self.emit(
                {
                    "event": "warn",
                    "source_id": source.id,
                    "url": link,
                    "reason": "skipped: not an http(s) link",
                }
            )
            return
        key = canonical_url(link)
        self.emit({"event": "count", "name": "entries_seen"})
        if key in self.queued or self._already_seen(key):
            self.emit({"event": "count", "name": "articles_already_seen"})
            return
        self.queued.add(key)
        fetch = source.fetch_full_articles and self.collect.fetch_full_articles
        if not fetch:
            self._emit_article(source, link, entry, None, feed_url, [key])
            return
        self.pages_total += 1
        yield scrapy.Request(
            link,
            callback=self.parse_page,
            errback=self.on_page_error,
            meta={
                "source_id": source.id,
                "entry": entry.to_dict(),
                "feed_url": feed_url,
                "key": key,
                "listing": listing,
            },
        )

    def _already_seen(self, key: str) -> bool:
        return self.seen.execute("SELECT 1 FROM seen WHERE url = ?", (key,)).fetchone() is not None

    def _progress(self, url: str) -> None:
        self.pages_done += 1
        self.emit({"event": "progress", "done": self.pages_done, "total": self.pages_total, "message": url})

    def parse_page(self, response: Response):
        meta = response.meta
        source = self.sources[meta["source_id"]]
        entry = FeedEntry.from_dict(meta["entry"])
        self._progress(response.url)
        if not isinstance(response, TextResponse) and not response.body.lstrip()[:1] == b"<":
            content_type = _header(response, "Content-Type") or "unknown"
            self.emit(
                {
                    "event": "fail",
                    "source_id": source.id,
                    "url": response.url,
                    "reason": f"not an HTML page ({content_type})",
                }
            )
            self._emit_article(source, response.url, entry, None, meta["feed_url"], [meta["key"]])
            return
        page = extract_article(response.body, response.url, _charset(response))
        method = ExtractionMethod.TRAFILATURA
        if meta.get("listing") and source.listing and source.listing.body:
            body = " ".join(t.strip() for t in response.css(f"{source.listing.body} ::text").getall())
            if body.strip():
                page.text = body.strip()
                method = ExtractionMethod.LISTING
            if source.listing.title:
                page.title = " ".join(response.css(f"{source.listing.title} ::text").getall()).strip()
        self._emit_article(
            source,
            response.url,
            entry,
            page,
            meta["feed_url"],
            [meta["key"], canonical_url(response.url)],
            method,
        )

    def on_page_error(self, failure: Failure) -> None:
        request = failure.request
        meta = request.meta
        source = self.sources[meta["source_id"]]
        entry = FeedEntry.from_dict(meta["entry"])
        self._progress(request.url)
        reason = describe_failure(failure, request.url, self.collect)
        self.emit({"event": "fail", "source_id": source.id, "url": request.url, "reason": reason})
        if entry.summary or entry.content:
            self._emit_article(source, entry.link, entry, None, meta["feed_url"], [meta["key"]])

    def _emit_article(
        self,
        source: Source,
        url: str,
        entry: FeedEntry,
        page,
        feed_url: str | None,
        keys: list[str],
        method: ExtractionMethod = ExtractionMethod.TRAFILATURA,
    ) -> None:
        article = build_article(
            source, url, entry, page, datetime.now(UTC), self.collect.min_body_chars, feed_url, method
        )
        keys = list(dict.fromkeys([*keys, article.canonical_url]))
        self.emit({"event": "article", "article": article.model_dump(mode="json"), "keys": keys})
