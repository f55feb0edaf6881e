"""Relevance: is the article about Russia–DPRK cooperation or relations? A score in [0, 1].

Both sides must be present AND tied together: named in the same sentence (more when a theme term
such as troops, arms, treaty or talks is in that sentence too), or in neighbouring sentences of one
paragraph with a theme term. The title weighs most. Two states merely named paragraphs apart score
low. The reasons are kept so the score can be explained.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from processing.taxonomy import Match

_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)|[。！？]|\n")


@dataclass
class Sentence:
    number: int
    paragraph: int
    sides: set[str] = field(default_factory=set)
    themes: set[str] = field(default_factory=set)


@dataclass
class Relevance:
    score: float
    reasons: list[str]
    themes_in_tied_sentences: set[str]


def _sentences(text: str, matches: list[Match]) -> list[Sentence]:
    """The sentences that name a side or a theme, in text order (the others are never built)."""
    if not matches:
        return []
    ends, paragraphs = [], []
    paragraph = 0
    last_start = max(match.start for match in matches)
    for boundary in _SENTENCE_END.finditer(text):
        ends.append(boundary.end())
        paragraphs.append(paragraph)
        if boundary.end() > last_start:
            break  # the sentence of the last match ends here; the rest names nothing
        if boundary.group() == "\n":
            paragraph += 1
    ends.append(len(text) + 1)
    paragraphs.append(paragraph)
    last = len(ends) - 1
    found: dict[int, Sentence] = {}
    for match in matches:
        number = min(bisect.bisect_right(ends, match.start), last)
        sentence = found.get(number)
        if sentence is None:
            sentence = found[number] = Sentence(number, paragraphs[number])
        if match.concept.side:
            sentence.sides.add(match.concept.side)
        if match.concept.kind == "theme":
            sentence.themes.add(match.concept.code)
        elif match.concept.kind == "weapon":
            sentence.themes.add("arms_transfers")  # a weapon named between the sides is a transfer
    return [found[n] for n in sorted(found) if found[n].sides or found[n].themes]


def score_relevance(texts: dict[str, str], matches: dict[str, list[Match]]) -> Relevance:
    """Score the tie between the two sides; ``matches`` are the strong matches per field."""
    reasons: list[str] = []
    tied_themes: set[str] = set()
    sides_anywhere = {m.concept.side for ms in matches.values() for m in ms if m.concept.side}
    if len(sides_anywhere) < 2:
        score = 0.1 if sides_anywhere else 0.0
        return Relevance(score, ["only one side named"] if sides_anywhere else ["neither side named"], set())
    score = 0.1
    reasons.append("both sides named")
    title = _sentences(texts.get("title", ""), matches.get("title", []))
    title_sides = set().union(*(s.sides for s in title)) if title else set()
    title_themes = set().union(*(s.themes for s in title)) if title else set()
    if len(title_sides) == 2:
        score += 0.45 if title_themes else 0.3
        tied_themes |= title_themes
        reasons.append("both sides in the title" + (" with a theme term" if title_themes else ""))
    strong = weak = adjacent = 0
    for name in ("summary", "body"):
        sentences = _sentences(texts.get(name, ""), matches.get(name, []))
        for index, sentence in enumerate(sentences):
            if len(sentence.sides) == 2:
                if sentence.themes:
                    strong += 1
                    tied_themes |= sentence.themes
                else:
                    weak += 1
            elif index + 1 < len(sentences):
                following = sentences[index + 1]
                if (
                    following.number == sentence.number + 1
                    and following.paragraph == sentence.paragraph
                    and len(sentence.sides | following.sides) == 2
                    and len(following.sides) < 2
                    and (sentence.themes or following.themes)
                ):
                    adjacent += 1
    if strong:
        score += 0.45 + 0.1 * (min(strong, 3) - 1)
        reasons.append(f"{strong} sentence(s) tie both sides with a theme term")
    if weak:
        score += 0.2 + 0.05 * (min(weak, 3) - 1)
        reasons.append(f"{weak} sentence(s) name both sides")
    if adjacent:
        score += 0.15
        reasons.append(f"{adjacent} neighbouring sentence pair(s) tie the sides with a theme term")
    return Relevance(round(min(score, 1.0), 3), reasons, tied_themes)
