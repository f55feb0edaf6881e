"""The role of each indexed Article field, declared once.

Both backends and the query languages are derived from :data:`FIELDS`: the Elasticsearch mapping
(``indexing.mapping``), the embedded tantivy schema and its documents (``indexing.embedded``), the
field names of Whirlpool's query syntax (``theme:…``, ``lang:…``; ``indexing.query``), the search
filters of both backends and the KQL of Kibana links (``indexing.kql``).

A role says how a field is searched:

- ``text``: full text, analysed per language (plain words, English and Russian stems, Ukrainian,
  CJK bigrams/characters) and searched by words and phrases under a query name (``title``, or
  ``body`` for the summary and the body together);
- ``keyword``: exact values, for filters, ``name:value`` queries and trend terms;
- ``flag``: true/false filters;
- ``date``: range filters and date histograms;
- ``stored``: kept with the document, never searched.

Article fields not declared here are kept in the stored document by both backends; Elasticsearch
also maps them by type (so Kibana can show and filter them), the embedded index does not search them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from whirlpool.article import GUESSED_DATE_SOURCES, DateSource


class Role(StrEnum):
    TEXT = "text"
    KEYWORD = "keyword"
    FLAG = "flag"
    DATE = "date"
    STORED = "stored"


@dataclass(frozen=True)
class IndexedField:
    """One Article field as the index sees it."""

    name: str
    role: Role
    searched_as: str = ""  # text: the query name that searches it ("title", "body")
    filter: str = ""  # the SearchFilters attribute that filters on it (a list, or a flag's bool)
    query_names: tuple[str, ...] = ()  # keyword: names in the query syntax (``theme:arms``)
    aggregatable: bool = False  # a trend dimension or a counted unit (terms, cardinality)


FIELDS: tuple[IndexedField, ...] = (
    IndexedField("title", Role.TEXT, searched_as="title"),
    IndexedField("summary", Role.TEXT, searched_as="body"),
    IndexedField("body", Role.TEXT, searched_as="body"),
    IndexedField(
        "language", Role.KEYWORD, filter="languages", query_names=("language", "lang"), aggregatable=True
    ),
    IndexedField("source_id", Role.KEYWORD, filter="source_ids", query_names=("source",), aggregatable=True),
    IndexedField(
        "source_kind", Role.KEYWORD, filter="source_kinds", query_names=("source_kind",), aggregatable=True
    ),
    IndexedField("themes", Role.KEYWORD, filter="themes", query_names=("theme",), aggregatable=True),
    IndexedField("entities", Role.KEYWORD, filter="entities", query_names=("entity",), aggregatable=True),
    IndexedField("places", Role.KEYWORD, query_names=("place",), aggregatable=True),
    IndexedField("published_at_source", Role.KEYWORD),  # trusted or guessed: see TRUSTED_DATE_SOURCES
    IndexedField("story_id", Role.KEYWORD, filter="story_ids", aggregatable=True),
    IndexedField("story_first_source", Role.KEYWORD),
    IndexedField("story_languages", Role.KEYWORD),
    IndexedField("relevant", Role.FLAG, filter="relevant_only"),
    IndexedField("is_representative", Role.FLAG, filter="representatives_only"),
    IndexedField("published_at", Role.DATE, aggregatable=True),
    IndexedField("evidence", Role.STORED),
)

BY_NAME = {field.name: field for field in FIELDS}


def named(role: Role) -> tuple[str, ...]:
    """The names of the declared fields with ``role``, in declaration order."""
    return tuple(field.name for field in FIELDS if field.role is role)


# Query name of a text search -> the fields it searches ({"title": ("title",), "body": ("summary", "body")}).
QUERY_TEXT_FIELDS: dict[str, tuple[str, ...]] = {}
for _field in FIELDS:
    if _field.role is Role.TEXT:
        QUERY_TEXT_FIELDS.setdefault(_field.searched_as, ())
        QUERY_TEXT_FIELDS[_field.searched_as] += (_field.name,)

# A SearchFilters list attribute -> the keyword field it filters.
FILTER_FIELDS = {f.filter: f.name for f in FIELDS if f.role is Role.KEYWORD and f.filter}
# A SearchFilters boolean attribute -> the flag that must be true.
FLAG_FILTERS = {f.filter: f.name for f in FIELDS if f.role is Role.FLAG and f.filter}
# A name in the query syntax -> the keyword field it matches exactly.
KEYWORD_QUERY_NAMES = {name: f.name for f in FIELDS if f.role is Role.KEYWORD for name in f.query_names}
AGGREGATABLE_KEYWORDS = tuple(f.name for f in FIELDS if f.role is Role.KEYWORD and f.aggregatable)

# ``exclude_guessed_dates`` keeps documents whose date came from one of these (not guessed or clamped).
DATE_SOURCE_FIELD = "published_at_source"
TRUSTED_DATE_SOURCES = tuple(source.value for source in DateSource if source not in GUESSED_DATE_SOURCES)
