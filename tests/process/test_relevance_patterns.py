"""Relevance on real headlines of each pattern the analysts care about, with the evidence behind
each decision (issue 11): headline abbreviations and Korean compounds, title-only meetings,
trilateral framing, digests naming both states apart, and words that only look like an
abbreviation (달러, 여러, 그러나, 北京)."""

from __future__ import annotations

import pytest

from processing.cleaning import clean_title
from processing.pipeline import analyse_texts
from whirlpool.settings import ProcessSettings


@pytest.fixture(scope="module")
def analyse(taxonomy):
    settings = ProcessSettings()

    def run(title: str, summary: str = ""):
        return analyse_texts(taxonomy, settings, clean_title(title), summary, "")

    return run


def evidence(analysis) -> set[tuple[str, str]]:
    return {(e.concept, e.term) for e in analysis.tags.evidence(analysis.texts)}


@pytest.mark.parametrize(
    "title, expected",
    [
        ("北최선희, 푸틴과 만나", {("actor.dprk", "北"), ("person.putin", "푸틴")}),
        (
            '[속보] "러 하원의장, 평양서 김정은 만나"<타스>',
            {("actor.russia", "러"), ("person.kim_jong_un", "김정은")},
        ),
        ('주북한 러시아대사 "북러 협력 계속 확대"', {("actor.dprk", "북한"), ("actor.russia", "러시아")}),
        (
            "통합러시아당 의장, 김정은에 축전",
            {("org.united_russia", "통합러시아당"), ("theme.diplomacy_treaty", "축전")},
        ),
        (
            '[속보] 김정은 "북러단결의 힘 무궁…세계평화 위한 투쟁의 한 전호에"',
            {("actor.russia", "북러"), ("actor.dprk", "북러")},
        ),
        ("北·러 정상회담 9개월만에 다시", {("actor.dprk", "北"), ("actor.russia", "러")}),
    ],
)
def test_korean_abbreviations_and_compounds_name_the_sides(analyse, title, expected):
    result = analyse(title)
    assert result.relevant, result.relevance.reasons
    assert expected <= evidence(result)
    assert result.language == "ko"


@pytest.mark.parametrize(
    "title",
    [
        "Russia's top security official arrives in Pyongyang, scheduled to meet with Kim Jong Un",
        '푸틴, 北최선희에 "북러관계 계획대로 발전…"',
        "Путин подарил Ким Чен Ыну автомобиль Aurus",
    ],
)
def test_a_title_only_meeting_or_message_between_the_two_is_relevant(analyse, title):
    result = analyse(title)
    assert result.relevant
    assert "the title is the whole item" in result.relevance.reasons
    assert result.themes[0] == "diplomacy_treaty"


def test_trilateral_framing_with_the_tie_shown_is_relevant_and_says_so(analyse):
    result = analyse("北노동신문, '북중러 정상 한자리' 대서특필")
    assert result.relevant
    assert "China named beside both sides" in result.relevance.reasons
    assert ("actor.china", "북중러") in evidence(result)


def test_a_digest_naming_each_state_in_a_separate_story_is_not_relevant(analyse):
    result = analyse("[아침신문 1면] 北 미사일 발사 / 러시아, 우크라이나 공습")
    assert not result.relevant
    assert "both sides in the title" not in result.relevance.reasons
    assert {"actor.dprk", "actor.russia"} <= {concept for concept, _ in evidence(result)}


@pytest.mark.parametrize(
    "title",
    [
        "여러 나라 달러 강세…그러나 북한은 침묵",
        "北京서 한중 외교장관 회담…북한 문제 논의",
        "러브콜 보낸 北, 미국에 대화 제의",
    ],
)
def test_words_that_only_look_like_an_abbreviation_never_name_russia(analyse, title):
    result = analyse(title)
    assert "actor.russia" not in {concept for concept, _ in evidence(result)}
    assert not result.relevant


def test_traditional_chinese_is_chinese_and_its_spellings_name_both_sides(analyse):
    result = analyse("北韓向俄羅斯派遣工人")
    assert result.language == "zh"
    assert result.relevant
    assert {("actor.dprk", "北韓"), ("actor.russia", "俄羅斯")} <= evidence(result)


def test_a_french_item_is_scored_on_the_names_it_contains(analyse):
    result = analyse(
        "Vladimir Poutine et Kim Jong-un s'engagent à « renforcer » leur coopération",
        "Le président russe et le dirigeant nord-coréen ont signé un traité à Pyongyang.",
    )
    assert result.language == "fr"
    assert result.relevant
    assert ("person.putin", "Poutine") in evidence(result)


@pytest.mark.parametrize(
    "title",
    [
        "Генасамблея ООН ухвалила українську резолюцію; проти проголосували США, рф, КНДР та Білорусь",
        "트럼프 '골든돔' 구축 공식 발표…\"中·러·北 미사일 위협 대응\"",
    ],
)
def test_a_third_states_view_of_both_sides_in_a_list_of_states_is_not_a_tie(analyse, title):
    result = analyse(title)
    assert not result.relevant, (result.relevance.score, result.relevance.reasons)
    assert "the title names a third state or body (its view of both is often the story)" in result.relevance.reasons
    assert "the title lists several other states beside both sides" in result.relevance.reasons


@pytest.mark.parametrize(
    "title",
    [
        '美 국무부 "北, 러시아에 병력 추가 파병…우크라이나 전선 투입"',
        "US says North Korea has shipped millions of artillery shells to Russia",
    ],
)
def test_a_third_state_reporting_a_tie_between_the_sides_still_counts(analyse, title):
    result = analyse(title)
    assert result.relevant, (result.relevance.score, result.relevance.reasons)


@pytest.mark.parametrize("title", ["", "北·러", "러"])
def test_empty_or_abbreviation_only_headlines_get_a_score_and_reasons(analyse, title):
    result = analyse(title)
    assert 0.0 <= result.relevance.score <= 1.0
    assert result.relevance.reasons


def test_a_five_megabyte_body_is_scored_without_error(analyse, taxonomy):
    body = ("North Korea shipped artillery shells to Russia, officials said. " * 80_000)[:5_000_000]
    result = analyse_texts(taxonomy, ProcessSettings(), "North Korean shells for Russia", "", body)
    assert result.relevant
    assert "arms_transfers" in result.themes


@pytest.mark.parametrize(
    "text, language",
    [
        ("Severní Korea poslala do Ruska vojáky a na frontě už bojují po boku ruské armády.", "cs"),
        ("Korea Północna wysłała do Rosji żołnierzy, którzy walczą na froncie obok rosyjskiej armii.", "pl"),
        (
            "Kuzey Kore, Rusya'ya asker gönderdi ve bu askerler cephede Rus ordusuyla birlikte savaşıyor.",
            "tr",
        ),
    ],
)
def test_latin_languages_beyond_the_six_are_not_read_by_portuguese_function_words(text, language):
    from processing.language import detect_language

    assert detect_language(text) == language


def test_sentences_end_where_the_pattern_says_and_no_earlier():
    from processing.relevance import _SENTENCE_END

    def ends(text):
        return [m.end() for m in _SENTENCE_END.finditer(text)]

    assert ends("Putin met Kim. They signed 7.6 deals.") == [14, 37]  # a decimal point ends nothing
    assert ends("KN-23/Hwasong-11 used") == []  # a slash between Latin letters
    assert ends("北 미사일 발사 / 러시아 공습") == [10]  # a digest's spaced slash
    assert ends("キム総書記が出席/ロシア軍の攻撃") == [9]  # a slash between non-Latin letters
    assert ends("첫 줄\n둘째 줄。셋째") == [4, 9]
