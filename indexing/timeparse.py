"""Time expressions for search filters: ``7d``, ``24h``, ``30m``, ``2w`` (ago) or an ISO date."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """``7d`` → now minus seven days; ``2026-01-01`` / ISO datetime → that instant (UTC if naive)."""
    now = now or datetime.now(UTC)
    value = text.strip().lower()
    match = _RELATIVE.match(value)
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"cannot read {text!r} as a time: use 7d, 24h, 30m, 2w or a date like 2026-01-01"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
