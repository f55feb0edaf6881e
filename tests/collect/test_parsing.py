"""Pure parts of collect: extraction and encodings, feed parsing, Google News links, dates."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from crawlers.articles import trusted_date
from crawlers.extraction import decode_html, extract_article
from crawlers.feeds import parse_feed
from crawlers.googlenews import decode_google_news_url
from tests.collect.conftest import shared_data
from tests.collect.fixture_site import article_html, rss
from whirlpool.article import DateSource


def google_news_link(publisher_url: str) -> str:
    """The old Google News id layout: field 1 = 19, field 4 = the URL, then a trailing field 26."""
    url = publisher_url.encode()
    raw = b"\x08\x13\x22" + bytes([len(url)]) + url + b"\xd2\x01\x00"
    return (
        "https://news.google.com/rss/articles/" + base64.urlsafe_b64encode(raw).decode().rstrip("=") + "?oc=5"
    )


def test_google_news_link_decodes_to_the_publisher_url():
    link = google_news_link("https://www.nknews.org/2024/06/putin-kim-sign-treaty/")
    assert link.split("/articles/")[1].startswith("CBMi")
    assert decode_google_news_url(link) == "https://www.nknews.org/2024/06/putin-kim-sign-treaty/"


def test_new_opaque_google_news_ids_are_left_for_the_redirect():
    opaque = b"\x08\x13\x22\x10AU_yqLPabcdefghi"
    link = "https://news.google.com/rss/articles/" + base64.urlsafe_b64encode(opaque).decode().rstrip("=")
    assert decode_google_news_url(link) is None
    assert decode_google_news_url("https://example.org/rss/articles/CBMi") is None


@pytest.mark.parametrize(
    ("encoding", "language"), [("cp1251", "ru"), ("koi8-r", "ru"), ("shift_jis", "ja"), ("utf-16", "ko")]
)
def test_pages_without_declared_charset_are_decoded_from_their_bytes(encoding, language):
    text = {
        "ru": "Россия и КНДР подписали договор о стратегическом партнёрстве в Пхеньяне.",
        "ja": "北朝鮮とロシアは平壌で包括的戦略パートナーシップ条約に署名した。",
        "ko": "북한과 러시아는 평양에서 포괄적 전략적 동반자 관계 조약에 서명했다.",
    }[language]
    html = f"<html><head><title>t</title></head><body><p>{text}</p></body></html>"
    decoded, _ = decode_html(html.encode(encoding))
    assert text in decoded


def test_wrong_http_charset_is_ignored_when_the_bytes_do_not_decode():
    html = "<html><body><p>Пхеньян и Москва обсудили поставки боеприпасов.</p></body></html>"
    decoded, encoding = decode_html(html.encode("cp1251"), "utf-8")
    assert "Пхеньян" in decoded and encoding == "cp1251"


def test_extract_article_gives_text_title_author_date_and_canonical():
    html = article_html(7, "en", canonical="https://news.example/a/7", date="2026-11-20T09:30:00+09:00")
    page = extract_article(html.encode(), "https://news.example/a/7?utm_source=x")
    assert "Pyongyang" in page.text and len(page.text) > 1000
    assert "Fixture News" not in page.text and "Home" not in page.text.split("\n")[0]
    assert page.title.startswith("Russia and North Korea expand cooperation")
    assert page.authors == ["Kim Min-ji"]
    assert page.published_at == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
    assert page.canonical_url == "https://news.example/a/7"
    assert page.language_hint == "en"


def test_shared_encoding_edge_case_pages_decode(shared_feeds):
    folder = shared_data() / "articles" / "encoding-edge-cases"
    assert "Кракозябры" in decode_html((folder / "krokozyabry.html").read_bytes())[0]
    assert "文字化け" in decode_html((folder / "mojibake.html").read_bytes())[0]
    kcna, encoding = decode_html((folder / "kcna.html").read_bytes())
    assert encoding.startswith("utf-16") and "<html>" in kcna


def test_rss_with_russian_month_names_gets_utc_dates():
    feed = rss(
        [("Заголовок", "https://ria.example/1", "s", "Вт, 24 ноября 2026 10:00:00 +0300")], "windows-1251"
    )
    parsed = parse_feed(feed.encode("cp1251"))
    assert parsed.entries[0].published_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert parsed.entries[0].title == "Заголовок"


def test_html_page_is_not_a_feed():
    parsed = parse_feed(b"<!DOCTYPE html><html><body>Hello</body></html>")
    assert parsed.error == "not a feed: HTML page"


def test_shared_real_feeds_parse_leniently(shared_feeds):
    iconv = parse_feed((shared_feeds / "node-feedparser" / "iconv.xml").read_bytes())
    assert len(iconv.entries) == 10 and all(e.published_at and e.published_at.tzinfo for e in iconv.entries)
    assert any("Оренбург" in e.title + e.summary for e in iconv.entries)
    dupes = parse_feed((shared_feeds / "node-feedparser" / "guid-dupes.xml").read_bytes())
    assert len({e.guid for e in dupes.entries}) == len(dupes.entries)
    truncated = parse_feed((shared_feeds / "feed-rs" / "rss_2.0_invalid_1.xml").read_bytes())
    assert truncated.error and truncated.error.startswith("not a well-formed feed")
    saxerror = parse_feed((shared_feeds / "node-feedparser" / "saxerror.xml").read_bytes())
    assert saxerror.entries and saxerror.warning.startswith("malformed feed")
    notafeed = parse_feed((shared_feeds / "node-feedparser" / "notafeed.html").read_bytes())
    assert notafeed.error and not notafeed.entries
    gzipped = parse_feed((shared_feeds / "node-feedparser" / "compressed.xml").read_bytes())
    assert gzipped.error or gzipped.entries  # raw gzip bytes without a header: never an exception


def test_dates_prefer_page_then_feed_guess_or_clamp_otherwise():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    page, feed = now - timedelta(days=1), now - timedelta(days=2)
    assert trusted_date(page, feed, now) == (page, DateSource.PAGE)
    assert trusted_date(None, feed, now) == (feed, DateSource.FEED)
    assert trusted_date(None, None, now) == (now, DateSource.GUESSED)
    assert trusted_date(now + timedelta(days=3), feed, now) == (now, DateSource.CLAMPED)
    midnight = datetime(2026, 11, 24, tzinfo=UTC)
    same_day = datetime(2026, 11, 24, 9, 15, tzinfo=UTC)
    assert trusted_date(midnight, same_day, now) == (same_day, DateSource.FEED)


def test_a_feed_declaring_utf8_but_written_in_windows_1251_is_recoded_and_reported():
    body = rss([("Россия и КНДР", "http://x.test/1", "Краткое содержание о Пхеньяне", None)]).encode("cp1251")
    parsed = parse_feed(body, {"Content-Type": "application/rss+xml; charset=utf-8"})
    assert [e.title for e in parsed.entries] == ["Россия и КНДР"]
    assert parsed.warning == "feed declares utf-8 but is not: read as windows-1251, detected from its text"


def test_a_feed_longer_than_the_item_limit_says_how_much_was_read():
    body = rss([(f"T{n}", f"http://x.test/{n}", "s", None) for n in range(250)]).encode()
    parsed = parse_feed(body, {}, max_items=100)
    assert len(parsed.entries) == 100
    assert parsed.warning == "read the first 100 of 250 entries (collect.max_items_per_feed)"


def test_an_error_page_served_with_status_200_is_recognised_and_an_article_is_not():
    from crawlers.extraction import error_page_reason

    page = extract_article(b"<html><head><title>404 - Page not found</title></head><body></body></html>", "x")
    assert error_page_reason(page, 200) == 'an error page served with HTTP 200 (title "404 - Page not found")'
    assert error_page_reason(extract_article(article_html(1).encode(), "http://x.test/a"), 200) is None
