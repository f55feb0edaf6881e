"""Feed parsing (feedparser) into plain entries: lenient, dates normalised to UTC. Pure, no I/O."""

from __future__ import annotations

import calendar
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import feedparser
from w3lib.encoding import http_content_type_encoding
from w3lib.html import remove_tags, replace_entities

from crawlers.extraction import guess_encoding, strict_decodes

# feedparser knows English month names only; Russian and Ukrainian feeds (and some Korean,
# Japanese, Chinese CMSs) write them in their own language.
_MONTHS = {
    # Russian (nominative and genitive, abbreviations)
    "январ": 1, "янв": 1, "феврал": 2, "фев": 2, "март": 3, "марта": 3, "мар": 3,
    "апрел": 4, "апр": 4, "ма": 5, "май": 5, "мая": 5, "июн": 6, "июл": 7, "август": 8, "авг": 8,
    "сентябр": 9, "сен": 9, "сент": 9, "октябр": 10, "окт": 10, "ноябр": 11, "ноя": 11,
    "декабр": 12, "дек": 12,
    # Ukrainian
    "січ": 1, "січня": 1, "лют": 2, "лютого": 2, "берез": 3, "березня": 3, "квіт": 4, "квітня": 4,
    "трав": 5, "травня": 5, "черв": 6, "червня": 6, "лип": 7, "липня": 7, "серп": 8, "серпня": 8,
    "верес": 9, "вересня": 9, "жовт": 10, "жовтня": 10, "листоп": 11, "листопада": 11,
    "груд": 12, "грудня": 12,
}  # fmt: skip
_LOCAL_DATE = re.compile(
    r"(?P<day>\d{1,2})\s+(?P<month>[^\W\d_]+)\.?,?\s+(?P<year>\d{4})"
    r"(?:\s*(?:г\.|р\.)?,?\s+(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?)?"
    r"\s*(?P<tz>Z|GMT|UTC|[+-]\d{2}:?\d{2})?"
)
_CJK_DATE = re.compile(
    r"(?P<year>\d{4})\s*[年년.\-/]\s*(?P<month>\d{1,2})\s*[月월.\-/]\s*(?P<day>\d{1,2})\s*[日일]?"
    r"(?:\D{0,6}(?P<h>\d{1,2})[:時시]\s*(?P<m>\d{2}))?"
)


def _month_number(word: str) -> int | None:
    word = word.lower()
    for length in range(len(word), 1, -1):
        number = _MONTHS.get(word[:length])
        if number:
            return number
    return None


def _offset_seconds(tz: str | None) -> int:
    if not tz or tz in ("Z", "GMT", "UTC"):
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)


def parse_local_date(value: str):
    """feedparser date handler for Russian/Ukrainian month names and CJK dates; returns UTC struct_time."""
    match = _LOCAL_DATE.search(value)
    if match:
        month = _month_number(match["month"])
        if not month:
            return None
    else:
        match = _CJK_DATE.search(value)
        if not match:
            return None
        month = int(match["month"])
    groups = match.groupdict()
    try:
        local = datetime(
            int(groups["year"]), month, int(groups["day"]),
            int(groups.get("h") or 0), int(groups.get("m") or 0), int(groups.get("s") or 0),
        )  # fmt: skip
    except ValueError:
        return None
    seconds = calendar.timegm(local.timetuple()) - _offset_seconds(groups.get("tz"))
    return datetime.fromtimestamp(seconds, UTC).timetuple()


feedparser.registerDateHandler(parse_local_date)


@dataclass
class FeedEntry:
    link: str
    guid: str | None
    title: str
    summary: str  # plain text
    content: str  # plain text of content:encoded / atom content, when the feed carries it
    published_at: datetime | None  # UTC
    authors: list[str]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> FeedEntry:
        data = dict(data)
        if data.get("published_at"):
            data["published_at"] = datetime.fromisoformat(data["published_at"])
        return cls(**data)


@dataclass
class ParsedFeed:
    entries: list[FeedEntry]
    error: str | None = None  # the feed could not be read at all
    warning: str | None = None  # read leniently: what was wrong with it


def html_to_text(value: str) -> str:
    text = replace_entities(remove_tags(value or ""))
    return re.sub(r"[ \t\r\f\v]+", " ", re.sub(r"\n\s*\n+", "\n\n", text)).strip()


def _entry_date(entry) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def _looks_like_html(body: bytes) -> bool:
    head = body[:2000].lower()
    return b"<html" in head or b"<!doctype html" in head


_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def _whole_characters(body: bytes, headers: dict[str, str]) -> tuple[bytes, str | None]:
    """A UTF-8 feed cut off inside a character (a truncated download) makes feedparser give up on
    UTF-8 and read every entry as Latin-2 mojibake; the incomplete character is dropped instead, so
    the entries before the cut come out right, and the cut is reported."""
    declared = _XML_ENCODING.match(body[:200])
    charset = http_content_type_encoding(headers.get("content-type", "")) or (
        declared.group(1).decode("ascii") if declared else "utf-8"
    )
    if charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        return body, None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(body):
            return body[: exc.start], f"feed cut off inside a character after {exc.start:,} bytes"
    return body, None


def _declared_charset(body: bytes, headers: dict[str, str]) -> str:
    """The charset the HTTP header, else the XML declaration, says; UTF-8 when neither does (XML's rule)."""
    declared = _XML_ENCODING.match(body[:200])
    return http_content_type_encoding(headers.get("content-type", "")) or (
        declared.group(1).decode("ascii") if declared else "utf-8"
    )


def _as_declared_or_detected(
    body: bytes, headers: dict[str, str]
) -> tuple[bytes, dict[str, str], str | None]:
    """A feed whose bytes are not in the charset it declares (or, declaring none, not UTF-8), such as
    a windows-1251 feed without a charset, is read as feedparser's windows-1252 mojibake. Its charset
    is detected from the content instead (Cyrillic code pages first, as for pages), the feed recoded
    to UTF-8, and the mismatch reported."""
    declared = _declared_charset(body, headers)
    explicit = http_content_type_encoding(headers.get("content-type", "")) or _XML_ENCODING.match(body[:200])
    if strict_decodes(body, declared):
        return body, headers, None
    detected = guess_encoding(body)
    if not detected or detected.lower().replace("_", "-") in ("utf-8", "utf8", "ascii"):
        return body, headers, None
    try:
        text = body.decode(detected)
    except (UnicodeDecodeError, LookupError):
        return body, headers, None
    text = re.sub(r"^(\s*<\?xml[^>]*?)\s+encoding=[\"'][^\"']*[\"']", r"\1", text, count=1)
    headers = {**headers, "content-type": "application/xml; charset=utf-8"}
    said = f"declares {declared.lower()} but is not" if explicit else "declares no charset and is not UTF-8"
    read = f"read as {_charset_name(detected)}, detected from its text"
    return text.encode("utf-8"), headers, f"feed {said}: {read}"


def _charset_name(encoding: str) -> str:
    return {"cp1251": "windows-1251", "koi8_r": "koi8-r"}.get(encoding.lower(), encoding.lower())


def parse_feed(body: bytes, headers: dict[str, str] | None = None, max_items: int = 100) -> ParsedFeed:
    """Parse RSS/Atom leniently: entries read from a broken feed are kept, the problem recorded."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    body, cut = _whole_characters(body, headers)
    recoded = None
    if not cut:
        body, headers, recoded = _as_declared_or_detected(body, headers)
    parsed = feedparser.parse(body, response_headers=headers)
    problem = cut
    if parsed.get("bozo") and not cut:  # a cut feed's XML ends early too: the cut says why
        exc = parsed.get("bozo_exception")
        problem = str(exc).splitlines()[0] if exc else "malformed feed"
    if not parsed.entries:
        if _looks_like_html(body):
            return ParsedFeed([], error="not a feed: HTML page")
        if problem:
            return ParsedFeed([], error=f"not a well-formed feed and no entries could be read: {problem}")
        if not parsed.get("version"):
            return ParsedFeed([], error="not a feed: no RSS or Atom root element")
        return ParsedFeed([])
    entries: list[FeedEntry] = []
    seen_guids: set[str] = set()
    for item in parsed.entries:
        link = (item.get("link") or "").strip()
        guid = item.get("id") or item.get("guid") or None
        key = guid or link
        if not link or key in seen_guids:
            continue
        seen_guids.add(key)
        content = ""
        if item.get("content"):
            content = html_to_text(" ".join(part.get("value", "") for part in item["content"]))
        authors = [a.get("name", "").strip() for a in item.get("authors", []) if a.get("name")]
        entries.append(
            FeedEntry(
                link=link,
                guid=guid,
                title=html_to_text(item.get("title", "")),
                summary=html_to_text(item.get("summary", "")),
                content=content,
                published_at=_entry_date(item),
                authors=authors,
            )
        )
        if len(entries) >= max_items:
            break
    notes = [recoded] if recoded else []
    if problem:
        notes.append(f"malformed feed, read {len(entries)} entries anyway: {problem}")
    if len(entries) >= max_items and len(parsed.entries) > max_items:
        notes.append(
            f"read the first {max_items} of {len(parsed.entries):,} entries (collect.max_items_per_feed)"
        )
    return ParsedFeed(entries, warning="; ".join(notes) or None)
