"""collect_sources: poll due sources, fetch and extract new articles, write one raw batch.

The crawl runs in a child process (``python -m crawlers.run``, Scrapy settings from ``crawlers.settings``)
so this can be called many times in one process. Inside the crawl, item pipelines write the raw batch
and the seen URLs as articles arrive, so a crash keeps what was fetched. This reads back the child's
exit code, its stats (the counts, journaled as they change) and its outcome records, and updates each
source's health. When the crawl did not finish, the sources it had polled are recorded as usual, the
others are left untouched (still due), and the counts say what was done before it stopped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from crawlers.health import HealthStore
from crawlers.state import connect, save_feed_validators
from crawlers.stats import read_stats_journal
from whirlpool.report import Outcome, ProgressCallback, StageReport, no_progress
from whirlpool.settings import Settings
from whirlpool.sources import Source
from whirlpool.stagestore import RAW, StageStore

SCRAPY_SETTINGS_MODULE = "crawlers.settings"
COUNT_PREFIX = "collect/"  # the crawl's own counts in crawler.stats (pipelines and spider)
SOURCE_PREFIX = "collect/source/"  # per source: polls_ok, entries, articles, polled (all polls over)
FEED_PREFIX = "collect/feed/"  # per feed URL: the ETag and Last-Modified to send next time

# Always present in the report (zero when nothing happened), so dashboards and tests can rely on them.
REPORTED_COUNTS = (
    "sources_polled",
    "sources_ok",
    "sources_failed",
    "sources_unfinished",  # due, but the crawl stopped before polling them: still due
    "sources_not_due",
    "feeds_not_modified",
    "entries_seen",
    "articles_new",
    "articles_already_seen",
    "links_refused",  # entries not fetched: a non-http(s) link, or a non-public address (netpolicy)
    "full_text",
    "feed_summary_fallback",
)


def due_sources(
    sources: list[Source], health: HealthStore, now: datetime, force: bool = False
) -> tuple[list[Source], list[Source]]:
    """(due, not due) among the enabled sources: poll interval elapsed and not in failure backoff."""
    due, waiting = [], []
    for source in sources:
        if not source.enabled:
            continue
        if force or health.get(source.id).is_due(source, now):
            due.append(source)
        else:
            waiting.append(source)
    return due, waiting


def _child_environment() -> dict[str, str]:
    """The caller's environment: the installed package is importable; only the settings are named."""
    return {**os.environ, "SCRAPY_SETTINGS_MODULE": SCRAPY_SETTINGS_MODULE, "PYTHONUNBUFFERED": "1"}


def _run_crawler(job: dict, folder: Path, progress: ProgressCallback) -> tuple[int, str]:
    """Run the crawl child; returns its exit code and the tail of its log."""
    job_path = folder / "job.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    log_path = folder / "crawler.log"
    with open(log_path, "wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "crawlers.run", str(job_path)],
            stdout=subprocess.PIPE,
            stderr=log,
            env=_child_environment(),
        )
        assert child.stdout is not None
        for line in child.stdout:
            try:
                step = json.loads(line)
                progress(step["done"], step["total"], step["message"])
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
        returncode = child.wait()
    tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
    return returncode, " | ".join(tail)


def _read_outcomes(path: Path) -> list[Outcome]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Outcome(**json.loads(line)) for line in lines if line.endswith("}")]


def collect_sources(
    settings: Settings,
    sources: list[Source],
    store: StageStore,
    progress: ProgressCallback = no_progress,
    force: bool = False,
    scrapy_overrides: dict | None = None,
) -> StageReport:
    """Poll every enabled source that is due (``force`` ignores intervals and backoff)."""
    report = StageReport("collect")
    now = datetime.now(UTC)
    connection = connect(settings.state_dir)
    health = HealthStore(settings.state_dir, connection)
    due, waiting = due_sources(sources, health, now, force)
    report.count("sources_not_due", len(waiting))
    report.count("sources_polled", len(due))
    for name in REPORTED_COUNTS:
        report.count(name, 0)
    if not due:
        progress(0, 0, "no source is due")
        connection.close()
        return report
    batch = store.writer(RAW)  # written by the crawl's pipeline; only its name and paths are used here
    with tempfile.TemporaryDirectory(prefix="collect-", dir=settings.state_dir) as tmp:
        folder = Path(tmp)
        job = {
            "collect": settings.collect.model_dump(mode="json"),
            "sources": [s.model_dump(mode="json") for s in due],
            "state_dir": str(settings.state_dir),
            "data_dir": str(store.root.parent),
            "batch": batch.name,
            "outcomes_path": str(folder / "outcomes.jsonl"),
            "stats_journal": str(folder / "stats.jsonl"),
            "force": force,
            "scrapy_overrides": scrapy_overrides or {},
        }
        progress(0, None, f"polling {len(due)} source(s)")
        returncode, log_tail = _run_crawler(job, folder, progress)
        report.outcomes.extend(_read_outcomes(Path(job["outcomes_path"])))
        stats = read_stats_journal(Path(job["stats_journal"]))
    finished = returncode == 0 and stats.get("finish_reason") == "finished"
    if batch.partial.exists():  # the crawl died, or could not seal it: what it wrote is kept
        store.seal_partial(batch.partial)
    if not finished:
        # retry_later: what was written is kept and the unpolled sources are still due.
        report.fail(_why_unfinished(returncode, stats.get("finish_reason"), log_tail), retry_later=True)
    for key, value in stats.items():
        name = key.removeprefix(COUNT_PREFIX)
        if key.startswith(COUNT_PREFIX) and "/" not in name:
            report.count(name, value)
        elif key.startswith(FEED_PREFIX) and isinstance(value, dict) and finished:
            # Only after a finished crawl: a feed's pages may not all have been fetched before a
            # stop, and its validators would turn the next poll into a 304 that skips them.
            save_feed_validators(
                connection, key.removeprefix(FEED_PREFIX), value["etag"], value["last_modified"]
            )
    if batch.path.exists():
        report.outputs.append(str(batch.path))
    _update_health(settings, health, due, stats, report, now, finished)
    connection.close()
    progress(report.counts["articles_new"], report.counts["articles_new"], "collected")
    return report


def _why_unfinished(returncode: int, finish_reason: str | None, log_tail: str) -> str:
    """One line: the reason the crawl closed with (e.g. a failed write), else the exit code and log."""
    if finish_reason and finish_reason != "finished":
        return f"crawl stopped: {finish_reason}; articles written before it are kept"
    return (
        f"crawler process exited with code {returncode} before finishing; "
        f"articles fetched so far are kept: {log_tail or 'no log'}"
    )


def _update_health(settings, health, due, stats, report, now, finished: bool) -> None:
    for source in due:
        per_source = {
            name: stats.get(f"{SOURCE_PREFIX}{source.id}/{name}", 0)
            for name in ("polls_ok", "entries", "articles", "polled")
        }
        errors = [o.reason for o in report.errors if o.source_id == source.id]
        problems = errors + [
            o.reason for o in report.outcomes if o.source_id == source.id and o.severity == "warning"
        ]
        if not finished and not per_source["polled"]:
            report.count("sources_unfinished")  # not failed: still due, polled by the next run
        elif per_source["polls_ok"]:
            report.count("sources_ok")
            health.record_success(
                source.id,
                now,
                per_source["entries"],
                per_source["articles"],
                problems[0] if problems else None,
            )
        elif errors:
            report.count("sources_failed")
            health.record_failure(source.id, now, errors[0], settings.collect)
        else:
            report.count("sources_failed")
            health.record_failure(source.id, now, "no response recorded", settings.collect)
