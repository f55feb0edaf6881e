"""Themes as the labelling guide defines them (``../shared/data/relevance/README.md``), on headlines and
leads in the style of Yonhap, KCNA-based wires, Reuters, AFP and the German press, after reported events
(the treaty's ratification and entry into force in November and December 2024, the oil shipments from
Russia's Far East seen on satellite pictures in 2024, Belousov in Pyongyang in November 2024)."""

from __future__ import annotations

import pytest

from processing.pipeline import Processor
from tests.process.conftest import relevant_themes as themes


@pytest.mark.parametrize(
    ("title", "lead", "theme"),
    [
        (
            "北 유조선, 러 극동항 40여 차례 입항…\"석유 100만 배럴 반입\"",
            "영국 연구기관이 위성사진을 분석한 결과 북한 유조선이 러시아 항구에서 석유를 실어 날랐다.",
            "economy_trade",
        ),
        (
            "North Korean tankers made dozens of trips to a Russian port, satellite images show",
            "More than a million barrels of oil have been shipped to North Korea from Russia since March.",
            "economy_trade",
        ),
        (
            "Satellitenbilder: Nordkorea erhielt über eine Million Barrel Öl aus Russland",
            "Nordkoreanische Tanker legten seit März mehr als vierzig Mal in einem russischen Hafen an.",
            "economy_trade",
        ),
    ],
)
def test_a_satellite_picture_is_how_a_story_was_seen_not_strategic_technology(
    rule_processor: Processor, title, lead, theme
):
    found = themes(rule_processor, title, lead)
    assert found[0] == theme, found
    assert "strategic_tech" not in found, found


def test_a_spy_satellite_russia_helped_launch_is_still_strategic_technology(rule_processor: Processor):
    found = themes(
        rule_processor,
        "국정원 \"러, 北 정찰위성 발사에 기술 지원 정황\"",
        "국정원은 북한이 러시아의 도움을 받아 군사정찰위성을 궤도에 올린 것으로 본다고 밝혔다.",
    )
    assert found[0] == "strategic_tech", found


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        (
            "Kim Jong Un ratifies mutual defence pact with Russia",
            "The decree follows Vladimir Putin's signing of the ratification law last week, KCNA said.",
        ),
        (
            "Nordkorea ratifiziert Beistandspakt mit Russland",
            "Staatschef Kim Jong Un unterzeichnete laut KCNA ein entsprechendes Dekret.",
        ),
        (
            "Kim Jong-un ratifie à son tour le traité d'assistance mutuelle avec la Russie",
            "Le décret a été publié mardi par l'agence officielle KCNA.",
        ),
    ],
)
def test_the_treaty_named_by_its_mutual_defence_clause_is_the_treaty(rule_processor: Processor, title, lead):
    # the guide puts "the 2024 treaty" under diplomacy_treaty; the labels call a treaty named by its
    # clause ("defence pact", Beistandspakt) diplomacy alone
    assert themes(rule_processor, title, lead) == ["diplomacy_treaty"]


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        (
            "Beistandspakt zwischen Moskau und Pjöngjang in Kraft getreten",
            "Der Vertrag verpflichtet beide zu sofortiger militärischer Hilfe, falls einer angegriffen wird.",
        ),
        (
            "북러 조약 발효…'유사시 자동 군사개입' 현실화",
            "러시아와 북한이 모스크바에서 비준서를 교환하면서 조약이 4일부터 효력을 갖게 됐다.",
        ),
    ],
)
def test_what_the_clause_does_is_military_cooperation_after_the_treaty(rule_processor: Processor, title, lead):
    found = themes(rule_processor, title, lead)
    assert found[0] == "diplomacy_treaty", found
    assert "military_cooperation" in found, found


def test_a_defence_minister_received_is_the_visit_first(rule_processor: Processor):
    found = themes(
        rule_processor,
        "김정은, 러 국방장관 접견…\"주권 수호 정책 지지\"",
        "김정은 국무위원장이 평양을 방문한 러시아 대표단과 회담했다고 조선중앙통신이 전했다.",
    )
    assert found[:2] == ["diplomacy_treaty", "military_cooperation"], found


@pytest.mark.parametrize(
    ("title", "lead", "not_a_theme"),
    [
        (  # the national security adviser's name, 위성락, holds 위성 (satellite)
            "위성락 안보실장 \"북러 정상회담 결과 예의주시\"",
            "위성락 국가안보실장은 김정은 국무위원장과 푸틴 대통령의 회담 결과를 분석하고 있다고 밝혔다.",
            "strategic_tech",
        ),
        (  # the Ministry of State Security, 국가보위성, holds it too
            "北 국가보위성 대표단, 모스크바 방문…러 연방보안국과 회담",
            "북한 국가보위성 대표단이 러시아를 방문해 협력 방안을 논의했다고 조선중앙통신이 전했다.",
            "strategic_tech",
        ),
        (  # Kim's own train is his trip, not a rail link
            "김정은, 전용열차로 러시아行…푸틴과 정상회담 전망",
            "김정은 국무위원장이 전용열차를 타고 러시아로 향했다고 조선중앙통신이 보도했다.",
            "economy_trade",
        ),
        (  # a Yonhap byline (이주형 기자) holds 이주 (migration)
            "北 최선희, 모스크바서 라브로프와 회담",
            "(서울=연합뉴스) 이주형 기자 = 최선희 북한 외무상이 러시아 외무장관과 만났다.",
            "labor_migration",
        ),
        (  # a missile's solid fuel (고체연료) is not a fuel supply
            "北, 고체연료 엔진 시험…\"러시아 기술 지원 가능성\"",
            "합참은 북한이 러시아의 기술 지원을 받아 고체연료 엔진을 개량했을 가능성을 분석 중이다.",
            "economy_trade",
        ),
    ],
)
def test_a_korean_theme_word_inside_a_name_or_another_word_is_not_a_theme(
    rule_processor: Processor, title, lead, not_a_theme
):
    found = themes(rule_processor, title, lead)
    assert not_a_theme not in found, found


@pytest.mark.parametrize(
    ("title", "lead", "theme"),
    [
        ("러 위성 기술 北 이전 정황…\"파병 대가\"", "국정원은 러시아가 북한에 위성 기술을 넘기고 있다고 밝혔다.", "strategic_tech"),
        ("北-러, 내년 문화교류 계획서 서명", "북한 문화성과 러시아 문화부가 평양에서 문화 교류 계획서에 서명했다.", "economy_trade"),
        ("평양-모스크바 직통열차 운행 재개", "북한과 러시아를 잇는 국제 여객열차가 5년 만에 다시 운행을 시작했다.", "economy_trade"),
        ("러 대학에 北 유학생 급증…\"학생비자로 노동\"", "러시아에 학생 비자로 입국한 북한 유학생들이 건설 현장에서 일하고 있다.", "labor_migration"),
    ],
)
def test_korean_compounds_for_the_minor_themes_still_name_them(rule_processor: Processor, title, lead, theme):
    found = themes(rule_processor, title, lead)
    assert found[0] == theme, found


@pytest.mark.parametrize(
    ("title", "lead", "not_a_theme"),
    [
        (  # a missile's solid fuel is not a fuel supply
            "North Korea tests solid-fuel missile, Seoul suspects Russian help",
            "South Korea's military said the solid-fuel engine may have been improved with Russian technical assistance.",
            "economy_trade",
        ),
        (  # US-ROK drills are not Russia-DPRK military cooperation
            "北, 한미연합훈련 비난…\"러시아와 공동 대응\"",
            "북한 외무성은 한미연합훈련을 규탄하며 러시아와 공동 대응하겠다고 밝혔다.",
            "military_cooperation",
        ),
        (  # the UN's human-rights resolution is not a sanctions resolution
            "유엔 北인권결의안 채택…러시아는 반대",
            "러시아는 북한인권결의안에 반대표를 던지며 북한을 감쌌다.",
            "sanctions",
        ),
        (  # an arms exhibition shown to a guest is not a trade fair
            "Kim Jong Un shows Shoigu new missiles at arms exhibition in Pyongyang",
            "The Russian defence minister toured the exhibition with the North Korean leader.",
            "economy_trade",
        ),
    ],
)
def test_a_word_that_only_holds_a_theme_word_is_not_the_theme(rule_processor: Processor, title, lead, not_a_theme):
    found = themes(rule_processor, title, lead)
    assert not_a_theme not in found, found


@pytest.mark.parametrize(
    ("title", "lead", "theme"),
    [
        (  # oil beyond the UN's cap is the oil story's sanctions side
            "北 유조선, 러 극동항서 정제유 반입…\"유엔 상한선 두 배\"",
            "유엔 안보리가 정한 연간 정제유 상한선을 넘는 양이 러시아에서 북한으로 들어갔다.",
            "sanctions",
        ),
        (
            "Nordkorea erhielt aus Russland mehr Öl als die UN-Obergrenze erlaubt",
            "Nordkoreanische Tanker legten seit März mehr als vierzig Mal in einem russischen Hafen an.",
            "sanctions",
        ),
        (  # Western parts in a DPRK missile fired by Russia: export controls evaded
            "North Korean missile that hit Kharkiv was full of Western components, investigators say",
            "Researchers found 290 parts made in the US and Europe in the debris of the KN-23 Russia fired.",
            "sanctions",
        ),
        (  # an air-defence missile Russia helped with, as the air-defence systems it gave Pyongyang
            "北 신형 지대공미사일 공개…\"러시아 지원 받은 듯\"",
            "국정원은 북한이 공개한 지대공 미사일이 러시아의 지원으로 개량된 것으로 본다고 밝혔다.",
            "arms_transfers",
        ),
    ],
)
def test_the_un_oil_cap_western_parts_and_air_defence_missiles_name_their_theme(
    rule_processor: Processor, title, lead, theme
):
    found = themes(rule_processor, title, lead)
    assert theme in found, found


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        (
            "Russia vetoes renewal of UN panel monitoring North Korea sanctions",
            "The panel of experts had been investigating arms transfers from Pyongyang to Moscow. China abstained.",
        ),
        (
            "대북제재 감시 유엔 전문가패널, 15년 만에 활동 종료",
            "러시아의 거부권 행사로 임기 연장이 무산됐다. 패널은 북한의 대러 무기 수출 의혹을 조사해 왔다.",
        ),
    ],
)
def test_the_transfers_sanctions_monitors_looked_into_are_not_the_story_of_their_end(
    rule_processor: Processor, title, lead
):
    assert themes(rule_processor, title, lead) == ["sanctions"]


def test_a_sanctions_report_on_transfers_names_both(rule_processor: Processor):
    found = themes(
        rule_processor,
        "North Korea sent Russia millions of shells, sanctions monitors say",
        "An 11-nation group set up after Russia vetoed the UN panel of experts published its first report.",
    )
    assert {"arms_transfers", "sanctions"} <= set(found), found


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        (
            "Russia, DPRK sign Comprehensive Strategic Partnership Treaty",
            "The document provides for mutual assistance in the event of aggression against one of the parties.",
        ),
        ("露朝の包括的戦略パートナーシップ条約が発効", "一方が攻撃を受けた場合、遅滞なく軍事援助を行うと定めている。"),
    ],
)
def test_the_treaty_named_by_its_full_name_is_the_main_theme(rule_processor: Processor, title, lead):
    # the name is an alias of Russia too; the same span now names the treaty theme as well
    found = themes(rule_processor, title, lead)
    assert found[:2] == ["diplomacy_treaty", "military_cooperation"], found


@pytest.mark.parametrize(
    ("title", "lead", "main"),
    [
        (  # what was given in exchange for the troops leads
            "北 파병 대가로 러 위성 기술 받나…\"군 현대화 가속\"",
            "전문가들은 러시아가 북한에 정찰위성 관련 기술을 넘기고 있다고 본다.",
            "strategic_tech",
        ),
        (  # the shells lead the port they went through
            "나진항에 컨테이너 1천여 개…\"北, 러에 포탄 실어 날랐다\"",
            "미 백악관은 북한 나진항과 러시아 극동 두나이항을 오가는 선박이 군수물자를 운송했다고 밝혔다.",
            "arms_transfers",
        ),
        (  # the sanctions lead the troops they answer
            "EU sanctions North Korea's defence minister over troops sent to Russia",
            "The 15th package also lists generals involved in the deployment to the Kursk region.",
            "sanctions",
        ),
    ],
)
def test_in_a_title_naming_two_specific_themes_what_was_given_leads(rule_processor: Processor, title, lead, main):
    found = themes(rule_processor, title, lead)
    assert found[0] == main, found


def test_a_korean_verb_that_spells_rason_implies_no_trade(rule_processor: Processor):
    # 나선 is Rason (an economy place) and the everyday "set out to" (관계 발전에 나선 것)
    found = themes(
        rule_processor,
        "김정은, 러시아 대사 접견…\"양국 관계 발전에 나선다\"",
        "김정은 국무위원장이 주북 러시아대사를 접견하고 관계 발전에 적극 나선 것으로 전해졌다.",
    )
    assert found == ["diplomacy_treaty"], found


def test_a_tour_group_that_set_off_is_not_a_troop_deployment(rule_processor: Processor):
    # отправил*/направил* ("sent", "set off") alone are no troop words; войска, военные, солдаты are
    found = themes(
        rule_processor,
        "Приморские туристы возвращаются в Расон",
        "Первая группа туристов из Владивостока отправилась в северокорейскую экономическую зону на автобусе.",
    )
    assert found[0] == "economy_trade", found
    assert "troop_deployment" not in found, found


def test_athletes_joint_training_is_a_sports_exchange_not_military_cooperation(rule_processor: Processor):
    found = themes(
        rule_processor,
        "北, 러 체육장관 방북…체육교류 의정서 서명",
        "러시아 체육부 장관이 평양을 방문해 내년도 체육 교류 계획에 서명했다. 양국 선수단의 합동훈련과 친선경기가 포함됐다.",
    )
    assert found[0] == "economy_trade", found
    assert "military_cooperation" not in found, found
