"""A small multilingual corpus with known answers, shared by the backend tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from whirlpool.article import Article, DateSource, article_id


def make_article(url: str, **fields) -> Article:
    base = {
        "id": article_id(url),
        "url": url,
        "canonical_url": url,
        "source_id": "tass",
        "published_at_source": DateSource.PAGE,
    }
    return Article(**{**base, **fields})


def day(n: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, n, hour, tzinfo=UTC)


CORPUS = {
    "en_treaty": make_article(
        "https://tass.example/en/treaty",
        title="Russia and North Korea sign a defence treaty",
        body="The missiles were delivered by rail to the Far East. Officials praised the partnership.",
        language="en",
        source_id="tass",
        source_kind="state_media",
        published_at=day(1),
        themes=["theme.military_cooperation", "theme.diplomacy"],
        entities=["person.kim_jong_un"],
        relevant=True,
    ),
    "en_sanctions": make_article(
        "https://wire.example/en/sanctions",
        title="New sanctions target shipping firms",
        body="Analysts say the sanctions on oil shipments will be hard to enforce.",
        language="en",
        source_id="reuters",
        source_kind="wire",
        published_at=day(2),
        themes=["theme.sanctions"],
        relevant=False,
    ),
    "ru_meeting": make_article(
        "https://ria.example/ru/vstrecha",
        title="Путин встретился с лидером КНДР",
        body="Ким Чен Ын и Путин обсудили поставки ракет и военное сотрудничество.",
        language="ru",
        source_id="ria",
        source_kind="state_media",
        published_at=day(3),
        themes=["theme.military_cooperation"],
        entities=["person.kim_jong_un", "person.putin"],
        relevant=True,
    ),
    "uk_troops": make_article(
        "https://ukrinform.example/uk/viiska",
        title="Північнокорейські військові на Курщині",
        body="Розвідка повідомляє про нові ракети, передані Росії.",
        language="uk",
        source_id="ukrinform",
        source_kind="government",
        published_at=day(4),
        themes=["theme.troops_ukraine"],
        relevant=True,
    ),
    "ko_visit": make_article(
        "https://yonhap.example/ko/visit",
        title="김정은 러시아 방문",
        body="김정은 국무위원장이 블라디보스토크에 도착했다.",
        language="ko",
        source_id="yonhap",
        source_kind="wire",
        published_at=day(5),
        entities=["person.kim_jong_un"],
        relevant=True,
    ),
    "ja_visit": make_article(
        "https://nhk.example/ja/houmon",
        title="北朝鮮の金正恩総書記がロシアを訪問",
        body="金正恩総書記はプーチン大統領と会談した。",
        language="ja",
        source_id="nhk",
        source_kind="independent",
        published_at=day(5, 18),
        entities=["person.kim_jong_un"],
        relevant=True,
    ),
    "zh_missile": make_article(
        "https://xinhua.example/zh/daodan",
        title="朝鲜试射火星11型导弹",
        body="朝鲜宣布成功试射新型战术导弹。",
        language="zh",
        source_id="xinhua",
        source_kind="state_media",
        published_at=day(6),
        entities=["weapon.kn23"],
        relevant=False,
    ),
    "en_copy": make_article(
        "https://aggregator.example/en/treaty-copy",
        title="Russia and North Korea sign a defence treaty (copy)",
        body="The missiles were delivered by rail to the Far East.",
        language="en",
        source_id="aggregator",
        source_kind="aggregator",
        published_at=day(1, 15),
        themes=["theme.military_cooperation"],
        entities=["person.kim_jong_un"],
        relevant=True,
        is_representative=False,
        cluster_id="cluster-treaty",
    ),
}


def ids(*names: str) -> set[str]:
    return {CORPUS[name].id for name in names}


def trend_corpus(count: int = 240, seed: int = 14) -> list[Article]:
    """Seeded articles for trend counts: several values per field, copies of a story, guessed and
    clamped dates, and dates on bucket edges (every sixth article is published on the hour); four
    in five belong to one of 30 stories, the rest have no story id (indexed before stories existed)."""
    rng = random.Random(seed)
    values = {
        "themes": ["theme.sanctions", "theme.diplomacy", "theme.troops_ukraine", "theme.arms"],
        "entities": ["person.kim_jong_un", "person.putin", "weapon.kn23", "org.kpa"],
        "places": ["place.pyongyang", "place.moscow", "place.kursk"],
    }
    articles = []
    for number in range(count):
        url = f"https://trend{number % 9}.example/{number}"
        moment = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 10 * 86400))
        if number % 6 == 0:
            moment = moment.replace(minute=0, second=0)
        copy = number > 10 and rng.random() < 0.2
        articles.append(
            make_article(
                url,
                title=f"story {number}",
                source_id=f"trend{number % 9}",
                source_kind=rng.choice(["wire", "state_media", "independent", "government"]),
                language=rng.choice(["en", "ru", "uk", "ko", "ja", "zh"]),
                published_at=moment,
                published_at_source=rng.choice(
                    [DateSource.PAGE] * 6 + [DateSource.FEED] * 2 + [DateSource.GUESSED, DateSource.CLAMPED]
                ),
                relevant=rng.random() < 0.6,
                is_representative=not copy,
                cluster_id=f"cluster-{number - 1}" if copy else None,
                story_id=f"story-{rng.randrange(30)}" if number % 5 else None,
                **{field: rng.sample(options, k=rng.randint(0, 3)) for field, options in values.items()},
            )
        )
    return articles
