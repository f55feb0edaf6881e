"""A generated local news site: N article pages in six languages, listed by RSS feeds of 100 items."""

from __future__ import annotations

import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SENTENCES = {
    "en": [
        "Russian and North Korean officials met in Pyongyang to discuss military cooperation.",
        "Analysts in Seoul said the partnership treaty has gone far beyond words.",
        "Satellite images showed rail cars moving containers across the Tumen River bridge.",
        "The ministry declined to comment on reports of artillery shells shipped to Russia.",
        "Engineers from both countries inspected the new road bridge near Khasan.",
        "Sanctions monitors said the transfers breach several Security Council resolutions.",
    ],
    "ru": [
        "Делегация России прибыла в Пхеньян для переговоров о сотрудничестве с КНДР.",
        "Стороны обсудили строительство автомобильного моста через реку Туманная.",
        "Министр заявил, что договор открывает новые возможности для обеих стран.",
        "Эксперты отмечают рост товарооборота между Москвой и Пхеньяном.",
        "Северокорейские рабочие прибыли на стройки Дальнего Востока.",
    ],
    "uk": [
        "Розвідка повідомила про нові поставки північнокорейських снарядів до Росії.",
        "Війська КНДР помічені в Курській області, заявили в Генштабі.",
        "Аналітики попереджають про поглиблення військової співпраці Москви та Пхеньяна.",
        "Міністерство закордонних справ закликало партнерів посилити санкції.",
    ],
    "ko": [
        "북한과 러시아가 평양에서 고위급 회담을 열고 군사 협력을 논의했다.",
        "전문가들은 양국의 조약이 실제 무기 거래로 이어지고 있다고 분석했다.",
        "정부 당국자는 추가 제재 가능성을 시사했다.",
        "두만강 철교 현대화 사업이 속도를 내고 있다고 통신은 전했다.",
    ],
    "ja": [
        "北朝鮮とロシアは平壌で軍事協力について協議した。",
        "専門家は両国の条約が実際の武器取引につながっていると分析している。",
        "政府関係者は追加制裁の可能性を示唆した。",
        "豆満江の鉄橋では貨物列車の往来が増えている。",
    ],
    "zh": [
        "朝鲜与俄罗斯官员在平壤举行会谈，讨论军事合作问题。",
        "分析人士认为，两国条约已经超越了口头承诺。",
        "卫星图像显示，图们江大桥上的货运列车明显增多。",
        "外交部发言人拒绝就相关报道发表评论。",
    ],
}
LANGUAGES = tuple(SENTENCES)
NAV = "".join(f'<li><a href="/section/{n}">Section {n}</a></li>' for n in range(30))
FOOTER = "<footer><p>© Bench News 2026. All rights reserved.</p><p>Contact · Privacy · Terms</p></footer>"


def article_page(number: int) -> bytes:
    rng = random.Random(number)
    language = LANGUAGES[number % len(LANGUAGES)]
    paragraphs = []
    for _ in range(rng.randint(6, 12)):
        paragraphs.append(" ".join(rng.choice(SENTENCES[language]) for _ in range(rng.randint(3, 6))))
    body = "\n".join(f"<p>{p} ({number}.{i})</p>" for i, p in enumerate(paragraphs))
    title = f"{SENTENCES[language][0][:40]} #{number}"
    html = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="2026-11-{1 + number % 24:02d}T08:00:00+00:00">'
        f'<link rel="canonical" href="/a/{number}"><script>var ads = {{"slot": {number}}};</script></head>'
        f"<body><header><nav><ul>{NAV}</ul></nav></header><main><article><h1>{title}</h1>"
        f'<p class="byline">By Bench Reporter</p>{body}</article>'
        f"<aside><h2>Most read</h2><ul>{NAV[:800]}</ul></aside></main>{FOOTER}</body></html>"
    )
    return html.encode("utf-8")


def feed(base: str, first: int, count: int) -> bytes:
    items = "".join(
        f"<item><title>Item {n}</title><link>{base}/a/{n}</link><guid>{base}/a/{n}</guid>"
        f"<description>Summary of item {n}</description><pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate></item>"
        for n in range(first, first + count)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench</title>'
        f"<link>{base}/</link><description>bench</description>{items}</channel></rss>"
    ).encode()


class _Server(ThreadingHTTPServer):
    request_queue_size = 512
    daemon_threads = True


class BenchSite:
    """Pages are rendered once up front, so serving is a dictionary lookup (never the bottleneck)."""

    def __init__(self, pages: int, per_feed: int = 100):
        self.pages = pages
        self.per_feed = per_feed
        self.bodies = {f"/a/{n}": article_page(n) for n in range(pages)}
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        for index, first in enumerate(range(0, pages, per_feed)):
            self.bodies[f"/feed/{index}.xml"] = feed(self.base, first, min(per_feed, pages - first))
        self.bodies["/robots.txt"] = b"User-agent: *\nAllow: /\n"

    @property
    def feed_urls(self) -> list[str]:
        return [f"{self.base}{path}" for path in self.bodies if path.startswith("/feed/")]

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                return None

            def do_GET(self) -> None:  # noqa: N802
                body = site.bodies.get(self.path)
                status = 200 if body is not None else 404
                body = body if body is not None else b"not found"
                kind = "application/rss+xml" if self.path.endswith(".xml") else "text/html; charset=utf-8"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def start(self) -> BenchSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
