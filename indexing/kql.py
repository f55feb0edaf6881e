"""Our query tree and search filters as KQL (Kibana Query Language), over the real index fields.

A Discover link must find what the email found: ``entity:weapon.kn23`` names no Elasticsearch field
(the field is ``entities``), and free text is searched in title, summary and body with every
language sub-field, ORed with the taxonomy concepts it names (cross-script expansion). So the
link's query is the expanded tree translated the way the Elasticsearch backend translates it:

- a keyword filter: ``entities:"weapon.kn23"`` (quoted: an exact term on a keyword field);
- words and phrases: ``(title:"KN-23" or title.en:"KN-23" or … or body.cjk:"KN-23")``, one quoted
  value per field, a phrase query as the backend's ``match_phrase``;
- a prefix: ``(title:kn2* or summary:kn2* or body:kn2*)``, unquoted (KQL has no wildcard inside
  quotes), lower-cased like the backend's ``prefix`` query, special characters escaped;
- ``and`` / ``or`` / ``not`` with parentheses around every group.

Quoting follows KQL's grammar: inside quotes only ``\\`` and ``"`` are escaped; unquoted values
escape ``\\ ( ) : < > " *`` and whitespace (Kibana's ``escapeKuery``).
"""

from __future__ import annotations

import re
from typing import Any

from indexing.backend import SearchFilters
from indexing.expansion import expand
from indexing.fields import (
    DATE_SOURCE_FIELD,
    FILTER_FIELDS,
    FLAG_FILTERS,
    QUERY_TEXT_FIELDS,
    TRUSTED_DATE_SOURCES,
)
from indexing.mapping import LANGUAGE_SUBFIELDS
from indexing.query import And, Keyword, MatchAll, Node, Not, Or, Text, parse_query

_UNQUOTED_SPECIAL = re.compile(r'[\\():<>"*\s]')


def quoted(value: str) -> str:
    """A KQL quoted value: exact for keywords, a phrase for text."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def escaped(value: str) -> str:
    """A KQL unquoted value with its special characters escaped."""
    return _UNQUOTED_SPECIAL.sub(lambda m: "\\" + m.group(0), value)


def _any_of(clauses: list[str]) -> str:
    return clauses[0] if len(clauses) == 1 else "(" + " or ".join(clauses) + ")"


def text_fields(node: Text) -> list[str]:
    """The index fields a text leaf searches: base fields, and their language sub-fields unless a prefix."""
    bases = [field for name in (node.fields or QUERY_TEXT_FIELDS) for field in QUERY_TEXT_FIELDS[name]]
    if node.prefix:
        return bases
    return [base + suffix for base in bases for suffix in ["", *(f".{key}" for key in LANGUAGE_SUBFIELDS)]]


def to_kql(node: Node) -> str:
    """The tree as KQL ("" for match-all)."""
    if isinstance(node, MatchAll):
        return ""
    if isinstance(node, Keyword):
        return f"{node.field}:{quoted(node.value)}"
    if isinstance(node, Text):
        value = escaped(node.text.lower()) + "*" if node.prefix else quoted(node.text)
        return _any_of([f"{field}:{value}" for field in text_fields(node)])
    if isinstance(node, Not):
        return f"not {to_kql(node.item)}"
    joiner = " and " if isinstance(node, And) else " or "
    assert isinstance(node, And | Or)
    parts = [part for part in (to_kql(item) for item in node.items) if part]
    return parts[0] if len(parts) == 1 else "(" + joiner.join(parts) + ")"


def query_kql(query: str | None, taxonomy: Any | None = None) -> str:
    """A Whirlpool query, expanded across scripts as the backends expand it, as KQL."""
    return to_kql(expand(parse_query(query or ""), taxonomy))


def filter_kql(filters: SearchFilters) -> list[str]:
    """One KQL clause per search filter except the time range (Discover's time picker holds that)."""
    clauses = []
    for attribute, field in FILTER_FIELDS.items():
        values = getattr(filters, attribute)
        if values:
            clauses.append(_any_of([f"{field}:{quoted(v)}" for v in values]))
    for attribute, flag in FLAG_FILTERS.items():
        if getattr(filters, attribute):
            clauses.append(f"{flag}:true")
    if filters.exclude_guessed_dates:
        clauses.append(_any_of([f"{DATE_SOURCE_FIELD}:{quoted(v)}" for v in TRUSTED_DATE_SOURCES]))
    return clauses


def search_kql(
    query: str | None, filters: SearchFilters | None = None, taxonomy: Any | None = None, *extra: str
) -> str:
    """The query and the filters (and any ``extra`` clauses) as one KQL expression."""
    parts = [query_kql(query, taxonomy)] + filter_kql(filters or SearchFilters()) + list(extra)
    parts = [part for part in parts if part]
    return " and ".join(part if len(parts) == 1 or _is_atomic(part) else f"({part})" for part in parts)


def _is_atomic(kql: str) -> bool:
    """True when ``kql`` is one clause or already one parenthesised group."""
    if kql.startswith("(") and kql.endswith(")"):
        depth = 0
        for position, char in enumerate(_outside_quotes(kql)):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and position < len(kql) - 1:
                return False
        return True
    return " and " not in kql and " or " not in kql and not kql.startswith("not ")


def _outside_quotes(kql: str) -> str:
    """``kql`` with quoted values and escaped characters blanked out (same length), for parentheses."""
    return re.sub(r'"(?:[^"\\]|\\.)*"|\\.', lambda m: " " * len(m.group(0)), kql)
