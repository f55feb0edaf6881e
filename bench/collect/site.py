"""A local news site on 127.0.0.1 listed by RSS feeds: the real article pages of the shared extraction
benchmark (``BenchSite.real``), or N generated six-language pages (``BenchSite.generated``)."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

from whirlpool.loopback import LoopbackSite, Request, Response

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


def feed(base: str, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Item {path}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
        f"<description>Summary of {path}</description><pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate></item>"
        for path in paths
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench</title>'
        f"<link>{base}/</link><description>bench</description>{items}</channel></rss>"
    ).encode()


class BenchSite:
    """Pages are held in memory, so serving is a dictionary lookup (never the bottleneck). A page
    stored gzipped is sent as ``Content-Encoding: gzip`` to clients that accept it, as news sites do."""

    def __init__(self, pages: dict[str, bytes], per_feed: int = 100, gzipped: bool = False, label: str = ""):
        self.label = label
        self.per_feed = per_feed
        self.gzipped = gzipped
        self.pages = len(pages)
        self.bodies = dict(pages)
        self.server = LoopbackSite(self._respond, name="bench-site").start()
        self.base = self.server.url
        paths = list(pages)
        for index, first in enumerate(range(0, len(paths), per_feed)):
            self.bodies[f"/feed/{index}.xml"] = feed(self.base, paths[first : first + per_feed])
        self.bodies["/robots.txt"] = b"User-agent: *\nAllow: /\n"
        self.page_urls = [self.base + path for path in paths]

    @classmethod
    def generated(cls, pages: int, per_feed: int = 100) -> BenchSite:
        """N generated 6.5 KB pages in six languages (fast to extract: not what news sites serve)."""
        bodies = {f"/a/{n}": article_page(n) for n in range(pages)}
        return cls(bodies, per_feed, label=f"{pages} generated pages (not real pages)")

    @classmethod
    def real(cls, html_dir: Path, per_feed: int = 30) -> BenchSite:
        """The ``*.html.gz`` pages of a folder (the 181 real news articles of the extraction benchmark)."""
        files = sorted(Path(html_dir).glob("*.html.gz"))
        bodies = {f"/{f.name.removesuffix('.gz')}": f.read_bytes() for f in files}
        return cls(bodies, per_feed, gzipped=True, label=f"{len(files)} real article pages from {html_dir}")

    def html_bytes(self) -> int:
        """Total size of the article pages as HTML (uncompressed)."""
        pages = [b for p, b in self.bodies.items() if not p.startswith("/feed/") and p != "/robots.txt"]
        return sum(len(gzip.decompress(b)) if self.gzipped else len(b) for b in pages)

    @property
    def feed_urls(self) -> list[str]:
        return [f"{self.base}{path}" for path in self.bodies if path.startswith("/feed/")]

    def _respond(self, request: Request) -> Response:
        body = self.bodies.get(request.path)
        status = 200 if body is not None else 404
        body = body if body is not None else b"not found"
        feed_or_robots = request.path.endswith(".xml") or request.path == "/robots.txt"
        if feed_or_robots:
            kind = "application/rss+xml" if request.path.endswith(".xml") else "text/plain"
        else:
            # Real pages declare their charset in <meta>; generated ones are UTF-8.
            kind = "text/html" if self.gzipped else "text/html; charset=utf-8"
        headers = {"Content-Type": kind}
        compressed = status == 200 and self.gzipped and not feed_or_robots
        if compressed and "gzip" not in request.headers.get("Accept-Encoding", ""):
            body, compressed = gzip.decompress(body), False
        if compressed:
            headers["Content-Encoding"] = "gzip"
        return Response(status, headers, body)

    def start(self) -> BenchSite:
        return self  # serving since it was made (the feeds need its address)

    def stop(self) -> None:
        self.server.stop()
