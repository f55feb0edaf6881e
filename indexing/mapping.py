"""The Elasticsearch mapping and index template, generated from the Article model.

Every Article field is mapped from its pydantic type and its role (``indexing.fields``); the text
fields get per-language sub-fields: ``.en`` (english), ``.ru`` (russian), ``.uk`` (Ukrainian: lowercase plus the light
Russian snowball stemmer, which handles the shared Slavic endings; no Ukrainian stemmer ships
with Elasticsearch), ``.cjk`` (cjk bigrams for Chinese, Japanese and Korean), and
``.cjk_unigrams`` (every CJK character on its own as well, for one-character queries).

A few fields exist only in the index (``DERIVED_FIELDS``), derived at index time from the Article
and the taxonomy so Kibana can show names and a map: the English labels of the entities and places
(``entity_labels``, ``place_labels``) and the places' coordinates (``place_locations``, a
``geo_point``). :func:`index_document` adds them; :func:`article_from_source` drops them again.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from indexing.fields import BY_NAME, Role
from whirlpool.article import Article

LANGUAGE_SUBFIELDS = {"en": "english", "ru": "russian", "uk": "whirlpool_ukrainian", "cjk": "cjk"}
DERIVED_FIELDS: dict[str, dict[str, Any]] = {
    "entity_labels": {"type": "keyword", "ignore_above": 256},
    "place_labels": {"type": "keyword", "ignore_above": 256},
    "place_locations": {"type": "geo_point"},
}
# One-character CJK queries (북 as in 북러 "North Korea-Russia", 北, 俄, 朝): the cjk analyser
# leaves a character on its own only when no CJK character stands next to it (Elasticsearch
# reference, "CJK bigram token filter": ``output_unigrams`` defaults to false), and the root field's
# standard tokenizer splits Han and Hiragana into characters but keeps Hangul and Katakana runs
# whole (북러, ロシア), so 북 inside 북러 was found nowhere; the embedded index keeps every
# character. This sub-field keeps unigrams besides the bigrams, for all four scripts.
CJK_UNIGRAM_SUBFIELD = "cjk_unigrams"

ANALYSIS = {
    "filter": {
        "whirlpool_light_slavic_stem": {"type": "stemmer", "language": "light_russian"},
        "whirlpool_cjk_unigrams_and_bigrams": {"type": "cjk_bigram", "output_unigrams": True},
    },
    "analyzer": {
        "whirlpool_ukrainian": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "whirlpool_light_slavic_stem"],
        },
        "whirlpool_cjk_unigrams": {  # the cjk analyser's steps, keeping unigrams
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["cjk_width", "lowercase", "whirlpool_cjk_unigrams_and_bigrams"],
        },
    },
}


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → X; ``list[X]`` → X (Elasticsearch fields are multi-valued anyway)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0])
    if origin is list:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation


def _field_mapping(name: str, annotation: Any) -> dict[str, Any]:
    role = BY_NAME[name].role if name in BY_NAME else None
    if role is Role.STORED:
        return {"type": "object", "enabled": False}
    if role is Role.TEXT:
        subfields = {
            key: {"type": "text", "analyzer": analyzer} for key, analyzer in LANGUAGE_SUBFIELDS.items()
        }
        subfields[CJK_UNIGRAM_SUBFIELD] = {"type": "text", "analyzer": "whirlpool_cjk_unigrams"}
        return {"type": "text", "fields": subfields}
    mapping = _type_mapping(name, _unwrap(annotation))
    if role is not None and mapping["type"] != ROLE_TYPES[role]:
        raise TypeError(f"Article.{name} is declared {role.value} but its type maps to {mapping['type']}")
    return mapping


ROLE_TYPES = {Role.KEYWORD: "keyword", Role.FLAG: "boolean", Role.DATE: "date"}


def _type_mapping(name: str, kind: Any) -> dict[str, Any]:
    if isinstance(kind, type) and issubclass(kind, bool):
        return {"type": "boolean"}
    if isinstance(kind, type) and issubclass(kind, int):
        return {"type": "integer"}
    if isinstance(kind, type) and issubclass(kind, float):
        return {"type": "float"}
    if isinstance(kind, type) and issubclass(kind, datetime):
        return {"type": "date"}
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return {"type": "object", "enabled": False}
    if isinstance(kind, type) and issubclass(kind, (str, Enum)):
        return {"type": "keyword", "ignore_above": 2048}
    raise TypeError(f"Article.{name}: no Elasticsearch mapping for {kind!r}")


def article_mapping() -> dict[str, Any]:
    """The mapping for every field of :class:`Article` and the derived fields (strict: unknown fields
    are rejected)."""
    properties = {name: _field_mapping(name, info.annotation) for name, info in Article.model_fields.items()}
    return {"dynamic": "strict", "properties": {**properties, **DERIVED_FIELDS}}


def concept_label(taxonomy: Any | None, concept_id: str) -> str:
    """A concept's English label (its id when the taxonomy does not know it)."""
    if taxonomy is None:
        return concept_id
    try:
        concept = taxonomy.concept(concept_id)
    except KeyError:
        return concept_id
    return concept.labels.get("en") or concept_id


def derived_fields(article: Article, taxonomy: Any | None) -> dict[str, Any]:
    """The index-only fields of ``article``: labels of its entities and places, places' coordinates."""
    locations = []
    for place in article.places:
        try:
            coordinates = taxonomy.concept(place).coordinates if taxonomy is not None else None
        except KeyError:
            coordinates = None
        if coordinates is not None:
            locations.append({"lat": coordinates[0], "lon": coordinates[1]})
    return {
        "entity_labels": [concept_label(taxonomy, c) for c in article.entities],
        "place_labels": [concept_label(taxonomy, c) for c in article.places],
        "place_locations": locations,
    }


def index_document(article: Article, taxonomy: Any | None = None) -> dict[str, Any]:
    """The document indexed for ``article``: its fields (JSON) and the derived fields."""
    return {**article.model_dump(mode="json"), **derived_fields(article, taxonomy)}


def article_from_source(source: dict[str, Any]) -> Article:
    """The Article back from an indexed document (derived fields dropped)."""
    return Article.model_validate({k: v for k, v in source.items() if k not in DERIVED_FIELDS})


def index_template(prefix: str) -> dict[str, Any]:
    """The composable index template for every versioned index behind the ``prefix`` alias."""
    return {
        "index_patterns": [f"{prefix}-v*"],
        "priority": 200,
        "template": {
            "settings": {"analysis": ANALYSIS, "number_of_shards": 1},
            "mappings": article_mapping(),
        },
        "_meta": {"description": "Whirlpool articles, generated from whirlpool.article.Article"},
    }
