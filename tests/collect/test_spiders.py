"""The news-sitemap and listing-page spiders, and Google News links resolved before fetching."""

from __future__ import annotations

from crawlers.collect import collect_sources
from tests.collect.fixture_site import FixtureSite, article_html, feed_source, rss
from tests.collect.test_parsing import google_news_link
from whirlpool.article import DateSource, ExtractionMethod
from whirlpool.sources import Source
from whirlpool.stagestore import RAW, StageStore


def articles(store: StageStore):
    return {a.url: a for batch in store.batches(RAW) for a in store.read_batch(batch)}


def test_news_sitemap_pages_are_collected_with_the_sitemap_date(site: FixtureSite, settings):
    links = [site.add(f"/sm/{n}", article_html(400 + n, "ko", date=None)) for n in range(3)]
    urls = "".join(
        f"<url><loc>{link}</loc><news:news><news:publication_date>2026-11-23T08:00:00+09:00"
        f"</news:publication_date><news:title>SM {n}</news:title></news:news></url>"
        for n, link in enumerate(links)
    )
    sitemap = (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    )
    site.add("/news-sitemap.xml", sitemap, "application/xml")
    site.add("/sitemap-index.xml",
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.url('/news-sitemap.xml')}</loc></sitemap></sitemapindex>",
        "application/xml",
    )  # fmt: skip
    source = Source(
        id="sitemap",
        name="Sitemap",
        homepage=site.url("/"),
        sitemaps=[site.url("/sitemap-index.xml")],
        language="ko",
        country="KR",
        kind="wire",
    )
    store = StageStore(settings.data_dir)
    report = collect_sources(settings, [source], store, force=True)
    got = articles(store)
    assert sorted(got) == sorted(links)
    article = got[links[0]]
    assert article.title == "SM 0" and "평양" in article.body
    assert article.published_at_source == DateSource.FEED
    assert article.published_at.isoformat() == "2026-11-22T23:00:00+00:00"
    assert report.counts["sources_ok"] == 1


def test_listing_page_links_are_followed_and_configured_selectors_used(site: FixtureSite, settings):
    pages = [site.add(f"/listed/{n}", article_html(500 + n, "ru", title=f"Статья {n}")) for n in range(2)]
    listing = "".join(f'<li class="story"><a href="/listed/{n}?from=list">x</a></li>' for n in range(2))
    site.add("/section/nk", f'<html><body><a href="/about">About</a><ul>{listing}</ul></body></html>')
    source = Source.model_validate(
        {
            "id": "listing",
            "name": "Listing",
            "homepage": site.url("/"),
            "listing": {
                "pages": [site.url("/section/nk")],
                "article_links": "li.story a",
                "title": "article h1",
                "body": "article p:not(.byline)",
            },
            "language": "ru",
            "country": "RU",
            "kind": "state_media",
        }
    )
    store = StageStore(settings.data_dir)
    collect_sources(settings, [source], store, force=True)
    got = {a.canonical_url: a for a in articles(store).values()}
    assert sorted(got) == sorted(pages)
    article = got[pages[1]]
    assert article.extraction_method == ExtractionMethod.LISTING
    assert article.title == "Статья 1"
    assert article.body.startswith("Делегация России") and "Kim Min-ji" not in article.body
    assert "/about" not in site.hits


def test_listing_published_selector_dates_the_article(site: FixtureSite, settings):
    """A listing site's ``published`` selector gives the date when the page carries no metadata."""
    html = article_html(700, "en", date=None).replace(
        '<p class="byline">',
        '<time class="stamp" datetime="2026-11-28T06:15:00+09:00">28 Nov</time><p class="byline">',
    )
    undated = article_html(701, "en", date=None).replace(
        '<p class="byline">', '<span class="stamp">November 29, 2026 08:00</span><p class="byline">'
    )
    first, second = site.add("/dated/1", html), site.add("/dated/2", undated)
    site.add("/section/dated", '<ul><li><a href="/dated/1">a</a></li><li><a href="/dated/2">b</a></li></ul>')
    source = Source.model_validate(
        {
            "id": "dated",
            "name": "Dated listing",
            "homepage": site.url("/"),
            "listing": {
                "pages": [site.url("/section/dated")],
                "article_links": "li a",
                "published": ".stamp",
            },
            "language": "en",
            "country": "GB",
            "kind": "independent",
        }
    )
    store = StageStore(settings.data_dir)
    collect_sources(settings, [source], store, force=True)
    got = articles(store)
    assert got[first].published_at.isoformat() == "2026-11-27T21:15:00+00:00"
    assert got[second].published_at.isoformat() == "2026-11-29T08:00:00+00:00"
    assert got[first].published_at_source == DateSource.PAGE


def test_google_news_items_are_fetched_from_the_publisher(site: FixtureSite, settings):
    publisher = site.add("/publisher/1", article_html(600))
    site.add(
        "/gnews.xml", rss([("Via Google", google_news_link(publisher), "s", None)]), "application/rss+xml"
    )
    source = feed_source(site, "gnews", "/gnews.xml", country="US", kind="aggregator")
    store = StageStore(settings.data_dir)
    collect_sources(settings, [source], store, force=True)
    got = articles(store)
    assert list(got) == [publisher]
    assert got[publisher].canonical_url == publisher
    assert got[publisher].extraction_method == ExtractionMethod.TRAFILATURA


def test_page_without_declared_charset_is_decoded_cyrillic_first(site: FixtureSite, settings):
    """No charset in the header nor in <meta>: Whirlpool's detection decides, not Scrapy's guess (which
    reads this short KOI8-R page as Hebrew cp1255)."""
    title = "Пхеньян и Москва"
    page = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{title}</p>"
    link = site.add("/undeclared/koi8", (page + "</article></body></html>").encode("koi8-r"), "text/html")
    site.add("/undeclared.xml", rss([("", link, "", None)]), "application/rss+xml")
    source = feed_source(site, "undeclared", "/undeclared.xml", language="ru", country="RU")
    store = StageStore(settings.data_dir)
    collect_sources(settings, [source], store, force=True)
    article = articles(store)[link]
    assert article.title == title and title in article.body
