"""One collect run over a site full of bad inputs: each failure is one line for its source,
the run goes on, and every valid article is collected with its full text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.collect import collect_sources
from crawlers.health import HealthStore
from tests.collect.conftest import fast_settings
from tests.collect.fixture_site import FixtureSite, article_html, feed_source, gzip_bytes, rss
from whirlpool.article import Article, DateSource, ExtractionMethod
from whirlpool.sources import Source
from whirlpool.stagestore import RAW, StageStore

RSS = "application/rss+xml; charset=utf-8"


def source(site: FixtureSite, source_id: str, *feed_paths: str, language: str = "en") -> Source:
    return feed_source(site, source_id, *feed_paths, language=language, kind="independent")


def build_bad_site(site: FixtureSite) -> list[Source]:
    sources = []
    # A good feed: three pages in three languages, all must be collected with full text.
    items = [
        (
            f"Good {n}",
            site.add(f"/good/{n}", article_html(n, lang)),
            f"Summary {n}",
            "Tue, 24 Nov 2026 10:00:00 GMT",
        )
        for n, lang in ((1, "en"), (2, "ru"), (3, "ko"))
    ]
    site.add("/good.xml", rss(items), RSS)
    sources.append(source(site, "good", "/good.xml"))
    # 404 and 500 feeds
    sources.append(source(site, "feed-404", "/missing.xml"))
    site.add("/broken.xml", "Internal error", "text/plain", status=500)
    sources.append(source(site, "feed-500", "/broken.xml"))
    # A feed that never answers in time, and a redirect loop
    sources.append(source(site, "slow", "/slow.xml"))
    sources.append(source(site, "loop", "/loop/0"))
    # A truncated feed: two whole items, then cut off in the third
    truncated_items = [
        (f"Cut {n}", site.add(f"/cut/{n}", article_html(10 + n)), "s", "Tue, 24 Nov 2026 10:00:00 GMT")
        for n in (1, 2, 3)
    ]
    full = rss(truncated_items)
    site.add("/truncated.xml", full[: full.index("<item>", full.index("Cut 2")) + 40], RSS)
    sources.append(source(site, "truncated", "/truncated.xml"))
    # windows-1251 feed with Russian month names; the page has no date, so the feed's is used
    ru_page = article_html(20, "ru", title="Россия и КНДР", date=None, charset="windows-1251")
    ru_link = site.add("/ru/1", ru_page.encode("cp1251"), "text/html; charset=windows-1251")
    ru_feed = rss(
        [("Россия и КНДР", ru_link, "Краткое содержание", "Вт, 24 ноя 2026 10:00:00 +0300")], "windows-1251"
    )
    site.add("/ru.xml", ru_feed.encode("cp1251"), "application/rss+xml")
    sources.append(source(site, "legacy-encoding", "/ru.xml", language="ru"))
    # gzip Content-Encoding on the feed and the page
    gz_link = site.add("/gz/1", gzip_bytes(article_html(30).encode()), headers={"Content-Encoding": "gzip"})
    gz_feed = rss([("Gzip 1", gz_link, "s", "Tue, 24 Nov 2026 10:00:00 GMT")]).encode()
    site.add("/gz.xml", gzip_bytes(gz_feed), RSS, headers={"Content-Encoding": "gzip"})
    sources.append(source(site, "gzip", "/gz.xml"))
    # duplicate GUIDs
    dup = site.add("/dup/1", article_html(40))
    site.add("/dup.xml", rss([("Dup", dup, "s", None), ("Dup again", dup, "s", None)]), RSS)
    sources.append(source(site, "dup-guids", "/dup.xml"))
    # robots.txt disallows the page; an oversize page; a wrong declared charset; a paywall stub
    private = site.add("/private/1", article_html(50))
    big = site.add("/big/1", article_html(60, paragraphs=600))
    wrong = site.add(
        "/wrong/1",
        article_html(70, "ru", title="Пхеньян и Москва", charset="windows-1251")
        .replace('<meta charset="windows-1251">', "")
        .encode("cp1251"),
        "text/html; charset=utf-8",
    )
    stub = site.add(
        "/stub/1", article_html(80, paragraphs=0).replace("<h1>", "<p>Subscribe to read.</p><h1>")
    )
    future = site.add("/future/1", article_html(90, date=None))
    undated = site.add("/undated/1", article_html(91, date=None))
    gone = site.add("/gone-title-only/1", "Internal error", "text/plain", status=500)
    mixed = [
        ("Private", private, "Robots summary about Pyongyang and Moscow", None),
        ("Big", big, "Oversize summary", None),
        ("Wrong charset", wrong, "s", None),
        ("Stub", stub, "The feed summary of a paywalled story on Russia and North Korea.", None),
        ("Future", future, "s", "Tue, 24 Nov 2037 10:00:00 GMT"),
        ("Undated", undated, "s", None),
        ("Shoigu arrives in Pyongyang for talks with Kim Jong Un", gone, "", None),
    ]
    site.add("/mixed.xml", rss(mixed), RSS)
    sources.append(source(site, "mixed", "/mixed.xml"))
    return sources


@pytest.fixture(scope="module")
def bad_run(site: FixtureSite, tmp_path_factory):
    site.slow_seconds = 3
    data_dir = tmp_path_factory.mktemp("bad") / "data"
    settings = fast_settings(data_dir)
    sources = build_bad_site(site)
    store = StageStore(data_dir)
    report = collect_sources(settings, sources, store)
    articles = [a for batch in store.batches(RAW) for a in store.read_batch(batch)]
    return settings, sources, report, {a.url.split("127.0.0.1:")[1].split("/", 1)[1]: a for a in articles}


def errors_for(report, source_id: str) -> list[str]:
    return [o.reason for o in report.errors if o.source_id == source_id]


def by_path(articles: dict[str, Article], path: str) -> Article:
    return articles[path.lstrip("/")]


def test_valid_articles_are_collected_with_full_text_despite_bad_sources(bad_run):
    _, _, report, articles = bad_run
    for n in (1, 2, 3):
        article = by_path(articles, f"/good/{n}")
        assert article.extraction_method == ExtractionMethod.TRAFILATURA
        assert len(article.body) > 500
        assert article.source_id == "good"
    assert report.outputs and Path(report.outputs[0]).exists()
    assert report.counts["sources_polled"] == 10


def test_feed_returning_404_is_one_line_for_its_source(bad_run):
    assert errors_for(bad_run[2], "feed-404") == [f"HTTP 404 from {bad_run[1][1].feeds[0]}"]


def test_feed_returning_500_is_one_line_for_its_source(bad_run):
    assert errors_for(bad_run[2], "feed-500") == [f"HTTP 500 from {bad_run[1][2].feeds[0]}"]


def test_feed_that_times_out_is_reported_with_the_timeout(bad_run):
    assert errors_for(bad_run[2], "slow") == ["timed out after 1 s"]


def test_redirect_loop_is_reported_after_the_redirect_limit(bad_run):
    assert errors_for(bad_run[2], "loop") == ["redirect loop after 5 redirects"]


def test_truncated_feed_keeps_the_entries_before_the_cut_and_warns(bad_run):
    _, _, report, articles = bad_run
    assert "cut/1" in articles and "cut/2" in articles
    warnings = [o.reason for o in report.outcomes if o.source_id == "truncated" and o.severity == "warning"]
    assert warnings and warnings[0].startswith("malformed feed, read 2 entries anyway")


def test_windows_1251_feed_with_russian_month_names_gives_a_utc_feed_date(bad_run):
    article = by_path(bad_run[3], "/ru/1")
    assert article.title == "Россия и КНДР"
    assert article.published_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert article.published_at_source == DateSource.FEED
    assert "Пхеньян" in article.body


def test_gzip_encoded_feed_and_page_are_decoded(bad_run):
    article = by_path(bad_run[3], "/gz/1")
    assert article.extraction_method == ExtractionMethod.TRAFILATURA
    assert "Pyongyang" in article.body


def test_duplicate_guids_give_one_article(bad_run):
    assert [path for path in bad_run[3] if path.startswith("dup/")] == ["dup/1"]


def test_robots_txt_disallow_is_reported_and_the_feed_summary_kept(bad_run, site):
    _, _, report, articles = bad_run
    assert f"robots.txt disallows {site.url('/private/1')}" in errors_for(report, "mixed")
    assert site.hits.get("/private/1") is None
    article = by_path(articles, "/private/1")
    assert article.extraction_method == ExtractionMethod.FEED_SUMMARY
    assert article.body == "Robots summary about Pyongyang and Moscow"


def test_oversize_page_is_reported_with_the_limit(bad_run):
    _, _, report, articles = bad_run
    assert "response over 195.312 KB limit" in errors_for(report, "mixed")
    assert by_path(articles, "/big/1").extraction_method == ExtractionMethod.FEED_SUMMARY


def test_page_with_wrong_declared_charset_is_decoded_from_its_content(bad_run):
    article = by_path(bad_run[3], "/wrong/1")
    assert "Пхеньян" in article.body and "\ufffd" not in article.body


def test_paywall_stub_falls_back_to_the_feed_summary(bad_run):
    article = by_path(bad_run[3], "/stub/1")
    assert article.extraction_method == ExtractionMethod.FEED_SUMMARY
    assert article.body.startswith("The feed summary of a paywalled story")
    assert bad_run[2].counts["feed_summary_fallback"] >= 3


def test_future_date_is_clamped_to_fetch_time_and_marked(bad_run):
    article = by_path(bad_run[3], "/future/1")
    assert article.published_at_source == DateSource.CLAMPED
    assert article.published_at == article.fetched_at


def test_missing_date_is_marked_guessed_not_silently_fetch_time(bad_run):
    article = by_path(bad_run[3], "/undated/1")
    assert article.published_at_source == DateSource.GUESSED
    assert article.date_is_guessed


def test_failing_sources_get_health_with_backoff_and_working_ones_reset(bad_run):
    settings = bad_run[0]
    health = HealthStore(settings.state_dir)
    failed = health.get("feed-500")
    assert failed.consecutive_failures == 1
    assert failed.last_error.startswith("HTTP 500 from")
    assert failed.backoff_until is not None and failed.backoff_until > datetime.now(UTC)
    good = health.get("good")
    assert good.consecutive_failures == 0 and good.items_seen == 3 and good.last_success is not None
    assert bad_run[2].counts["sources_failed"] == 4  # 404, 500, timeout, redirect loop


def test_a_title_only_item_whose_page_fails_is_kept_with_the_failure_named(bad_run):
    """The title is the story for a headline-only feed; a page that fails must not drop it (issue 13, 6)."""
    _, _, report, articles = bad_run
    article = by_path(articles, "/gone-title-only/1")
    assert article.title == "Shoigu arrives in Pyongyang for talks with Kim Jong Un"
    assert article.body == ""
    assert any("gone-title-only/1" in (o.url or "") and "500" in o.reason for o in report.errors)


def test_a_utf8_feed_cut_off_inside_a_character_is_read_right_and_reported():
    """One cut-off character at the end made feedparser read every entry as mojibake (issue 13, 1)."""
    from crawlers.feeds import parse_feed

    items = [
        ("한미 정상회담", "http://x.test/1", "북러 협력 강화", None),
        ("두번째 기사", "http://x.test/2", "북러 협력 강화", None),
    ]
    body = rss(items).encode("utf-8")
    cut = body[: body.rindex("강화".encode()) + 4]  # inside the last 화
    parsed = parse_feed(cut, {"Content-Type": "application/rss+xml; charset=utf-8"})
    assert [e.title for e in parsed.entries] == ["한미 정상회담", "두번째 기사"]
    assert parsed.entries[0].summary == "북러 협력 강화"
    assert parsed.warning.startswith("malformed feed, read 2 entries anyway: feed cut off inside a character")


def test_a_source_whose_feed_was_read_with_a_problem_is_degraded(bad_run):
    settings = bad_run[0]
    from crawlers.health import HealthStore

    health = HealthStore(settings.state_dir)
    assert health.get("mixed").status == "degraded"  # a page failed (500) and robots refused one
    assert health.get("good").status == "ok"
