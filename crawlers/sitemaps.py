"""Sitemaps (and Google News sitemaps) into plain entries, with Scrapy's own sitemap iterator. Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from lxml import etree
from scrapy.utils.sitemap import Sitemap

from crawlers.feeds import FeedEntry, html_to_text
from whirlpool.timetext import utc_from_iso
from whirlpool.urls import is_http_url

MAX_CHILD_SITEMAPS = 20

# The Google News extension nests these under <news:news>; Scrapy's iterator keeps direct children only.
_NEWS_FIELDS = ("publication_date", "title")


class _NewsSitemap(Sitemap):
    """``scrapy.utils.sitemap.Sitemap`` that also keeps ``news:publication_date`` and ``news:title``."""

    __slots__ = ()

    def _process_sitemap_element(self, elem: etree._Element) -> dict[str, Any] | None:
        news = {}
        for child in elem.iterdescendants():
            name = self._get_tag_name(child)
            if name in _NEWS_FIELDS:
                news.setdefault(f"news_{name}", (child.text or "").strip())
        entry = super()._process_sitemap_element(elem)
        return {**news, **entry} if entry is not None else None


@dataclass
class ParsedSitemap:
    sitemaps: list[str] = field(default_factory=list)  # a sitemap index: the child sitemaps to fetch
    entries: list[FeedEntry] = field(default_factory=list)  # a url set: the pages it lists
    error: str | None = None  # not readable as XML at all


def parse_sitemap(body: bytes, max_items: int = 100) -> ParsedSitemap:
    """A sitemap index gives its child sitemaps; a url set gives entries dated by the news or lastmod date."""
    try:
        sitemap = _NewsSitemap(body)
        if sitemap.type == "sitemapindex":
            locs = (item["loc"] for item in sitemap)
            return ParsedSitemap(
                sitemaps=[loc for loc in islice(locs, MAX_CHILD_SITEMAPS) if is_http_url(loc)]
            )
        entries = [
            FeedEntry(
                link=item["loc"],
                guid=None,
                title=html_to_text(item.get("news_title", "")),
                summary="",
                content="",
                published_at=utc_from_iso(item.get("news_publication_date") or item.get("lastmod")),
                authors=[],
            )
            for item in islice((item for item in sitemap if item["loc"]), max_items)
        ]
    except (etree.XMLSyntaxError, StopIteration):
        return ParsedSitemap(error="not a sitemap: unreadable XML")
    return ParsedSitemap(entries=entries)
