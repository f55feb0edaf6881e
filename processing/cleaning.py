"""Cleaning: HTML entities and leftover markup, Unicode NFKC, control characters, whitespace,
boilerplate lines; and the hash of the normalised text used for exact duplicates."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

import numpy as np

from processing.characters import WordScanner, text_of

_TAG = re.compile(
    r"<(?:script|style)\b[^>]*>.*?</(?:script|style)\s*>|<!--.*?-->|</?[a-zA-Z][^<>]{0,500}>", re.S
)
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff\ufffe\uffff]"
)
_SPACES = re.compile(r"[^\S\n]+")
# whitespace other than space and newline (what str.isspace accepts): when a text has none, the
# only runs to collapse are runs of spaces, found much faster
_OTHER_SPACE = re.compile("[\t\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_SPACE_RUN = re.compile(" {2,}")
# the compatibility characters news text is full of, replaced by their NFKC form before the
# normalisation, which then finds most texts already normal (and skips them); each of these is a
# starter that composes with nothing, so replacing it first does not change the result
_COMMON_COMPATIBILITY = (("\xa0", " "), ("\u2026", "..."), ("\u202f", " "))
_WORDS_FOR_HASH = WordScanner(r"[^\W_]")

_BLANK_LINES = re.compile(r"\n{3,}")

# Whole lines that are site furniture, not article text (matched case-insensitively).
BOILERPLATE_LINE = re.compile(
    r"^(?:"
    r"advertisement|advert|sponsored( content)?|share( this( article| story)?)?|read more:?|related:?|"
    r"subscribe( now| to our newsletter)?|sign up for our newsletter|follow us on .{0,40}|click here.{0,40}|"
    r"all rights reserved\.?|copyright\b.{0,80}|©.{0,80}|"
    r"реклама|читайте также:?|подписывайтесь.{0,80}|поделиться|все права защищены\.?|"
    r"читайте також:?|підписуйтесь.{0,80}|поділитися|усі права захищені\.?|"
    r"무단 ?전재 ?및 ?재배포 ?금지\.?|.{0,40}무단전재.{0,40}|기사 ?제보.{0,60}|광고|"
    r"関連記事|広告|相关阅读|责任编辑.{0,30}|广告"
    r")$",
    re.I,
)


def clean_text(text: str, max_chars: int | None = None, multiline: bool = True) -> str:
    """Readable plain text: entities decoded, tags dropped, NFKC, control characters removed,
    spaces collapsed, boilerplate lines dropped. ``max_chars`` truncates (callers say so)."""
    if not text:
        return ""
    if max_chars is not None and len(text) > max_chars * 2:
        text = text[: max_chars * 2]  # bound the work before the regexes run
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    text = nfkc(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    # printable apart from its newlines (one check in C): no control character and no whitespace
    # but spaces, so neither the control-character regex nor the general whitespace one has work
    plain = text.isprintable() or text.replace("\n", "").isprintable()
    if not plain:
        text = _CONTROL.sub("", text)
    collapse = _collapse_space_runs if plain else collapse_spaces
    if not multiline:
        return collapse(text.replace("\n", " ")).strip()[: max_chars or None]
    lines = []
    for line in collapse(text).split("\n"):
        line = line.strip()
        if line and len(line) < 90 and BOILERPLATE_LINE.match(line):
            continue
        lines.append(line)
    cleaned = "\n".join(lines)
    if "\n\n\n" in cleaned:
        cleaned = _BLANK_LINES.sub("\n\n", cleaned)
    cleaned = cleaned.strip()
    return cleaned[:max_chars] if max_chars is not None else cleaned


def nfkc(text: str) -> str:
    """Unicode NFKC, normalising only the lines that need it (a newline composes with nothing)."""
    for old, new in _COMMON_COMPATIBILITY:
        if old in text:
            text = text.replace(old, new)
    if unicodedata.is_normalized("NFKC", text):
        return text
    return "\n".join(unicodedata.normalize("NFKC", line) for line in text.split("\n"))


def collapse_spaces(text: str) -> str:
    """Each run of whitespace other than newlines becomes one space."""
    if _OTHER_SPACE.search(text):
        return _SPACES.sub(" ", text)
    return _collapse_space_runs(text)


def _collapse_space_runs(text: str) -> str:
    """``collapse_spaces`` of a text whose only whitespace is spaces and newlines."""
    return _SPACE_RUN.sub(" ", text) if "  " in text else text


def clean_title(title: str) -> str:
    """A title on one line, cleaned like the body."""
    return clean_text(title, max_chars=1000, multiline=False)


def normalised_for_hash(text: str) -> str:
    """Lower case, words only: what must match for two texts to be exact duplicates."""
    return _WORDS_FOR_HASH.joined_text(text, lower=True)


def hash_words(text: str) -> np.ndarray:
    """The code points of ``normalised_for_hash(text)`` (uint8, uint16 or uint32: see
    ``WordScanner.joined``); the duplicate step shingles the main text's (``shingle_hashes``)."""
    return _WORDS_FOR_HASH.joined(text, lower=True)


def content_hash(title: str, body: str, body_words: np.ndarray | None = None) -> str:
    """Hash of the normalised title and body (exact-duplicate key); ``body_words`` are
    ``hash_words(body)`` when the caller has them."""
    words = hash_words(body) if body_words is None else body_words
    digest = hashlib.sha1(normalised_for_hash(title).encode("utf-8"))
    digest.update(b"\n")
    # ASCII words are their UTF-8 bytes already
    digest.update(words.tobytes() if words.dtype == np.uint8 else text_of(words).encode("utf-8"))
    return digest.hexdigest()
