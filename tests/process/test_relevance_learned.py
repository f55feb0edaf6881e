"""The learned relevance scorer (issue 11, item 3): named features plus the evidence tokens (and, when
fitted with them, the character n-grams of the title and lead), fitted on the tuning part; the
features added for the patterns the labels show."""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import CountVectorizer

from processing.relevance import LinearModel, evidence_tokens, word_char_ngrams
from processing.relevance_evaluation import LABELLED_DIR, load_labelled
from processing.relevance_model import MODEL_PATH, fit, load_model
from whirlpool.settings import ProcessSettings

HEADLINES = [
    "北최선희, 푸틴과 만나",
    "Russia's top security official arrives in Pyongyang,  scheduled to meet with Kim Jong Un",
    '中国・ロシア・北朝鮮の"結束"',
    "Шойгу   прибыл в Пхеньян\tдля переговоров",
    "a",
    "",
]


@pytest.mark.parametrize("text", HEADLINES)
def test_wording_ngrams_are_those_scikit_learn_fitted_on(text):
    analyser = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4)).build_analyzer()
    assert word_char_ngrams(text) == set(analyser(text))


def test_the_shipped_model_is_the_default_and_weighs_the_evidence_not_the_wording():
    assert ProcessSettings().relevance_model == "learned"
    model = load_model(MODEL_PATH)
    assert model.evidence and model.version.startswith("tuning-")
    assert not model.ngrams  # n-grams learned each event's words (docs/processing.md)
    assert model.wording({"title": "北최선희, 푸틴과 만나"}) == 0.0


def test_a_model_fitted_with_ngrams_reads_the_wording():
    model = LinearModel(weights={}, bias=0.0, ngrams={" 北": 0.5, "푸틴": 0.25})
    assert model.wording({"title": "北최선희, 푸틴과 만나"}) == 0.75
    assert model.wording({"title": "", "summary": ""}) == 0.0


def test_a_learned_decision_keeps_its_reasons_and_the_evidences_share(analyse):
    result = analyse("푸틴, 평양서 김정은과 정상회담…포괄적 전략동반자 조약 서명")
    assert result.relevant
    assert "both sides in the title" in result.relevance.reasons
    assert any(reason.startswith("what was found where") for reason in result.relevance.reasons)


def test_one_side_named_keeps_the_hand_rule_under_the_learned_model(analyse):
    # DPRK prisoners of war held by Ukraine: Russia's war, though the text never names Russia
    result = analyse(
        "Ukraine's SBU questions two North Korean prisoners of war",
        "The wounded soldiers were taken to Kyiv, Zelensky said.",
    )
    assert "dprk_troops_war" in result.relevance.features
    assert result.relevance.score == 0.55 and result.relevant


def test_dprk_weapons_in_the_war_are_a_feature_of_a_title_without_russia(analyse):
    result = analyse(
        "North Korean ballistic missile hit Kyiv overnight, Ukraine's air force says",
        "Russia fired the KN-23 missile supplied by North Korea at the Ukrainian capital, officials said.",
    )
    assert "dprk_weapons_war" in result.relevance.features
    assert "arms_transfers" in result.themes
    both = analyse("Russia fires North Korean missiles at Kyiv")
    assert "dprk_weapons_war" not in both.relevance.features  # the title names Russia: both_title says it


def test_the_sides_in_separate_clauses_of_a_title_are_a_feature(analyse):
    apart = analyse("ロシア軍がキーウに攻撃、北朝鮮は日本海へ弾道ミサイル")
    assert "title_sides_apart" in apart.relevance.features
    together = analyse("Putin meets Kim Jong Un in Pyongyang")
    assert "title_sides_apart" not in together.relevance.features


def test_fitting_is_deterministic_and_puts_the_decision_point_at_one_half():
    items = [item for item in load_labelled(LABELLED_DIR / "tuning.jsonl") if item.origin == "written"][:120]
    first, second = fit(items), fit(items)
    assert first == second
    assert first["evidence"] and set(first["weights"]) == set(first["features"])
    assert 0.0 < first["decision_point"] < 1.0
    model = LinearModel(
        weights=first["weights"],
        bias=first["bias"],
        hand_share=first["hand_share"],
        decision_point=first["decision_point"],
    )
    features = {"both_named": 1.0, "both_title": 1.0, "both_title_tie": 1.0}
    at = model.blended(features)
    assert (model.score(features) >= 0.5) == (at >= first["decision_point"])


def test_a_diplomacy_word_beside_a_specific_theme_is_the_frame_not_a_theme(analyse):
    result = analyse(
        "North Korea to send 3,000 more soldiers to Russia, Seoul says",
        "After talks in Moscow, Russia and North Korea agreed on the deployment of 3,000 more soldiers.",
    )
    assert result.relevant
    assert result.themes == ["troop_deployment"]


def test_sanctions_on_north_korea_in_chinese_are_not_north_korean_made_arms(analyse):
    result = analyse(
        "俄罗斯否决延长联合国对朝鲜制裁专家小组任期",
        "俄罗斯在安理会投票中否决了延长朝鲜制裁专家小组任期的决议草案。",
    )
    assert result.themes[0] == "sanctions"
    assert "arms_transfers" not in result.themes
    assert not any(e.term == "朝鲜制" for e in result.tags.evidence(result.texts))


def test_russian_and_ukrainian_air_defence_means_are_arms(analyse):
    for title in ("Сеул: Москва передала Пхеньяну средства ПВО", "Сеул: москва передала Пхеньяну засоби ППО"):
        assert "arms_transfers" in analyse(title).themes, title


def test_nhk_names_for_kim_jong_un_name_the_dprk(analyse):
    result = analyse("キム総書記 ロシアのショイグ安全保障会議書記と会談")
    assert result.relevant, result.relevance.reasons
    assert ("person.kim_jong_un", "キム総書記") in {
        (e.concept, e.term) for e in result.tags.evidence(result.texts)
    }


def test_a_title_naming_neither_side_is_scored_on_its_features_and_evidence(analyse):
    result = analyse(
        "Constitutional court removes the president from office",
        "He condemned Russia's use of North Korean troops and weapons in the war.",
    )
    assert "title_no_side" in result.relevance.features
    assert not any(reason.startswith("wording") for reason in result.relevance.reasons)
    model = load_model()
    share = sum(w for _, w in model.found(evidence_tokens(result.texts, result.tags.strong())))
    assert result.relevance.score == round(model.score(result.relevance.features, share), 3)
