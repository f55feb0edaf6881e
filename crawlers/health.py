"""Per-source health kept between runs: when a source is due, and backoff for failing ones."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawlers.state import connect
from whirlpool.settings import CollectSettings
from whirlpool.sources import Source
from whirlpool.timetext import utc_from_iso

MAX_POLL_TOLERANCE = timedelta(minutes=5)


def poll_tolerance(source: Source) -> timedelta:
    return min(timedelta(minutes=source.poll_minutes) / 10, MAX_POLL_TOLERANCE)


@dataclass
class SourceHealth:
    source_id: str
    last_polled: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    items_seen: int = 0
    articles_collected: int = 0
    backoff_until: datetime | None = None

    def next_due(self, source: Source) -> datetime | None:
        """When the source should next be polled (None: now, never polled)."""
        due = self.last_polled + timedelta(minutes=source.poll_minutes) if self.last_polled else None
        if self.backoff_until and (due is None or self.backoff_until > due):
            due = self.backoff_until
        return due

    def is_due(self, source: Source, now: datetime) -> bool:
        """Due at its time, less a tenth of its interval (at most 5 minutes): polled a few seconds
        after one tick, a source is due again at the tick one interval later, not a tick after it."""
        due = self.next_due(source)
        return due is None or now >= due - poll_tolerance(source)

    @property
    def status(self) -> str:
        if self.last_polled is None:
            return "never polled"
        if self.consecutive_failures:
            return "failing"
        if self.last_error_at and self.last_success and self.last_error_at >= self.last_success:
            return "degraded"  # polled, but with a problem: a feed cut off, pages that failed
        return "ok"

    def to_dict(self) -> dict:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat(timespec="seconds")
        data["status"] = self.status
        return data


def backoff_delay(failures: int, collect: CollectSettings) -> timedelta:
    """base * 2**(failures-1) minutes, capped at backoff_max_hours."""
    cap = timedelta(hours=collect.backoff_max_hours)
    minutes = collect.backoff_base_minutes * 2 ** min(max(failures - 1, 0), 30)
    return min(timedelta(minutes=minutes), cap) if minutes < cap.total_seconds() / 60 else cap


def _dt(value: str | None) -> datetime | None:
    return utc_from_iso(value)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def polled_sources(state_dir: Path) -> set[str]:
    """The ids of sources polled at least once (read-only: alerts read it while a crawl may write)."""
    connection = connect(state_dir, readonly=True)
    try:
        rows = connection.execute("SELECT source_id FROM health WHERE last_polled IS NOT NULL").fetchall()
    finally:
        connection.close()
    return {row[0] for row in rows}


class HealthStore:
    def __init__(self, state_dir: Path, connection: sqlite3.Connection | None = None):
        self.connection = connection or connect(state_dir)

    def get(self, source_id: str) -> SourceHealth:
        row = self.connection.execute(
            "SELECT last_polled, last_success, last_error, last_error_at, consecutive_failures, "
            "items_seen, articles_collected, backoff_until FROM health WHERE source_id = ?",
            (source_id,),
        ).fetchone()
        if row is None:
            return SourceHealth(source_id)
        return SourceHealth(
            source_id,
            last_polled=_dt(row[0]),
            last_success=_dt(row[1]),
            last_error=row[2],
            last_error_at=_dt(row[3]),
            consecutive_failures=row[4],
            items_seen=row[5],
            articles_collected=row[6],
            backoff_until=_dt(row[7]),
        )

    def save(self, health: SourceHealth) -> None:
        with self.connection:
            self.connection.execute(
                "INSERT OR REPLACE INTO health (source_id, last_polled, last_success, last_error, "
                "last_error_at, consecutive_failures, items_seen, articles_collected, backoff_until) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    health.source_id,
                    _iso(health.last_polled),
                    _iso(health.last_success),
                    health.last_error,
                    _iso(health.last_error_at),
                    health.consecutive_failures,
                    health.items_seen,
                    health.articles_collected,
                    _iso(health.backoff_until),
                ),
            )

    def record_success(
        self, source_id: str, now: datetime, items_seen: int, articles: int, problem: str | None = None
    ) -> SourceHealth:
        """A poll that worked; ``problem`` (a feed read leniently, pages that failed) makes it degraded."""
        health = self.get(source_id)
        health.last_polled = health.last_success = now
        if problem:
            health.last_error, health.last_error_at = problem, now
        health.consecutive_failures = 0
        health.backoff_until = None
        health.items_seen += items_seen
        health.articles_collected += articles
        self.save(health)
        return health

    def record_failure(
        self, source_id: str, now: datetime, reason: str, collect: CollectSettings
    ) -> SourceHealth:
        health = self.get(source_id)
        health.last_polled = now
        health.last_error = reason
        health.last_error_at = now
        health.consecutive_failures += 1
        health.backoff_until = now + backoff_delay(health.consecutive_failures, collect)
        self.save(health)
        return health
