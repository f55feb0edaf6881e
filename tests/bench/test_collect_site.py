"""The collect benchmark's site: real pages served as news sites serve them, listed by feeds."""

from __future__ import annotations

import gzip
import urllib.request

import feedparser

from bench.collect.site import BenchSite


def _get(url: str, accept_gzip: bool) -> tuple[bytes, str | None]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if accept_gzip else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read(), response.headers.get("Content-Encoding")


def test_real_pages_are_sent_gzipped_only_to_clients_that_accept_it(tmp_path):
    pages = {f"page{n}.html": f"<html><body><p>Article {n}</p></body></html>".encode() for n in range(3)}
    for name, html in pages.items():
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress(html))
    site = BenchSite.real(tmp_path, per_feed=2).start()
    try:
        url = site.page_urls[0]
        body, encoding = _get(url, accept_gzip=True)
        assert encoding == "gzip" and gzip.decompress(body) == pages["page0.html"]
        body, encoding = _get(url, accept_gzip=False)
        assert encoding is None and body == pages["page0.html"]
        listed = [e.link for u in site.feed_urls for e in feedparser.parse(_get(u, False)[0]).entries]
        assert listed == site.page_urls and len(site.feed_urls) == 2
        assert site.html_bytes() == sum(len(html) for html in pages.values())
    finally:
        site.stop()
