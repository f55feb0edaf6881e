"""What a broken or hostile web site throws at the collect stage, one fault per test.

One crawl (the module's fixture) polls a source per fault on a real site on 127.0.0.1, at the
default size limit (5 MB) and a 5 s timeout; each test checks its source: the exact report line,
and that each item went in and came out as an article or a reported line (``lost`` 0,
``duplicated`` 0).
"""

from __future__ import annotations

import pytest

from crawlers.health import HealthStore
from tests.collect.conftest import fast_settings
from tests.collect.fixture_site import article_html, gzip_bytes, rss
from tests.faults.conftest import RSS, collect, source
from whirlpool.article import ExtractionMethod

SOFT_404 = (
    "<!DOCTYPE html><html><head><title>Page not found | Fixture News</title></head><body>"
    "<header><nav><a href='/'>Home</a></nav></header><main><h1>Sorry, we could not find that page</h1>"
    "<p>The page you were looking for may have moved.</p></main><footer>(c) Fixture</footer></body></html>"
)
SUMMARY = "The feed's own summary of a story on Russia and North Korea."


def _feed(site, name: str, links: list[str], **rss_args) -> str:
    items = [
        (f"{name} item {n}", link, SUMMARY, "Tue, 24 Nov 2026 10:00:00 GMT") for n, link in enumerate(links)
    ]
    return site.add(f"/faults/{name}.xml", rss(items, **rss_args), RSS)


@pytest.fixture(scope="module")
def web(site, tmp_path_factory):
    site.slow_seconds = 7
    settings = fast_settings(tmp_path_factory.mktemp("web-faults") / "data")
    settings.collect.timeout_seconds = 5  # a busy CI machine can take seconds for a 1,000-item feed
    settings.collect.max_response_bytes = 5 * 1024 * 1024  # the default limit
    settings.collect.max_items_per_feed = 1000
    links: dict[str, list[str]] = {}
    sources = []

    def feed(name: str, items: list[str], **extra) -> None:
        links[name] = items
        _feed(site, name, items)
        sources.append(source(site, name, f"/faults/{name}.xml", **extra))

    site.add("/faults/feed-500.xml", "Internal error", "text/plain", status=500)
    sources.append(source(site, "feed-500", "/faults/feed-500.xml"))
    sources.append(source(site, "feed-404", "/faults/feed-404.xml"))
    feed(
        "pages-404-500",
        [
            site.url("/faults/page-404"),
            site.add("/faults/page-500", "Internal error", "text/plain", status=500),
            site.add("/faults/page-ok", article_html(1)),
        ],
    )
    feed("slow-body", [site.url("/slow-body/1")])
    feed("redirect-loop", [site.url("/loop/0")])
    # truncated: two whole items, then cut off inside the third
    links["truncated"] = [site.add(f"/faults/cut/{n}", article_html(10 + n)) for n in range(3)]
    whole = rss([(f"Cut {n}", u, SUMMARY, None) for n, u in enumerate(links["truncated"])])
    site.add("/faults/truncated.xml", whole[: whole.index("<item>", whole.index("Cut 1")) + 40], RSS)
    sources.append(source(site, "truncated", "/faults/truncated.xml"))
    # windows-1251 without a charset: neither the HTTP header nor the XML declaration names one
    ru_page = article_html(20, "ru", title="Россия и КНДР", charset="windows-1251").encode("cp1251")
    ru_link = site.add("/faults/ru/1", ru_page, "text/html; charset=windows-1251")
    ru_feed = rss([("Россия и КНДР подписали договор", ru_link, "Краткое содержание", None)])
    site.add(
        "/faults/cp1251.xml", ru_feed.replace(' encoding="utf-8"', "").encode("cp1251"), "application/rss+xml"
    )
    links["cp1251"] = [ru_link]
    sources.append(source(site, "cp1251", "/faults/cp1251.xml", language="ru"))
    # gzip Content-Encoding on the feed and its page
    gz_link = site.add(
        "/faults/gz/1", gzip_bytes(article_html(30).encode()), headers={"Content-Encoding": "gzip"}
    )
    links["gzip"] = [gz_link]
    gz_feed = gzip_bytes(rss([("Gzip 1", gz_link, SUMMARY, None)]).encode())
    site.add("/faults/gzip.xml", gz_feed, RSS, headers={"Content-Encoding": "gzip"})
    sources.append(source(site, "gzip", "/faults/gzip.xml"))
    site.add("/faults/html-feed.xml", article_html(40))
    sources.append(source(site, "html-feed", "/faults/html-feed.xml"))
    feed(
        "huge-page",
        [site.add("/faults/huge", b"<html><body>" + b"x" * (30 * 1024 * 1024) + b"</body></html>")],
    )
    wrong = article_html(50, "ru", title="Пхеньян и Москва", charset="windows-1251").replace(
        '<meta charset="windows-1251">', ""
    )
    feed("wrong-charset", [site.add("/faults/wrong/1", wrong.encode("cp1251"), "text/html; charset=utf-8")])
    feed("thousand", [f"{site.base}/faults/t/{n}" for n in range(1000)], fetch_full_articles=False)
    feed("soft-404", [site.add("/faults/soft-404", SOFT_404)])
    run = collect(settings, *sources)
    return settings, run, links


def lines_for(run, source_id: str) -> list[str]:
    return sorted(o.line() for o in run.report.outcomes if o.source_id == source_id)


def articles_of(run, source_id: str):
    return {a.url: a for a in run.articles if a.source_id == source_id}


def status(web, source_id: str) -> str:
    return HealthStore(web[0].state_dir).get(source_id).status


def test_feeds_answering_http_500_and_404_fail_their_source_in_one_line(site, web):
    _, run, _ = web
    broken, missing = site.url("/faults/feed-500.xml"), site.url("/faults/feed-404.xml")
    assert lines_for(run, "feed-500") == [f"[collect] feed-500 {broken}: HTTP 500 from {broken}"]
    assert lines_for(run, "feed-404") == [f"[collect] feed-404 {missing}: HTTP 404 from {missing}"]
    assert status(web, "feed-500") == status(web, "feed-404") == "failing"


def test_pages_answering_404_and_500_keep_the_feed_item_and_are_reported(web):
    _, run, links = web
    gone, broken, ok = links["pages-404-500"]
    assert lines_for(run, "pages-404-500") == [
        f"[collect] pages-404-500 {gone}: HTTP 404 from {gone}",
        f"[collect] pages-404-500 {broken}: HTTP 500 from {broken}",
    ]
    got = articles_of(run, "pages-404-500")
    assert got[gone].body == SUMMARY and got[gone].extraction_method == ExtractionMethod.FEED_SUMMARY
    assert got[ok].extraction_method == ExtractionMethod.TRAFILATURA
    assert run.ledger(links["pages-404-500"]) == {
        "in": 3,
        "out": 3,
        "reported": 0,
        "lost": 0,
        "duplicated": 0,
    }
    assert status(web, "pages-404-500") == "degraded"


def test_a_page_whose_body_is_too_slow_times_out_and_keeps_the_feed_item(web):
    _, run, links = web
    [slow] = links["slow-body"]
    assert lines_for(run, "slow-body") == [f"[collect] slow-body {slow}: timed out after 5 s"]
    assert articles_of(run, "slow-body")[slow].body == SUMMARY
    assert run.ledger(links["slow-body"]) == {"in": 1, "out": 1, "reported": 0, "lost": 0, "duplicated": 0}


def test_a_redirect_loop_stops_at_the_redirect_limit(web):
    _, run, links = web
    [loop] = links["redirect-loop"]
    assert lines_for(run, "redirect-loop") == [
        f"[collect] redirect-loop {loop}: redirect loop after 5 redirects"
    ]
    assert run.ledger(links["redirect-loop"]) == {
        "in": 1,
        "out": 1,
        "reported": 0,
        "lost": 0,
        "duplicated": 0,
    }


def test_a_truncated_feed_keeps_the_items_before_the_cut_and_degrades_its_source(site, web):
    _, run, links = web
    [line] = lines_for(run, "truncated")
    assert line.startswith(
        f"[collect] truncated {site.url('/faults/truncated.xml')}: malformed feed, read 2 entries anyway: "
    )
    assert sorted(articles_of(run, "truncated")) == sorted(links["truncated"][:2])
    # the third item never arrived whole: it is not in the feed that was read
    assert run.ledger(links["truncated"][:2]) == {
        "in": 2,
        "out": 2,
        "reported": 0,
        "lost": 0,
        "duplicated": 0,
    }
    assert status(web, "truncated") == "degraded"


def test_a_windows_1251_feed_without_a_charset_is_read_as_cyrillic_not_mojibake(site, web):
    _, run, links = web
    assert lines_for(run, "cp1251") == [
        f"[collect] cp1251 {site.url('/faults/cp1251.xml')}: feed declares no charset and is not UTF-8: "
        "read as windows-1251, detected from its text"
    ]
    [article] = articles_of(run, "cp1251").values()
    assert article.title == "Россия и КНДР подписали договор" and "Пхеньян" in article.body
    assert run.ledger(links["cp1251"]) == {"in": 1, "out": 1, "reported": 0, "lost": 0, "duplicated": 0}
    assert status(web, "cp1251") == "degraded"


def test_a_gzip_encoded_feed_and_page_are_decoded(web):
    _, run, links = web
    assert lines_for(run, "gzip") == []
    [article] = articles_of(run, "gzip").values()
    assert article.extraction_method == ExtractionMethod.TRAFILATURA and "Pyongyang" in article.body
    assert run.ledger(links["gzip"]) == {"in": 1, "out": 1, "reported": 0, "lost": 0, "duplicated": 0}


def test_an_html_page_served_as_a_feed_fails_its_source(site, web):
    url = site.url("/faults/html-feed.xml")
    assert lines_for(web[1], "html-feed") == [f"[collect] html-feed {url}: not a feed: HTML page ({url})"]
    assert status(web, "html-feed") == "failing"


def test_a_30_mb_page_stops_at_the_size_limit_and_keeps_the_feed_item(web):
    _, run, links = web
    [huge] = links["huge-page"]
    assert lines_for(run, "huge-page") == [f"[collect] huge-page {huge}: response over 5 MB limit"]
    assert articles_of(run, "huge-page")[huge].body == SUMMARY
    assert run.ledger(links["huge-page"]) == {"in": 1, "out": 1, "reported": 0, "lost": 0, "duplicated": 0}


def test_a_page_with_a_wrong_declared_charset_is_read_from_its_content_and_reported(web):
    _, run, links = web
    [page] = links["wrong-charset"]
    assert lines_for(run, "wrong-charset") == [
        f"[collect] wrong-charset {page}: page declares utf-8 but is not: read as cp1251, "
        f"detected from its text ({page})"
    ]
    article = articles_of(run, "wrong-charset")[page]
    assert "Пхеньян" in article.body and "\ufffd" not in article.body


def test_a_feed_with_1000_items_gives_1000_articles(web):
    _, run, links = web
    assert lines_for(run, "thousand") == []
    assert run.ledger(links["thousand"]) == {
        "in": 1000,
        "out": 1000,
        "reported": 0,
        "lost": 0,
        "duplicated": 0,
    }


def test_an_error_page_served_with_status_200_is_reported_and_the_feed_item_kept(web):
    _, run, links = web
    [page] = links["soft-404"]
    assert lines_for(run, "soft-404") == [
        f'[collect] soft-404 {page}: an error page served with HTTP 200 (title "Sorry, we could not find '
        f'that page") at {page}'
    ]
    article = articles_of(run, "soft-404")[page]
    assert article.body == SUMMARY and article.extraction_method == ExtractionMethod.FEED_SUMMARY
    assert run.ledger(links["soft-404"]) == {"in": 1, "out": 1, "reported": 0, "lost": 0, "duplicated": 0}
    assert status(web, "soft-404") == "degraded"


def test_the_run_accounts_for_every_item_of_every_source(web):
    _, run, links = web
    every = [link for items in links.values() for link in items if "/faults/cut/2" not in link]
    ledger = run.ledger(every)
    assert ledger["lost"] == 0 and ledger["duplicated"] == 0
    assert run.report.counts["articles_new"] == ledger["out"] == len(run.articles)
