"""Make the sample digest under ``docs/``: realistic stories through the real engine and a local SMTP server.

``python -m alerting.sample_digest [docs/]`` writes ``sample-digest.eml`` and ``sample-digest.html`` (the
HTML part with its chart inlined, for the screenshot; see docs/README.md), and the spike email of the
same run as ``sample-spike.eml``: both list one story reported in five languages once, with its first
report. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import random
import sys
import tempfile
import textwrap
import time
from base64 import b64encode
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from whirlpool.article import Article, DateSource, article_id
from whirlpool.loopback import free_port
from whirlpool.settings import load_settings

NOW = datetime(2026, 3, 20, 5, 30, tzinfo=UTC)  # 08:30 in Moscow, after the digest hour

RULES = """
groups:
  analysts: [analysts@whirlpool.localhost]
rules:
  - name: theme-spike
    type: spike
    dimension: themes
    window: 1d
    baseline_windows: 14
    recipients: analysts
  - name: missiles-watch
    type: watch
    query: "KN-23 OR Hwasong-11"
    delivery: digest
    recipients: analysts
  - name: dead-feeds
    type: coverage_gap
    dimension: source_id
    values: [kcna, tass, yonhap, nk_news]
    silence: 24h
    recipients: analysts
  - name: daily-digest
    type: digest
    hour: 8
    timezone: Europe/Moscow
    top_per_theme: 3
    recipients: analysts
"""

# (hours before NOW, source id, source name, language, themes, title, summary)
STORIES = [
    (
        2,
        "yonhap",
        "Yonhap",
        "ko",
        ["troop_deployment"],
        '北 병력 추가 파병 정황…국정원 "쿠르스크에 수천 명"',
        "국가정보원은 북한이 러시아 쿠르스크 지역에 추가 병력을 보낸 정황을 포착했다고 밝혔다.",
    ),
    (
        3,
        "tass",
        "TASS",
        "ru",
        ["troop_deployment", "military_cooperation"],
        "Шойгу и Пак Чжон Чхон обсудили в Пхеньяне военное сотрудничество",
        "Секретарь Совбеза России провёл переговоры с руководством КНДР.",
    ),
    (
        4,
        "reuters",
        "Reuters",
        "en",
        ["troop_deployment"],
        "North Korean troops seen moving to new positions near the front, Ukraine says",
        "Ukrainian military intelligence said DPRK units had been redeployed.",
    ),
    (
        5,
        "ukrinform",
        "Ukrinform",
        "uk",
        ["troop_deployment", "arms_transfers"],
        "ГУР: КНДР передала Росії нову партію артилерійських снарядів",
        "За даними розвідки, до Росії прибули ще кілька ешелонів з боєприпасами.",
    ),
    (
        6,
        "nk_news",
        "NK News",
        "en",
        ["arms_transfers", "strategic_tech"],
        "Debris in Kharkiv identified as KN-23 <variant> with new guidance kit",
        "Analysts say the missile fragments point to an upgraded Hwasong-11 design & improved accuracy.",
    ),
    (
        7,
        "nikkei",
        "Nikkei Asia",
        "ja",
        ["economy_trade", "sanctions"],
        "ロシア産原油、北朝鮮への海上輸送が急増　制裁違反の疑い",
        "衛星画像の分析によると、ロシアの港から北朝鮮へのタンカー輸送が増えている。",
    ),
    (
        8,
        "xinhua",
        "Xinhua",
        "zh",
        ["diplomacy_treaty"],
        "俄朝全面战略伙伴关系条约生效一周年",
        "双方在莫斯科举行纪念活动。",
    ),
    (
        9,
        "meduza",
        "Meduza",
        "ru",
        ["labor_migration"],
        "На стройки Дальнего Востока приехали тысячи рабочих из КНДР",
        "Формально они въезжают по студенческим визам.",
    ),
    (
        10,
        "reuters",
        "Reuters",
        "en",
        ["diplomacy_treaty", "military_cooperation"],
        "Lavrov to visit Wonsan as Moscow and Pyongyang deepen treaty ties",
        "The visit follows the first anniversary of the comprehensive strategic partnership treaty.",
    ),
    (
        11,
        "yonhap",
        "Yonhap",
        "ko",
        ["sanctions"],
        "정부, 북·러 무기거래 관여 개인 5명 독자제재",
        "제재 대상에는 러시아 해운사 관계자도 포함됐다.",
    ),
]


# (source id, source name, kind, language, title): one event as processing.stories joins it
KURSK_STORY = [
    ("kcna", "KCNA", "state_media", "ko", "김정은 동지, 쿠르스크 해방작전 참전 부대에 국가표창 수여"),
    ("tass", "TASS", "state_media", "ru", "Ким Чен Ын наградил участников освобождения Курской области"),
    ("reuters", "Reuters", "wire", "en", "Kim Jong Un decorates units that fought in Russia's Kursk region"),
    ("nhk", "NHK", "state_media", "ja", "金正恩総書記　クルスク派遣部隊に国家表彰"),
    ("xinhua", "Xinhua", "state_media", "zh", "金正恩向参加库尔斯克作战部队授予国家奖励"),
]


def _article(n: int, at: datetime, source_id: str, source_name: str, language: str, themes: list[str],
             title: str, summary: str, cluster_of: str | None = None) -> Article:  # fmt: skip
    url = f"https://{source_id}.example.org/2026/03/{n}"
    return Article(
        id=article_id(url), url=url, canonical_url=url, source_id=source_id, source_name=source_name,
        source_kind="wire", title=title, summary=summary, body=summary, published_at=at,
        published_at_source=DateSource.PAGE, language=language, themes=themes, actors=["russia", "dprk"],
        relevance=0.9, relevant=True, cluster_id=article_id(cluster_of or url), is_representative=cluster_of is None,
    )  # fmt: skip


def build_articles() -> list[Article]:
    articles: list[Article] = []
    rng = random.Random(7)
    n = 0
    themes = ["troop_deployment", "arms_transfers", "military_cooperation", "diplomacy_treaty", "sanctions"]
    for day in range(1, 15):  # two weeks of background coverage
        for k, theme in enumerate(themes):
            for j in range(rng.choice((0, 1, 1, 2, 2, 3))):
                n += 1
                at = NOW - timedelta(days=day, hours=3 + k + j)
                articles.append(_article(n, at, "yonhap", "Yonhap", "en", [theme],
                                         f"Background report {n} on {theme.replace('_', ' ')}", "Earlier coverage."))  # fmt: skip
    for hours, source_id, name, language, story_themes, title, summary in STORIES:
        n += 1
        articles.append(
            _article(n, NOW - timedelta(hours=hours), source_id, name, language, story_themes, title, summary)
        )
    first = articles[-len(STORIES)].url  # copies of the first story from other outlets
    for k in range(4):
        n += 1
        articles.append(_article(n, NOW - timedelta(hours=1, minutes=k), "aggregator", "Aggregator", "ko",
                                 ["troop_deployment"], STORIES[0][5], STORIES[0][6], cluster_of=first))  # fmt: skip
    for k in range(6):  # the troop-deployment spike of the day
        n += 1
        articles.append(_article(n, NOW - timedelta(hours=12 + k), "reuters", "Reuters", "en", ["troop_deployment"],
                                 f"Report {k + 1}: DPRK units rotate through Kursk region", "Wire report."))  # fmt: skip
    first_seen = NOW - timedelta(hours=13)
    for k, (source_id, name, kind, language, title) in enumerate(KURSK_STORY):  # one story, five languages
        n += 1
        article = _article(n, first_seen + timedelta(minutes=50 * k), source_id, name, language,
                           ["troop_deployment"], title, "One event, reported in five languages.")  # fmt: skip
        articles.append(article.model_copy(update={
            "source_kind": kind, "story_id": "story-kursk-award", "story_first_source": "KCNA",
            "story_first_source_kind": "state_media", "story_first_seen": first_seen,
            "story_languages": [lang for *_, lang, _ in KURSK_STORY[: k + 1]],
        }))  # fmt: skip
    return articles


def make_sample(out_dir: Path) -> Path:
    from aiosmtpd.controller import Controller

    from alerting.engine import run_alert_rules
    from indexing import open_backend

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(envelope.original_content)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "config"
            config.mkdir()
            (config / "alerts.yaml").write_text(textwrap.dedent(RULES), encoding="utf-8")
            settings = load_settings(config, environ={
                "WHIRLPOOL_DATA_DIR": f"{tmp}/data", "WHIRLPOOL_INDEX_BACKEND": "embedded",
                "WHIRLPOOL_SMTP_HOST": "127.0.0.1", "WHIRLPOOL_SMTP_PORT": str(port),
            })  # fmt: skip
            backend = open_backend(settings)
            backend.ensure_ready()
            backend.upsert(build_articles())
            backend.close()
            run_alert_rules(settings, now=NOW - timedelta(hours=4))  # 04:30 Moscow: spike + watch held
            run_alert_rules(settings, now=NOW)  # 08:30 Moscow: the digest
            time.sleep(0.2)
    finally:
        controller.stop()
    digest = next(raw for raw in received if b"Subject: Daily digest" in raw)
    spike = next(raw for raw in received if b"Subject: Spike" in raw)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "sample-spike.eml").write_bytes(spike)
    eml = out_dir / "sample-digest.eml"
    eml.write_bytes(digest)
    message = message_from_bytes(digest, policy=policy.default)
    html = message.get_body(("html",)).get_content()
    for part in message.walk():
        if part.get_content_type() == "image/png":
            uri = "data:image/png;base64," + b64encode(part.get_content()).decode()
            html = html.replace(f"cid:{part['Content-ID'].strip('<>')}", uri)
    (out_dir / "sample-digest.html").write_text(html, encoding="utf-8")
    return eml


if __name__ == "__main__":
    print(make_sample(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
