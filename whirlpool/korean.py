"""Korean morphology for the taxonomy matcher: does a name found inside a Korean word stand as a
word of its own there?

Korean writes nouns into compounds and glues particles and endings to them (``주북한`` "resident
in North Korea", ``러시아대사`` "Russian ambassador", ``북러`` "North Korea–Russia", ``北최선희``),
and headlines shorten the states to one syllable or one Hanja (``러``, ``북``, ``北``), which
also occur inside unrelated words (``여러``, ``달러``, ``그러나``, ``北京``). Kiwi (``kiwipiepy``,
its model ships in the PyPI package) splits each space-delimited word (eojeol) into morphemes; a
name counts where it covers whole morphemes that are nouns, and a one-syllable abbreviation only
where it is a proper noun (or a Hanja token) of its own.

Only the eojeol around a candidate is analysed, and each distinct eojeol once per process (an LRU
cache): Kiwi reads a whole article body in ~18 ms, one eojeol in a few microseconds once cached.
"""

from __future__ import annotations

from functools import lru_cache

# morphemes a name or a term may not cut into or consist of: particles, endings, suffixes, symbols
FUNCTION_TAG_PREFIXES = ("J", "E", "XS", "SP", "SS", "SE", "SF", "SO", "SW")
ABBREVIATION_TAGS = frozenset({"NNP", "SH"})
EOJEOL_CACHE = 200_000
# one-character Hanja headline abbreviations, which Kiwi reads as one token when written together
# (北中 "North Korea–China", 北中露)
ABBREVIATION_HANJA = frozenset("北中露美日韓朝")


@lru_cache(maxsize=1)
def _kiwi():
    from kiwipiepy import Kiwi

    # News text needs neither the typo-correction nor the multi-word dictionary: without them Kiwi
    # starts in ~1.8 s of CPU instead of ~5.4 s and holds far less memory, with the same morphemes
    # on the labelled set.
    return Kiwi(load_typo_dict=False, load_multi_dict=False)


def load_analyser() -> None:
    """Load Kiwi's model now (about 0.9 s of CPU, once per process), and let it build what it builds
    at its first analysis (about 1 s more), rather than at the first Korean word."""
    _kiwi().tokenize("북러")


@lru_cache(maxsize=EOJEOL_CACHE)
def morphemes(eojeol: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, tag) of each morpheme of ``eojeol``, offsets in the eojeol."""
    return tuple((t.start, t.start + t.len, t.tag) for t in _kiwi().tokenize(eojeol))


def eojeol_around(text: str, start: int, end: int) -> tuple[str, int]:
    """The word holding ``text[start:end]`` (letters and digits, ``·`` inside; quotes, commas and
    brackets cut it: Kiwi reads ``"러`` as an ending after a quote), and where it starts."""
    left = start  # a word character is a letter, a digit or "·"
    while left > 0:
        ch = text[left - 1]
        if not (ch.isalnum() or ch == "·"):
            break
        left -= 1
    right = end
    length = len(text)
    while right < length:
        ch = text[right]
        if not (ch.isalnum() or ch == "·"):
            break
        right += 1
    return text[left:right], left


def stands_alone(text: str, start: int, end: int, abbreviation: bool = False) -> bool:
    """Whether ``text[start:end]`` is made of whole content morphemes of its word (nouns, stems;
    not particles or endings); for an abbreviation, exactly one proper-noun or Hanja morpheme."""
    eojeol, offset = eojeol_around(text, start, end)
    start, end = start - offset, end - offset
    covered = []
    begins = ends = False
    for m_start, m_end, tag in morphemes(eojeol):
        if m_end <= start or m_start >= end:
            continue
        if m_start < start or m_end > end:
            # the match cuts a morpheme; only a run of Hanja abbreviations (北中, 北中露) names each
            return abbreviation and tag == "SH" and set(eojeol[m_start:m_end]) <= ABBREVIATION_HANJA
        begins |= m_start == start
        ends |= m_end == end
        covered.append(tag)
    if not (covered and begins and ends):
        return False
    if abbreviation:
        return len(covered) == 1 and covered[0] in ABBREVIATION_TAGS
    return not any(tag.startswith(FUNCTION_TAG_PREFIXES) for tag in covered)


def heads_compound(text: str, start: int, end: int) -> bool:
    """Whether a name starting a word heads a compound (``북러단결``, ``러시아대사``, ``북한군``)
    rather than sitting inside a longer proper noun (``북한강`` the river, ``북한산`` the mountain)."""
    eojeol, offset = eojeol_around(text, start, end)
    start, end = start - offset, end - offset
    return not any(
        m_start == start and m_end > end and tag == "NNP" for m_start, m_end, tag in morphemes(eojeol)
    )
