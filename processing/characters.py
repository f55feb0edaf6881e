"""Character classes as look-up tables over the Basic Multilingual Plane, for scanning text with
numpy instead of a regex: the tables are built from the very regexes they replace, so a scan
finds what the regex finds, at a fraction of the cost on the per-document hot path. Text with
characters beyond the BMP (rare in news) falls back to the regex.

A text is read as UTF-16 code units (one per character when all are in the BMP: a length check
tells, where the maximum of UTF-32 code points took a pass over them), or, when it is ASCII, as
its bytes, which ``bytes.translate`` classifies and lower-cases in one pass."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

BMP = 0x10000
SPACE = 0x20
SHORT_TEXT = 200  # below this many characters a regex is quicker than numpy's fixed costs
_PLANE = "".join(map(chr, range(BMP)))
# the characters whose lower case is not one character of its own whatever surrounds it: İ becomes
# two characters, Σ becomes ς at the end of a word (str.lower's only context rule); a text with one
# is lower-cased by str.lower, not by a table
_DOTTED_CAPITAL_I, _CAPITAL_SIGMA = "\u0130", "\u03a3"


def _lowers_irregularly(text: str) -> bool:
    return _DOTTED_CAPITAL_I in text or _CAPITAL_SIGMA in text


def code_points(text: str) -> np.ndarray:
    """The code points of ``text`` (lone surrogates included) as uint32."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def bmp_code_points(text: str) -> np.ndarray | None:
    """The code points of ``text`` as uint16 when all are in the BMP (its UTF-16 code units, one a
    character), else None."""
    units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    return units if len(units) == len(text) else None


def text_of(points: np.ndarray) -> str:
    """The text of code points: uint32 (any), uint16 (BMP, no surrogates) or uint8 (ASCII)."""
    if points.dtype == np.uint16:
        return points.tobytes().decode("utf-16-le", "surrogatepass")
    if points.dtype == np.uint8:
        return points.tobytes().decode("latin-1")
    if points.dtype != np.uint32:
        points = points.astype(np.uint32)
    return points.tobytes().decode("utf-32-le", "surrogatepass")


def table_of_pattern(pattern: re.Pattern[str]) -> np.ndarray:
    """True for each BMP character the single-character ``pattern`` matches."""
    return table_of_characters(pattern.findall(_PLANE))


def table_of_characters(characters: Iterable[str]) -> np.ndarray:
    table = np.zeros(BMP, dtype=bool)
    table[code_points("".join(characters))] = True
    return table


def _lower_case_table() -> np.ndarray:
    """Each BMP character's lower case (itself for the irregular ones, which never use it)."""
    lower = [ch.lower() for ch in _PLANE]
    return np.array([ord(low) if len(low) == 1 else c for c, low in enumerate(lower)], dtype=np.uint16)


_LOWER = _lower_case_table()


class WordScanner:
    """The words of a text, as a one-character ``pattern`` defines them, joined by one space or
    by nothing: what ``" ".join(re.findall(pattern + "+", text))`` gives, as code points; with
    ``lower``, the words of ``text.lower()``."""

    def __init__(self, pattern: str):
        word = table_of_pattern(re.compile(pattern))
        self.words = re.compile(pattern + "+")
        plane = np.arange(BMP, dtype=np.uint16)
        space = np.uint16(SPACE)
        # per character: itself, or its lower case, when that is a word character, else a space
        self._as_is = np.where(word, plane, space).astype(np.uint16)
        self._lowered = np.where(word[_LOWER], _LOWER, space).astype(np.uint16)
        ascii_word = word[:128]
        self._ascii_as_is = bytes(c if ascii_word[c] else SPACE for c in range(128)) + bytes(128)
        lowered = [ord(chr(c).lower()) for c in range(128)]
        self._ascii_lowered = bytes(low if ascii_word[low] else SPACE for low in lowered) + bytes(128)

    def joined(self, text: str, separator: bool = True, lower: bool = False) -> np.ndarray:
        """The words' code points: uint8 for ASCII text, uint16 for BMP text, else uint32."""
        if text.isascii():
            data = text.encode("ascii").translate(self._ascii_lowered if lower else self._ascii_as_is)
            data = b" ".join(data.split()) if separator else data.replace(b" ", b"")
            return np.frombuffer(data, dtype=np.uint8)
        points = None
        if len(text) >= SHORT_TEXT and not (lower and _lowers_irregularly(text)):
            points = bmp_code_points(text)
        if points is None:
            words = self.words.findall(text.lower() if lower else text)
            return code_points((" " if separator else "").join(words))
        mapped = (self._lowered if lower else self._as_is)[points]
        word = mapped != SPACE
        if not separator:
            return mapped[word]
        # keep the words and the first character after each word, a space, which separates
        keep = word.copy()
        keep[1:] |= word[:-1]
        joined = mapped[keep]
        if len(joined) and not word[-1]:
            joined = joined[:-1]  # the text ended in non-word characters
        return joined

    def joined_text(self, text: str, lower: bool = False) -> str:
        """The words joined by one space, as a string."""
        if len(text) < SHORT_TEXT and not text.isascii():
            return " ".join(self.words.findall(text.lower() if lower else text))
        return text_of(self.joined(text, lower=lower))

    def findall(self, text: str, lower: bool = False) -> list[str]:
        """The words, as ``re.findall`` lists them (of ``text.lower()`` with ``lower``)."""
        if text.isascii():
            data = text.encode("ascii").translate(self._ascii_lowered if lower else self._ascii_as_is)
            return data.decode("ascii").split()
        if len(text) < SHORT_TEXT:
            return self.words.findall(text.lower() if lower else text)
        joined = text_of(self.joined(text, lower=lower))
        return joined.split(" ") if joined else []
