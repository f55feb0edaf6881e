"""Whirlpool queries translate to KQL over the real index fields, with their cross-script expansion."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.backend import SearchFilters
from indexing.expansion import load_concept_lookup
from indexing.kql import query_kql, search_kql
from indexing.mapping import article_mapping
from tests.kql_reader import kql_clauses

TAXONOMY = load_concept_lookup(Path(__file__).resolve().parents[2] / "config" / "taxonomy.yaml")
SUBFIELDS = ("", ".en", ".ru", ".uk", ".cjk")


def text(value: str, *bases: str) -> str:
    """What a word or phrase becomes: one quoted clause per field and language sub-field."""
    clauses = [
        f'{base}{sub}:"{value}"' for base in bases or ("title", "summary", "body") for sub in SUBFIELDS
    ]
    return "(" + " or ".join(clauses) + ")"


TABLE = [
    ("", ""),
    ("entity:weapon.kn23", 'entities:"weapon.kn23"'),
    ("lang:ko", 'language:"ko"'),
    ("language:ru", 'language:"ru"'),
    ("source:tass-ru", 'source_id:"tass-ru"'),
    ("source_kind:state_media", 'source_kind:"state_media"'),
    ("theme:sanctions", 'themes:"sanctions"'),
    ("place:place.kursk", 'places:"place.kursk"'),
    ("title:harvest", text("harvest", "title")),
    ("body:harvest", text("harvest", "summary", "body")),
    ('"grain harvest"', text("grain harvest")),
    ("treaty*", "(title:treaty* or summary:treaty* or body:treaty*)"),
    ("title:Hwa*", "title:hwa*"),
    ("entity:weapon.kn23 AND lang:ko", '(entities:"weapon.kn23" and language:"ko")'),
    ("lang:ko OR lang:ru", '(language:"ko" or language:"ru")'),
    ("-lang:en entity:person.putin", '(not language:"en" and entities:"person.putin")'),
    ("NOT (lang:ko OR lang:ru)", 'not (language:"ko" or language:"ru")'),
    # free text naming a concept carries its expansion as an OR group
    ("KN-23", f'({text("KN-23")} or entities:"weapon.kn23")'),
    ("Пхеньян", f'({text("Пхеньян")} or places:"place.pyongyang")'),
    (
        "Kim Jong Un",
        f'(({text("Kim")} and {text("Jong")} and {text("Un")}) or entities:"person.kim_jong_un")',
    ),
    (
        "sanctions entity:weapon.kn23",
        f'(({text("sanctions")} or themes:"theme.sanctions" or themes:"sanctions") and entities:"weapon.kn23")',
    ),
    # KQL special characters: quoted values escape \\ and "; unquoted (prefix) values escape \\():<>"*
    ("source:a\\b", 'source_id:"a\\\\b"'),
    ("title:a<b", text("a<b", "title")),
    ("title:a<b*", "title:a\\<b*"),
    ("title:x\\y*", "title:x\\\\y*"),
]


@pytest.mark.parametrize(("query", "kql"), TABLE, ids=[q or "(empty)" for q, _ in TABLE])
def test_a_whirlpool_query_becomes_kql_over_index_fields_with_its_expansion(query, kql):
    assert query_kql(query, TAXONOMY) == kql


def mapped_fields() -> set[str]:
    fields = set()
    for name, spec in article_mapping()["properties"].items():
        fields.add(name)
        fields.update(f"{name}.{sub}" for sub in spec.get("fields", {}))
    return fields


@pytest.mark.parametrize("query", [q for q, _ in TABLE if q])
def test_every_translation_is_well_formed_kql_naming_only_mapped_fields(query):
    clauses = kql_clauses(query_kql(query, TAXONOMY))
    assert clauses
    assert {field for field, _ in clauses} <= mapped_fields()


def test_the_search_roles_of_fields_are_mapped_fields():
    from indexing.fields import FILTER_FIELDS, QUERY_TEXT_FIELDS

    searched = {f for fields in QUERY_TEXT_FIELDS.values() for f in fields} | set(FILTER_FIELDS.values())
    assert searched <= mapped_fields()


def test_filters_become_kql_clauses_anded_with_the_query():
    filters = SearchFilters(
        themes=["arms_transfers", "sanctions"],
        relevant_only=True,
        representatives_only=True,
        exclude_guessed_dates=True,
    )
    assert search_kql("entity:weapon.kn23 OR lang:ko", filters) == (
        '(entities:"weapon.kn23" or language:"ko") and (themes:"arms_transfers" or themes:"sanctions") '
        "and relevant:true and is_representative:true "
        'and (published_at_source:"page" or published_at_source:"feed")'
    )
    assert search_kql(None, SearchFilters()) == ""
    assert (
        search_kql("-lang:en", SearchFilters(relevant_only=True)) == '(not language:"en") and relevant:true'
    )
