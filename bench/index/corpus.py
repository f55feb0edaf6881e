"""Synthetic but realistic articles for the index benchmark: six languages, real-looking titles
and bodies, themes, entities, sources and duplicate clusters, dates over 90 days (seeded)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from whirlpool.article import Article, DateSource, article_id

WORDS = {
    "en": "russia north korea pyongyang moscow treaty missiles artillery shells sanctions shipment rail port "
    "delegation minister talks cooperation military troops kursk drones satellite launch oil labour workers "
    "analysts officials said report according agreement defence summit visit border trade".split(),
    "ru": "россия кндр пхеньян москва договор ракеты снаряды санкции поставки железная дорога порт делегация "
    "министр переговоры сотрудничество военные войска курск дроны спутник запуск нефть рабочие заявил "
    "сообщил соглашение оборона саммит визит граница торговля".split(),
    "uk": "росія кндр пхеньян москва договір ракети снаряди санкції постачання залізниця порт делегація "
    "міністр переговори співпраця військові війська курщина дрони супутник запуск нафта робітники "
    "заявив повідомив угода оборона саміт візит кордон торгівля".split(),
    "ko": "러시아 북한 평양 모스크바 조약 미사일 포탄 제재 선적 철도 항구 대표단 장관 회담 협력 군사 "
    "병력 쿠르스크 드론 위성 발사 석유 노동자 발표 보도 합의 국방 정상회담 방문 국경 무역".split(),
    "ja": "ロシア 北朝鮮 平壌 モスクワ 条約 ミサイル 砲弾 制裁 輸送 鉄道 港 代表団 大臣 会談 協力 軍事 "
    "部隊 クルスク ドローン 衛星 発射 石油 労働者 発表 報道 合意 防衛 首脳会談 訪問 国境 貿易".split(),
    "zh": "俄罗斯 朝鲜 平壤 莫斯科 条约 导弹 炮弹 制裁 运输 铁路 港口 代表团 部长 会谈 合作 军事 部队 "
    "库尔斯克 无人机 卫星 发射 石油 劳工 宣布 报道 协议 国防 峰会 访问 边境 贸易".split(),
}
LANGUAGE_WEIGHTS = {"en": 40, "ru": 20, "uk": 10, "ko": 15, "ja": 8, "zh": 7}
JOINER = {"ja": "", "zh": ""}  # no spaces between words
THEMES = [
    "theme.arms_transfers",
    "theme.military_cooperation",
    "theme.sanctions",
    "theme.diplomacy_treaty",
    "theme.troop_deployment",
    "theme.economy_trade",
    "theme.labor_migration",
    "theme.strategic_tech",
]
ENTITIES = ["person.kim_jong_un", "person.putin", "weapon.kn23", "org.kpa", "person.shoigu", "person.lavrov"]
KINDS = ["state_media", "wire", "independent", "government", "think_tank", "specialist", "aggregator"]
START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 90


def synthetic_articles(count: int, seed: int = 7) -> Iterator[Article]:
    rng = random.Random(seed)
    languages = list(LANGUAGE_WEIGHTS)
    weights = list(LANGUAGE_WEIGHTS.values())
    for number in range(count):
        language = rng.choices(languages, weights)[0]
        words = WORDS[language]
        joiner = JOINER.get(language, " ")
        title = joiner.join(rng.choices(words, k=rng.randint(6, 11)))
        body = "\n".join(
            joiner.join(rng.choices(words, k=rng.randint(12, 25))) for _ in range(rng.randint(4, 10))
        )
        url = f"https://source{number % 60}.example/{language}/{number}"
        copy_of = number - rng.randint(1, 50) if number > 50 and rng.random() < 0.15 else None
        yield Article(
            id=article_id(url),
            url=url,
            canonical_url=url,
            source_id=f"source{number % 60}",
            source_name=f"Source {number % 60}",
            source_kind=KINDS[number % 60 % len(KINDS)],
            title=title,
            body=body,
            language=language,
            published_at=START + timedelta(seconds=rng.randint(0, DAYS * 86400)),
            published_at_source=DateSource.PAGE if rng.random() < 0.95 else DateSource.GUESSED,
            themes=rng.sample(THEMES, k=rng.randint(0, 2)),
            entities=rng.sample(ENTITIES, k=rng.randint(0, 2)),
            relevant=rng.random() < 0.6,
            relevance=round(rng.random(), 3),
            is_representative=copy_of is None,
            cluster_id=f"c{copy_of}" if copy_of is not None else None,
        )
