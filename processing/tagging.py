"""Tagging: which taxonomy concepts each field mentions, kept as evidence (term, field, where)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import TypeAdapter

from whirlpool.article import Evidence
from whirlpool.taxonomy import Match, Taxonomy

FIELDS = ("title", "summary", "body")
EVIDENCE_KIND = {
    "actor": "actor",
    "theme": "theme",
    "place": "place",
}  # people, organisations, weapons: entity
MAX_EVIDENCE = 200
# one call into pydantic-core validates the whole list: about half the cost of one Evidence(...)
# call per match, the Python side of each model's __init__ being most of it
_EVIDENCE_LIST = TypeAdapter(list[Evidence])


@dataclass
class Tags:
    """Matches per field, and what they add up to for the article."""

    matches: dict[str, list[Match]] = field(default_factory=dict)
    _strong: dict[str, list[Match]] | None = field(default=None, init=False, repr=False, compare=False)

    def strong(self) -> dict[str, list[Match]]:
        """Matches that count: weak aliases (조선, 朝鮮, 露) only where the same concept is also
        named by a strong alias somewhere in the article. Worked out once; do not modify."""
        if self._strong is None:
            confirmed = {m.concept.id for ms in self.matches.values() for m in ms if not m.weak}
            self._strong = {
                name: [m for m in ms if not m.weak or m.concept.id in confirmed]
                for name, ms in self.matches.items()
            }
        return self._strong

    def concept_ids(self, kinds: tuple[str, ...]) -> list[str]:
        seen: dict[str, None] = {}
        for ms in self.strong().values():
            for m in ms:
                if m.concept.kind in kinds:
                    seen.setdefault(m.concept.id, None)
        return list(seen)

    def sides(self) -> list[str]:
        found = {m.concept.side for ms in self.strong().values() for m in ms if m.concept.side}
        return [side for side in ("russia", "dprk") if side in found]

    def evidence(self, texts: dict[str, str]) -> list[Evidence]:
        items = []
        for name, ms in self.strong().items():
            text = texts[name]
            for m in ms:
                concept = m.concept
                items.append(
                    {
                        "concept": concept.id,
                        "kind": EVIDENCE_KIND.get(concept.kind, "entity"),
                        "term": text[m.start : m.end],
                        "field": name,
                        "start": m.start,
                        "end": m.end,
                    }
                )
                if len(items) >= MAX_EVIDENCE:
                    return _EVIDENCE_LIST.validate_python(items)
        return _EVIDENCE_LIST.validate_python(items) if items else []


def tag_fields(taxonomy: Taxonomy, texts: dict[str, str]) -> Tags:
    """One Aho–Corasick pass over each field."""
    return Tags({name: taxonomy.find(texts.get(name, "")) for name in FIELDS})
