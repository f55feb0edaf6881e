"""The collect crawl's stats, kept as they change: a crawl that dies still tells what it did.

``JournaledStatsCollector`` is Scrapy's in-memory collector (``STATS_CLASS`` in ``crawlers.settings``)
that also appends every change to a ``collect/`` stat, and the finish reason, to the JSON-lines file
named by ``COLLECT_STATS_JOURNAL``: one line ``{"k": key, "v": new value}`` per change, written through
at once, like the outcomes file. ``read_stats_journal`` replays it (the last value of a key wins; a
line cut short by a crash is skipped). Without ``COLLECT_STATS_JOURNAL`` nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import MemoryStatsCollector

JOURNALED = ("collect/", "finish_reason")  # the crawl's own counts, and why it closed


class JournaledStatsCollector(MemoryStatsCollector):
    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        path = crawler.settings.get("COLLECT_STATS_JOURNAL")
        self.journal = Path(path) if path else None

    def _journal(self, key: str) -> None:
        if self.journal is None or not key.startswith(JOURNALED):
            return
        line = json.dumps({"k": key, "v": self._stats[key]}, default=str, ensure_ascii=False)
        with open(self.journal, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def set_value(self, key: str, value: Any, spider: Any = None) -> None:
        super().set_value(key, value)
        self._journal(key)

    def inc_value(self, key: str, count: int = 1, start: int = 0, spider: Any = None) -> None:
        super().inc_value(key, count, start)
        self._journal(key)

    def max_value(self, key: str, value: Any, spider: Any = None) -> None:
        super().max_value(key, value)
        self._journal(key)

    def min_value(self, key: str, value: Any, spider: Any = None) -> None:
        super().min_value(key, value)
        self._journal(key)


def read_stats_journal(path: Path) -> dict[str, Any]:
    """The stats as the journal last recorded them (empty when there is no journal)."""
    stats: dict[str, Any] = {}
    if not path.exists():
        return stats
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # cut short by a crash
        stats[record["k"]] = record["v"]
    return stats
