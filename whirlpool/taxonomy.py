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
# between an article's texts when they are matched in one pass (see Taxonomy.find_in_texts)
SEPARATOR = "\x00"
_CJK, _HANGUL_SCRIPT, _ABBREVIATION, _SPACED = range(4)
_PLAIN, _STEM, _BARE, _SPACED_ONLY, _ANY = range(5)  # how a key's hits are checked (see Taxonomy._checks)
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
    # other concepts whose strong mention confirms a weak alias of this one too (the Khasan crossing's
    # bare name, also a first name and Korean for "coming down a mountain", beside Tumangang or Rason)
    confirmed_by: list[str] = Field(default_factory=list)
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


def _nfkc_lower_joined(texts: Sequence[str]) -> tuple[str, list[int]]:
    """``_unify_variants`` of the texts' ``_nfkc_lower`` joined by the separator, and their
    lengths. One ``lower`` of them joined is the same as one each: no letter lower-cases by what is
    beyond a separator (final sigma reads up to the nearest character that is neither a letter nor
    case-ignorable, and the separator is such a character)."""
    texts = [unicodedata.normalize("NFKC", text) for text in texts]
    # the variants unified first (dashes and apostrophes have no case, and neither they nor their
    # replacements are letters): English text, typographic apostrophes and dashes gone, is often
    # pure ASCII then, which str.lower and the automaton read several times faster
    joined = _unify_variants(SEPARATOR.join(texts))
    lowered = joined.lower()
    if len(lowered) == len(joined):
        if "ё" in lowered:  # from Ё
            lowered = lowered.replace("ё", "е")
        return lowered, [len(text) for text in texts]
    parts = [_nfkc_lower(text) for text in texts]
    return _unify_variants(SEPARATOR.join(parts)), [len(part) for part in parts]


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


def _hanja_run_of_abbreviations(text: str, start: int, end: int) -> bool:
    """The run of Hanja around ``text[start:end]`` is made of headline abbreviations only."""
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
        for concept in self.concepts:
            unknown = [other for other in concept.confirmed_by if other not in seen]
            if unknown:
                raise ValueError(f"concept '{concept.id}': confirmed_by names unknown {', '.join(unknown)}")
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
    def _checks(self) -> list[tuple]:
        """Per key, what the matching loop unpacks: how to check it (``_PLAIN``: one spaced-script
        literal, checked at its two edges; ``_STEM``: one spaced-script stem, matched by its
        pattern; ``_BARE``: one Han or kana term, which needs no check; ``_SPACED_ONLY``:
        spaced-script rules only, so a key starting inside a word is dropped at once; ``_ANY``:
        rule by rule), whether its first and its last character are word characters (the boundary
        checks need only the text's side), the concept, weakness, theme-ness and stem pattern of
        its first rule, and its rules as plain tuples: (script code, concept, weak, stem pattern,
        compound head, theme term, concept is a theme)."""
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
                    self.concepts[rule.concept_index].kind == "theme",
                )
                for rule in rules
            )
            if all(code[0] == _SPACED for code in codes):
                mode = _SPACED_ONLY
                if len(codes) == 1:
                    mode = _PLAIN if codes[0][3] is None else _STEM
            elif len(codes) == 1 and codes[0][0] == _CJK:
                mode = _BARE
            else:
                mode = _ANY
            single = codes[0][1], codes[0][2], codes[0][6], codes[0][3]
            checks.append((mode, _is_word_char(key[0]), _is_word_char(key[-1]), *single, codes))
        return checks

    def _key_hits(self, lowered: str) -> list[tuple[int, int, int]]:
        """(key index, start, end) of every alias key in ``lowered``, overlapping ones included, in
        the automaton's order (by end; ``_candidates`` sorts what passes)."""
        automaton = self._automaton[0]
        try:
            return automaton.find_matches_as_indexes(lowered, overlapping=True)
        except UnicodeEncodeError:  # lone surrogates: one replacement character each keeps offsets
            return automaton.find_matches_as_indexes(_SURROGATE.sub("\ufffd", lowered), overlapping=True)

    def find(self, text: str, normalised: bool = False) -> list[Match]:
        """Every concept mention in ``text`` (one pass), longest match first where they overlap.

        Offsets refer to the NFKC form of ``text`` (the cleaned text the pipeline stores)."""
        return self.find_in_texts([text], normalised)[0]

    def find_in_texts(self, texts: Sequence[str], normalised: bool = False) -> list[list[Match]]:
        """``find`` of each text (an article's title, summary, body), with one automaton pass over
        them all joined by NUL: no alias holds it, no boundary rule reads it as a letter, and the
        Korean-context window stops at the text's edges, so each text's matches are those it has
        alone."""
        if normalised:
            joined = SEPARATOR.join(texts)
            lengths = [len(text) for text in texts]
        else:
            joined, lengths = _nfkc_lower_joined(texts)
        found = self._candidates(joined, lengths)
        result: list[list[Match]] = [[] for _ in texts]
        if not found:
            return result
        found.sort()  # by start, longest first, then as the automaton found them (see _candidates)
        field, offset, field_end = 0, 0, lengths[0]
        kept = result[0]
        covered_until = -1
        covering_is_theme = False
        for start, _, _, _, end, concept, weak, is_theme in found:
            while start >= field_end:  # matches come text by text; none spans a separator
                field += 1
                offset, field_end = field_end + 1, field_end + 1 + lengths[field]
                kept = result[field]
            if end <= covered_until:
                # inside a longer match (found starts no earlier): keep it only if it is the same
                # span (another concept), or a name inside a theme term ("北朝鮮" in "北朝鮮製" is
                # still North Korea) (matches of one span are neighbours in this order: a kept twin
                # is the last kept)
                if not (covering_is_theme and not is_theme) and not (
                    kept and kept[-1][2] == start - offset and kept[-1][3] == end - offset
                ):
                    continue
            else:
                covered_until, covering_is_theme = end, is_theme
            kept.append(_new_match(Match, (concept, joined[start:end], start - offset, end - offset, weak)))
        return result

    def _candidates(self, lowered: str, lengths: Sequence[int] = ()) -> list[tuple]:
        """(start, start - end, key end, rule number, end, concept, weak, is theme) of each alias
        hit that passes its script's boundary rule, unsorted: sorted, they come by start, longest
        first, and at one span in the order of the automaton's hits (by key end) and their rules.
        ``lowered`` is texts of ``lengths`` joined by the separator (or one text when ``lengths``
        is empty)."""
        length = len(lowered)
        checks = self._checks
        found: list[tuple] = []
        append = found.append
        starts = hangul = None
        for key_index, start, key_end in self._key_hits(lowered):
            mode, word_start, word_end, concept, weak, is_theme, pattern, rules = checks[key_index]
            before = lowered[start - 1] if start else " "
            # a spaced alias starting with a letter inside a word (port in report): the usual miss
            inside_word = word_start and (before.isalnum() or before == "_")
            if mode == _PLAIN:
                if inside_word:
                    continue
                if word_end and key_end < length:
                    after = lowered[key_end]
                    if after.isalnum() or after == "_":
                        continue
                append((start, start - key_end, key_end, 0, key_end, concept, weak, is_theme))
                continue
            if mode == _STEM:
                if inside_word:
                    continue
                stem = pattern.match(lowered, start)
                if stem is not None:
                    append((start, start - stem.end(), key_end, 0, stem.end(), concept, weak, is_theme))
                continue
            if mode == _BARE:
                append((start, start - key_end, key_end, 0, key_end, concept, weak, is_theme))
                continue
            if inside_word and mode == _SPACED_ONLY:
                continue
            for number, (script, concept, weak, pattern, head, term, is_theme) in enumerate(rules):
                end = key_end
                if script == _HANGUL_SCRIPT:
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
                elif script == _SPACED:
                    if inside_word:
                        continue
                    if pattern is not None:
                        stem = pattern.match(lowered, start)
                        if stem is None:
                            continue
                        end = stem.end()
                    elif word_end and end < length and _is_word_char(lowered[end]):
                        continue
                elif script == _ABBREVIATION:
                    # cheap checks before Kiwi is asked: Korean text around it (in the text it is
                    # in); a Hangul abbreviation starts a word and is followed by a non-letter or a
                    # particle (not 여러, 달러, 북한, 러시아); a Hanja one stands in a run of Hanja
                    # abbreviations only (北中, not 北京). 北 and 中 are everywhere in Chinese and
                    # Japanese text, which mostly has no Hangul at all.
                    if _is_hangul(lowered[start]):  # the Korean context is the abbreviation itself
                        if _is_hangul(before):
                            continue
                        if end < length and _is_hangul(lowered[end]):
                            if not lowered.startswith(KOREAN_PARTICLES, end):
                                continue
                    else:
                        if hangul is None:
                            hangul = _HANGUL.search(lowered) is not None
                        if not hangul:
                            continue
                        lo, hi = 0, length
                        if len(lengths) > 1:  # the bounds of the text it is in
                            if starts is None:
                                starts = _text_starts(lengths)
                            text_number = bisect_right(starts, start) - 1
                            lo, hi = starts[text_number], starts[text_number] + lengths[text_number]
                        if not _korean_context(
                            lowered, start, end, lo, hi
                        ) or not _hanja_run_of_abbreviations(lowered, start, end):
                            continue
                    if not korean.stands_alone(lowered, start, end, abbreviation=True):
                        continue
                append((start, start - end, key_end, number, end, concept, weak, is_theme))
        return found

    def concepts_for_phrase(self, text: str) -> list[Concept]:
        """The concepts a query phrase names, in any script or spelling ("Ким Чен Ын", "Пхеньяна",
        "金正恩", "KN-23"): those with an alias covering the whole phrase."""
        lowered = normalise_for_matching(" ".join(text.split()))
        if not lowered:
            return []
        result: list[Concept] = []
        for start, _, _, _, end, concept, *_ in sorted(self._candidates(lowered)):
            if start == 0 and end == len(lowered) and concept not in result:
                result.append(concept)
        return result


def _text_starts(lengths: Sequence[int]) -> list[int]:
    """Where each text starts in ``SEPARATOR.join(texts)``, from their lengths."""
    starts, at = [], 0
    for length in lengths:
        starts.append(at)
        at += length + 1
    return starts


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and validate the taxonomy; bad files raise ConfigError naming file, line and field."""
    taxonomy = load_model(Path(path), Taxonomy)
    _ = taxonomy._automaton  # build once, at load
    return taxonomy
