"""The taxonomy names the same concept in every script, respects word boundaries and inflection."""

from __future__ import annotations

from pathlib import Path

import pytest

from whirlpool.taxonomy import THEME_CODES, load_taxonomy
from whirlpool.yamlconfig import ConfigError


@pytest.mark.parametrize(
    ("phrase", "concept_id"),
    [
        ("Kim Jong Un", "person.kim_jong_un"),
        ("Kim Jong-un", "person.kim_jong_un"),
        ("Ким Чен Ын", "person.kim_jong_un"),
        ("김정은", "person.kim_jong_un"),
        ("金正恩", "person.kim_jong_un"),
        ("Choe Son Hui", "person.choe_son_hui"),
        ("최선희", "person.choe_son_hui"),
        ("Шойгу", "person.shoigu"),
        ("Лаврова", "person.lavrov"),
        ("Belousov", "person.belousov"),
        ("Путіна", "person.putin"),
        ("KN-23", "weapon.kn23"),
        ("Hwasong-11", "weapon.kn23"),
        ("화성-11", "weapon.kn23"),
        ("Пхеньяна", "place.pyongyang"),
        ("평양", "place.pyongyang"),
        ("Северной Кореи", "actor.dprk"),
        ("Північна Корея", "actor.dprk"),
        ("КНДР", "actor.dprk"),
        ("北朝鮮", "actor.dprk"),
        ("朝鲜", "actor.dprk"),
        ("북한", "actor.dprk"),
        ("Tumen River bridge", "place.tumen_bridge"),
        ("Vostochny", "place.vostochny"),
        ("Rason", "place.rason"),
    ],
)
def test_concepts_for_phrase_names_the_concept_in_any_script(taxonomy, phrase, concept_id):
    assert concept_id in [c.id for c in taxonomy.concepts_for_phrase(phrase)]


def test_concepts_for_phrase_returns_nothing_for_a_phrase_that_names_no_concept(taxonomy):
    assert taxonomy.concepts_for_phrase("weather forecast") == []
    assert taxonomy.concepts_for_phrase("") == []


def test_all_eight_theme_codes_exist_with_labels_in_six_languages(taxonomy):
    themes = [c for c in taxonomy.concepts if c.kind == "theme"]
    assert sorted(c.code for c in themes) == sorted(THEME_CODES)
    for concept in taxonomy.concepts:
        assert set(concept.labels) >= {"en", "ru", "uk", "ko", "ja", "zh"}, concept.id


def test_match_needs_a_word_boundary_in_latin_and_cyrillic(taxonomy):
    found = {m.concept.id for m in taxonomy.find("Prussia exported toil; Москворецкий")}
    assert "actor.russia" not in found
    assert "theme.economy_trade" not in found  # "oil" inside "toil"
    assert "place.moscow" not in found  # Москв + more than an inflection ending


def test_russian_and_ukrainian_inflections_match_their_stem(taxonomy):
    text = "Делегация прибыла в Пхеньян из Северной Кореи. Делегація Північної Кореї у Курській області."
    found = [m.concept.id for m in taxonomy.find(text)]
    assert found.count("actor.dprk") == 2
    assert "place.pyongyang" in found
    assert "place.kursk" in found


def test_korean_nouns_match_before_particles_but_not_inside_other_words(taxonomy):
    assert {m.concept.id for m in taxonomy.find("북한의 대표단이 러시아와 회담했다")} >= {
        "actor.dprk",
        "actor.russia",
        "theme.diplomacy_treaty",
    }
    assert "actor.dprk" not in {m.concept.id for m in taxonomy.find("북한강 유역의 날씨")}


def test_match_offsets_point_at_the_surface_form(taxonomy):
    text = "Visit: Kim Jong-un met Putin in Vladivostok."
    for match in taxonomy.find(text):
        assert text[match.start : match.end].lower() == match.term


def test_ambiguous_korean_term_alone_is_weak(taxonomy):
    matches = [m for m in taxonomy.find("조선 시대의 역사") if m.concept.id == "actor.dprk"]
    assert matches and all(m.weak for m in matches)


def test_bad_taxonomy_names_file_line_and_field(tmp_path: Path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text(
        "concepts:\n  - id: theme.arms_transfers\n    kind: theme\n    aliases: [arms]\n"
        "  - id: person.x\n    kind: wizard\n    aliases: [x]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        load_taxonomy(path)
    message = str(error.value)
    assert f"{path}:6" in message and "concepts.1.kind" in message


def test_unknown_theme_code_is_a_config_error(tmp_path: Path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text(
        "concepts:\n  - id: theme.weather\n    kind: theme\n    aliases: [rain]\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="unknown theme code 'weather'"):
        load_taxonomy(path)


def test_text_with_a_lone_surrogate_is_still_matched_at_the_right_offsets(taxonomy):
    text = "Bad byte \udc9f then North Korea and Russia"
    found = {(m.concept.id, m.start, m.end) for m in taxonomy.find(text)}
    dprk, russia = text.index("North Korea"), text.index("Russia")
    assert ("actor.dprk", dprk, dprk + len("North Korea")) in found
    assert ("actor.russia", russia, russia + len("Russia")) in found


FIELD_SETS = [
    ("Talks with 北", "최선희 외무상은 푸틴과 회담했다", ""),
    ("푸틴 北", "", "최선희"),
    ("러", "시아와 회담", "北中 관계"),
    ("Переговоры Северной", "Кореи и России", ""),
    ("North", "Korea and Russia", "Kim Jong Un met Putin"),
    ("北朝鮮とロシア", "北京", "朝鮮"),
    ("", "", ""),
    ("Bad byte \udc9f then North Korea", "북한\x00러시아", "北"),
    # letters that lower-case by their context (final sigma) or to two characters (İ): the fields
    # are lowered together, and offsets must still be each field's own
    ("ΣΟΥΛ Σ İstanbul: North Korea", "Σ Russia", "İİ Kim Jong Un ΟΔΟΣ"),
    ("Россия İ", "ΟΣ", "Северной Кореи"),
]


@pytest.mark.parametrize("texts", FIELD_SETS)
def test_fields_matched_in_one_pass_find_what_each_field_finds_alone(taxonomy, texts):
    def found(matches):
        return [(m.concept.id, m.term, m.start, m.end, m.weak) for m in matches]

    together = taxonomy.find_in_texts(list(texts))
    assert [found(ms) for ms in together] == [found(taxonomy.find(text)) for text in texts]


def test_korean_context_of_a_headline_abbreviation_stops_at_the_field_edge(taxonomy):
    # 北 in an English title is not a Korean headline abbreviation, whatever the body says
    title, body = taxonomy.find_in_texts(["Talks with 北", "최선희 외무상은 푸틴과 회담했다"])
    assert "actor.dprk" not in {m.concept.id for m in title}
    assert {"person.choe_son_hui", "person.putin"} <= {m.concept.id for m in body}
    (title,) = taxonomy.find_in_texts(["회담 北"])  # in a Korean title it is
    assert "actor.dprk" in {m.concept.id for m in title}


def test_a_stem_phrase_does_not_run_from_one_field_into_the_next(taxonomy):
    title, summary = taxonomy.find_in_texts(["Переговоры Северной", "Кореи и России"])
    assert "actor.dprk" not in {m.concept.id for ms in (title, summary) for m in ms}
    (joined,) = taxonomy.find_in_texts(["Переговоры Северной Кореи"])
    assert "actor.dprk" in {m.concept.id for m in joined}


def test_weak_alias_counts_only_where_a_strong_alias_names_the_concept(taxonomy):
    from processing.tagging import tag_fields

    alone = tag_fields(taxonomy, {"title": "조선 시대의 역사", "summary": "", "body": ""})
    assert alone.matches["title"] and not alone.strong()["title"]
    assert alone.sides() == []
    confirmed = tag_fields(taxonomy, {"title": "조선 시대의 역사", "summary": "북한과 러시아", "body": ""})
    assert "actor.dprk" in {m.concept.id for m in confirmed.strong()["title"]}
    assert confirmed.sides() == ["russia", "dprk"]


def test_concept_ids_come_once_each_in_order_of_first_mention(taxonomy):
    from processing.tagging import tag_fields

    tags = tag_fields(
        taxonomy,
        {
            "title": "Putin meets Kim Jong Un",
            "summary": "Kim Jong Un and Putin in Pyongyang",
            "body": "Shoigu was in Pyongyang and Vladivostok.",
        },
    )
    assert tags.concept_ids(("person",)) == ["person.putin", "person.kim_jong_un", "person.shoigu"]
    assert tags.concept_ids(("place",)) == ["place.pyongyang", "place.vladivostok"]
    assert tags.concept_ids(("place", "person")) == [
        "person.putin",
        "person.kim_jong_un",
        "place.pyongyang",
        "person.shoigu",
        "place.vladivostok",
    ]


@pytest.mark.parametrize(
    "texts",
    [
        ("North Korea’s army—in Russia", "‘Kursk’ – ЁЛКА Ёж", "ёж ΟΔΟΣ Σ"),
        ("İstanbul Ё", "", "ΣΟΥΛ—Σ’"),
        ("plain ascii", "북러 ‐ 北·러", "ＫＮ－２３ ﬁne"),
    ],
)
def test_fields_lowered_together_equal_each_normalised_alone(texts):
    from whirlpool.taxonomy import SEPARATOR, _nfkc_lower_joined, normalise_for_matching

    alone = [normalise_for_matching(text) for text in texts]
    assert _nfkc_lower_joined(texts) == (SEPARATOR.join(alone), [len(text) for text in alone])
