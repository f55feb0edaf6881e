"""Relevance precision (issue 11): digests and separate clauses that name the two states apart, the
evidence tokens the learned model weighs (the same in every language), and the third round of
written items."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from processing.cleaning import clean_title
from processing.relevance import FEATURES, evidence_tokens
from processing.relevance_evaluation import LABELLED_DIR

ASSEMBLE = LABELLED_DIR / "assemble.py"


@pytest.mark.parametrize(
    "title",
    [
        # NHK's roundup: stories separated by a bare slash between Japanese words
        "きょうの主なニュース 補正予算成立へ/北朝鮮が弾道ミサイル/ロシア・ウクライナ協議",
        # Spiegel's morning briefing: a heading, then stories separated by commas
        "Die Lage am Morgen: Geiseln frei, Rentenstreit, Nordkoreas Parade, Russlands Angriffe",
    ],
)
def test_a_digest_naming_the_two_in_separate_stories_is_not_relevant(analyse, title):
    result = analyse(title)
    assert "digest" in result.relevance.features and "both_title" not in result.relevance.features
    assert not result.relevant, result.relevance.reasons


@pytest.mark.parametrize(
    "title",
    [
        "U17女子W杯 北朝鮮が連覇 ロシアは引き続き出場停止",  # clauses separated by a space in Japanese
        "特朗普称愿同金正恩会面 又称对普京“很失望”",  # and in Chinese
    ],
)
def test_a_space_between_cjk_clauses_separates_the_sides(analyse, title):
    result = analyse(title)
    assert "title_sides_apart" in result.relevance.features, result.relevance.features
    assert not result.relevant, result.relevance.reasons


@pytest.mark.parametrize(
    "title",
    [
        "プーチン氏、金正恩氏に高級車「アウルス」を再び贈呈 自ら運転も",
        '푸틴, 北최선희에 "북러관계 계획대로 발전…"',
        "北최선희, 푸틴과 만나",
    ],
)
def test_a_name_before_the_comma_is_the_topic_of_the_clause_that_follows(analyse, title):
    result = analyse(title)
    assert "title_sides_apart" not in result.relevance.features
    assert result.relevant, result.relevance.reasons


def test_evidence_tokens_are_the_same_for_one_story_in_any_language(taxonomy):
    def tokens(title: str, summary: str) -> set[str]:
        texts = {"title": clean_title(title), "summary": summary, "body": ""}
        from processing.tagging import tag_fields

        return evidence_tokens(texts, tag_fields(taxonomy, texts).strong())

    english = tokens(
        "Shoigu meets Kim Jong Un in Pyongyang",
        "The Russian envoy delivered Putin's message. Washington called the visit a concern.",
    )
    korean = tokens(
        "쇼이구, 평양서 김정은과 회담",
        "러시아 특사는 푸틴의 메시지를 전달했다. 미국은 방문에 우려를 표했다.",
    )
    assert {"title:person.shoigu", "title:person.kim_jong_un", "title:theme.diplomacy_treaty"} <= english
    assert {"lead:person.putin", "text:actor.united_states"} <= english
    assert english & {t for t in english if t.startswith("title:")} == {
        t for t in korean if t.startswith("title:")
    }
    assert "text:actor.united_states" in korean


def test_a_learned_decision_names_the_evidence_it_weighed(analyse):
    result = analyse(
        "Kim Jong Un lays foundation of memorial to soldiers killed in Russia's Kursk region",
        "North Korea will build a museum honouring the troops who fought for Russia.",
    )
    assert result.relevant
    assert any(r.startswith("what was found where") for r in result.relevance.reasons), (
        result.relevance.reasons
    )
    # an ensemble with the hand weights, whose share is said too
    assert any(r.startswith("hand weights ") and "share" in r for r in result.relevance.reasons)


def test_written_items_are_appended_to_the_part_their_group_falls_in(tmp_path: Path):
    sys.path.insert(0, str(LABELLED_DIR))
    try:
        import assemble
    finally:
        sys.path.remove(str(LABELLED_DIR))
    for name in ("tuning", "heldout"):
        (tmp_path / f"{name}.jsonl").write_text("", encoding="utf-8")
    written = tmp_path / "w.jsonl"
    events = [f"event-{n}" for n in range(20)]
    rows = [
        {
            "id": f"w9-en-{n:03d}",
            "event": event,
            "language": "en",
            "title": "t",
            "relevant": False,
            "themes": [],
            "confidence": "high",
            "note": "",
        }
        for n, event in enumerate(events)
    ]
    written.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    for _ in range(2):  # the second run adds nothing: the ids are there
        subprocess.run(
            [sys.executable, str(ASSEMBLE), "--append", str(written), "--out", str(tmp_path)], check=True
        )
    parts = {
        name: [json.loads(line) for line in (tmp_path / f"{name}.jsonl").open(encoding="utf-8")]
        for name in ("tuning", "heldout")
    }
    assert len(parts["tuning"]) + len(parts["heldout"]) == len(events)
    for name, part in parts.items():
        for row in part:
            assert assemble.is_heldout(row["group"]) == (name == "heldout")
            assert row["group"].startswith("written:") and row["origin"] == "written"


@pytest.mark.parametrize(
    ("title", "summary", "concept"),
    [
        (
            "Pyongyang va envoyer 6 000 démineurs et ouvriers militaires dans la région de Koursk",
            "L'annonce a été faite à Pyongyang par le secrétaire du Conseil de sécurité russe.",
            "place.kursk",
        ),
        (
            "Duma-Chef Wolodin trifft in Pjöngjang Kim Jong Un",
            "Es ist der ranghöchste Besuch eines russischen Parlamentariers seit Jahren.",
            "person.volodin",
        ),
    ],
)
def test_french_and_german_spellings_of_names_are_evidence(analyse, title, summary, concept):
    analysis = analyse(title, summary)
    assert concept in {m.concept.id for ms in analysis.tags.strong().values() for m in ms}
    assert analysis.relevant, analysis.relevance.reasons


@pytest.mark.parametrize(
    "title",
    [
        # Japanese: Kharkiv prosecutors analysed the debris (Russia unnamed)
        "ハルキウ攻撃に北朝鮮製ミサイル ウクライナ検察が残骸分析",
        # Ukrainian: Zelensky on the strike on Kyiv
        "Зеленський: за попередніми даними, по Києву вдарили північнокорейською балістичною ракетою",
    ],
)
def test_a_north_korean_weapon_in_a_strike_on_ukraine_is_relevant_without_russia_named(analyse, title):
    result = analyse(title)
    assert result.relevance.features.get("dprk_weapons_war") == 1.0
    assert "both_named" not in result.relevance.features
    assert result.relevant, result.relevance.reasons
    assert "DPRK weapons used in Russia's war (a strike on Ukraine)" in result.relevance.reasons
    assert result.themes[0] == "arms_transfers"


def test_a_north_korean_test_launch_beside_a_ukraine_clause_is_not_a_strike(analyse):
    result = analyse("North Korea fires ballistic missile into the sea as Ukraine peace talks stall")
    assert "dprk_weapons_war" not in result.relevance.features
    assert not result.relevant, result.relevance.reasons


# round w6: an inter-Korean story whose lead names the DPRK's ties with Russia as its background

SOUTH_KOREA_REASON = "the title names South Korea, not both sides (its own story)"


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        (
            "北朝鮮 韓国の軍事会談提案に応じず",
            "北朝鮮はロシアとの軍事協力を優先し、韓国との対話を拒んでいる。",
        ),
        (
            "Séoul propose des pourparlers militaires, Pyongyang ne répond pas",
            "La Corée du Nord, qui renforce sa coopération militaire avec la Russie, ignore les offres du Sud.",
        ),
        pytest.param(
            "韩国提议举行军事会谈 朝鲜未予理睬",
            "朝鲜近来强调朝俄军事合作，称韩国为敌对国家。",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known miss since rounds w6/w7: the lead's pair term 朝俄 lifts it to 0.54; the tuning "
                "part's South Korea titles with a tying lead (2) name Seoul as the source, both relevant",
            ),
        ),
    ],
)
def test_an_inter_korean_story_with_russia_in_the_background_is_not_relevant(analyse, title, summary):
    # the lead ties the DPRK to Russia, but the story is Seoul's offer and the North's silence
    analysis = analyse(title, summary)
    assert {"both_named", "lead_tie", "title_south_korea"} <= set(analysis.relevance.features)
    assert SOUTH_KOREA_REASON in analysis.relevance.reasons
    assert not analysis.relevant, analysis.relevance.reasons


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        (
            "Seoul: North Korea sent 3,000 more troops to Russia",
            "The spy agency said they were deployed to Kursk.",
        ),
        ("Südkorea: Nordkorea bekam russische Hilfe beim Satellitenstart", ""),
    ],
)
def test_seoul_as_the_source_of_a_russia_dprk_story_keeps_it_relevant(analyse, title, summary):
    # the title names both sides: South Korea is only who says so
    analysis = analyse(title, summary)
    assert "title_south_korea" not in analysis.relevance.features
    assert analysis.relevant, analysis.relevance.reasons


@pytest.mark.parametrize(
    "title",
    [
        "World briefs: North Korea test-fires cruise missiles; Russian drones strike Odesa; Japan's PM calls snap election",
        "國際要聞：北韓試射巡弋飛彈；俄軍無人機空襲敖德薩；台股創新高",  # Traditional Chinese
        "[이 시각 헤드라인] 北, 동해상 탄도미사일 발사 / 러, 우크라 에너지시설 공습 / 코스피 2,600 회복",
    ],
)
def test_roundup_headings_in_other_words_and_scripts_mark_a_digest(analyse, title):
    result = analyse(title)
    assert "digest" in result.relevance.features, result.relevance.features
    assert "a roundup of separate stories" in result.relevance.reasons
    assert not result.relevant, result.relevance.reasons


def test_a_roundup_heading_keeps_a_story_that_ties_both_relevant(analyse):
    result = analyse("World briefs: Shoigu meets Kim Jong Un in Pyongyang; floods in Spain")
    assert "both_title" in result.relevance.features and "digest" not in result.relevance.features
    assert result.relevant, result.relevance.reasons


@pytest.mark.parametrize(
    "title",
    [
        "世界盃資格賽：北韓晉級 俄羅斯仍遭禁賽",  # Traditional Chinese "World Cup"
        "Paralympics: North Korean swimmer takes part for the first time, Russians compete as neutrals",
    ],
)
def test_sports_words_in_other_scripts_mark_a_results_item(analyse, title):
    result = analyse(title)
    assert "sports_title" in result.relevance.features, result.relevance.features
    assert "a sports item (teams of each side, separate facts)" in result.relevance.reasons
    assert not result.relevant, result.relevance.reasons


def test_a_korean_ellipsis_separates_clauses_once_the_title_is_cleaned(analyse):
    # cleaning spells "…" out as "...": the Korean headline's clause break must survive it
    result = analyse("아시안게임 北 여자축구 금메달…러시아는 출전 금지")
    assert "title_sides_apart" in result.relevance.features, result.relevance.features
    assert "the title names the sides in separate clauses" in result.relevance.reasons
    assert not result.relevant, result.relevance.reasons


def test_a_french_ellipsis_inside_a_clause_does_not_separate_it(analyse):
    result = analyse("Pyongyang ouvre ses portes… aux seuls touristes russes")
    assert "title_sides_apart" not in result.relevance.features
    assert result.relevant, result.relevance.reasons


@pytest.mark.parametrize(
    "title",
    [
        "Le G7 promet de durcir les sanctions contre la Russie et condamne les tirs nord-coréens",
        "G7-Gipfel verschärft Sanktionen gegen Russland und verurteilt Nordkoreas Raketentests",
        "Трамп: с Путиным и Ким Чен Ыном у меня прекрасные отношения",
    ],
)
def test_a_third_state_acting_on_each_side_is_its_own_story(analyse, title):
    result = analyse(title)
    assert "title_third_party_first" in result.relevance.features, result.relevance.features
    assert FEATURES["title_third_party_first"][1] in result.relevance.reasons
    assert not result.relevant, result.relevance.reasons


@pytest.mark.parametrize(
    "title",
    [
        "US, Japan and South Korea condemn North Korea's arms transfers to Russia",
        "Japan says North Korea supplied Russia with missiles and shells",
    ],
)
def test_a_third_state_reporting_the_tie_between_the_sides_stays_relevant(analyse, title):
    result = analyse(title)
    assert "title_third_party_first" in result.relevance.features
    assert result.relevant, result.relevance.reasons
