"""Canonical URLs: the key of an article's identity (its id is a hash of this)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import courlan
from w3lib.url import url_query_cleaner

# Parameters that identify a campaign or a visit, not a page. courlan removes the common
# trackers (utm_*, fbclid, gclid, ...); these are the ones news sites add on top.
EXTRA_TRACKING_PARAMS = ("input", "ref", "rss", "from", "cmpid", "ocid", "mod", "smid", "ito", "at_medium")


def canonical_url(url: str) -> str:
    """Normalise a URL: lower-case scheme and host, default port and fragment dropped,
    tracking parameters removed, remaining parameters sorted."""
    url = url.strip()
    try:
        normalised = courlan.normalize_url(url, strict=False, trailing_slash=True)
    except Exception:  # courlan raises on some malformed URLs: keep the input
        normalised = url
    normalised = url_query_cleaner(normalised, EXTRA_TRACKING_PARAMS, remove=True, keep_fragments=False)
    parts = urlsplit(normalised)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def is_http_url(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")
