"""The collect spider's callbacks on fixture responses (no network), and its item pipelines."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from scrapy import Request
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.http import HtmlResponse, Response, XmlResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawlers.pipelines import DropSeenArticles, MarkUrlsSeen, WriteRawBatch
from crawlers.spiders.collect import CollectSpider
from crawlers.state import SeenUrls, connect
from tests.collect.fixture_site import article_html, rss
from whirlpool.article import Article, DateSource, ExtractionMethod
from whirlpool.settings import CollectSettings
from whirlpool.sources import Source
from whirlpool.stagestore import RAW, StageStore
from whirlpool.urls import canonical_url

SITE = "https://news.example"


def make_source(**extra) -> Source:
    fields = {"id": "src", "name": "Source", "homepage": f"{SITE}/", "language": "en", "country": "KR"}
    fields["feeds"] = [] if {"feeds", "sitemaps", "listing"} & set(extra) else [f"{SITE}/feed.xml"]
    return Source.model_validate({**fields, "kind": "wire", **extra})


def make_spider(source: Source, seen: set[str] | None = None, validators: dict | None = None):
    crawler = get_crawler(CollectSpider)
    outcomes = []
    spider = CollectSpider.from_crawler(
        crawler,
        sources=[source],
        collect=CollectSettings(),
        validators=validators,
        seen=seen or set(),
        on_outcome=outcomes.append,
    )
    return spider, outcomes


def start_requests(spider: CollectSpider) -> list[Request]:
    async def collect():
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def answer(request: Request, body: bytes, cls=HtmlResponse, status: int = 200, **headers) -> Response:
    headers = {k.replace("_", "-"): v for k, v in headers.items()}
    return cls(url=request.url, body=body, status=status, headers=headers, request=request)


def stats(spider: CollectSpider) -> dict:
    return spider.crawler.stats.get_stats()


# -- feeds --------------------------------------------------------------------------------------------
def test_feed_entries_become_page_requests_and_the_poll_counts_for_its_source():
    source = make_source(feeds=[f"{SITE}/feed.xml"])
    spider, outcomes = make_spider(source)
    [request] = start_requests(spider)
    items = [(f"T{n}", f"{SITE}/a/{n}?utm_source=rss", "summary", None) for n in range(2)]
    feed = answer(request, rss(items).encode(), XmlResponse, ETag='"v1"', Content_Type="application/rss+xml")
    out = list(spider.parse_feed(feed))
    assert [r.url for r in out] == [f"{SITE}/a/0?utm_source=rss", f"{SITE}/a/1?utm_source=rss"]
    assert out[0].meta["key"] == canonical_url(f"{SITE}/a/0") and out[0].meta["entry"]["title"] == "T0"
    got = stats(spider)
    assert got["collect/source/src/polls_ok"] == 1 and got["collect/source/src/entries"] == 2
    assert got["collect/entries_seen"] == 2
    assert got[f"collect/feed/{SITE}/feed.xml"] == {"etag": '"v1"', "last_modified": None}
    assert outcomes == []


def test_feed_request_sends_the_saved_validators_and_a_304_counts_as_not_modified():
    source = make_source(feeds=[f"{SITE}/feed.xml"])
    spider, _ = make_spider(source, validators={f"{SITE}/feed.xml": {"etag": '"v1"', "last_modified": None}})
    [request] = start_requests(spider)
    assert request.headers["If-None-Match"] == b'"v1"'
    assert list(spider.parse_feed(answer(request, b"", XmlResponse, status=304))) == []
    got = stats(spider)
    assert got["collect/feeds_not_modified"] == 1 and got["collect/source/src/polls_ok"] == 1


def test_html_page_served_as_a_feed_is_a_failure_outcome_for_its_source():
    source = make_source(feeds=[f"{SITE}/feed.xml"])
    spider, outcomes = make_spider(source)
    [request] = start_requests(spider)
    assert list(spider.parse_feed(answer(request, b"<!doctype html><html><body>x</body></html>"))) == []
    [outcome] = outcomes
    assert (outcome.source_id, outcome.url, outcome.severity) == ("src", f"{SITE}/feed.xml", "error")
    assert outcome.reason == f"not a feed: HTML page ({SITE}/feed.xml)" and outcome.retry_later is False
    assert "collect/source/src/polls_ok" not in stats(spider)


def test_feed_entry_seen_in_an_earlier_run_or_twice_in_this_one_is_not_requested():
    source = make_source(feeds=[f"{SITE}/feed.xml"])
    spider, _ = make_spider(source, seen={canonical_url(f"{SITE}/old")})
    [request] = start_requests(spider)
    items = [("Old", f"{SITE}/old?utm_medium=feed", "s", None), ("New", f"{SITE}/new", "s", None)]
    items.append(("New again", f"{SITE}/new#top", "s", None))
    out = list(spider.parse_feed(answer(request, rss(items).encode(), XmlResponse)))
    assert [r.url for r in out] == [f"{SITE}/new"]
    assert stats(spider)["collect/articles_already_seen"] == 2


def test_feed_only_source_yields_articles_from_the_feed_without_fetching_pages():
    source = make_source(feeds=[f"{SITE}/feed.xml"], fetch_full_articles=False)
    spider, _ = make_spider(source)
    [request] = start_requests(spider)
    items = [("Only the feed", f"{SITE}/f/1", "The feed's summary.", "Tue, 24 Nov 2026 10:00:00 GMT")]
    [article] = list(spider.parse_feed(answer(request, rss(items).encode(), XmlResponse)))
    assert isinstance(article, Article)
    assert (
        article.extraction_method == ExtractionMethod.FEED_SUMMARY and article.body == "The feed's summary."
    )
    assert article.published_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert article.feed_url == f"{SITE}/feed.xml" and article.source_id == "src"


# -- sitemaps -----------------------------------------------------------------------------------------
NEWS_SITEMAP = (
    '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
    f"<url><loc>{SITE}/sm/1</loc><news:news><news:publication><news:name>N</news:name></news:publication>"
    "<news:publication_date>2026-11-23T08:00:00+09:00</news:publication_date>"
    "<news:title>평양 &amp; 모스크바</news:title></news:news></url>"
    f"<url><loc>{SITE}/sm/2</loc><lastmod>2026-11-21</lastmod></url></urlset>"
)


def test_news_sitemap_entries_carry_the_news_title_and_publication_date_in_utc():
    source = make_source(sitemaps=[f"{SITE}/news.xml"])
    spider, _ = make_spider(source)
    [request] = start_requests(spider)
    out = list(spider.parse_sitemap(answer(request, NEWS_SITEMAP.encode(), XmlResponse)))
    assert [r.url for r in out] == [f"{SITE}/sm/1", f"{SITE}/sm/2"]
    first, second = (r.meta["entry"] for r in out)
    assert first["title"] == "평양 & 모스크바" and first["published_at"] == "2026-11-22T23:00:00+00:00"
    assert second["title"] == "" and second["published_at"] == "2026-11-21T00:00:00+00:00"
    assert stats(spider)["collect/source/src/entries"] == 2


def test_sitemap_index_yields_a_request_per_http_child_sitemap():
    source = make_source(sitemaps=[f"{SITE}/index.xml"])
    spider, _ = make_spider(source)
    [request] = start_requests(spider)
    index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{SITE}/news.xml</loc></sitemap><sitemap><loc>ftp://x/y.xml</loc></sitemap>"
        "</sitemapindex>"
    )
    [child] = list(spider.parse_sitemap(answer(request, index.encode(), XmlResponse)))
    assert child.url == f"{SITE}/news.xml" and child.callback == spider.parse_sitemap
    assert stats(spider)["collect/source/src/polls_ok"] == 1


def test_unreadable_sitemap_is_a_failure_outcome():
    source = make_source(sitemaps=[f"{SITE}/news.xml"])
    spider, outcomes = make_spider(source)
    [request] = start_requests(spider)
    assert list(spider.parse_sitemap(answer(request, b"\x00\x01 not xml", Response))) == []
    assert [o.reason for o in outcomes] == [f"not a sitemap: unreadable XML ({SITE}/news.xml)"]


# -- listing pages ------------------------------------------------------------------------------------
def listing_source() -> Source:
    listing = {"pages": [f"{SITE}/section"], "article_links": "li.story a", "title": "h1", "body": "p.lead"}
    return make_source(listing=listing, language="ru")


def test_listing_page_links_matching_the_selector_are_followed_once_each():
    spider, _ = make_spider(listing_source())
    [request] = start_requests(spider)
    page = (
        '<html><body><a href="/about">About</a><ul><li class="story"><a href="/n/1">1</a></li>'
        '<li class="story"><a href="/n/1">again</a></li><li class="story"><a href="n/2">2</a></li></ul>'
    )
    out = list(spider.parse_listing(answer(request, page.encode())))
    assert [r.url for r in out] == [f"{SITE}/n/1", f"{SITE}/n/2"]
    assert all(r.meta["listing"] for r in out)


# -- article pages ------------------------------------------------------------------------------------
def page_request(spider: CollectSpider, url: str, summary: str = "s", listing: bool = False) -> Request:
    entry = {"link": url, "guid": None, "title": "", "summary": summary, "content": ""}
    entry |= {"published_at": None, "authors": []}
    meta = {"source_id": "src", "entry": entry, "feed_url": f"{SITE}/feed.xml"}
    meta |= {"key": canonical_url(url), "listing": listing}
    return Request(url, meta=meta, callback=spider.parse_page, errback=spider.on_page_error)


def test_article_page_yields_one_article_with_its_full_text_and_page_date():
    spider, _ = make_spider(make_source())
    request = page_request(spider, f"{SITE}/a/1")
    response = answer(request.replace(url=f"{SITE}/a/1-moved"), article_html(1).encode())
    [article] = list(spider.parse_page(response))
    assert article.url == f"{SITE}/a/1-moved" and article.extraction_method == ExtractionMethod.TRAFILATURA
    assert "Pyongyang" in article.body and len(article.body) > 500
    assert article.published_at_source == DateSource.PAGE
    assert article._reached_by == [canonical_url(f"{SITE}/a/1")]  # marked seen with it: not fetched again


def test_listing_article_page_uses_the_configured_selectors():
    spider, _ = make_spider(listing_source())
    request = page_request(spider, f"{SITE}/n/1", summary="", listing=True)
    page = "<html><body><h1>Заголовок</h1><p class='lead'>Первый абзац.</p><p>Другое.</p></body></html>"
    [article] = list(spider.parse_page(answer(request, page.encode())))
    assert article.extraction_method == ExtractionMethod.LISTING
    assert (article.title, article.body) == ("Заголовок", "Первый абзац.")


def test_article_page_with_a_wrong_declared_charset_is_decoded_from_its_bytes():
    spider, _ = make_spider(make_source(language="ru"))
    request = page_request(spider, f"{SITE}/ru/1")
    html = article_html(70, "ru", title="Пхеньян и Москва", charset="windows-1251")
    body = html.replace('<meta charset="windows-1251">', "").encode("cp1251")
    response = answer(request, body, Content_Type="text/html; charset=utf-8")
    assert response.encoding == "utf-8"  # what the server declared, and wrong
    [article] = list(spider.parse_page(response))
    assert "Пхеньян" in article.body and "\ufffd" not in article.body


def test_page_that_is_not_html_is_a_failure_and_the_feed_entry_is_kept():
    spider, outcomes = make_spider(make_source())
    request = page_request(spider, f"{SITE}/doc.pdf", summary="The summary.")
    response = answer(request, b"%PDF-1.7 ...", Response, Content_Type="application/pdf")
    [article] = list(spider.parse_page(response))
    assert article.extraction_method == ExtractionMethod.FEED_SUMMARY
    assert [o.reason for o in outcomes] == ["not an HTML page (application/pdf)"]


def test_page_that_could_not_be_fetched_is_a_failure_and_falls_back_to_the_feed_summary():
    spider, outcomes = make_spider(make_source())
    request = page_request(spider, f"{SITE}/private/1", summary="Robots summary.")
    failure = Failure(IgnoreRequest("Forbidden by robots.txt"))
    failure.request = request
    [article] = list(spider.on_page_error(failure))
    assert article.body == "Robots summary." and article.extraction_method == ExtractionMethod.FEED_SUMMARY
    assert [(o.source_id, o.url, o.reason) for o in outcomes] == [
        ("src", f"{SITE}/private/1", f"robots.txt disallows {SITE}/private/1")
    ]


# -- item pipelines -----------------------------------------------------------------------------------
@pytest.fixture
def pipelines(tmp_path):
    settings = {"COLLECT_DATA_DIR": str(tmp_path), "COLLECT_BATCH": "20261125T000000.000000Z-abcdef"}
    crawler = get_crawler(CollectSpider, {**settings, "COLLECT_STATE_DIR": str(tmp_path / "state")})
    steps = [cls.from_crawler(crawler) for cls in (DropSeenArticles, WriteRawBatch, MarkUrlsSeen)]
    for step in steps:
        step.open_spider()
    yield crawler, steps
    for step in steps:
        step.close_spider()


def run_through(steps, article: Article) -> None:
    for step in steps:
        article = step.process_item(article)


def test_pipelines_write_the_raw_batch_mark_every_url_seen_and_drop_it_next_time(pipelines, tmp_path):
    crawler, steps = pipelines
    spider, _ = make_spider(make_source())
    request = page_request(spider, f"{SITE}/a/1")
    [article] = spider.parse_page(answer(request.replace(url=f"{SITE}/a/1-moved"), article_html(1).encode()))
    run_through(steps, article)
    with pytest.raises(DropItem):
        run_through(steps, article.model_copy())
    steps[1].close_spider()  # seals the batch
    [batch] = StageStore(tmp_path).batches(RAW)
    assert [a.id for a in StageStore(tmp_path).read_batch(batch)] == [article.id]
    seen = SeenUrls(connect(tmp_path / "state"))
    assert canonical_url(f"{SITE}/a/1") in seen and canonical_url(f"{SITE}/a/1-moved") in seen
    counts = crawler.stats.get_stats()
    assert counts["collect/articles_new"] == 1 and counts["collect/full_text"] == 1
    assert counts["collect/articles_already_seen"] == 1 and counts["collect/source/src/articles"] == 1
