"""A small news site on 127.0.0.1 with the bad inputs the collect stage must survive."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from email.utils import format_datetime

from whirlpool.loopback import LoopbackSite, Request, Response
from whirlpool.sources import Source

PARAGRAPH = {
    "en": (
        "Russian and North Korean officials met in Pyongyang on Tuesday to discuss military cooperation, "
        "rail links across the Tumen River and the supply of artillery shells, according to people briefed "
        "on the talks. Analysts in Seoul said the visit showed how far the partnership treaty signed last "
        "year has gone beyond words, with engineers, workers and munitions now moving in both directions. "
    ),
    "ru": (
        "Делегация России прибыла в Пхеньян для переговоров о военно-техническом сотрудничестве с КНДР. "
        "Стороны обсудили строительство автомобильного моста через реку Туманная, поставки продовольствия "
        "и обмен студентами. Министр обороны заявил, что договор о всеобъемлющем стратегическом "
        "партнёрстве открывает новые возможности для обеих стран. "
    ),
    "ko": (
        "북한과 러시아가 평양에서 고위급 회담을 열고 군사 협력과 두만강 철교 현대화 사업을 논의했다고 "
        "조선중앙통신이 보도했다. 전문가들은 양국의 포괄적 전략적 동반자 관계 조약이 실제 무기 거래와 "
        "노동자 파견으로 이어지고 있다고 분석했다. 정부 당국자는 추가 제재 가능성을 시사했다. "
    ),
}


def article_html(
    number: int,
    language: str = "en",
    title: str | None = None,
    date: str | None = "2026-11-20T09:30:00+09:00",
    charset: str = "utf-8",
    canonical: str | None = None,
    paragraphs: int = 4,
) -> str:
    title = title or f"Russia and North Korea expand cooperation, report {number}"
    meta_date = f'<meta property="article:published_time" content="{date}">' if date else ""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "\n".join(f"<p>{PARAGRAPH[language]} ({number}.{i})</p>" for i in range(paragraphs))
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="{charset}">'
        f"<title>{title}</title>{meta_date}{link}"
        f'<meta name="author" content="Kim Min-ji"></head><body><header><nav><a href="/">Home</a>'
        f'<a href="/world">World</a></nav></header><main><article><h1>{title}</h1>'
        f'<p class="byline">By Kim Min-ji</p>{body}</article></main>'
        f"<footer>© Fixture News 2026. All rights reserved.</footer></body></html>"
    )


def rss(items: list[tuple[str, str, str, str | None]], encoding: str = "utf-8") -> str:
    """items: (title, link, summary, pubDate or None); the guid is the link."""
    parts = []
    for title, link, summary, date in items:
        date_tag = f"<pubDate>{date}</pubDate>" if date else ""
        parts.append(
            f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
            f"<description>{summary}</description>{date_tag}</item>"
        )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>Fixture</title><link>http://fixture/</link><description>d</description>"
        + "".join(parts)
        + "</channel></rss>"
    )


class FixtureSite:
    """Routes: path -> (status, headers, body bytes), plus the misbehaving paths below; served by the
    one loopback server (``whirlpool.loopback.LoopbackSite``)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: dict[str, int] = {}
        self.robots = "User-agent: *\nDisallow: /private/\n"
        self.slow_seconds = 3.0
        self._server: LoopbackSite | None = None

    @property
    def base(self) -> str:
        assert self._server is not None
        return self._server.url

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8",
            status: int = 200, headers: dict[str, str] | None = None) -> str:  # fmt: skip
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, {"Content-Type": content_type, **(headers or {})}, data)
        return self.url(path)

    def _slow_body(self) -> Response:
        """Headers and half the body at once, the rest ``slow_seconds`` later."""
        body = article_html(900).encode()

        def chunks():
            yield body[: len(body) // 2]
            time.sleep(self.slow_seconds)
            yield body[len(body) // 2 :]

        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))}
        return Response(200, headers, chunks())

    def _respond(self, request: Request) -> Response:
        path = request.path
        self.hits[path] = self.hits.get(path, 0) + 1
        if path == "/robots.txt":
            return Response(200, {"Content-Type": "text/plain"}, self.robots.encode())
        if path.startswith("/loop/"):
            step = int(path.rsplit("/", 1)[-1] or 0)
            return Response(302, {"Location": f"/loop/{(step + 1) % 2}"})
        if path.startswith("/slow-body"):
            return self._slow_body()
        if path.startswith("/slow"):
            time.sleep(self.slow_seconds)
            return Response(200, {"Content-Type": "application/rss+xml"}, rss([]).encode())
        if path.startswith("/etag-feed"):
            status, headers, body = self.routes[path]
            if request.headers.get("If-None-Match") == headers.get("ETag"):
                return Response(304, {"ETag": headers["ETag"]})
            return Response(status, headers, body)
        if path in self.routes:
            return Response(*self.routes[path])
        return Response(404, {"Content-Type": "text/plain"}, b"not found")

    def start(self) -> FixtureSite:
        self._server = LoopbackSite(self._respond, name="fixture-site").start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.stop()


def rfc822(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data)


def feed_source(
    site: FixtureSite, source_id: str, *feed_paths: str, language: str = "en", country: str = "KR", **extra
) -> Source:
    """A source polling ``feed_paths`` of the fixture site (every test's one way to declare one)."""
    return Source(
        id=source_id,
        name=source_id.title(),
        homepage=site.url("/"),
        feeds=[site.url(p) for p in feed_paths],
        language=language,
        country=country,
        kind=extra.pop("kind", "wire"),
        **extra,
    )
