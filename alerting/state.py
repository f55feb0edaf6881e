"""Alert state in SQLite beside the index: what fired, the outbox of undelivered emails, digests sent.

A message is written to the outbox before any send is tried, and marked delivered only after the SMTP
server accepted it; a run that cannot reach SMTP leaves it there for the next run (never lost), and a
delivered message id is never sent again.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fired (
    rule TEXT NOT NULL, series_key TEXT NOT NULL, fired_at TEXT NOT NULL,
    window_start TEXT NOT NULL, window_end TEXT NOT NULL,
    count INTEGER NOT NULL, baseline REAL NOT NULL, story_ids TEXT NOT NULL, message_id TEXT
);
CREATE INDEX IF NOT EXISTS fired_rule_key ON fired (rule, series_key, fired_at);
CREATE TABLE IF NOT EXISTS outbox (
    message_id TEXT PRIMARY KEY, rule TEXT NOT NULL, recipients TEXT NOT NULL,
    subject TEXT NOT NULL, eml BLOB NOT NULL, created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, delivered_at TEXT
);
CREATE TABLE IF NOT EXISTS digest_sent (rule TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (rule, day));
CREATE TABLE IF NOT EXISTS watch_seen (rule TEXT NOT NULL, article_id TEXT NOT NULL,
    seen_at TEXT NOT NULL, held_for_digest INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (rule, article_id));
"""


@dataclass
class FiredAlert:
    rule: str
    series_key: str
    fired_at: datetime
    window_start: datetime
    window_end: datetime
    count: int
    baseline: float
    story_ids: list[str]
    message_id: str | None = None


@dataclass
class OutboxMessage:
    message_id: str
    rule: str
    recipients: list[str]
    subject: str
    eml: bytes
    attempts: int


class AlertState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    # fired alerts and cool-down
    def last_fired(self, rule: str, series_key: str) -> FiredAlert | None:
        row = self.db.execute(
            "SELECT rule, series_key, fired_at, window_start, window_end, count, baseline, story_ids,"
            " message_id FROM fired WHERE rule=? AND series_key=? ORDER BY fired_at DESC LIMIT 1",
            (rule, series_key),
        ).fetchone()
        if row is None:
            return None
        return FiredAlert(
            row[0], row[1], datetime.fromisoformat(row[2]), datetime.fromisoformat(row[3]),
            datetime.fromisoformat(row[4]), row[5], row[6], json.loads(row[7]), row[8],
        )  # fmt: skip

    def fired_between(self, start: datetime, end: datetime) -> list[FiredAlert]:
        rows = self.db.execute(
            "SELECT rule, series_key, fired_at, window_start, window_end, count, baseline, story_ids,"
            " message_id FROM fired WHERE fired_at >= ? AND fired_at < ? ORDER BY fired_at",
            (start.isoformat(), end.isoformat()),
        ).fetchall()
        return [
            FiredAlert(r[0], r[1], datetime.fromisoformat(r[2]), datetime.fromisoformat(r[3]),
                       datetime.fromisoformat(r[4]), r[5], r[6], json.loads(r[7]), r[8])
            for r in rows
        ]  # fmt: skip

    def record_fired(self, alert: FiredAlert) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO fired VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    alert.rule, alert.series_key, alert.fired_at.isoformat(), alert.window_start.isoformat(),
                    alert.window_end.isoformat(), alert.count, alert.baseline, json.dumps(alert.story_ids),
                    alert.message_id,
                ),
            )  # fmt: skip

    # outbox
    def enqueue(
        self, message_id: str, rule: str, recipients: list[str], subject: str, eml: bytes, at: datetime
    ) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR IGNORE INTO outbox (message_id, rule, recipients, subject, eml, created_at)"
                " VALUES (?,?,?,?,?,?)",
                (message_id, rule, json.dumps(recipients), subject, eml, at.isoformat()),
            )

    def undelivered(self) -> list[OutboxMessage]:
        rows = self.db.execute(
            "SELECT message_id, rule, recipients, subject, eml, attempts FROM outbox"
            " WHERE delivered_at IS NULL ORDER BY created_at, message_id"
        ).fetchall()
        return [OutboxMessage(r[0], r[1], json.loads(r[2]), r[3], bytes(r[4]), r[5]) for r in rows]

    def mark_delivered(self, message_id: str, at: datetime) -> None:
        with self.db:
            self.db.execute(
                "UPDATE outbox SET delivered_at=?, attempts=attempts+1 WHERE message_id=? AND delivered_at IS NULL",
                (at.isoformat(), message_id),
            )

    def mark_failed(self, message_id: str, error: str) -> None:
        with self.db:
            self.db.execute(
                "UPDATE outbox SET attempts=attempts+1, last_error=? WHERE message_id=?", (error, message_id)
            )

    def delivered_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NOT NULL").fetchone()[0]

    # digests
    def digest_sent(self, rule: str, day: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM digest_sent WHERE rule=? AND day=?", (rule, day)).fetchone()
            is not None
        )

    def mark_digest_sent(self, rule: str, day: str) -> None:
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO digest_sent VALUES (?, ?)", (rule, day))

    # watch rules
    def watch_seen(self, rule: str, article_id: str) -> bool:
        row = self.db.execute("SELECT 1 FROM watch_seen WHERE rule=? AND article_id=?", (rule, article_id))
        return row.fetchone() is not None

    def mark_watch_seen(self, rule: str, article_ids: list[str], at: datetime, held: bool) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR IGNORE INTO watch_seen VALUES (?,?,?,?)",
                [(rule, a, at.isoformat(), int(held)) for a in article_ids],
            )

    def take_held_watch_hits(self) -> list[tuple[str, str]]:
        """(rule, article id) held for the digest; ``release_held_watch_hits`` clears them once queued."""
        rows = self.db.execute("SELECT rule, article_id FROM watch_seen WHERE held_for_digest=1").fetchall()
        return [(r[0], r[1]) for r in rows]

    def release_held_watch_hits(self) -> None:
        with self.db:
            self.db.execute("UPDATE watch_seen SET held_for_digest=0 WHERE held_for_digest=1")
