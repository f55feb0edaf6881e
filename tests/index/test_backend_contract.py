"""The shared suite: every index backend must give these answers (embedded and Elasticsearch)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from indexing.backend import QuerySyntaxError, SearchFilters, SearchRequest
from tests.index.corpus import CORPUS, day, ids, make_article


@pytest.fixture
def loaded(backend):
    result = backend.upsert(CORPUS.values())
    assert result.indexed == len(CORPUS) and result.failed == 0
    return backend


def found(backend, query: str = "", **options) -> set[str]:
    filters = options.pop("filters", SearchFilters())
    result = backend.search(SearchRequest(query=query, filters=filters, limit=100, exact=True, **options))
    assert result.total == len(result.hits)
    return {hit.article.id for hit in result.hits}


def test_reindexing_the_same_articles_updates_in_place_without_duplicates(backend):
    backend.upsert(CORPUS.values())
    changed = CORPUS["en_sanctions"].model_copy(update={"title": "Sanctions widened to ten shipping firms"})
    result = backend.upsert([*CORPUS.values(), changed])
    assert result.indexed == len(CORPUS) + 1
    assert backend.count() == len(CORPUS)
    assert backend.get(changed.id).title == "Sanctions widened to ten shipping firms"
    assert found(backend, "widened") == {changed.id}


def test_get_returns_the_full_article_and_none_for_an_unknown_id(loaded):
    original = CORPUS["ru_meeting"]
    assert loaded.get(original.id) == original
    assert loaded.get("no-such-id") is None


SEARCHES = {
    "treaty": ids("en_treaty", "en_copy"),
    # English stemming: "missile" finds "missiles"; the Russian stemmer (also used for Ukrainian)
    # brings ракета / ракет / ракети together
    "missile": ids("en_treaty", "en_copy"),
    "ракета": ids("ru_meeting", "uk_troops"),
    "ракети": ids("ru_meeting", "uk_troops"),
    '"north korea"': ids("en_treaty", "en_copy"),
    '"korea north"': set(),
    "sanctions AND oil": ids("en_sanctions"),
    "treaty AND NOT copy": ids("en_treaty"),
    "treaty -copy": ids("en_treaty"),
    "sanctions OR Путин": ids("en_sanctions", "ru_meeting"),
    "(sanctions OR treaty) AND enforce": ids("en_sanctions"),
    "title:missiles": set(),
    "body:missiles": ids("en_treaty", "en_copy"),
    "language:ja": ids("ja_visit"),
    "source:reuters": ids("en_sanctions"),
    "source_kind:wire": ids("en_sanctions", "ko_visit"),
    "theme:theme.sanctions": ids("en_sanctions"),
    "entity:weapon.kn23": ids("zh_missile"),
    # prefixes (tantivy's own parser finds nothing for these)
    "sanct*": ids("en_sanctions"),
    "Путин*": ids("ru_meeting"),
    # CJK without spaces: a word inside a run of characters
    "金正恩": ids("ja_visit"),
    "导弹": ids("zh_missile"),
    "朝鲜": ids("zh_missile"),
    "김정은": ids("ko_visit"),
    "nothingmatchesthis": set(),
}


@pytest.mark.parametrize("query", list(SEARCHES))
def test_query_finds_exactly_the_expected_articles(loaded, query):
    assert found(loaded, query) == SEARCHES[query]


def test_empty_query_matches_everything(loaded):
    assert found(loaded, "") == ids(*CORPUS)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(since=day(3), until=day(5)), ids("ru_meeting", "uk_troops")),
        (SearchFilters(languages=["ko", "ja"]), ids("ko_visit", "ja_visit")),
        (SearchFilters(themes=["theme.military_cooperation"]), ids("en_treaty", "ru_meeting", "en_copy")),
        (SearchFilters(entities=["person.putin"]), ids("ru_meeting")),
        (SearchFilters(source_ids=["nhk", "xinhua"]), ids("ja_visit", "zh_missile")),
        (SearchFilters(source_kinds=["government"]), ids("uk_troops")),
        (SearchFilters(relevant_only=True, languages=["en"]), ids("en_treaty", "en_copy")),
        (
            SearchFilters(representatives_only=True, themes=["theme.military_cooperation"]),
            ids("en_treaty", "ru_meeting"),
        ),
    ],
)
def test_filters_narrow_the_hits(loaded, filters, expected):
    assert found(loaded, filters=filters) == expected
    assert loaded.count(filters) == len(expected)


def test_filters_combine_with_the_query(loaded):
    assert found(loaded, "treaty", filters=SearchFilters(source_kinds=["aggregator"])) == ids("en_copy")


def test_sort_by_date_puts_the_newest_first(loaded):
    result = loaded.search(SearchRequest(query="", sort="date", limit=3, exact=True))
    assert [hit.article.id for hit in result.hits] == [
        CORPUS["zh_missile"].id,
        CORPUS["ja_visit"].id,
        CORPUS["ko_visit"].id,
    ]
    assert result.total == len(CORPUS)


def test_limit_and_offset_page_through_the_hits(loaded):
    first = loaded.search(SearchRequest(query="", sort="date", limit=2, exact=True))
    second = loaded.search(SearchRequest(query="", sort="date", limit=2, offset=2, exact=True))
    assert len(first.hits) == len(second.hits) == 2
    assert not {h.article.id for h in first.hits} & {h.article.id for h in second.hits}


def test_hits_carry_highlighted_snippets(loaded):
    result = loaded.search(SearchRequest(query="sanctions", exact=True))
    assert result.hits
    assert any(
        "<mark>" in snippet and "sanctions" in snippet.lower() for snippet in result.hits[0].highlights
    )


@pytest.mark.parametrize(
    "query", ['"unclosed phrase', "(treaty OR", "treaty)", "nosuchfield:x", "AND treaty", "*", "lang:"]
)
def test_malformed_query_raises_a_one_line_syntax_error(loaded, query):
    with pytest.raises(QuerySyntaxError) as caught:
        loaded.search(SearchRequest(query=query))
    assert "\n" not in str(caught.value) and str(caught.value)


def test_bucket_counts_count_clusters_once_per_value_with_zeros_filled(loaded):
    counts = loaded.bucket_counts("entities", timedelta(days=2), day(1, 0), day(7, 0))
    starts = [bucket.start for bucket in counts["person.kim_jong_un"]]
    assert starts == [day(1, 0), day(3, 0), day(5, 0)]
    # en_copy is not a cluster representative: the treaty story counts once on 1 March
    assert [b.count for b in counts["person.kim_jong_un"]] == [1, 1, 2]
    assert [b.count for b in counts["person.putin"]] == [0, 1, 0]
    assert [b.count for b in counts["weapon.kn23"]] == [0, 0, 1]
    assert set(counts) == {"person.kim_jong_un", "person.putin", "weapon.kn23"}


def test_bucket_counts_align_buckets_to_start_and_leave_out_the_end(loaded):
    counts = loaded.bucket_counts("total", timedelta(hours=12), day(5, 6), day(6, 0))
    assert [(b.start, b.count) for b in counts["total"]] == [(day(5, 6), 1), (day(5, 18), 1)]


def test_bucket_counts_by_language_honour_query_and_filters(loaded):
    counts = loaded.bucket_counts(
        "language",
        timedelta(days=7),
        day(1, 0),
        day(8, 0),
        query="金正恩 OR 김정은 OR Путин",
        filters=SearchFilters(relevant_only=True),
    )
    assert {key: [b.count for b in value] for key, value in counts.items()} == {
        "ja": [1],
        "ko": [1],
        "ru": [1],
    }


def test_bucket_counts_leave_out_guessed_dates_when_asked(backend):
    from whirlpool.article import DateSource

    guessed = make_article(
        "https://x.example/guessed",
        title="guess",
        published_at=day(2),
        published_at_source=DateSource.GUESSED,
    )
    known = make_article(
        "https://x.example/known", title="known", published_at=day(2), published_at_source=DateSource.FEED
    )
    backend.upsert([guessed, known])
    window = (timedelta(days=1), day(2, 0), day(3, 0))
    assert backend.bucket_counts("total", *window)["total"][0].count == 2
    strict = backend.bucket_counts("total", *window, filters=SearchFilters(exclude_guessed_dates=True))
    assert strict["total"][0].count == 1


def test_delete_older_than_removes_exactly_the_documents_published_before_the_cutoff(loaded):
    older = {a.id for a in CORPUS.values() if a.published_at < day(3)}
    assert older and len(older) < len(CORPUS)
    assert loaded.delete_older_than(day(3), dry_run=True) == len(older)
    assert loaded.count() == len(CORPUS)  # a dry run deletes nothing

    assert loaded.delete_older_than(day(3)) == len(older)

    assert loaded.count() == len(CORPUS) - len(older)
    assert all(loaded.get(article_id) is None for article_id in older)
    assert found(loaded) == {a.id for a in CORPUS.values()} - older
    assert loaded.delete_older_than(day(3)) == 0
