"""The query parser: the tree each backend translates, and one-line errors for bad input."""

from __future__ import annotations

import re

import pytest

from indexing.backend import QuerySyntaxError
from indexing.query import And, Keyword, MatchAll, Not, Or, Text, parse_query, render
from whirlpool.timetext import parse_when


def test_juxtaposed_words_mean_and_and_or_binds_looser():
    assert parse_query("a b OR c") == Or((And((Text("a"), Text("b"))), Text("c")))


def test_phrases_fields_prefixes_and_negation():
    tree = parse_query('title:"north korea" -body:drill lang:ru entity:person.kim_jong_un sanc*')
    assert tree == And(
        (
            Text("north korea", ("title",), phrase=True),
            Not(Text("drill", ("body",))),
            Keyword("language", "ru"),
            Keyword("entities", "person.kim_jong_un"),
            Text("sanc", prefix=True),
        )
    )


def test_parentheses_group_and_not_applies_to_the_group():
    assert parse_query("NOT (a OR b)") == Not(Or((Text("a"), Text("b"))))


def test_blank_query_matches_all():
    assert parse_query("   ") == MatchAll()


def test_render_shows_the_tree_as_query_text():
    assert render(parse_query('"kim jong un" OR theme:sanctions')) == '("kim jong un" OR theme:sanctions)'


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"open', "unclosed quote"),
        ("(a OR b", "missing closing parenthesis"),
        ("a)", "unexpected ')'"),
        ("foo:bar", "unknown field 'foo'"),
        ("a OR", "query ends where a term was expected"),
        ("OR a", "OR needs a term on each side"),
        ("*a", "only allowed at the end"),
        ('""', "empty phrase"),
    ],
)
def test_malformed_queries_name_the_problem(query, message):
    with pytest.raises(QuerySyntaxError, match=re.escape(message)):
        parse_query(query)


def test_relative_and_absolute_times():
    from datetime import UTC, datetime

    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert parse_when("7d", now) == datetime(2026, 3, 3, 12, tzinfo=UTC)
    assert parse_when("24h", now) == datetime(2026, 3, 9, 12, tzinfo=UTC)
    assert parse_when("2026-01-01", now) == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="7d, 24h"):
        parse_when("yesterday-ish", now)


@pytest.mark.parametrize(
    "query", ["(" * 300 + "kim" + ")" * 300, "NOT " * 300 + "kim", "-" * 1 + "(" * 40 + "x" + ")" * 40]
)
def test_a_query_nested_beyond_reason_is_a_syntax_error_not_a_crash(query):
    with pytest.raises(QuerySyntaxError, match="nests deeper than 32 levels"):
        parse_query(query)


def test_reasonable_nesting_still_parses():
    assert parse_query("(" * 10 + "kim" + ")" * 10) == Text("kim", ())
