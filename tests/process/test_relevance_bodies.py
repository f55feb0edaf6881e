"""Relevance of full pages (issue 11): where the title and the lead paragraph name one side and the
other side turns up only further down the body (a related article's teaser, a "read also" block, a
clause of background), that tie is not the story's; a tie in the lead paragraph still is."""

from __future__ import annotations

import pytest

from processing.pipeline import analyse_texts
from processing.relevance_model import load_model
from whirlpool.settings import ProcessSettings
from whirlpool.taxonomy import THEME_CODES


@pytest.fixture(scope="module")
def page(taxonomy):
    """Language, tags, relevance (the learned scorer) and themes of a title and a body."""
    learned = ProcessSettings(relevance_model="learned")
    model = load_model()

    def run(title: str, body: str):
        return analyse_texts(taxonomy, learned, title, "", body, model)

    return run


HOSPITAL = (
    "(서울=연합뉴스) 이은정 기자 = 북한 김정은 국무위원장이 평안북도 구성시 병원 건설 현장을 찾아 지방 병원 "
    "건설의 필요성과 보건 역량 강화를 강조했다고 조선중앙통신이 24일 보도했다.\n\n"
    '김 위원장은 "지방 인민들에게 선진적인 의료봉사를 제공하는 것은 사회주의 보건의 최급선무"라며 공사를 '
    "질적으로 다그칠 것을 지시했다.\n\n"
    "[관련 기사] 블라디미르 푸틴 러시아 대통령과 김정은 북한 국무위원장이 3일 베이징에서 만나 서로를 향한 "
    "강력한 지지를 약속하며 군사적 밀착을 한층 강화했다. 두 정상은 2시간 30분이 넘게 이야기를 나누며 양국 간 "
    "'혈맹'을 재확인했다."
)
MISSILE = (
    "North Korea test-fired a new type of anti-aircraft missile with leader Kim Jong Un watching, state media "
    "KCNA said on Saturday, days after the start of joint US-South Korean drills.\n"
    "Kim said the weapon system showed superior combat capability and ordered its serial production.\n"
    "Read also: Putin and Kim sign a strategic partnership treaty in Pyongyang, pledging mutual military aid "
    "in case of an attack.\n"
    "Russia and North Korea have deepened their military cooperation since the treaty."
)


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ('김정은, 지방병원 건설현장 점검..."사회주의 보건의 최급선무"', HOSPITAL),
        ("North Korea tests new anti-aircraft missile, Kim Jong Un watches", MISSILE),
    ],
)
def test_a_tie_only_in_another_storys_paragraph_does_not_make_a_page_relevant(page, title, body):
    analysis = page(title, body)
    assert not analysis.relevant, analysis.relevance.reasons
    assert any("lead paragraph" in reason for reason in analysis.relevance.reasons)


def test_a_tie_in_the_lead_paragraph_keeps_the_whole_body(page):
    analysis = page(
        '[영상] 우크라, 시베리아 횡단철도 폭파 배후 자처..."북한산 무기 차단"',
        "(서울=연합뉴스) 우크라이나가 러시아와 북한 간 군수 보급망을 차단하기 위해 러시아 동부 지역 철도를 "
        "공격했다고 주장했습니다.\n\n우크라이나 정보총국은 열차가 북한산 포탄과 미사일을 실어 나르고 있었다고 "
        "밝혔습니다.",
    )
    assert analysis.relevant, analysis.relevance.reasons
    assert not any("lead paragraph" in reason for reason in analysis.relevance.reasons)


def test_dprk_prisoners_of_war_stay_relevant_with_russia_named_only_later(page):
    analysis = page(
        "인권위, '우크라 북한 포로 송환 촉구' 권고 추진",
        "(서울=연합뉴스) 조현영 기자 = 국가인권위원회가 정부에 우크라이나에 억류된 북한군 포로들의 적극적인 "
        "송환을 촉구하는 방안을 검토하기로 했다.\n\n이들은 러시아 쿠르스크 전선에서 생포됐다.",
    )
    assert analysis.relevant, analysis.relevance.reasons


@pytest.mark.parametrize(
    "text",
    [
        "КНДР осудила убийство лидера «Хезболлы» Хасана Насраллы",  # a first name
        '헤즈볼라 수장 하산 나스랄라 사망에 북한 "테러 행위" 비난',
        "北朝鮮、ヒズボラのハサン・ナスララ師殺害を非難",
        "朝鲜谴责以色列杀害真主党领导人哈桑·纳斯鲁拉",
        '김정은, 백두산 정상 오른 뒤 하산…"혁명 전통 계승"',  # 下山, coming down a mountain
    ],
)
def test_a_bare_khasan_is_not_the_crossing_without_its_context(taxonomy, text):
    from processing.tagging import tag_fields

    tags = tag_fields(taxonomy, {"title": text, "summary": "", "body": ""})
    assert "place.khasan" not in tags.concept_ids(("place",))
    assert tags.sides() == ["dprk"]


@pytest.mark.parametrize(
    "text",
    [
        "러시아 하산과 북한 두만강역을 잇는 철교 개보수",  # beside the crossing's other end
        "Первый туристический поезд прибыл на станцию Хасан",
        "하산역에서 나진항까지 화물열차 운행 재개",
        "哈桑口岸恢复客运",
    ],
)
def test_the_khasan_crossing_is_still_named_in_its_context(taxonomy, text):
    from processing.tagging import tag_fields

    tags = tag_fields(taxonomy, {"title": text, "summary": "", "body": ""})
    assert "place.khasan" in tags.concept_ids(("place",))


def test_confirmed_by_must_name_a_concept_of_the_taxonomy(tmp_path):
    from whirlpool.taxonomy import load_taxonomy
    from whirlpool.yamlconfig import ConfigError

    path = tmp_path / "taxonomy.yaml"
    themes = "".join(
        f"  - id: theme.{code}\n    kind: theme\n    aliases: [{code}]\n" for code in THEME_CODES
    )
    path.write_text(
        "concepts:\n"
        + themes
        + "  - id: place.x\n    kind: place\n    aliases: [Xton]\n    weak_aliases: [X]\n"
        "    confirmed_by: [place.nowhere]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="place.nowhere"):
        load_taxonomy(path)
