"""Themes, sixth pass (rounds w6 and w7 of the tuning part): sanctions imposed over an arms deal are a
sanctions story, security talks are military cooperation, and theme words the taxonomy lacked in
Korean, Japanese, Chinese, French and German. Headlines and leads in the style of Yonhap, NHK, AFP,
Le Monde, the German press and Taiwanese wires, after reported events (South Korea's designations of
the Angara and Lady R, Shoigu's visits to Pyongyang as Security Council secretary in 2025, Kim at
the Pacific Fleet in 2023, the frozen DPRK funds in Russian banks, the Tumen road bridge)."""

from __future__ import annotations

import pytest

from processing.pipeline import Processor
from tests.process.conftest import relevant_themes as themes


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        (
            "South Korea slaps sanctions on Russian vessels over North Korea arms transfers",
            "Seoul designated two Russian cargo ships accused of carrying North Korean munitions to Russia, the foreign ministry said.",
        ),
        (
            "정부, 북러 무기거래 관여 러시아 선박 독자제재",
            "정부는 북한과 러시아 간 무기 거래에 관여한 러시아 선박 2척을 독자 제재 대상으로 지정했다고 밝혔다.",
        ),
        (
            "政府 北朝鮮とロシアの武器取引に関与した団体を資産凍結",
            "政府は北朝鮮からロシアへの武器供与に関わったとして、ロシアの企業などを資産凍結の対象に加えた。",
        ),
    ],
)
def test_sanctions_imposed_over_an_arms_deal_lead_the_arms(rule_processor: Processor, title, lead):
    found = themes(rule_processor, title, lead)
    assert found[0] == "sanctions", found
    assert "arms_transfers" in found, found


def test_workers_sent_despite_the_un_ban_stay_a_labour_story(rule_processor: Processor):
    found = themes(
        rule_processor,
        "Thousands of North Korean workers sent to Russian building sites despite UN ban",
        "South Korean intelligence says the labourers arrive on student visas in the Russian Far East.",
    )
    assert found[0] == "labor_migration", found
    assert "sanctions" in found, found


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        (
            "김정은, 쇼이구 러 안보회의 서기 접견",
            "김정은 국무위원장이 평양을 찾은 쇼이구 서기를 만나 양국 간 안보 분야 협력을 확대하는 문제를 논의했다.",
        ),
        (
            "ショイグ安保会議書記が訪朝 金総書記と会談",
            "両国は安全保障分野での戦略的対話を深めることで一致した。",
        ),
        (
            "金正恩会见俄联邦安全会议秘书绍伊古",
            "双方就加强两国安全领域战略对话交换了意见。",
        ),
        (
            "Sergueï Choïgou reçu par Kim Jong-un à Pyongyang",
            "Les deux hommes ont convenu de renforcer leur coopération en matière de sécurité, selon l'agence officielle KCNA.",
        ),
    ],
)
def test_security_talks_are_military_cooperation(rule_processor: Processor, title, lead):
    found = themes(rule_processor, title, lead)
    assert "military_cooperation" in found, found


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        (
            "Kim Jong-un passe en revue la flotte russe du Pacifique",
            "Guidé par le ministre de la défense russe, le dirigeant nord-coréen a inspecté des missiles hypersoniques Kinjal.",
        ),
        (
            "Otan : Moscou paierait l'envoi de soldats nord-coréens en technologies de missiles",
            "Le secrétaire général de l'Alliance s'inquiète d'un transfert qui menacerait la région.",
        ),
    ],
)
def test_hypersonic_missiles_and_missile_technologies_are_strategic_technology(
    rule_processor: Processor, title, lead
):
    found = themes(rule_processor, title, lead)
    assert "strategic_tech" in found, found


def test_french_satellite_images_of_the_tumen_bridge_are_no_technology(rule_processor: Processor):
    found = themes(
        rule_processor,
        "Le pont routier entre la Russie et la Corée du Nord sort de terre",
        "Les images satellites montrent les piles presque achevées de l'ouvrage sur le Toumen.",
    )
    assert found == ["economy_trade"], found


def test_a_german_rocket_launcher_at_the_front_is_an_arms_transfer(rule_processor: Processor):
    found = themes(
        rule_processor,
        "Erstmals nordkoreanischer Raketenwerfer an der Front zerstört",
        "Pjöngjang hatte das 240-Millimeter-System an Russland geliefert, sagte die ukrainische Armee.",
    )
    assert found[0] == "arms_transfers", found


def test_a_traditional_chinese_ammunition_shipment_is_an_arms_transfer(rule_processor: Processor):
    found = themes(
        rule_processor,
        "南韓制裁兩艘運送北韓彈藥的俄國船隻",
        "南韓外交部宣布對兩艘俄羅斯船隻實施獨自制裁,兩船涉嫌往返俄羅斯港口。",
    )
    assert found[0] == "sanctions", found
    assert "arms_transfers" in found, found


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        (
            '"러, 北 동결자금 일부 해제…러 은행 계좌 개설 허용"',
            "러시아가 자국 금융기관에 묶여 있던 북한 자금 일부를 풀어줬다고 일본 언론이 보도했다.",
        ),
        (
            "Washington sanctionne un Russe accusé de financer Pyongyang",
            "Le Trésor américain reproche à cet intermédiaire d'avoir aidé Moscou et la Corée du Nord à contourner les restrictions.",
        ),
    ],
)
def test_frozen_funds_and_french_sanction_verbs_are_sanctions(rule_processor: Processor, title, lead):
    found = themes(rule_processor, title, lead)
    assert found[0] == "sanctions", found


def test_an_oil_port_in_french_is_not_the_cosmodrome(rule_processor: Processor):
    found = themes(
        rule_processor,
        "Plus d'un million de barils de pétrole russe pour Pyongyang depuis le port de Vostotchny",
        "Des pétroliers nord-coréens ont fait une quarantaine d'allers-retours, au-delà du plafond fixé par l'ONU.",
    )
    assert "strategic_tech" not in found, found
    assert "economy_trade" in found and "sanctions" in found, found


@pytest.mark.parametrize(
    "text",
    [
        "러시아 기업이 신형 엔진 개발에 나선 것을 공식화했다.",
        "당국이 조사에 나선 결과 대공 혐의점은 발견되지 않았다.",
        "정부가 피해 기업 지원에 본격 나선 뒤 처음 열린 회의다.",
    ],
)
def test_the_korean_verb_that_spells_rason_names_no_dprk_place(taxonomy, text):
    from processing.tagging import tag_fields

    tags = tag_fields(taxonomy, {"title": "", "summary": text, "body": ""})
    assert "place.rason" not in {m.concept.id for m in tags.strong()["summary"]}
    assert "dprk" not in tags.sides()


@pytest.mark.parametrize(
    "text",
    [
        "38노스는 나선시 두만강역과 하산역 사이 화물열차가 늘었다고 밝혔다.",
        "외국인 관광을 재개한 나선(라선) 경제특구에 러시아 관광객이 몰렸다.",
        "나선∼블라디보스토크 여객 항로가 다시 열렸다.",
        "러시아 기업들이 나선경제무역지대 투자를 검토하고 있다.",
    ],
)
def test_rason_by_its_city_zone_or_route_is_still_rason(taxonomy, text):
    from processing.tagging import tag_fields

    tags = tag_fields(taxonomy, {"title": "", "summary": text, "body": ""})
    assert "place.rason" in {m.concept.id for m in tags.strong()["summary"]}


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        (
            "Russia has shipped over a million barrels of oil to North Korea, study finds",
            "North Korean tankers loaded refined products at a Russian Far East port dozens of times since March.",
        ),
        (
            '"러, 北에 석유 100만 배럴 넘게 공급"',
            "영국 연구기관은 북한 유조선이 러시아 극동 항구에서 40여 차례 석유를 실어 갔다고 밝혔다.",
        ),
        (
            "Plus d'un million de barils de pétrole livrés à Pyongyang par la Russie",
            "Des pétroliers nord-coréens ont fait une quarantaine d'allers-retours vers l'Extrême-Orient russe.",
        ),
    ],
)
def test_oil_shipped_or_supplied_is_trade_not_an_arms_transfer(rule_processor: Processor, title, lead):
    found = themes(rule_processor, title, lead)
    assert found[0] == "economy_trade", found
    assert "arms_transfers" not in found, found


def test_air_defence_delivered_is_still_an_arms_transfer(rule_processor: Processor):
    found = themes(
        rule_processor,
        "Seoul: Moskau liefert Flugabwehr an Pjöngjang",
        "Russland habe Luftabwehrsysteme und Öl geliefert, sagte Südkoreas Sicherheitsberater.",
    )
    assert found[0] == "arms_transfers", found


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        (
            '北 유조선, 러 극동항 40여 차례 입항…"석유 100만 배럴 넘게 반입"',
            "영국 연구기관은 러시아가 북한에 보낸 석유가 안보리가 정한 정제유 상한선을 이미 넘었다고 밝혔다.",
        ),
        (
            "Satellitenbilder: Nordkorea erhielt über eine Million Barrel Öl aus Russland",
            "Die Lieferungen aus dem russischen Fernen Osten liegen weit über der UN-Obergrenze.",
        ),
    ],
)
def test_oil_beyond_the_un_cap_is_a_sanctions_story(rule_processor: Processor, title, lead):
    found = themes(rule_processor, title, lead)
    assert found[:2] == ["sanctions", "economy_trade"], found
    assert "strategic_tech" not in found, found


@pytest.mark.parametrize(
    ("title", "lead", "main"),
    [
        (
            '北 핵잠 선체 공개…"러 원자로 기술 이전 가능성"',
            "전문가들 사이에서는 러시아가 파병 대가로 소형 원자로나 관련 기술을 북한에 넘겼을 가능성이 제기된다.",
            "strategic_tech",
        ),
        (
            "北朝鮮の原潜、ロシアが原子炉提供か",
            "韓国の専門家は、派兵の見返りとしてロシアが北朝鮮に原子炉や関連技術を提供した可能性があると指摘した。",
            "strategic_tech",
        ),
        (
            "Seoul: Moskau liefert Flugabwehr an Pjöngjang",
            "Im Gegenzug für die Entsendung von Soldaten habe Russland Luftabwehrsysteme nach Nordkorea geliefert.",
            "arms_transfers",
        ),
    ],
)
def test_troops_as_the_price_of_a_transfer_in_the_lead_are_no_deployment_story(
    rule_processor: Processor, title, lead, main
):
    found = themes(rule_processor, title, lead)
    assert found[0] == main, found
    assert "troop_deployment" not in found, found


def test_troops_for_technology_in_the_title_stay_a_theme(rule_processor: Processor):
    found = themes(
        rule_processor,
        '파병 대가로 방공망·위성 기술?…"北 군 현대화 빨라진다"',
        "러시아가 북한군 파병의 대가로 방공 시스템과 위성 기술을 넘겼다는 분석이 나온다.",
    )
    assert found[0] == "strategic_tech", found
    assert "troop_deployment" in found, found


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        (
            "Ukraine says North Korean missiles fired by Russia now hit within metres",
            "Military intelligence said KN-23 ballistic missiles had improved markedly, as Pyongyang learns from battlefield data.",
        ),
        (
            "Буданов: північнокорейські ракети KN-23, які запускає росія, стали значно точнішими",
            "Після бойового застосування в Україні КНДР вдосконалила свої балістичні ракети.",
        ),
        (
            "烏克蘭情報:俄軍使用的北韓砲彈近半數有瑕疵",
            "烏克蘭軍方稱,前線回收的北韓製砲彈品質低劣。",
        ),
    ],
)
def test_where_a_weapon_was_used_names_no_troop_deployment(rule_processor: Processor, title, lead):
    found = themes(rule_processor, title, lead)
    assert found[0] == "arms_transfers", found
    assert "troop_deployment" not in found, found


def test_soldiers_beside_a_weapon_still_name_a_deployment(rule_processor: Processor):
    found = themes(
        rule_processor,
        "North Korean soldiers fire their own artillery shells at the front for Russia",
        "Ukrainian intelligence said the troops used North Korean shells in combat in the Kursk region.",
    )
    assert "troop_deployment" in found, found


@pytest.mark.parametrize(
    ("title", "lead"),
    [
        (
            "Des centaines de conteneurs au port de Rajin, signe de livraisons d'armes à la Russie",
            "Selon Washington, des navires russes ont chargé des munitions nord-coréennes à destination de Dounaï.",
        ),
        (
            '나진항에 컨테이너 1천여 개…"北, 러시아에 포탄 실어 날랐다"',
            "미국 싱크탱크는 위성사진 분석 결과 나진항에서 러시아 선박이 군수물자를 실어 간 정황이 포착됐다고 밝혔다.",
        ),
    ],
)
def test_the_port_weapons_went_through_names_no_trade(rule_processor: Processor, title, lead):
    found = themes(rule_processor, title, lead)
    assert found[0] == "arms_transfers", found
    assert "economy_trade" not in found, found


def test_a_rail_link_carrying_shells_stays_a_transport_story(rule_processor: Processor):
    found = themes(
        rule_processor,
        '두만강역 화물열차 급증…"러시아로 탄약 운송 가능성"',
        "북한과 러시아를 잇는 철도에서 화물열차 운행이 크게 늘었다고 미국 북한전문매체가 전했다.",
    )
    assert "arms_transfers" in found and "economy_trade" in found, found


def test_german_deminers_sent_to_kursk_are_a_deployment(rule_processor: Processor):
    found = themes(
        rule_processor,
        "Nordkorea schickt Tausende Bauarbeiter und Minenräumer nach Kursk",
        "Das kündigte der russische Sicherheitsratssekretär Schoigu nach einem Treffen mit Kim Jong Un in Pjöngjang an.",
    )
    assert found[0] == "troop_deployment", found
    assert "labor_migration" in found, found
