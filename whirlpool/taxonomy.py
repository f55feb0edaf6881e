"""The taxonomy (``config/taxonomy.yaml``) and its one-pass multilingual matcher.

Aliases are matched case-insensitively after NFKC with one Aho–Corasick automaton over all of
them (``ahocorasick_rs``: with several hundred aliases in six scripts it scans news text five to
seven times faster than pyahocorasick, whose nodes search their children one by one), then
checked against the boundary rules of their script:

- Latin and Cyrillic: the match starts and ends at a word boundary; a stem written with ``*``
  (``Пхеньян*``, ``Северн* Коре*``) may be followed by an inflection ending of up to five letters.
- Hangul: the match starts after a non-Hangul character and ends before one, or before a
  particle or verbal ending (``북한의``, ``러시아와``, ``파병했다``); elsewhere inside a Korean
  word (``주북한``, ``러시아대사``) Kiwi's morphemes decide (``whirlpool.korean``).
- Headline abbreviations (``러``, ``북``, ``北``, ``中``): only in Korean text, and only where Kiwi
  reads them as a proper noun or Hanja token of their own (never ``여러``, ``달러``, ``北京``).
- Han and kana (no spaces): substring match; ambiguous short terms are listed as weak aliases.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from pathlib import Path
from typing import Literal, NamedTuple

import ahocorasick_rs
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from whirlpool import korean
from whirlpool.yamlconfig import load_model

ConceptKind = Literal["actor", "person", "organisation", "weapon", "place", "theme"]
Side = Literal["russia", "dprk"]

THEME_CODES = (
    "arms_transfers",
    "troop_deployment",
    "military_cooperation",
    "strategic_tech",
    "diplomacy_treaty",
    "economy_trade",
    "labor_migration",
    "sanctions",
)

# What may follow a Korean noun (particles) or a Sino-Korean verb stem (하다/되다 endings).
KOREAN_SUFFIXES = tuple(
    sorted(
        "은 는 이 가 을 를 의 에 에서 에게 과 와 과의 와의 도 로 으로 만 까지 부터 측 군 간 "
        "하 한 할 해 했 함 된 되 됐 돼 키 적 산 제 인 들".split(),
        key=len,
        reverse=True,
    )
)
# What may follow a one-syllable headline abbreviation (북은, 러와): particles only, since 북한, 북측,
# 러시아 are other words that their own aliases match
KOREAN_PARTICLES = tuple(
    sorted(
        "은 는 이 가 을 를 의 에 에서 에게 과 와 과의 와의 도 로 으로 만 까지 부터".split(),
        key=len,
        reverse=True,
    )
)
_SUFFIX_STARTS = frozenset(suffix[0] for suffix in KOREAN_SUFFIXES)
MAX_STEM_ENDING = 5
_SURROGATE = re.compile("[\ud800-\udfff]")
_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")  # what _is_hangul accepts
_BY_END_THEN_START = itemgetter(2, 1)  # at one end, the earlier start (the longer key) first
_BY_START_LONGEST_FIRST = itemgetter(0, 1)  # of (start, -length, ...)
# between an article's texts when they are matched in one pass (see Taxonomy.find_in_texts)
SEPARATOR = "\x00"
_CJK, _HANGUL_SCRIPT, _ABBREVIATION, _SPACED = range(4)
_SCRIPT_CODES = {"cjk": _CJK, "hangul": _HANGUL_SCRIPT, "abbreviation": _ABBREVIATION, "spaced": _SPACED}
_REPLACEMENTS = (
    ("‐", "-"),
    ("‑", "-"),
    ("‒", "-"),
    ("–", "-"),
    ("—", "-"),
    ("’", "'"),
    ("‘", "'"),
    ("ё", "е"),
)


class Concept(BaseModel):
    """One thing the product tags: an actor, person, organisation, weapon, place or theme."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^(actor|person|org|weapon|place|theme)\.[a-z0-9_]+$")
    kind: ConceptKind
    side: Side | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    aliases: list[str] = Field(min_length=1)
    weak_aliases: list[str] = Field(default_factory=list)
    abbreviations: list[str] = Field(default_factory=list)
    # the theme a mention of this concept implies (Kursk → troop_deployment, Vostochny →
    # strategic_tech, the Tumen bridge → economy_trade); weapons imply arms_transfers
    implies_theme: str | None = None
    # a state or body neither side, whose own view of both is often the story, not a tie between them
    third_party: bool = False
    # a place's latitude and longitude (WGS 84), for the map of places in Kibana
    coordinates: tuple[float, float] | None = None

    @field_validator("coordinates")
    @classmethod
    def _on_earth(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):
            raise ValueError(f"coordinates {list(value)} are not [latitude, longitude] on Earth")
        return value

    @field_validator("aliases", "weak_aliases", "abbreviations")
    @classmethod
    def _no_blank_alias(cls, value: list[str]) -> list[str]:
        if any(not str(alias).strip() or str(alias).strip() == "*" for alias in value):
            raise ValueError("an alias is blank")
        return [str(alias).strip() for alias in value]

    @model_validator(mode="after")
    def _theme_codes(self) -> Concept:
        if self.kind == "theme" and self.code not in THEME_CODES:
            raise ValueError(f"unknown theme code '{self.code}'; expected one of {', '.join(THEME_CODES)}")
        if self.implies_theme is not None and self.implies_theme not in THEME_CODES:
            raise ValueError(
                f"unknown theme code '{self.implies_theme}' in implies_theme; expected one of {', '.join(THEME_CODES)}"
            )
        return self

    @cached_property
    def theme(self) -> str | None:
        """The theme code this concept names or implies."""
        if self.kind == "theme":
            return self.code
        if self.kind == "weapon":
            return self.implies_theme or "arms_transfers"
        return self.implies_theme

    @cached_property
    def code(self) -> str:
        """The part after the dot: the bare theme code for themes (``arms_transfers``)."""
        return self.id.split(".", 1)[1]


class Match(NamedTuple):
    """One alias found in a text: the concept, the surface form, and where. (A tuple: a tagged
    article makes a dozen or more, and a tuple is made several times faster than a frozen
    dataclass.)"""

    concept: Concept
    term: str
    start: int
    end: int
    weak: bool


_new_match = tuple.__new__  # Match(...) without the Python frame of its generated __new__


def normalise_for_matching(text: str) -> str:
    """NFKC, lower case, one dash and apostrophe, ё→е; same length as the NFKC text."""
    return _unify_variants(_nfkc_lower(text))


def _nfkc_lower(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    lowered = text.lower()
    if len(lowered) != len(text):  # a few letters lower-case to two characters
        lowered = "".join((ch.lower()[:1] or ch) for ch in text)
    return lowered


def _unify_variants(lowered: str) -> str:
    """One dash, one apostrophe, ё→е (character for character: offsets do not move)."""
    for old, new in _REPLACEMENTS:
        if old in lowered:
            lowered = lowered.replace(old, new)
    return lowered


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f"


def _korean_context(text: str, start: int, end: int, lo: int = 0, hi: int | None = None) -> bool:
    """Hangul within a few characters of ``text[start:end]`` (inside ``text[lo:hi]``, the field it
    is in): the text around it is Korean."""
    stop = end + 8 if hi is None else min(end + 8, hi)
    return _HANGUL.search(text, max(lo, start - 8), stop) is not None


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _abbreviation_may_stand_alone(
    text: str, start: int, end: int, lo: int = 0, hi: int | None = None
) -> bool:
    """Cheap checks before Kiwi is asked: Korean text around it (in ``text[lo:hi]``); a Hangul
    abbreviation starts a word and is followed by a non-letter or a particle (not 여러, 달러, 북한,
    러시아); a Hanja one stands in a run of Hanja abbreviations only (北中, not 北京)."""
    if not _korean_context(text, start, end, lo, hi):
        return False
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if _is_hangul(text[start]):
        if _is_hangul(before):
            return False
        return not _is_hangul(after) or text.startswith(KOREAN_PARTICLES, end)
    run_start, run_end = start, end
    while run_start > 0 and _is_han(text[run_start - 1]):
        run_start -= 1
    while run_end < len(text) and _is_han(text[run_end]):
        run_end += 1
    return set(text[run_start:run_end]) <= korean.ABBREVIATION_HANJA


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _script_of(alias: str) -> str:
    if any(_is_hangul(ch) for ch in alias):
        return "hangul"
    if any(ch.isalpha() and ("\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff") for ch in alias):
        return "cjk"
    return "spaced"


@dataclass(frozen=True)
class _AliasRule:
    concept_index: int
    alias: str
    script: str  # spaced | hangul | cjk | abbreviation
    weak: bool
    pattern: re.Pattern[str] | None  # for stems and multi-word stems; None means a plain literal
    compound_head: bool = False  # a Korean name that may head a compound (북러단결, 러시아대사)
    # a Korean theme term of two syllables or more: Sino-Korean compounds keep its meaning
    # (해안관광지구, 군사협력을), so it counts inside a word without asking Kiwi
    theme_term: bool = False


def _stem_pattern(alias: str) -> re.Pattern[str]:
    parts = []
    for token in alias.split():
        if token.endswith("*"):
            parts.append(re.escape(token[:-1]) + rf"[^\W\d_]{{0,{MAX_STEM_ENDING}}}")
        else:
            parts.append(re.escape(token))
    return re.compile(r"\s+".join(parts) + r"(?!\w)")


class Taxonomy(BaseModel):
    """All concepts, and a matcher built once over all their aliases."""

    model_config = ConfigDict(extra="forbid")

    concepts: list[Concept]

    @model_validator(mode="after")
    def _unique_ids_and_all_themes(self) -> Taxonomy:
        seen: set[str] = set()
        for concept in self.concepts:
            if concept.id in seen:
                raise ValueError(f"concept id '{concept.id}' appears twice")
            seen.add(concept.id)
        missing = [code for code in THEME_CODES if f"theme.{code}" not in seen]
        if missing:
            raise ValueError(f"themes missing: {', '.join(missing)}")
        return self

    def concept(self, concept_id: str) -> Concept:
        try:
            return self._by_id[concept_id]
        except KeyError:
            raise KeyError(f"no concept '{concept_id}' in the taxonomy") from None

    @cached_property
    def _by_id(self) -> dict[str, Concept]:
        return {concept.id: concept for concept in self.concepts}

    @cached_property
    def _automaton(self) -> tuple[ahocorasick_rs.AhoCorasick, list[tuple[_AliasRule, ...]], list[str]]:
        """The automaton over every alias key, the rules of each key and the keys (same index)."""
        keyed: dict[str, list[_AliasRule]] = {}
        for index, concept in enumerate(self.concepts):
            seen: set[str] = set()
            for weak, aliases, abbreviation in (
                (False, concept.aliases, False),
                (True, concept.weak_aliases, False),
                (False, concept.abbreviations, True),
            ):
                for alias in aliases:
                    norm = normalise_for_matching(alias)
                    if norm in seen:
                        continue
                    seen.add(norm)
                    script = "abbreviation" if abbreviation else _script_of(norm)
                    if "*" in norm and script == "spaced":
                        key = norm.split()[0].rstrip("*")
                        pattern = _stem_pattern(norm)
                    else:
                        key, pattern = norm.replace("*", ""), None
                    head = script == "hangul" and concept.kind != "theme" and len(norm) >= 2
                    term = script == "hangul" and concept.kind == "theme" and len(norm) >= 2
                    keyed.setdefault(key, []).append(
                        _AliasRule(index, norm, script, weak, pattern, head, term)
                    )
        automaton = ahocorasick_rs.AhoCorasick(list(keyed), matchkind=ahocorasick_rs.MatchKind.Standard)
        return automaton, [tuple(rules) for rules in keyed.values()], list(keyed)

    @cached_property
    def _checks(self) -> list[tuple[bool, bool, bool, tuple[tuple, ...]]]:
        """Per key: whether all its rules are spaced-script ones, whether its first and its last
        character are word characters (the boundary checks need only the text's side), and its
        rules as the plain tuples the matching loop unpacks: (script code, concept, weak, stem
        pattern, compound head, theme term)."""
        checks = []
        for key, rules in zip(self._automaton[2], self._automaton[1], strict=True):
            codes = tuple(
                (
                    _SCRIPT_CODES[rule.script],
                    self.concepts[rule.concept_index],
                    rule.weak,
                    rule.pattern,
                    rule.compound_head,
                    rule.theme_term,
                )
                for rule in rules
            )
            spaced_only = all(code[0] == _SPACED for code in codes)
            checks.append((spaced_only, _is_word_char(key[0]), _is_word_char(key[-1]), codes))
        return checks

    def _key_hits(self, lowered: str) -> list[tuple[int, int, int]]:
        """(key index, start, end) of every alias key in ``lowered``, overlapping ones included,
        by end position and, at one end, longest first."""
        automaton = self._automaton[0]
        try:
            hits = automaton.find_matches_as_indexes(lowered, overlapping=True)
        except UnicodeEncodeError:  # lone surrogates: one replacement character each keeps offsets
            lowered = _SURROGATE.sub("\ufffd", lowered)
            hits = automaton.find_matches_as_indexes(lowered, overlapping=True)
        hits.sort(key=_BY_END_THEN_START)
        return hits

    def find(self, text: str, normalised: bool = False) -> list[Match]:
        """Every concept mention in ``text`` (one pass), longest match first where they overlap.

        Offsets refer to the NFKC form of ``text`` (the cleaned text the pipeline stores)."""
        return self.find_in_texts([text], normalised)[0]

    def find_in_texts(self, texts: Sequence[str], normalised: bool = False) -> list[list[Match]]:
        """``find`` of each text (an article's title, summary, body), with one automaton pass over
        them all joined by NUL: no alias holds it, no boundary rule reads it as a letter, and the
        Korean-context window stops at the text's edges, so each text's matches are those it has
        alone."""
        lowered = [text if normalised else _nfkc_lower(text) for text in texts]
        joined = SEPARATOR.join(lowered)
        if not normalised:
            joined = _unify_variants(joined)
        found = self._candidates(joined, lowered)
        result: list[list[Match]] = [[] for _ in texts]
        if not found:
            return result
        found.sort(key=_BY_START_LONGEST_FIRST)  # stable: at one span, the automaton's order
        field, offset, field_end = 0, 0, len(lowered[0])
        kept = result[0]
        covered_until = covered_start = -1
        covering_is_theme = False
        for start, _, end, concept, weak in found:
            while start >= field_end:  # matches come text by text; none spans a separator
                field += 1
                offset, field_end = field_end + 1, field_end + 1 + len(lowered[field])
                kept = result[field]
            if start < covered_until and end <= covered_until and start >= covered_start:
                # inside a longer match: keep it only if it is the same span (another concept), or
                # a name inside a theme term ("北朝鮮" in "北朝鮮製" is still North Korea)
                # (matches of one span are neighbours in this order: a kept twin is the last kept)
                same_span = kept and kept[-1][2] == start - offset and kept[-1][3] == end - offset
                if not same_span and not (covering_is_theme and concept.kind != "theme"):
                    continue
            kept.append(_new_match(Match, (concept, joined[start:end], start - offset, end - offset, weak)))
            if end > covered_until:
                covered_until, covered_start = end, start
                covering_is_theme = concept.kind == "theme"
        return result

    def _candidates(self, lowered: str, texts: Sequence[str] = ()) -> list[tuple]:
        """(start, -length, end, concept, weak) of each alias hit that passes its script's boundary
        rule, in the automaton's order. ``lowered`` is ``texts`` joined by the separator (or one
        text when ``texts`` is empty)."""
        length = len(lowered)
        checks = self._checks
        found: list[tuple] = []
        append = found.append
        starts = None
        for key_index, start, key_end in self._key_hits(lowered):
            spaced_only, word_start, word_end, rules = checks[key_index]
            before = lowered[start - 1] if start > 0 else " "
            # a spaced alias starting with a letter inside a word (port in report): the usual miss
            inside_word = word_start and (before.isalnum() or before == "_")
            if inside_word and spaced_only:
                continue
            for script, concept, weak, pattern, head, term in rules:
                end = key_end
                if script == _SPACED:
                    if inside_word:
                        continue
                    if pattern is not None:
                        stem = pattern.match(lowered, start)
                        if stem is None:
                            continue
                        end = stem.end()
                    elif word_end and end < length and _is_word_char(lowered[end]):
                        continue
                elif script == _HANGUL_SCRIPT:
                    # _is_hangul, inline: on every hit of a Korean alias
                    inside = (
                        "\uac00" <= before <= "\ud7a3"
                        or "\u1100" <= before <= "\u11ff"
                        or "\u3130" <= before <= "\u318f"
                    )
                    after = lowered[end] if end < length else " "
                    glued = (
                        "\uac00" <= after <= "\ud7a3"
                        or "\u1100" <= after <= "\u11ff"
                        or "\u3130" <= after <= "\u318f"
                    ) and not (after in _SUFFIX_STARTS and lowered.startswith(KOREAN_SUFFIXES, end))
                    if glued and not inside and head:
                        if not korean.heads_compound(lowered, start, end):
                            continue
                    elif (inside or glued) and not (term or korean.stands_alone(lowered, start, end)):
                        continue
                elif script == _ABBREVIATION:
                    lo, hi = 0, length
                    if len(texts) > 1:  # the bounds of the text it is in
                        if starts is None:
                            starts = _text_starts(texts)
                        number = bisect_right(starts, start) - 1
                        lo, hi = starts[number], starts[number] + len(texts[number])
                    if not _abbreviation_may_stand_alone(
                        lowered, start, end, lo, hi
                    ) or not korean.stands_alone(lowered, start, end, abbreviation=True):
                        continue
                append((start, start - end, end, concept, weak))
        return found

    def concepts_for_phrase(self, text: str) -> list[Concept]:
        """The concepts a query phrase names, in any script or spelling ("Ким Чен Ын", "Пхеньяна",
        "金正恩", "KN-23"): those with an alias covering the whole phrase."""
        lowered = normalise_for_matching(" ".join(text.split()))
        if not lowered:
            return []
        result: list[Concept] = []
        for start, _, end, concept, _ in self._candidates(lowered):
            if start == 0 and end == len(lowered) and concept not in result:
                result.append(concept)
        return result


def _text_starts(texts: Sequence[str]) -> list[int]:
    """Where each text starts in ``SEPARATOR.join(texts)``."""
    starts, at = [], 0
    for text in texts:
        starts.append(at)
        at += len(text) + 1
    return starts


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and validate the taxonomy; bad files raise ConfigError naming file, line and field."""
    taxonomy = load_model(Path(path), Taxonomy)
    _ = taxonomy._automaton  # build once, at load
    return taxonomy
