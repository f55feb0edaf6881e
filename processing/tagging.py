"""Tagging: which taxonomy concepts each field mentions, kept as evidence (term, field, where)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import get_args

from whirlpool.article import Evidence
from whirlpool.taxonomy import Concept, ConceptKind, Match, Taxonomy

FIELDS = ("title", "summary", "body")
EVIDENCE_KIND = {
    "actor": "actor",
    "theme": "theme",
    "place": "place",
}  # people, organisations, weapons: entity
MAX_EVIDENCE = 200
_NEW_EVIDENCE = Evidence.__new__
_SET = object.__setattr__
_EVIDENCE_FIELDS = frozenset(Evidence.model_fields)
_KIND = {kind: EVIDENCE_KIND.get(kind, "entity") for kind in get_args(ConceptKind)}


def _evidence(values: dict) -> Evidence:
    """``Evidence(**values)`` for values already of the schema's types (ids and terms are str,
    offsets int), set up as pydantic's own ``__setstate__`` (unpickling) does: about twice as quick
    as validating what is valid by construction, and a tagged article has a dozen or more."""
    item = _NEW_EVIDENCE(Evidence)
    _SET(item, "__dict__", values)
    _SET(item, "__pydantic_fields_set__", set(_EVIDENCE_FIELDS))
    _SET(item, "__pydantic_extra__", None)
    _SET(item, "__pydantic_private__", None)
    return item


@dataclass
class Tags:
    """Matches per field, and what they add up to for the article."""

    matches: dict[str, list[Match]] = field(default_factory=dict)
    _strong: dict[str, list[Match]] | None = field(default=None, init=False, repr=False, compare=False)
    _concepts: list[Concept] | None = field(default=None, init=False, repr=False, compare=False)

    def strong(self) -> dict[str, list[Match]]:
        """Matches that count: weak aliases (조선, 朝鮮, 露, 하산) only where the same concept, or one
        of its ``confirmed_by`` concepts, is also named by a strong alias somewhere in the article.
        Worked out once; do not modify (without a weak match it is ``matches`` itself)."""
        if self._strong is None:
            matches = self.matches
            if any(m.weak for ms in matches.values() for m in ms):
                confirmed = {m.concept.id for ms in matches.values() for m in ms if not m.weak}
                self._strong = {
                    name: [
                        m
                        for m in ms
                        if not m.weak
                        or m.concept.id in confirmed
                        or not confirmed.isdisjoint(m.concept.confirmed_by)
                    ]
                    for name, ms in matches.items()
                }
            else:
                self._strong = matches
        return self._strong

    def concepts(self) -> list[Concept]:
        """The concepts of the strong matches, each once, in the order they first appear (worked
        out once: the step asks for sides, entities and places)."""
        if self._concepts is None:
            self._concepts = list({m[0].id: m[0] for ms in self.strong().values() for m in ms}.values())
        return self._concepts

    def concept_ids(self, kinds: tuple[str, ...]) -> list[str]:
        return [concept.id for concept in self.concepts() if concept.kind in kinds]

    def sides(self) -> list[str]:
        found = {concept.side for concept in self.concepts() if concept.side}
        return [side for side in ("russia", "dprk") if side in found]

    def evidence(self, texts: dict[str, str]) -> list[Evidence]:
        items = []
        for name, ms in self.strong().items():
            text = texts[name]
            for concept, _, start, end, _ in ms:
                items.append(
                    _evidence(
                        {
                            "concept": concept.id,
                            "kind": _KIND[concept.kind],
                            "term": text[start:end],
                            "field": name,
                            "start": start,
                            "end": end,
                        }
                    )
                )
                if len(items) >= MAX_EVIDENCE:
                    return items
        return items


def tag_fields(taxonomy: Taxonomy, texts: dict[str, str]) -> Tags:
    """One Aho–Corasick pass over the fields together."""
    return Tags(
        dict(zip(FIELDS, taxonomy.find_in_texts([texts.get(name, "") for name in FIELDS]), strict=True))
    )
