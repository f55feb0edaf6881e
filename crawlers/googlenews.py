"""Google News RSS links (news.google.com/rss/articles/CBMi...) back to the publisher's URL.

The old article ids are base64url of a small protobuf: field 1 (varint), then field 4, a
length-prefixed string holding the URL. Newer ids ("AU_yqL...") are opaque: those are left for the
fetch to follow, and the final URL after redirects is recorded as the article's URL.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

GOOGLE_NEWS_HOSTS = ("news.google.com",)


def is_google_news_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.netloc.lower() in GOOGLE_NEWS_HOSTS and "/articles/" in parts.path


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise ValueError("truncated varint")


def decode_google_news_url(url: str) -> str | None:
    """The publisher URL inside an old-format Google News article link, or None."""
    if not is_google_news_link(url):
        return None
    article_id = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    try:
        data = base64.urlsafe_b64decode(article_id + "=" * (-len(article_id) % 4))
    except (binascii.Error, ValueError):
        return None
    pos = 0
    try:
        while pos < len(data):
            key, pos = _read_varint(data, pos)
            field, wire = key >> 3, key & 7
            if wire == 0:
                _, pos = _read_varint(data, pos)
            elif wire == 2:
                length, pos = _read_varint(data, pos)
                chunk = data[pos : pos + length]
                pos += length
                text = chunk.decode("utf-8", errors="strict")
                if text.startswith(("http://", "https://")):
                    return text
                if field == 4 and text.startswith("AU_yqL"):
                    return None
            else:
                return None
    except (ValueError, UnicodeDecodeError):
        return None
    return None
