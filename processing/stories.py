"""Stories across languages: articles about one real-world event, in any language and from any
outlet, share a ``story_id``; a story keeps its first report (earliest trusted date), its
languages, sources and source kinds, and a short title in each language.

Evidence is language-independent first: the taxonomy ids the tagger set (people, organisations,
weapons, places; the sides and themes weigh little), the numbers named in the text (``1,000``,
``1천``, ``1000 саперов`` are one number), publication-time proximity, and the duplicate cluster
(copies are one story). Titles in the same language add their word overlap. Two titles that each
name a person the other's lacks (Lavrov's visit against Shoigu's) count against a join, unless both
name one kind of event and a report names the other's man in its lead (a tribute to the dead).

Bad input stays apart: an article with no taxonomy id, or in a language outside
``STORY_LANGUAGES``, joins only its duplicate cluster's story; a guessed date never counts as
proximity, and such an article needs entity evidence beyond the threshold. A story takes members
only within ``window`` of its first report and up to ``max_size`` members.

State lives in one SQLite file beside the duplicate state: the stories of the last two windows
are loaded at start (older ones can take no member), and what changed is written at ``commit``.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import repeat
from pathlib import Path

import ahocorasick_rs
import msgspec
from pydantic import BaseModel, ConfigDict

from whirlpool.article import Article
from whirlpool.yamlconfig import load_model

STORY_LANGUAGES = frozenset({"ko", "ru", "en", "ja", "zh", "uk"})
DEFAULT_WINDOW = timedelta(hours=72)
DEFAULT_MAX_SIZE = 500
NUMBER_SCAN_CHARS = 400  # the lead: the summary, or this much of the body
MAX_POSTINGS = 40  # candidates taken from each concept's newest open stories
MAX_SCORED = 4  # candidates scored in full
MAX_COMPARED_MEMBERS = 4  # a new article is compared with a story's first members
MAX_OPEN_STORIES = 20_000  # in memory at most; the oldest close first

# Evidence weights (tuned on tests/data/stories/tuning.jsonl only).
WEIGHTS = {
    "person": 1.0,
    "organisation": 0.6,
    "weapon": 0.9,
    "place": 0.8,
    "actor": 0.25,
    "theme": 0.3,
    "in_both_titles": 1.5,  # a concept both titles name weighs this much more
    "number": 1.0,  # a number of 10 or more (not a year)
    "small_number": 0.25,
    "title_overlap": 2.5,  # times the share of title words in common (same language)
    "person_conflict": -1.6,
    "event": 1.0,  # a kind of event both name
    "event_conflict": -1.5,  # the titles name different kinds of event
    "same_day": 0.5,  # both name the same day of the month as a date
    "day_conflict": -1.0,  # both name days, none in common
    "missing_title_concept": -0.4,  # times the weight of what one title names and the other text lacks
    "per_day_apart": -0.6,
}
MAX_NUMBER_SCORE = 3.0
MAX_EVENT_SCORE = 1.2
MAX_THEME_SCORE = 0.6
MAX_MISSING_PENALTY = -1.6
CONTEXT_EVENTS = frozenset({"event.anniversary"})  # the occasion, not what happened
RARITY_DECAY = 0.5
JOIN_SCORE = 1.4
GUESSED_DATE_EXTRA = 1.0  # an article with a guessed date needs this much more

_DIGITS = ahocorasick_rs.AhoCorasick(list("0123456789"))  # each digit is a match
_NUMBER_AT = re.compile(  # matched where a run of digits starts, on lower-case text
    r"(\d{1,3}(?:[,  ]\d{3})+|\d+(?:[.,]\d+)?)\s?"
    r"(천|만|억|千|万|萬|億|тыс\w*|млн\w*|млрд\w*|thousand|million|billion|mln|bln)?"
)
_MULTIPLIERS = {
    "천": 1e3, "千": 1e3, "тыс": 1e3, "thousand": 1e3,
    "만": 1e4, "万": 1e4, "萬": 1e4,
    "억": 1e8, "億": 1e8,
    "млн": 1e6, "million": 1e6, "mln": 1e6,
    "млрд": 1e9, "billion": 1e9, "bln": 1e9,
}  # fmt: skip
_MONTHS_RU = "января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"
_MONTHS_UK = "січня|лютого|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|грудня"
_MONTHS_EN = r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DAY_AFTER = re.compile(  # after a day's digits: 23일, 23日, 23号, 23 августа, 23 серпня, 23 august
    rf"\s?(?:일(?!간|째)|日(?!間)|号)|\s(?:{_MONTHS_RU}|{_MONTHS_UK}|(?:{_MONTHS_EN})[a-z]*\b)"
)
_MONTH_END = frozenset("abcdefghijklmnopqrstuvwxyz.")  # what ends "aug." or "august" before a day
MAX_DIGIT_RUNS = 40  # numbers read per article at most
_DAY_BEFORE = re.compile(rf"\b(?:{_MONTHS_EN})[a-z]*\.?\s$")  # before a day's digits: aug. 23
_GROUPED = re.compile(r"\d{1,3}(?:[,  ]\d{3})+")
_SEPARATOR = re.compile(r"[,  ]")
_TITLE_WORD = re.compile(r"[^\W\d_]{3,}")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")
_CJK_PAIR = re.compile(r"(?=([\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{2}))")  # each two in a row
_STEM = 5  # Latin and Cyrillic title words compare by their first letters (inflections differ)


STORY_TERMS_FILE = Path(__file__).resolve().parent / "models" / "story_terms.yaml"
_LETTER_START = re.compile(r"[a-zа-яіїєґ]")


class StoryTermsFile(BaseModel):
    """``processing/models/story_terms.yaml``: term lists by name, in four groups."""

    model_config = ConfigDict(extra="forbid")

    people: dict[str, list[str]]
    places: dict[str, list[str]]
    weapons: dict[str, list[str]]
    events: dict[str, list[str]]
    # two people named together by a term ("북러 정상", "ロ朝首脳": the leaders of two countries);
    # the key is their names, joined by "+"
    leaders: dict[str, list[str]] = {}


class StoryTerms:
    """One Aho–Corasick pass finds the people, places and kinds of event a text names."""

    def __init__(self, terms: StoryTermsFile):
        patterns, self._ids, self._whole = [], [], []
        groups = (
            (terms.people, "person"),
            (terms.places, "place"),
            (terms.weapons, "weapon"),
            (terms.events, "event"),
        )
        named = [(f"{prefix}.{name}",) for group, prefix in groups for name in group]
        aliases_of = [aliases for group, _ in groups for aliases in group.values()]
        named += [tuple(f"person.{n}" for n in pair.split("+")) for pair in terms.leaders]
        aliases_of += list(terms.leaders.values())
        for ids, aliases in zip(named, aliases_of, strict=True):
            for alias in aliases:
                whole = alias.endswith("=")
                patterns.append(unicodedata.normalize("NFKC", alias.rstrip("=")).lower())
                self._ids.append(ids)
                self._whole.append(whole)
        # over the UTF-8 bytes (a str's matches cost a conversion of byte offsets to characters);
        # UTF-8 has no code that starts inside another, so the leftmost-longest matches are the same
        # as over the characters. Compact: in the step, between other work, it reads a quarter
        # faster than the DFA
        self._automaton = (
            ahocorasick_rs.BytesAhoCorasick(
                [pattern.encode() for pattern in patterns],
                matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
                implementation=ahocorasick_rs.Implementation.ContiguousNFA,
            )
            if patterns
            else None
        )
        self._letter_start = [bool(_LETTER_START.match(p)) for p in patterns]

    def find(self, text: str, split: int | None = None) -> set[str] | tuple[set[str], set[str]]:
        """The term ids named in ``text``; with ``split``, those before that offset and those after
        it, apart (the title and the lead, read in one pass)."""
        return self.find_lowered(_lower(text), split)

    def find_lowered(self, lowered: str, split: int | None = None) -> set[str] | tuple[set[str], set[str]]:
        """``find`` on text already in NFKC and lower case."""
        found = self.find_encoded(lowered.encode(), None if split is None else len(lowered[:split].encode()))
        return found[0] if split is None else found

    def find_encoded(self, data: bytes, split: int | None = None) -> tuple[set[str], set[str]]:
        """``find_lowered`` on its UTF-8 bytes (``split`` a byte offset): the ids before ``split``
        and those after it (all before it without one)."""
        before: set[str] = set()
        after: set[str] = set()
        if self._automaton is not None:
            letter_start, whole, ids = self._letter_start, self._whole, self._ids
            for index, start, end in self._automaton.find_matches_as_indexes(data):
                if letter_start[index]:
                    if start > 0 and _letter_before(data, start):
                        continue
                    if whole[index] and end < len(data) and _letter_at(data, end):
                        continue
                (before if split is None or start < split else after).update(ids[index])
        return before, after


def _letter_before(data: bytes, at: int) -> bool:
    """Whether the character that ends at byte ``at`` of UTF-8 ``data`` is a letter."""
    start = at - 1
    while start > 0 and data[start] & 0xC0 == 0x80:  # a continuation byte
        start -= 1
    return data[start:at].decode().isalpha()


def _letter_at(data: bytes, at: int) -> bool:
    """Whether the character that starts at byte ``at`` of UTF-8 ``data`` is a letter."""
    lead = data[at]
    size = 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    return data[at : at + size].decode().isalpha()


def load_story_terms(path: Path = STORY_TERMS_FILE) -> StoryTerms:
    return StoryTerms(load_model(path, StoryTermsFile))


@dataclass(slots=True, eq=False)
class StoryEvidence:
    """What one article offers for joining a story (not changed once made)."""

    concepts: frozenset[str]  # taxonomy ids and story terms' people and places, in the title or lead
    title_concepts: frozenset[str]  # those the title names
    themes: frozenset[str]
    title_people: frozenset[str]  # people named in the title
    events: frozenset[str]  # kinds of event the title and lead name (story terms)
    title_events: frozenset[str]  # kinds of event the title names
    numbers: frozenset[float]
    days: frozenset[int]  # days of the month named as dates
    title: str  # in lower case, where the article can join by evidence (else empty)
    language: str
    time: datetime
    trusted_time: bool
    # derived (worked out when not given): the people, organisations, weapons and places among
    # the concepts and title concepts
    specific: frozenset[str] = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    title_specific: frozenset[str] = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    _words: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)
    _state: str | None = field(default=None, init=False, repr=False, compare=False)  # its JSON

    def __post_init__(self) -> None:
        if self.specific is None:
            self.specific = _specific_of(self.concepts)
        if self.title_specific is None:
            self.title_specific = _specific_of(self.title_concepts)

    @property
    def title_words(self) -> frozenset[str]:
        """Its title's words (worked out when a member of the same language is compared)."""
        if self._words is None:
            self._words = _title_words(self.title)
        return self._words

    @property
    def joinable(self) -> bool:
        return bool(self.specific) and self.language in STORY_LANGUAGES

    def to_state(self) -> dict:
        return self._new_state()

    def state_json(self) -> str:
        """``to_state`` as JSON, made once (a string the garbage collector need not follow)."""
        if self._state is None:
            self._state = self._state_encoded() or _to_json(self._new_state())
        return self._state

    def _state_encoded(self) -> str | None:
        """``_to_json(self._new_state())`` written by msgspec (the same text, ~2 against ~11 µs a member) where the
        values are of the types it writes as ``json`` does: floats from 1 to 1e16 (``json`` writes
        others as ``repr`` does, msgspec otherwise: 1e-05, 1e+16), ints, bools, text it can encode.
        None where it cannot say."""
        if not (
            all([type(n) is float and 1.0 <= n < _FLOAT_EXACT for n in self.numbers])
            and all([type(d) is int for d in self.days])
            and type(self.trusted_time) is bool
        ):
            return None
        try:
            return _encode_json(
                {
                    "concepts": self.concepts,  # frozensets as arrays, in the order list() gives
                    "title_concepts": self.title_concepts,
                    "themes": self.themes,
                    "title_people": self.title_people,
                    "events": self.events,
                    "title_events": self.title_events,
                    "numbers": self.numbers,
                    "days": self.days,
                    "title": self.title,
                    "language": self.language,
                    "time": self.time.isoformat(),
                    "trusted_time": self.trusted_time,
                }
            ).decode()
        except (TypeError, ValueError, UnicodeError):
            return None

    def _new_state(self) -> dict:
        return {
            "concepts": list(self.concepts),
            "title_concepts": list(self.title_concepts),
            "themes": list(self.themes),
            "title_people": list(self.title_people),
            "events": list(self.events),
            "title_events": list(self.title_events),
            "numbers": list(self.numbers),
            "days": list(self.days),
            "title": self.title,
            "language": self.language,
            "time": self.time.isoformat(),
            "trusted_time": self.trusted_time,
        }

    @classmethod
    def from_state(cls, data: dict) -> StoryEvidence:
        sets = {k: frozenset(v) for k, v in data.items() if isinstance(v, list)}
        words = sets.pop("title_words", None)  # state written before titles were kept
        evidence = cls(
            **sets,
            title=data.get("title", ""),
            language=data["language"],
            time=datetime.fromisoformat(data["time"]),
            trusted_time=data["trusted_time"],
        )
        if words is not None:
            evidence._words = words
        return evidence


def numbers_and_days(text: str) -> tuple[set[float], set[int]]:
    """The numbers named in ``text``, read with their thousands separators and the unit words of
    each language (``1천``, ``5 тысяч``, ``2万``, so one amount reads alike everywhere), and the days
    of the month named as dates (``23일``, ``23日``, ``23 августа``, ``Aug. 23``). Only the places
    where digits start are examined (a scan of every position costs ten times more). Digits are
    ASCII ones (NFKC folds full-width digits to them)."""
    return _numbers_and_days(_lower(text))


def _digit_runs(lowered: str) -> list[tuple[int, int]]:
    """Where each run of ASCII digits starts and ends: found by an automaton of the ten digits
    (``re``'s scan for ``\\d+`` costs four times more over Hangul and Han text)."""
    runs: list[tuple[int, int]] = []
    if not any(digit in lowered for digit in "0123456789"):
        return runs
    start = end = -1
    for _, at, after in _DIGITS.find_matches_as_indexes(lowered):
        if at != end:
            if end >= 0:
                runs.append((start, end))
            start = at
        end = after
    runs.append((start, end))
    return runs


def _numbers_and_days(lowered: str) -> tuple[set[float], set[int]]:
    numbers: set[float] = set()
    days: set[int] = set()
    consumed = -1
    runs = 0
    for start, end in _digit_runs(lowered):
        if start < consumed:
            continue  # the rest of a number read already (1,000; 7.6)
        before = lowered[start - 1] if start else " "
        runs += 1
        if runs > MAX_DIGIT_RUNS:
            break
        if end - start <= 2:
            day = int(lowered[start:end])
            if 1 <= day <= 31 and (
                (before != "박" and _DAY_AFTER.match(lowered, end))
                or (
                    before == " "
                    and start > 1
                    and lowered[start - 2] in _MONTH_END
                    and _DAY_BEFORE.search(lowered, max(0, start - 12), start)
                )
            ):
                days.add(day)
        if before.isalnum() or before in "_.,":
            continue
        match = _NUMBER_AT.match(lowered, start)
        if match is None:
            continue
        consumed = match.end(1)
        digits, unit = match.group(1), match.group(2)
        if digits.isdigit():  # no separator: neither grouped nor a decimal
            value = float(digits)
        else:
            value = (
                float(_SEPARATOR.sub("", digits))
                if _GROUPED.fullmatch(digits)
                else float(digits.replace(",", "."))
            )
        if unit:
            for prefix, multiplier in _MULTIPLIERS.items():
                if unit.startswith(prefix):
                    value *= multiplier
                    break
        numbers.add(value)
    return numbers, days


def numbers_in(text: str) -> set[float]:
    return numbers_and_days(text)[0]


def days_in(text: str) -> set[int]:
    return numbers_and_days(text)[1]


def _is_year(value: float) -> bool:
    return value.is_integer() and 1900 <= value <= 2100


def title_words(title: str) -> frozenset[str]:
    """Words to compare titles of one language: stems of Latin and Cyrillic words, and
    two-character runs of Hangul, kana and Han (no spaces to split on, particles glued on)."""
    return _title_words(_lower(title))


def _lower(text: str) -> str:
    """NFKC (what cleaned text already is) and lower case."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def _title_words(text: str) -> frozenset[str]:
    words = {word[:_STEM] for word in _TITLE_WORD.findall(_CJK_RUN.sub(" ", text))}
    words.update(_CJK_PAIR.findall(text))
    return frozenset(words)


def story_evidence(article: Article, terms: StoryTerms | None = None) -> StoryEvidence:
    """The evidence of a processed article (tags, story terms, numbers, time, title words).

    Taxonomy ids count where the title or the lead names them (the body's background mentions
    would tie every story to every other); without a lead, the body's first part stands in."""
    lead = (article.summary or article.body)[:NUMBER_SCAN_CHARS]
    lead_field = "summary" if article.summary else "body"
    concepts: set[str] = set()
    in_title: set[str] = set()
    for e in article.evidence:  # one pass: an article's evidence runs through its whole body
        place = e.field
        if place == "title":
            if e.kind != "theme":
                in_title.add(e.concept)
                concepts.add(e.concept)  # (in the order met: the sets' order is the state's)
        elif place == lead_field and e.start < NUMBER_SCAN_CHARS and e.kind != "theme":
            concepts.add(e.concept)
    concepts |= in_title
    events: set[str] = set()
    title_events: set[str] = set()
    title = _lower(article.title)
    text = f"{title}\n{_lower(lead)}"
    if terms is not None:
        title_terms, lead_terms = terms.find_encoded(text.encode(), split=len(title.encode()))
        for term in title_terms:
            (title_events if term.startswith("event.") else in_title).add(term)
        for term in lead_terms:
            (events if term.startswith("event.") else concepts).add(term)
        concepts |= in_title
        events |= title_events
    time, trusted = _reported_time(article)
    numbers: frozenset[float] = _NONE
    days: set[int] = set()
    joinable_title = ""
    specific = _specific_of(concepts)
    if specific and article.language in STORY_LANGUAGES:
        # what only a joinable article needs (most news names none of the taxonomy's entities)
        found_numbers, days = _numbers_and_days(text)
        numbers = frozenset([value for value in found_numbers if value > 1 and not _is_year(value)])
        joinable_title = title
    return StoryEvidence(
        concepts=frozenset(concepts) if concepts else _NONE,
        title_concepts=frozenset(in_title) if in_title else _NONE,
        themes=frozenset(article.themes) if article.themes else _NONE,
        title_people=frozenset([c for c in in_title if c.startswith("person.")]) if in_title else _NONE,
        events=frozenset(events) if events else _NONE,
        title_events=frozenset(title_events) if title_events else _NONE,
        numbers=numbers,
        days=frozenset(days) if days else _NONE,
        title=joinable_title,
        language=article.language,
        time=time,
        trusted_time=trusted,
        specific=specific,
        title_specific=_specific_of(in_title) if specific else _NONE,
    )


def _timed_evidence(article: Article) -> StoryEvidence:
    """The evidence of an article that can join no story by evidence (a language outside
    STORY_LANGUAGES, and no duplicate cluster to join): its time alone counts."""
    time, trusted = _reported_time(article)
    return StoryEvidence(
        concepts=_NONE,
        title_concepts=_NONE,
        themes=_NONE,
        title_people=_NONE,
        events=_NONE,
        title_events=_NONE,
        numbers=_NONE,
        days=_NONE,
        title="",
        language=article.language,
        time=time,
        trusted_time=trusted,
        specific=_NONE,
        title_specific=_NONE,
    )


def _reported_time(article: Article) -> tuple[datetime, bool]:
    """When the article was published, trusted (a date it states), or else when it was fetched."""
    trusted = article.published_at is not None and not article.date_is_guessed
    return (article.published_at if trusted and article.published_at else article.fetched_at), trusted


def _specific_of(concepts: Iterable[str]) -> frozenset[str]:
    """The people, organisations, weapons and places among ``concepts``."""
    specific = [c for c in concepts if c.startswith(_SPECIFIC_PREFIXES)]
    return frozenset(specific) if specific else _NONE


_NONE: frozenset = frozenset()
_ZEROS = repeat(0.0)

_KIND_WEIGHTS = {"person": "person", "org": "organisation", "weapon": "weapon", "place": "place"}


_WEIGHT_OF: dict[str, float] = {}  # concept -> its weight (WEIGHTS by its kind), as looked up


def _concept_weight(concept: str) -> float:
    weight = _WEIGHT_OF.get(concept)
    if weight is None:
        weight = _WEIGHT_OF[concept] = WEIGHTS[_KIND_WEIGHTS.get(concept.partition(".")[0], "actor")]
    return weight


_SPECIFIC_PREFIXES = tuple(f"{kind}." for kind in _KIND_WEIGHTS)


def _is_specific(concept: str) -> bool:
    """People, organisations, weapons and places; not the sides (actor.*)."""
    return concept.startswith(_SPECIFIC_PREFIXES)


def _rarity(df: int) -> float:
    """The weight left to evidence that ``df`` open stories share (1 for one story's own)."""
    return 1.0 / (1.0 + RARITY_DECAY * max(df - 1, 0))


def pair_score(a: StoryEvidence, b: StoryEvidence, df: dict | None = None, floor: float = -math.inf) -> float:
    """How strongly two articles' evidence says they report one event (higher: more).
    ``df``: how many open stories name each concept and number; what many share counts less.
    Minus infinity when they share no person, organisation, weapon or place, and (with ``floor``)
    when the score is certainly below ``floor``: the parts still to add are bounded as the score
    is summed, and it stops once even their most cannot reach it (the score, when made, is the
    same sum in the same order as without a floor)."""
    if a.specific.isdisjoint(b.specific):
        return -math.inf  # sides alone (Russia, North Korea) never make one event
    df = df or {}
    if a.trusted_time and b.trusted_time:
        time_part = WEIGHTS["per_day_apart"] * abs((a.time - b.time).total_seconds()) / 86400
    else:
        time_part = -GUESSED_DATE_EXTRA  # a guessed date says nothing of proximity
    # the most the title overlap can add, and what must be reached before it (the margin keeps
    # sums in another order from pruning a score that reaches the floor exactly)
    title_part = _MAX_TITLE_SCORE if a.language == b.language and a.title and b.title else 0.0
    needed = floor - time_part - title_part - _FLOOR_MARGIN
    both_titles = a.title_concepts & b.title_concepts
    in_both, decay = WEIGHTS["in_both_titles"], RARITY_DECAY
    weight_of = _WEIGHT_OF.get
    score = 0.0
    for c in a.concepts & b.concepts:
        count = df.get(c, 1)
        weight = weight_of(c) or _concept_weight(c)  # no weight is zero
        if count > 1:
            weight = weight / (1.0 + decay * (count - 1))
        score += weight * in_both if c in both_titles else weight
    has_themes = a.themes and b.themes
    has_numbers = a.numbers and b.numbers
    has_events = a.title_events and b.title_events
    has_days = a.days and b.days
    if (
        score
        + (MAX_THEME_SCORE if has_themes else 0.0)
        + (MAX_NUMBER_SCORE if has_numbers else 0.0)
        + (MAX_EVENT_SCORE if has_events else 0.0)
        + (WEIGHTS["same_day"] if has_days else 0.0)
        < needed
    ):
        return -math.inf
    if has_themes:
        score += min(WEIGHTS["theme"] * len(a.themes & b.themes), MAX_THEME_SCORE)
    shared_numbers = a.numbers & b.numbers if has_numbers else None
    if shared_numbers:
        number_score = sum(
            (WEIGHTS["number"] if n >= 10 else WEIGHTS["small_number"]) * _rarity(df.get(n, 1))
            for n in shared_numbers
        )
        score += min(number_score, MAX_NUMBER_SCORE)
    if has_events:
        events_a, events_b = a.title_events - CONTEXT_EVENTS, b.title_events - CONTEXT_EVENTS
        if events_a and events_b:
            shared_events = len(events_a & events_b)
            score += min(WEIGHTS["event"] * shared_events, MAX_EVENT_SCORE)
            if not shared_events:
                score += WEIGHTS["event_conflict"]
    if has_days:
        score += WEIGHTS["same_day"] if a.days & b.days else WEIGHTS["day_conflict"]
    missing = 0.0
    for c in a.title_specific - b.concepts:
        missing += _concept_weight(c)
    for c in b.title_specific - a.concepts:
        missing += _concept_weight(c)
    if missing:
        score += max(WEIGHTS["missing_title_concept"] * missing, MAX_MISSING_PENALTY)
    if score < needed:
        return -math.inf  # what is left adds at most the title overlap (worked out only now)
    if title_part:
        words_a, words_b = a.title_words, b.title_words
        if words_a and words_b:
            score += WEIGHTS["title_overlap"] * len(words_a & words_b) / len(words_a | words_b)
    if (
        a.title_people - b.title_people
        and b.title_people - a.title_people
        and (
            not (a.title_events & b.title_events) - CONTEXT_EVENTS
            or (a.title_people - b.concepts and b.title_people - a.concepts)
        )
    ):
        # each title names someone the other's lacks: a conflict, unless both name one kind of
        # event and one report names the other's man too (Shoigu's tribute to the dead envoy)
        score += WEIGHTS["person_conflict"]
    if a.trusted_time and b.trusted_time:
        score += time_part
    else:
        score -= GUESSED_DATE_EXTRA
    return score


_MAX_TITLE_SCORE = WEIGHTS["title_overlap"]  # all title words in common
_FLOOR_MARGIN = 1e-9


@dataclass
class Story:
    """A story: who reported it first, its languages and sources, a title in each language, and
    the evidence of its first members (what a new article is compared with)."""

    story_id: str
    first_seen: datetime  # earliest member time (trusted when any member's is)
    last_seen: datetime
    size: int = 0
    trusted: bool = False
    first_source: str = ""
    first_source_kind: str = ""
    languages: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    source_kinds: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)  # a short title in each language
    members: list[StoryEvidence] = field(default_factory=list)  # the first MAX_COMPARED_MEMBERS
    joinable: bool = True

    def keys(self) -> set:
        """The concepts and numbers its compared members name (for the open-story counts)."""
        found: set = set()
        for member in self.members:
            found |= member.concepts | member.numbers
        return found

    def add(self, article: Article, evidence: StoryEvidence) -> None:
        self.size += 1
        time = evidence.time
        earlier = (evidence.trusted_time and (not self.trusted or time < self.first_seen)) or (
            not self.trusted and not evidence.trusted_time and time < self.first_seen
        )
        if self.size == 1 or earlier:
            self.first_seen = time
            self.first_source = article.source_name or article.source_id
            self.first_source_kind = article.source_kind
            self.trusted = self.trusted or evidence.trusted_time
        self.last_seen = max(self.last_seen, time)
        _append_new(self.languages, article.language)
        _append_new(self.sources, article.source_name or article.source_id)
        _append_new(self.source_kinds, article.source_kind)
        if article.title and article.language not in self.titles:
            self.titles[article.language] = article.title[:160]
        if self.joinable and len(self.members) < MAX_COMPARED_MEMBERS:
            self.members.append(evidence)

    def score(self, evidence: StoryEvidence, df: dict | None = None, floor: float = -math.inf) -> float:
        """The best pair score between the evidence and a compared member (minus infinity when
        certainly below ``floor``)."""
        best = -math.inf
        for member in self.members:
            score = pair_score(evidence, member, df, floor)
            if score > best:
                best = score
        return best

    def to_state(self) -> str:
        """Its state as JSON: ``{"titles", "trusted", "joinable", "members"}``, each member's
        JSON made once."""
        if type(self.trusted) is bool and type(self.joinable) is bool:
            try:  # the same text by msgspec, each member's JSON as it is
                return _encode_json(
                    {
                        "titles": self.titles,
                        "trusted": self.trusted,
                        "joinable": self.joinable,
                        "members": [msgspec.Raw(member.state_json()) for member in self.members],
                    }
                ).decode()
            except (TypeError, ValueError, UnicodeError):
                pass
        members = ",".join([member.state_json() for member in self.members])
        head = _to_json({"titles": self.titles, "trusted": self.trusted, "joinable": self.joinable})
        return f'{head[:-1]},"members":[{members}]}}'

    @classmethod
    def from_row(cls, row: tuple) -> Story:
        (
            story_id,
            first_seen,
            last_seen,
            size,
            first_source,
            first_kind,
            languages,
            sources,
            kinds,
            state,
        ) = row
        data = json.loads(state)
        return cls(
            story_id=story_id,
            first_seen=datetime.fromisoformat(first_seen),
            last_seen=datetime.fromisoformat(last_seen),
            size=size,
            trusted=data["trusted"],
            first_source=first_source,
            first_source_kind=first_kind,
            languages=json.loads(languages),
            sources=json.loads(sources),
            source_kinds=json.loads(kinds),
            titles=data["titles"],
            members=[StoryEvidence.from_state(m) for m in data["members"]],
            joinable=data["joinable"],
        )


# one encoder for all state (json.dumps with options builds a new one at each call)
_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# msgspec writes what that encoder writes for str, bool, int, dicts and lists of them, and floats
# from 1 to 1e16 (its escapes are the same; checked in tests/process/test_stories.py)
_encode_json = msgspec.json.Encoder().encode
_FLOAT_EXACT = 1e16
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')  # what the encoder escapes (ensure_ascii off)


def _json_strings(values: list[str]) -> str:
    """``_to_json(values)`` for a list of strings."""
    if not values:
        return "[]"
    if _JSON_ESCAPED.search("".join(values)):
        return _to_json(values)
    return '["' + '","'.join(values) + '"]'


def _append_new(values: list[str], value: str) -> None:
    if value and value not in values:
        values.append(value)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    size INTEGER NOT NULL,
    first_source TEXT NOT NULL,
    first_source_kind TEXT NOT NULL,
    languages TEXT NOT NULL,
    sources TEXT NOT NULL,
    source_kinds TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stories_by_first_seen ON stories(first_seen);
CREATE TABLE IF NOT EXISTS cluster_stories (
    cluster_id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL
);
"""


@dataclass
class StoryAssignment:
    story: Story
    status: str  # new | joined | copy (joined through its duplicate cluster)


class StoryIndex:
    """Assigns each processed article to a story; the state persists in ``path``."""

    def __init__(
        self,
        path: Path,
        window: timedelta = DEFAULT_WINDOW,
        max_size: int = DEFAULT_MAX_SIZE,
        terms: StoryTerms | None = None,
    ):
        self.path = Path(path)
        self.terms = terms if terms is not None else load_story_terms()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.window = window
        self.max_size = max_size
        self._db = sqlite3.connect(self.path)
        # a commit every few hundred articles: no sync of the disk at each (the write-ahead log
        # keeps the file whole; a crash of the machine loses at most the last commits)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._open: dict[str, Story] = {}  # stories that may still take members
        self._postings: dict[str, list[str]] = {}  # specific concept -> open story ids, oldest first
        self._df: dict = {}  # concept or number -> how many open stories name it
        self._changed: dict[str, Story] = {}  # stored at the next commit
        self._unstored: dict[str, Story] = {}  # stories of no-entity articles, until the next commit
        self._clusters: dict[str, str] = {}  # cluster id -> story id, since the last commit
        self._pruned_at: datetime | None = None
        self._load()

    def _load(self) -> None:
        row = self._db.execute("SELECT max(first_seen) FROM stories").fetchone()
        if row is None or row[0] is None:
            return
        since = (datetime.fromisoformat(row[0]) - 2 * self.window).isoformat()
        for found in self._db.execute(
            "SELECT story_id, first_seen, last_seen, size, first_source, first_source_kind, languages, "
            "sources, source_kinds, state FROM stories WHERE first_seen >= ? ORDER BY first_seen",
            (since,),
        ):
            story = Story.from_row(found)
            if story.joinable:
                self._open_story(story)

    def _open_story(self, story: Story) -> None:
        self._open[story.story_id] = story
        self._index(story, story.keys())

    def _index(self, story: Story, keys: Iterable) -> None:
        """Count the new concepts and numbers of an open story, and list it under its concepts."""
        df = self._df
        postings = self._postings
        for key in keys:
            df[key] = df.get(key, 0) + 1
            if isinstance(key, str) and key.startswith(_SPECIFIC_PREFIXES):  # _is_specific
                postings.setdefault(key, []).append(story.story_id)

    def evidence(self, article: Article, cluster_status: str) -> StoryEvidence:
        """What ``assign`` compares the article by (it depends on the article alone, so a batch's
        can be worked out before any of them is assigned)."""
        if article.language in STORY_LANGUAGES or cluster_status != "new":
            return story_evidence(article, self.terms)
        return _timed_evidence(article)  # nothing it names can count (a copy's can: it may become a member)

    def assign(
        self, article: Article, cluster_status: str, evidence: StoryEvidence | None = None
    ) -> StoryAssignment:
        """Put a processed article (with its duplicate cluster) in a story, and set its story fields.
        ``cluster_status`` is the duplicate index's: new | joined | updated | unchanged; ``evidence``,
        ``self.evidence(article, cluster_status)`` if worked out already.

        Only stories that can take members by evidence are stored: an article naming no entity
        makes a story of its duplicate cluster (its id the cluster's), kept until the next commit."""
        if evidence is None:
            evidence = self.evidence(article, cluster_status)
        self._advance(evidence.time)
        status = "joined"
        story = None
        copy = cluster_status != "new" and bool(article.cluster_id)
        if copy:
            story = self._story_of_cluster(article.cluster_id)
            status = "copy"
            if story is not None and story.size >= self.max_size and cluster_status == "joined":
                story = None
        if story is None and evidence.joinable:
            story = self._best_story(evidence)
            status = "joined"
        if story is None:
            story_id = article.cluster_id if copy and article.cluster_id else article.id
            story = Story(story_id, evidence.time, evidence.time, joinable=evidence.joinable)
            status = "new"
            if evidence.joinable:
                self._open_story(story)
        if status != "copy" or cluster_status == "joined":
            # the story's keys change only when the evidence becomes a compared member
            grows = story.joinable and len(story.members) < MAX_COMPARED_MEMBERS
            before = story.keys() if grows and story.members else _NONE
            story.add(article, evidence)
            if grows and story.story_id in self._open:
                self._index(story, (evidence.concepts | evidence.numbers) - before)
        if story.joinable:
            self._changed[story.story_id] = story
        else:
            self._unstored[story.story_id] = story
        if article.cluster_id and article.cluster_id != story.story_id:
            self._clusters.setdefault(article.cluster_id, story.story_id)
        set_story_fields(article, story)
        return StoryAssignment(story, status)

    def _best_story(self, evidence: StoryEvidence) -> Story | None:
        """The open story this evidence joins, if any. Candidates come from the postings of its
        specific concepts, newest first and at most MAX_POSTINGS each (a name in every story of the
        week finds the latest ones); they are ranked by the weight of the concepts they share, and
        only the first MAX_SCORED are scored in full."""
        bound: dict[str, float] = {}
        earliest = evidence.time - self.window
        df = self._df
        postings_of = self._postings
        for concept in sorted(evidence.specific):  # a fixed order: ties rank alike in every run
            postings = postings_of.get(concept)
            if not postings:
                continue
            weight = _concept_weight(concept) * _rarity(df.get(concept, 1))
            newest = postings[: -MAX_POSTINGS - 1 : -1]
            if not bound:
                bound = dict.fromkeys(newest, weight)  # 0.0 + weight, in one call
                if len(bound) == len(newest):  # (a story is listed once under a concept)
                    continue
                bound = {}
            # bound[story_id] = bound.get(story_id, 0.0) + weight for each, looped over in C (the
            # zeros are endless)
            bound.update(zip(newest, map(weight.__radd__, map(bound.get, newest, _ZEROS)), strict=False))
        if not bound:
            return None
        best, best_score = None, -math.inf
        for story_id in sorted(bound, key=bound.__getitem__, reverse=True)[:MAX_SCORED]:
            story = self._open.get(story_id)
            if story is None or story.size >= self.max_size:
                continue
            if story.first_seen < earliest or story.first_seen - evidence.time > self.window:
                continue
            # a story that cannot reach the join score, or beat the best so far, is not scored in full
            score = story.score(evidence, df, max(JOIN_SCORE, best_score))
            if score >= JOIN_SCORE and score > best_score:
                best, best_score = story, score
        return best

    def _story_of_cluster(self, cluster_id: str) -> Story | None:
        """The story of a duplicate cluster: the one its first member joined (stored when that is
        another story than the cluster's own id), else the story named after the cluster."""
        story_id = self._clusters.get(cluster_id)
        if story_id is None:
            row = self._db.execute(
                "SELECT story_id FROM cluster_stories WHERE cluster_id = ?", (cluster_id,)
            ).fetchone()
            story_id = row[0] if row else cluster_id
        return (
            self._open.get(story_id)
            or self._changed.get(story_id)
            or self._unstored.get(story_id)
            or self._stored(story_id)
        )

    def _advance(self, time: datetime) -> None:
        """Close the stories too old to take members once time has moved two windows past them
        (looked at every quarter window of article time), and the oldest when more than
        MAX_OPEN_STORIES are open (a backlog fetched in one hour has one time: its dates guessed)."""
        if len(self._open) > MAX_OPEN_STORIES:
            by_age = sorted(self._open, key=lambda story_id: self._open[story_id].first_seen)
            self._close(by_age[: len(by_age) - MAX_OPEN_STORIES * 3 // 4])
        if self._pruned_at is None:
            self._pruned_at = time
        if time - self._pruned_at < self.window / 4:
            return
        self._pruned_at = time
        horizon = time - 2 * self.window
        self._close([story_id for story_id, story in self._open.items() if story.first_seen < horizon])

    def _close(self, closed: list[str]) -> None:
        """Take stories out of memory (they stay stored; copies still find them)."""
        if not closed:
            return
        df = self._df
        for story_id in closed:
            story = self._open.pop(story_id)
            for key in story.keys():
                left = df.get(key, 0) - 1
                if left > 0:
                    df[key] = left
                else:
                    df.pop(key, None)
        for concept, ids in list(self._postings.items()):
            kept = [story_id for story_id in ids if story_id in self._open]
            if kept:
                self._postings[concept] = kept
            else:
                del self._postings[concept]

    def story(self, story_id: str) -> Story | None:
        return self._open.get(story_id) or self._changed.get(story_id) or self._stored(story_id)

    def _stored(self, story_id: str) -> Story | None:
        row = self._db.execute(
            "SELECT story_id, first_seen, last_seen, size, first_source, first_source_kind, languages, "
            "sources, source_kinds, state FROM stories WHERE story_id = ?",
            (story_id,),
        ).fetchone()
        return Story.from_row(row) if row else None

    def commit(self) -> None:
        """Write what changed since the last commit, in one transaction."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO stories VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        s.story_id,
                        s.first_seen.isoformat(),
                        s.last_seen.isoformat(),
                        s.size,
                        s.first_source,
                        s.first_source_kind,
                        _json_strings(s.languages),
                        _json_strings(s.sources),
                        _json_strings(s.source_kinds),
                        s.to_state(),
                    )
                    for s in self._changed.values()
                ],
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO cluster_stories VALUES (?, ?)", self._clusters.items()
            )
        self._changed.clear()
        self._unstored.clear()
        self._clusters.clear()

    def open_stories(self) -> int:
        return len(self._open)

    def close(self) -> None:
        self.commit()
        self._db.close()


_STORY_FIELDS = (
    "story_id",
    "story_first_source",
    "story_first_source_kind",
    "story_first_seen",
    "story_languages",
)


def set_story_fields(article: Article, story: Story) -> None:
    """Set the article's story fields as pydantic's assignment does without validation (the value,
    and the field marked set), in one go instead of five assignments."""
    values = article.__dict__
    values["story_id"] = story.story_id
    values["story_first_source"] = story.first_source
    values["story_first_source_kind"] = story.first_source_kind
    values["story_first_seen"] = story.first_seen if story.trusted else None
    values["story_languages"] = list(story.languages)
    article.__pydantic_fields_set__.update(_STORY_FIELDS)


@dataclass
class StoryLine:
    """One story among some articles (search hits): what ``search --group story`` prints."""

    story_id: str
    title: str  # of its first article among the hits
    articles: list[Article]
    languages: list[str]
    first_source: str
    first_source_kind: str
    first_seen: datetime | None

    def as_dict(self) -> dict:
        return {
            "story_id": self.story_id,
            "title": self.title,
            "articles": [a.id for a in self.articles],
            "languages": self.languages,
            "first_source": self.first_source,
            "first_source_kind": self.first_source_kind,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
        }


def story_lines(articles: Iterable[Article]) -> list[StoryLine]:
    """The articles grouped by story, in the order their stories first appear; each story's
    languages are those of its articles here and those the story had when they were processed."""
    grouped: dict[str, list[Article]] = {}
    for article in articles:
        grouped.setdefault(article.story_id or article.id, []).append(article)
    lines = []
    for story_id, members in grouped.items():
        languages: list[str] = []
        for article in members:
            for language in (*article.story_languages, article.language):
                _append_new(languages, language)
        latest = max(members, key=lambda a: a.processed_at or a.fetched_at)  # knows the most members
        first = min(members, key=lambda a: a.published_at or a.fetched_at)
        lines.append(
            StoryLine(
                story_id=story_id,
                title=members[0].title,
                articles=members,
                languages=languages,
                first_source=latest.story_first_source or first.source_name or first.source_id,
                first_source_kind=latest.story_first_source_kind or first.source_kind,
                first_seen=latest.story_first_seen or first.published_at,
            )
        )
    return lines
