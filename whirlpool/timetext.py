"""Times and durations as people, feeds and sitemaps write them: one ISO 8601 reader (always UTC)
and one duration grammar (``30m``, ``6h``, ``1d``, ``2w``), for config files, the CLI and the crawl."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """``"30m"``, ``"6h"``, ``"1d"``, ``"2w"`` → a positive timedelta; ValueError otherwise."""
    match = _DURATION.match(str(text).strip().lower())
    if match is None or int(match.group(1)) <= 0:
        raise ValueError(f"expected a duration like 30m, 6h, 1d or 2w, got {text!r}")
    return timedelta(seconds=int(match.group(1)) * _SECONDS[match.group(2)])


def utc_from_iso(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time (``Z`` or an offset; none is taken as UTC), in UTC; None when
    absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """``7d`` → now minus seven days; ``2026-01-01`` or an ISO date-time → that instant (UTC)."""
    now = now or datetime.now(UTC)
    if _DURATION.match(text.strip().lower()):
        return now - parse_duration(text)
    parsed = utc_from_iso(text)
    if parsed is None:
        raise ValueError(f"cannot read {text!r} as a time: use 7d, 24h, 30m, 2w or a date like 2026-01-01")
    return parsed


def known_zone(name: str) -> str:
    """``name`` if it is an IANA time zone (``Europe/Moscow``, ``Asia/Seoul``, ``UTC``); ValueError otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name such as Europe/London)") from None
    return name


def local_time(value: datetime | None, zone: str = "UTC") -> str:
    """``2026-12-01 17:05 MSK``: a moment as a reader in ``zone`` reads it (naive values are UTC)."""
    if value is None:
        return "date unknown"
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
