"""A small news site served on 127.0.0.1: the built-in demo and the tests' fixture site.

A site is described by a YAML file of outlets and articles (see ``whirlpool/demo/articles.yaml``).
Each outlet gets a feed (RSS 2.0 or Atom) at ``/<outlet>/feed.xml`` and each article a page at
``/<outlet>/<slug>.html`` with the metadata real news pages carry (canonical link, Open Graph,
article:published_time, author), so the real collector and extractor run against it unchanged.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from whirlpool.loopback import LoopbackSite, Request, Response
from whirlpool.yamlconfig import load_model


class SiteArticle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str
    title: str
    published: datetime
    author: str = ""
    summary: str
    paragraphs: list[str] = Field(min_length=1)


class Outlet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    language: str
    country: str
    kind: str
    feed_format: str = Field("rss", pattern="^(rss|atom)$")
    articles: list[SiteArticle]


class SiteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outlets: list[Outlet]


def load_site(path: Path) -> SiteSpec:
    return load_model(path, SiteSpec)


def shifted_to_recent(
    spec: SiteSpec, now: datetime | None = None, newest_age: timedelta = timedelta(hours=1)
) -> SiteSpec:
    """The same site with every date moved by one offset so the newest article is ``newest_age`` old:
    the demo's stories stay "today's news" (digest, coverage gaps) whenever it is run."""
    dates = [a.published for o in spec.outlets for a in o.articles]
    if not dates:
        return spec
    now = now or datetime.now(UTC)
    offset = (now - newest_age) - max(dates)
    offset = timedelta(minutes=offset // timedelta(minutes=1))
    outlets = [
        o.model_copy(
            update={
                "articles": [a.model_copy(update={"published": a.published + offset}) for a in o.articles]
            }
        )
        for o in spec.outlets
    ]
    return spec.model_copy(update={"outlets": outlets})


def _rfc822(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


def render_article(outlet: Outlet, article: SiteArticle, base_url: str) -> str:
    url = f"{base_url}/{outlet.id}/{article.slug}.html"
    e = html.escape
    body = "\n".join(f"      <p>{e(p)}</p>" for p in article.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{outlet.language}">
<head>
  <meta charset="utf-8">
  <title>{e(article.title)} | {e(outlet.name)}</title>
  <link rel="canonical" href="{url}">
  <meta property="og:title" content="{e(article.title)}">
  <meta property="og:type" content="article">
  <meta name="description" content="{e(article.summary)}">
  <meta name="author" content="{e(article.author)}">
  <meta property="article:published_time" content="{article.published.astimezone(UTC).isoformat()}">
</head>
<body>
  <header><nav><a href="{base_url}/{outlet.id}/">{e(outlet.name)}</a> · <a href="#">World</a> · <a href="#">Politics</a></nav></header>
  <main>
    <article>
      <h1>{e(article.title)}</h1>
      <p class="byline">By {e(article.author)} · <time datetime="{article.published.isoformat()}">{article.published:%Y-%m-%d %H:%M}</time></p>
{body}
    </article>
  </main>
  <footer><p>© {e(outlet.name)}. Sample content written for Whirlpool.</p></footer>
</body>
</html>
"""


def render_feed(outlet: Outlet, base_url: str) -> str:
    e = html.escape
    home = f"{base_url}/{outlet.id}/"
    if outlet.feed_format == "atom":
        entries = "\n".join(
            f"""  <entry>
    <title>{e(a.title)}</title>
    <link rel="alternate" href="{home}{a.slug}.html"/>
    <id>{home}{a.slug}.html</id>
    <published>{a.published.astimezone(UTC).isoformat()}</published>
    <updated>{a.published.astimezone(UTC).isoformat()}</updated>
    <author><name>{e(a.author)}</name></author>
    <summary>{e(a.summary)}</summary>
  </entry>"""
            for a in outlet.articles
        )
        return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet.language}">
  <title>{e(outlet.name)}</title>
  <link rel="alternate" href="{home}"/>
  <id>{home}</id>
  <updated>{max(a.published for a in outlet.articles).astimezone(UTC).isoformat()}</updated>
{entries}
</feed>
"""
    items = "\n".join(
        f"""    <item>
      <title>{e(a.title)}</title>
      <link>{home}{a.slug}.html?utm_source=rss&amp;utm_medium=feed</link>
      <guid isPermaLink="false">{outlet.id}-{a.slug}</guid>
      <pubDate>{_rfc822(a.published)}</pubDate>
      <description>{e(a.summary)}</description>
    </item>"""
        for a in outlet.articles
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>{e(outlet.name)}</title>
    <link>{home}</link>
    <description>{e(outlet.name)}</description>
    <language>{outlet.language}</language>
{items}
  </channel>
</rss>
"""


class SampleSite:
    """Serves a SiteSpec; ``url`` is set once started."""

    def __init__(self, spec: SiteSpec):
        self.spec = spec
        self.url = ""
        self.requests: list[str] = []  # paths requested, for tests that check what was fetched
        self._server: LoopbackSite | None = None

    def page(self, path: str) -> tuple[int, str, str]:
        if path in ("/robots.txt",):
            return 200, "text/plain; charset=utf-8", "User-agent: *\nAllow: /\n"
        for outlet in self.spec.outlets:
            if path == f"/{outlet.id}/feed.xml":
                kind = "application/atom+xml" if outlet.feed_format == "atom" else "application/rss+xml"
                return 200, f"{kind}; charset=utf-8", render_feed(outlet, self.url)
            for article in outlet.articles:
                if path == f"/{outlet.id}/{article.slug}.html":
                    return 200, "text/html; charset=utf-8", render_article(outlet, article, self.url)
        return 404, "text/plain; charset=utf-8", "not found\n"

    def feed_urls(self) -> dict[str, str]:
        return {o.id: f"{self.url}/{o.id}/feed.xml" for o in self.spec.outlets}

    def sources_yaml(self) -> str:
        """A sources.yaml that points Whirlpool at this site."""
        sources = [
            {
                "id": outlet.id,
                "name": outlet.name,
                "homepage": f"{self.url}/{outlet.id}/",
                "feeds": [f"{self.url}/{outlet.id}/feed.xml"],
                "language": outlet.language,
                "country": outlet.country,
                "kind": outlet.kind,
                "poll_minutes": 10,
            }
            for outlet in self.spec.outlets
        ]
        return yaml.safe_dump({"sources": sources}, allow_unicode=True, sort_keys=False)

    def _respond(self, request: Request) -> Response:
        self.requests.append(request.path)
        status, content_type, text = self.page(request.path)
        return Response(status, {"Content-Type": content_type}, text.encode("utf-8"))

    def start(self) -> SampleSite:
        self._server = LoopbackSite(self._respond, name="sample-site").start()
        self.url = self._server.url
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@contextmanager
def serve_site(spec_path: Path, recent: bool = False) -> Iterator[SampleSite]:
    """Serve the site described by ``spec_path``; ``recent`` moves its dates up to now (see
    ``shifted_to_recent``)."""
    spec = load_site(spec_path)
    site = SampleSite(shifted_to_recent(spec) if recent else spec).start()
    try:
        yield site
    finally:
        site.stop()


DEMO_SITE = Path(__file__).parent / "demo" / "articles.yaml"
