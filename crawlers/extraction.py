"""Article extraction: raw HTML bytes in, text and metadata out (trafilatura). Pure, no I/O."""

from __future__ import annotations

import codecs
import html as html_module
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import trafilatura
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, resolve_encoding

from whirlpool.timetext import utc_from_iso


@dataclass
class ExtractedPage:
    text: str = ""
    title: str = ""
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None  # UTC, from the page's metadata or htmldate
    language_hint: str | None = None
    canonical_url: str | None = None  # the page's declared canonical link, absolute
    method: str = "trafilatura"  # "trafilatura", or "none" when nothing could be extracted
    encoding: str = "utf-8"


def strict_decodes(body: bytes, encoding: str | None) -> bool:
    if not encoding:
        return False
    name = resolve_encoding(encoding)
    if not name:
        return False
    try:
        codecs.decode(body, name)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _cyrillic_score(body: bytes, encoding: str) -> float:
    """Share of non-ASCII characters that are lower-case Cyrillic letters (running text is mostly so)."""
    text = body.decode(encoding, errors="replace")
    high = [ch for ch in text if ord(ch) > 127]
    if len(high) < 4:
        return 0.0
    return sum(1 for ch in high if "\u0430" <= ch <= "\u044f" or ch == "\u0451") / len(high)


def guess_encoding(body: bytes) -> str | None:
    """Detect from content. Short Russian pages defeat general detectors, so the two
    single-byte Cyrillic code pages are scored first (KOI8-R and windows-1251 swap cases)."""
    sample = body[:200_000]
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    scores = {name: _cyrillic_score(sample, name) for name in ("koi8_r", "cp1251")}
    best_cyrillic = max(scores, key=scores.get)
    if scores[best_cyrillic] >= 0.6:
        return best_cyrillic
    best = charset_normalizer.from_bytes(sample).best()
    return best.encoding if best else None


def decode_html(body: bytes, declared_encoding: str | None = None) -> tuple[str, str]:
    """Decode HTML bytes: BOM, then the HTTP header's charset, then <meta>, then content detection.

    A declared charset (header or meta) that does not decode the bytes is ignored as wrong.
    """
    header = declared_encoding if strict_decodes(body, declared_encoding) else None
    meta = html_body_declared_encoding(body)
    if not header and meta and not strict_decodes(body, meta):
        meta = None
    content_type = f"text/html; charset={header}" if header else None
    if not header and not meta:
        detected = guess_encoding(body)
        if detected:
            content_type = f"text/html; charset={detected}"
    encoding, text = html_to_unicode(content_type, body)
    return text, encoding


_CANONICAL = re.compile(
    r"<link\b[^>]*\brel=[\"']?canonical[\"']?[^>]*>",
    re.IGNORECASE,
)
_HREF = re.compile(r"\bhref=[\"']([^\"']+)[\"']", re.IGNORECASE)
_HTML_TITLE = re.compile(r"<title[^>]*>([^<]*)</title>", re.IGNORECASE)
_HTML_LANG = re.compile(r"<html\b[^>]*\blang=[\"']?([a-zA-Z]{2,3})", re.IGNORECASE)


def _declared_canonical(html: str, url: str) -> str | None:
    match = _CANONICAL.search(html)
    if not match:
        return None
    href = _HREF.search(match.group(0))
    if not href:
        return None
    absolute = urljoin(url, href.group(1).strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def date_from_text(values: list[str]) -> datetime | None:
    """The first of ``values`` (a ``datetime`` attribute, then the element's text, as a listing
    site's ``published`` selector yields them) that reads as a date; UTC, naive taken as UTC."""
    from dateutil import parser as date_parser

    for value in values:
        value = " ".join(value.split())
        if not value:
            continue
        parsed = utc_from_iso(value)
        if parsed is None:
            try:
                parsed = date_parser.parse(value, fuzzy=True)
            except (ValueError, OverflowError):
                continue
            parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        return parsed
    return None


def _split_authors(value: str | None) -> list[str]:
    if not value:
        return []
    return [name.strip() for name in re.split(r";|\s+and\s+|,\s*(?=[A-ZА-Я])", value) if name.strip()]


def extract_article(body: bytes, url: str, declared_encoding: str | None = None) -> ExtractedPage:
    """Extract the main text and metadata of one article page.

    ``declared_encoding`` is the HTTP Content-Type charset, if any; a wrong one is detected and ignored.
    """
    html, encoding = decode_html(body, declared_encoding)
    page = ExtractedPage(encoding=encoding)
    page.canonical_url = _declared_canonical(html[:100_000], url)
    lang = _HTML_LANG.search(html[:5000])
    if lang:
        page.language_hint = lang.group(1).lower()
    try:
        document = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,  # F1 0.960 vs 0.957 without, on the shared extraction benchmark
            favor_precision=False,
            date_extraction_params={
                "extensive_search": False,  # dates from metadata only: text dates make fake spikes
                "original_date": True,
                "outputformat": "%Y-%m-%dT%H:%M:%S%z",
            },
        )
    except Exception:  # trafilatura raises on some broken trees: treat as nothing extracted
        document = None
    if document is None:  # the <title> alone still tells what the page is (an error page, say)
        title = _HTML_TITLE.search(html[:20_000])
        page.title = " ".join(html_module.unescape(title.group(1)).split()) if title else ""
        page.method = "none"
        return page
    page.text = (document.text or "").strip()
    page.title = (document.title or "").strip()
    page.authors = _split_authors(document.author)
    page.published_at = utc_from_iso(document.date)
    if document.language:
        page.language_hint = document.language.lower()
    if not page.text:
        page.method = "none"
    return page


# Titles of the error pages sites serve with status 200 ("soft 404s"), in the languages collected.
_ERROR_TITLE = re.compile(
    r"\b(?:404|410)\b|not found|no longer available|does not exist|page unavailable"
    r"|(?:could not|couldn't|cannot|can't) (?:be )?find|(?:could not|cannot|can't) be found"
    r"|страница не найдена|страница не существует|ошибка 404|сторінку не знайдено|сторінка не знайдена"
    r"|페이지를 찾을 수 없|ページが見つかりません|お探しのページ|页面不存在|找不到|页面未找到",
    re.IGNORECASE,
)


def error_page_reason(page: ExtractedPage, min_body_chars: int) -> str | None:
    """Why a page served with status 200 is an error page ("soft 404"): no article text to speak
    of, and a title (or the little text there is) that says the page was not found. None otherwise."""
    if len(page.text) >= min_body_chars:
        return None
    for what, value in (("title", page.title), ("text", page.text[:200])):
        if value and _ERROR_TITLE.search(value):
            shown = " ".join(value.split())[:80]
            return f'an error page served with HTTP 200 ({what} "{shown}")'
    return None
