"""Cross-script expansion with the real taxonomy (config/taxonomy.yaml), on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.backend import SearchRequest
from indexing.expansion import load_concept_lookup
from tests.index.corpus import CORPUS, ids

TAXONOMY = Path(__file__).resolve().parents[2] / "config" / "taxonomy.yaml"
KIM_TAGGED = ids("en_treaty", "en_copy", "ru_meeting", "ko_visit", "ja_visit")


@pytest.fixture
def tagged(backend):
    taxonomy = load_concept_lookup(TAXONOMY)
    if taxonomy is None:
        pytest.skip("whirlpool.taxonomy or config/taxonomy.yaml not available")
    backend.taxonomy = taxonomy
    backend.upsert(CORPUS.values())
    return backend


def found(backend, query: str, exact: bool = False) -> set[str]:
    result = backend.search(SearchRequest(query=query, limit=100, exact=exact))
    return {hit.article.id for hit in result.hits}


@pytest.mark.parametrize("query", ["Kim Jong-un", '"Ким Чен Ын"', "김정은", "金正恩"])
def test_a_name_in_any_script_finds_articles_tagged_with_it_in_every_language(tagged, query):
    assert found(tagged, query) == KIM_TAGGED


@pytest.mark.parametrize("query", ["KN-23", "Hwasong-11", "화성-11"])
def test_a_weapon_designation_finds_the_chinese_article_tagged_with_it(tagged, query):
    assert found(tagged, query) == ids("zh_missile")


def test_exact_turns_the_expansion_off(tagged):
    assert found(tagged, "金正恩", exact=True) == ids("ja_visit")
    assert found(tagged, "KN-23", exact=True) == set()


def test_the_result_shows_the_expanded_query(tagged):
    result = tagged.search(SearchRequest(query="金正恩"))
    assert result.expanded_query == "(金正恩 OR entity:person.kim_jong_un)"
    assert tagged.search(SearchRequest(query="金正恩", exact=True)).expanded_query is None
