"""Build a raw Article from what was fetched: the extracted page, the feed entry, the source."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from crawlers.extraction import ExtractedPage
from crawlers.feeds import FeedEntry
from whirlpool.article import Article, DateSource, ExtractionMethod, article_id
from whirlpool.sources import Source
from whirlpool.urls import canonical_url

FUTURE_TOLERANCE = timedelta(minutes=15)


def _site(url: str) -> str:
    host = urlsplit(url).netloc.lower()
    return host.removeprefix("www.")


def choose_canonical(url: str, declared: str | None) -> str:
    """The page's declared canonical link when it is on the same site, else the fetched URL."""
    if declared and _site(declared) == _site(url):
        return canonical_url(declared)
    return canonical_url(url)


def trusted_date(
    page_date: datetime | None, feed_date: datetime | None, fetched_at: datetime
) -> tuple[datetime, DateSource]:
    """Page date, then feed date; nothing found is GUESSED and a future date CLAMPED (both marked).

    A page date without a time of day (midnight) gives way to a feed date on the same day.
    """
    if (
        page_date is not None
        and feed_date is not None
        and page_date.time() == datetime.min.time()
        and abs(feed_date - page_date) < timedelta(days=1)
    ):
        page_date = None
    for value, source in ((page_date, DateSource.PAGE), (feed_date, DateSource.FEED)):
        if value is None:
            continue
        if value > fetched_at + FUTURE_TOLERANCE:
            return fetched_at, DateSource.CLAMPED
        return value, source
    return fetched_at, DateSource.GUESSED


def build_article(
    source: Source,
    url: str,
    entry: FeedEntry | None,
    page: ExtractedPage | None,
    fetched_at: datetime,
    min_body_chars: int,
    feed_url: str | None = None,
    method_if_page: ExtractionMethod = ExtractionMethod.TRAFILATURA,
) -> Article:
    """Full text when the page gave enough; else the feed's content or summary, marked as such."""
    page_text = page.text if page else ""
    summary = entry.summary if entry else ""
    if len(page_text) >= min_body_chars:
        body, method = page_text, method_if_page
    elif entry and len(entry.content) >= max(min_body_chars, len(page_text)):
        body, method = entry.content, ExtractionMethod.FEED_CONTENT
    elif summary:
        body, method = summary, ExtractionMethod.FEED_SUMMARY
    elif page_text:
        body, method = page_text, method_if_page
    else:
        body, method = "", ExtractionMethod.NONE
    canonical = choose_canonical(url, page.canonical_url if page else None)
    published_at, date_source = trusted_date(
        page.published_at if page else None, entry.published_at if entry else None, fetched_at
    )
    title = (entry.title if entry and entry.title else "") or (page.title if page else "")
    authors = (page.authors if page and page.authors else []) or (entry.authors if entry else [])
    return Article(
        id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        source_id=source.id,
        source_name=source.name,
        source_kind=str(source.kind),
        source_country=source.country,
        feed_url=feed_url,
        title=title,
        summary=summary,
        body=body,
        authors=authors,
        published_at=published_at,
        published_at_source=date_source,
        fetched_at=fetched_at,
        language_hint=(page.language_hint if page and page.language_hint else None) or source.language,
        extraction_method=method,
    )
