"""The process step on articles written for the purpose, in the six languages."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest

from processing.pipeline import Processor
from tests.process.conftest import make_article
from whirlpool.article import Article
from whirlpool.report import StageReport

RELEVANT = {
    "en": (
        "North Korea sends troops to Russia",
        "Pyongyang has deployed thousands of soldiers to the Kursk region, where they fight alongside Russian "
        "forces, officials said. The deployment follows the treaty signed by Putin and Kim Jong Un in June.",
        {"troop_deployment"},
        {"person.putin", "person.kim_jong_un"},
        {"place.kursk", "place.pyongyang"},
    ),
    "ru": (
        "КНДР направила войска в Россию",
        "Северная Корея направила тысячи военнослужащих в Курскую область, сообщили в Минобороны России. "
        "Ранее Путин и Ким Чен Ын подписали договор о всеобъемлющем стратегическом партнёрстве.",
        {"troop_deployment", "diplomacy_treaty"},
        {"person.putin", "person.kim_jong_un", "org.russian_mod"},
        {"place.kursk"},
    ),
    "uk": (
        "КНДР передала Росії ракети KN-23",
        "Північна Корея постачає Росії балістичні ракети KN-23, які армія РФ застосовує проти України, "
        "заявили в розвідці. Пхеньян також відправив військових до Курської області.",
        {"arms_transfers"},
        {"weapon.kn23", "weapon.ballistic_missiles"},
        {"place.pyongyang", "place.kursk"},
    ),
    "ko": (
        "북한, 러시아에 포탄 수백만 발 지원",
        "북한이 러시아에 포탄을 대량으로 공급했다고 국가정보원이 밝혔다. 김정은 국무위원장은 지난해 평양에서 "
        "푸틴 대통령과 정상회담을 가졌다.",
        {"arms_transfers", "diplomacy_treaty"},
        {"weapon.artillery_shells", "person.kim_jong_un", "person.putin"},
        {"place.pyongyang"},
    ),
    "ja": (
        "北朝鮮、ロシアに兵士派遣",
        "北朝鮮はロシア西部のクルスク州に約1万人の兵士を派遣したと韓国の国家情報院が発表した。"
        "プーチン大統領と金正恩総書記は昨年、包括的戦略パートナーシップ条約に署名した。",
        {"troop_deployment", "diplomacy_treaty"},
        {"person.putin", "person.kim_jong_un"},
        {"place.kursk"},
    ),
    "zh": (
        "朝鲜向俄罗斯提供炮弹",
        "据报道，朝鲜已向俄罗斯运送数百万发炮弹，用于乌克兰战场。普京与金正恩去年在平壤签署了全面战略伙伴关系条约。",
        {"arms_transfers", "diplomacy_treaty"},
        {"weapon.artillery_shells", "person.putin", "person.kim_jong_un"},
        {"place.pyongyang"},
    ),
}

# Both states named, paragraphs apart, with nothing tying them together.
UNTIED = {
    "en": (
        "Markets and weather",
        "Russia's central bank raised its key rate on Friday.\n\n"
        "Separately, North Korea announced plans for this year's harvest.",
    ),
    "ru": (
        "Обзор новостей",
        "Центробанк России повысил ключевую ставку в пятницу.\n\n"
        "Тем временем КНДР объявила о планах по сбору урожая.",
    ),
    "uk": (
        "Огляд новин",
        "Центральний банк Росії підвищив облікову ставку в п'ятницю.\n\n"
        "Тим часом Північна Корея оголосила плани щодо збору врожаю.",
    ),
    "ko": (
        "오늘의 소식",
        "러시아 중앙은행이 금요일 기준금리를 인상했다.\n\n한편 북한은 올해 추수 계획을 발표했다.",
    ),
    "ja": (
        "今日のニュース",
        "ロシア中央銀行は金曜日に政策金利の引き上げを決定した。\n\n一方、北朝鮮は今年の収穫計画を発表した。",
    ),
    "zh": ("今日新闻", "俄罗斯央行周五宣布上调关键利率。\n\n另外，朝鲜公布了今年的秋收计划。"),
}


def test_themes_come_strongest_first_not_in_order_of_first_mention(processor: Processor):
    body = (
        "New sanctions on Russia and North Korea were announced in March. North Korean troops are fighting "
        "in Kursk alongside Russian soldiers. Thousands of North Korean soldiers were deployed to Russia in "
        "October. The troops took part in assaults, Ukrainian officials said."
    )
    article = make_article("https://news.example/en/t", "Russia and North Korea, a year on", body)
    [processed] = list(processor.process([article], StageReport("process")))
    assert processed.themes == ["troop_deployment", "sanctions"]


def test_the_theme_the_title_names_leads_unless_the_text_is_mostly_about_another(processor: Processor):
    body = (
        "North Korean troops are fighting alongside Russian soldiers, officials said. The sanctions "
        "have not stopped them."
    )
    article = make_article("https://news.example/en/s", "Sanctions fail to stop Russia and North Korea", body)
    [processed] = list(processor.process([article], StageReport("process")))
    assert processed.themes[0] == "sanctions"
    assert "troop_deployment" in processed.themes


@pytest.mark.parametrize("language", sorted(RELEVANT))
def test_cooperation_article_is_tagged_and_relevant_in_each_language(processor: Processor, language):
    title, body, themes, entities, places = RELEVANT[language]
    report = StageReport("process")
    [article] = list(
        processor.process([make_article(f"https://news.example/{language}/1", title, body)], report)
    )
    assert article.language == language
    assert article.relevant, (article.relevance, article.evidence)
    assert 0.5 <= article.relevance <= 1.0
    assert article.actors == ["russia", "dprk"]
    assert themes <= set(article.themes), article.themes
    assert entities <= set(article.entities), article.entities
    assert places <= set(article.places), article.places
    fields = {e.field for e in article.evidence}
    assert {"title", "body"} <= fields
    for evidence in article.evidence:
        text = getattr(article, evidence.field)
        assert text[evidence.start : evidence.end] == evidence.term
    assert article.processed_at is not None
    assert report.counts["relevant"] == 1 and report.counts[f"language_{language}"] == 1


@pytest.mark.parametrize("language", sorted(UNTIED))
def test_both_states_named_without_a_tie_is_not_relevant(processor: Processor, language):
    title, body = UNTIED[language]
    [article] = list(
        processor.process(
            [make_article(f"https://news.example/{language}/2", title, body)], StageReport("process")
        )
    )
    assert article.language == language
    assert set(article.actors) == {"russia", "dprk"}
    assert not article.relevant
    assert article.relevance < 0.5


def test_article_naming_one_side_only_is_not_relevant(processor: Processor):
    [article] = list(
        processor.process(
            [
                make_article(
                    "https://news.example/one", "Putin visits Kazan", "Putin met regional officials in Kazan."
                )
            ],
            StageReport("process"),
        )
    )
    assert article.actors == ["russia"] and not article.relevant


YONHAP = (
    "North Korea and Russia sign deal on Tumen River road bridge",
    "SEOUL, Nov. 20 (Yonhap) -- North Korea and Russia have signed an agreement to build a road bridge across "
    "the Tumen River, the North's state media reported Wednesday, in the latest sign of deepening ties between "
    "the two countries. The bridge will connect Rason with the Russian border town of Khasan and is expected "
    "to boost trade and tourism, the Korean Central News Agency said. Russian Prime Minister Mikhail Mishustin "
    "said the project would take about a year and a half to complete. The two countries signed a mutual "
    "defense treaty in June during Russian President Vladimir Putin's visit to Pyongyang.",
)


def _syndicated(body: str) -> str:
    """What a republishing outlet does: its own dateline, the same story, a line of its own at the end."""
    return body.replace("SEOUL, Nov. 20 (Yonhap) -- ", "") + "\nThis story was first published by Yonhap."


def test_syndicated_copy_joins_the_original_cluster_in_a_later_session(settings):
    original = make_article("https://en.yna.example/view/1", *YONHAP, published="2026-11-20T01:00:00")
    first = Processor.from_settings(settings)
    [processed_original] = list(first.process([original], StageReport("process")))
    first.close()

    copy = make_article(
        "https://times.example/world/bridge?utm_source=rss",
        "N. Korea, Russia agree to build road bridge over Tumen River",
        _syndicated(YONHAP[1]),
        published="2026-11-20T04:30:00",
        source_id="times",
    )
    second = Processor.from_settings(settings)
    report = StageReport("process")
    out = list(second.process([copy], report))
    second.close()

    assert len(out) == 1
    assert out[0].id == copy.id != original.id
    assert out[0].cluster_id == processed_original.cluster_id == original.id
    assert out[0].is_representative is False
    assert processed_original.is_representative is True
    assert report.counts["joined_clusters"] == 1 and report.counts["new_clusters"] == 0


def test_earlier_copy_arriving_late_becomes_representative_and_demotes_the_former(settings):
    late_original = make_article("https://en.yna.example/view/2", *YONHAP, published="2026-11-20T06:00:00")
    processor = Processor.from_settings(settings)
    [first] = list(processor.process([late_original], StageReport("process")))
    processor.close()

    earlier = make_article(
        "https://wire.example/bridge", YONHAP[0], _syndicated(YONHAP[1]), published="2026-11-20T00:15:00"
    )
    processor = Processor.from_settings(settings)
    report = StageReport("process")
    out = list(processor.process([earlier], report))
    processor.close()

    assert [a.id for a in out] == [earlier.id, late_original.id]
    assert out[0].is_representative is True and out[0].cluster_id == first.cluster_id
    demoted = out[1]
    assert demoted.is_representative is False and demoted.cluster_id == first.cluster_id
    assert (
        demoted.relevant == first.relevant and demoted.themes == first.themes
    )  # the processed record, re-issued
    assert report.counts["representatives_demoted"] == 1


def test_exact_copy_under_another_url_joins_the_cluster(processor: Processor):
    a = make_article("https://a.example/x", *YONHAP)
    b = make_article("https://b.example/y", *YONHAP, published="2026-11-21T00:00:00")
    report = StageReport("process")
    out = list(processor.process([a, b], report))
    assert out[1].cluster_id == out[0].cluster_id == a.id
    assert report.counts["new_clusters"] == 1 and report.counts["joined_clusters"] == 1


def test_different_stories_get_different_clusters(processor: Processor):
    ru_title, ru_body = RELEVANT["en"][:2]
    out = list(
        processor.process(
            [
                make_article("https://a.example/1", *YONHAP),
                make_article("https://a.example/2", ru_title, ru_body),
            ],
            StageReport("process"),
        )
    )
    assert out[0].cluster_id != out[1].cluster_id
    assert all(a.is_representative for a in out)


def test_article_updated_in_place_keeps_its_id_and_cluster(settings):
    url = "https://en.yna.example/view/3"
    processor = Processor.from_settings(settings)
    [before] = list(processor.process([make_article(url, *YONHAP)], StageReport("process")))
    processor.close()

    corrected = make_article(url, YONHAP[0] + " (updated)", YONHAP[1] + " Construction starts next month.")
    processor = Processor.from_settings(settings)
    report = StageReport("process")
    [after] = list(processor.process([corrected], report))
    processor.close()

    assert after.id == before.id and after.cluster_id == before.cluster_id
    assert after.is_representative is True
    assert after.content_hash != before.content_hash
    assert "Construction starts next month." in after.body
    assert report.counts["updated_in_place"] == 1 and report.counts["new_clusters"] == 0


def test_reprocessing_the_same_article_is_idempotent(settings):
    article = make_article("https://a.example/same", *YONHAP)
    processor = Processor.from_settings(settings)
    [first] = list(processor.process([article], StageReport("process")))
    report = StageReport("process")
    [second] = list(processor.process([article], report))
    processor.close()
    assert (second.id, second.cluster_id, second.is_representative) == (first.id, first.cluster_id, True)
    assert report.counts["unchanged"] == 1


def test_cleaning_removes_markup_entities_and_control_characters(processor: Processor):
    raw = make_article(
        "https://a.example/dirty",
        "  North&nbsp;Korea &amp; Russia\x07  ",
        "<p>Kim Jong&#8209;un met <b>Putin</b>.</p>\x00\n\nAdvertisement\n\nＦｕｌｌ text.",
    )
    [article] = list(processor.process([raw], StageReport("process")))
    assert article.title == "North Korea & Russia"
    assert "<" not in article.body and "\x00" not in article.body and "Advertisement" not in article.body
    assert "Full text." in article.body
    assert "person.kim_jong_un" in article.entities


def test_bad_input_gives_a_result_or_a_recorded_reason_for_every_document(processor: Processor):
    inputs = [
        make_article("https://bad.example/empty", "", ""),
        make_article("https://bad.example/script", "ᐊᓂᔭᖅᑐᖅ ᐃᓄᒃᑎᑐᑦ", "ᐊᓂᔭᖅᑐᖅ ᐃᓄᒃᑎᑐᑦ ᑐᑭᓯᔪᓐᓇᖅᑐᖅ ᐅᖃᐅᓯᖅ"),
        make_article("https://bad.example/huge", "Big page", "North Korea and Russia. " * 220_000),
        make_article("https://bad.example/control", "\x01\x02\x03", "\x00\x1b[31m\x7f\ufeff"),
        make_article(
            "https://bad.example/mixed",
            "Russia 북한 КНДР 朝鲜",
            "Russia and 북한 signed 条约 with КНДР; ロシア 軍事協力 mixed text.",
        ),
    ]
    report = StageReport("process")
    out = list(processor.process(inputs, report))
    assert [a.id for a in out] == [a.id for a in inputs]
    assert all(a.processed_at is not None for a in out)
    assert report.counts["failed"] == 0
    assert out[0].language == "und" and out[3].language == "und"
    assert len(out[2].body) <= 200_000
    reasons = {o.url: o.reason for o in report.outcomes}
    assert "no text" in reasons["https://bad.example/empty"]
    assert "truncated" in reasons["https://bad.example/huge"]
    assert set(out[4].actors) == {"russia", "dprk"}


def test_the_process_command_stores_each_new_representative_as_the_line_it_writes(settings):
    """Serialised once: the duplicate state keeps the very line written to the processed batch (story
    fields included), and an earlier copy arriving in a later run re-issues that article, demoted,
    with every other field as written."""
    from processing.duplicates import _unpacked
    from whirlpool.pipeline import run_process
    from whirlpool.stagestore import PROCESSED, RAW, StageStore

    store = StageStore(settings.data_dir)
    late_original = make_article("https://en.yna.example/view/3", *YONHAP, published="2026-11-20T06:00:00")
    store.write_batch(RAW, [late_original])
    assert not run_process(settings).errors
    [written] = [
        line
        for path in store.batches(PROCESSED)
        for line in gzip.decompress(path.read_bytes()).decode().splitlines()
    ]
    db = sqlite3.connect(Path(settings.state_dir) / "duplicates.sqlite3")
    [(blob,)] = db.execute("SELECT json FROM representatives").fetchall()
    db.close()
    assert _unpacked(blob) == written and '"story_id":"' in written

    earlier = make_article(
        "https://wire.example/bridge-3", YONHAP[0], _syndicated(YONHAP[1]), published="2026-11-20T00:15:00"
    )
    store.write_batch(RAW, [earlier])
    report = run_process(settings)
    lines = gzip.decompress(store.batches(PROCESSED)[-1].read_bytes()).decode().splitlines()
    new, demoted = (Article.from_json(line) for line in lines)
    assert report.counts["representatives_demoted"] == 1 and new.id == earlier.id
    first = Article.from_json(written)
    assert demoted.is_representative is False and first.is_representative is True
    assert demoted.story_id == new.story_id
    story = {
        "story_id",
        "story_first_source",
        "story_first_source_kind",
        "story_first_seen",
        "story_languages",
    }
    assert demoted.model_dump(exclude={"is_representative"} | story) == first.model_dump(
        exclude={"is_representative"} | story
    )


def test_the_step_collects_garbage_less_often_and_restores_the_collector_after(processor: Processor):
    import gc

    from processing.pipeline import GC_THRESHOLDS

    before = gc.get_threshold()
    seen = []
    articles = [make_article(f"https://a.example/gc/{n}", *YONHAP) for n in range(2)]
    for _ in processor.process(articles, StageReport("process")):
        seen.append((gc.get_threshold(), gc.get_freeze_count() > 0))
    assert seen == [(GC_THRESHOLDS, True)] * 2
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0

    gc.freeze()  # frozen by someone else: stays frozen
    try:
        frozen = gc.get_freeze_count()
        list(processor.process(articles[:1], StageReport("process")))
        # neither thawed nor frozen again (frozen objects that die leave the count, so it may drop)
        assert 0 < gc.get_freeze_count() <= frozen and gc.get_threshold() == before
    finally:
        gc.unfreeze()
