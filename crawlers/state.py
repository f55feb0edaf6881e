"""Collect state under ``settings.state_dir``: seen URLs, per-feed validators, per-source health.

One SQLite file in WAL mode; every write is its own transaction, so two overlapping runs are safe
(the later write wins) and a crash loses nothing already committed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    url TEXT PRIMARY KEY,          -- canonical URL
    article_id TEXT NOT NULL,
    source_id TEXT,
    first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feed_cache (
    feed_url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT
);
CREATE TABLE IF NOT EXISTS health (
    source_id TEXT PRIMARY KEY,
    last_polled TEXT,
    last_success TEXT,
    last_error TEXT,
    last_error_at TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    items_seen INTEGER NOT NULL DEFAULT 0,
    articles_collected INTEGER NOT NULL DEFAULT 0,
    backoff_until TEXT
);
"""


def state_db_path(state_dir: Path) -> Path:
    return Path(state_dir) / "collect.sqlite"


def connect(state_dir: Path, readonly: bool = False) -> sqlite3.Connection:
    path = state_db_path(state_dir)
    if readonly:
        if not path.exists():
            connection = sqlite3.connect(":memory:")
            connection.executescript(SCHEMA)
            return connection
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        return connection
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.executescript(SCHEMA)
    return connection


class SeenUrls:
    """Canonical URLs already collected, so an item is not fetched twice."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __contains__(self, url: str) -> bool:
        return self.connection.execute("SELECT 1 FROM seen WHERE url = ?", (url,)).fetchone() is not None

    def add(self, urls: list[str], article_id: str, source_id: str, at: str) -> None:
        with self.connection:
            self.connection.executemany(
                "INSERT OR IGNORE INTO seen (url, article_id, source_id, first_seen) VALUES (?, ?, ?, ?)",
                [(url, article_id, source_id, at) for url in urls],
            )

    def __len__(self) -> int:
        return self.connection.execute("SELECT COUNT(*) FROM seen").fetchone()[0]


def feed_validators(connection: sqlite3.Connection) -> dict[str, dict[str, str | None]]:
    rows = connection.execute("SELECT feed_url, etag, last_modified FROM feed_cache").fetchall()
    return {url: {"etag": etag, "last_modified": modified} for url, etag, modified in rows}


def save_feed_validators(
    connection: sqlite3.Connection, feed_url: str, etag: str | None, last_modified: str | None
) -> None:
    with connection:
        connection.execute(
            "INSERT INTO feed_cache (feed_url, etag, last_modified) VALUES (?, ?, ?) "
            "ON CONFLICT(feed_url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified",
            (feed_url, etag, last_modified),
        )
