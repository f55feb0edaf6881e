"""A small news site on 127.0.0.1 with the bad inputs the collect stage must survive."""

from __future__ import annotations

import gzip
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default 5 drops connections when a crawl opens many at once
    daemon_threads = True


class FixtureSite:
    """Routes: path -> (status, headers, body bytes) or a callable handler."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: dict[str, int] = {}
        self.robots = "User-agent: *\nDisallow: /private/\n"
        self.slow_seconds = 3.0
        self._server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8",
            status: int = 200, headers: dict[str, str] | None = None) -> str:  # fmt: skip
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, {"Content-Type": content_type, **(headers or {})}, data)
        return self.url(path)

    def start(self) -> FixtureSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                return None

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                site.hits[path] = site.hits.get(path, 0) + 1
                if path == "/robots.txt":
                    return self._send(200, {"Content-Type": "text/plain"}, site.robots.encode())
                if path.startswith("/loop/"):
                    step = int(path.rsplit("/", 1)[-1] or 0)
                    return self._send(302, {"Location": f"/loop/{(step + 1) % 2}"}, b"")
                if path.startswith("/slow-body"):  # headers and half the body at once, the rest late
                    body = article_html(900).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    time.sleep(site.slow_seconds)
                    self.wfile.write(body[len(body) // 2 :])
                    return None
                if path.startswith("/slow"):
                    time.sleep(site.slow_seconds)
                    return self._send(200, {"Content-Type": "application/rss+xml"}, rss([]).encode())
                if path.startswith("/etag-feed"):
                    status, headers, body = site.routes[path]
                    if self.headers.get("If-None-Match") == headers.get("ETag"):
                        return self._send(304, {"ETag": headers["ETag"]}, b"")
                    return self._send(status, headers, body)
                if path in site.routes:
                    return self._send(*site.routes[path])
                return self._send(404, {"Content-Type": "text/plain"}, b"not found")

            do_HEAD = do_GET

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()


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
