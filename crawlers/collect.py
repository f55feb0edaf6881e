"""collect_sources: poll due sources, fetch and extract new articles, write one raw batch.

The crawl runs in a child process (``crawlers.run``) so this can be called many times in one
process; its events are written to the batch as they arrive, so a crash keeps what was fetched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from crawlers.health import HealthStore
from crawlers.state import SeenUrls, connect, save_feed_validators
from whirlpool.article import Article, ExtractionMethod
from whirlpool.report import ProgressCallback, StageReport, no_progress
from whirlpool.settings import REPO_ROOT, Settings
from whirlpool.sources import Source
from whirlpool.stagestore import RAW, StageStore

# Always present in the report (zero when nothing happened), so dashboards and tests can rely on them.
REPORTED_COUNTS = (
    "sources_polled",
    "sources_ok",
    "sources_failed",
    "sources_not_due",
    "feeds_not_modified",
    "entries_seen",
    "articles_new",
    "articles_already_seen",
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
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class _RunState:
    """What the child reported, per source, to update health at the end."""

    def __init__(self) -> None:
        self.polls_ok: dict[str, int] = defaultdict(int)
        self.poll_errors: dict[str, list[str]] = defaultdict(list)
        self.entries: dict[str, int] = defaultdict(int)
        self.articles: dict[str, int] = defaultdict(int)


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
    seen = SeenUrls(connection)
    due, waiting = due_sources(sources, health, now, force)
    report.count("sources_not_due", len(waiting))
    report.count("sources_polled", len(due))
    for name in REPORTED_COUNTS:
        report.count(name, 0)
    if not due:
        progress(0, 0, "no source is due")
        connection.close()
        return report
    by_id = {s.id: s for s in due}
    run = _RunState()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    job = {
        "collect": settings.collect.model_dump(mode="json"),
        "sources": [s.model_dump(mode="json") for s in due],
        "state_dir": str(settings.state_dir),
        "force": force,
        "scrapy_overrides": scrapy_overrides or {},
    }
    with tempfile.TemporaryDirectory(prefix="collect-", dir=settings.state_dir) as tmp:
        job_path = Path(tmp) / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        stderr_path = Path(tmp) / "crawler.log"
        with open(stderr_path, "wb") as stderr, store.writer(RAW) as writer:
            progress(0, None, f"polling {len(due)} source(s)")
            child = subprocess.Popen(
                [sys.executable, "-m", "crawlers.run", str(job_path)],
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=str(REPO_ROOT),
                env=_child_environment(),
            )
            finished = False
            assert child.stdout is not None
            for raw_line in child.stdout:
                try:
                    event = json.loads(raw_line)
                except json.JSONDecodeError:
                    continue
                if event.get("event") == "done":
                    finished = True
                _handle_event(event, report, run, writer, seen, connection, progress)
            returncode = child.wait()
        if returncode != 0 or not finished:
            tail = stderr_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
            report.fail(
                f"crawler process exited with code {returncode} before finishing; "
                f"articles fetched so far are kept: {' | '.join(tail) or 'no log'}"
            )
    if writer.count:
        report.outputs.append(str(writer.path))
    _update_health(settings, health, by_id, run, report, now, crashed=returncode != 0 or not finished)
    connection.close()
    progress(report.counts["articles_new"], report.counts["articles_new"], "collected")
    return report


def _handle_event(event, report, run, writer, seen, connection, progress) -> None:
    kind = event.get("event")
    if kind == "article":
        article = Article.model_validate(event["article"])
        keys = event.get("keys") or [article.canonical_url]
        if article.canonical_url in seen:
            report.count("articles_already_seen")
            return
        writer.write(article)
        seen.add(keys, article.id, article.source_id, article.fetched_at.isoformat())
        report.count("articles_new")
        run.articles[article.source_id] += 1
        if article.extraction_method in (ExtractionMethod.TRAFILATURA, ExtractionMethod.LISTING):
            report.count("full_text")
        elif article.extraction_method == ExtractionMethod.FEED_CONTENT:
            report.count("feed_content")
        elif article.extraction_method == ExtractionMethod.FEED_SUMMARY:
            report.count("feed_summary_fallback")
        if article.date_is_guessed:
            report.count(f"dates_{article.published_at_source}")
    elif kind == "poll":
        source_id = event["source_id"]
        status = event["status"]
        if status == "failed":
            run.poll_errors[source_id].append(event["reason"])
            report.fail(event["reason"], source_id=source_id, url=event["url"])
            return
        run.polls_ok[source_id] += 1
        if status == "not_modified":
            report.count("feeds_not_modified")
        else:
            run.entries[source_id] += event.get("entries", 0)
            if event.get("kind") == "feed" and (event.get("etag") or event.get("last_modified")):
                save_feed_validators(connection, event["url"], event.get("etag"), event.get("last_modified"))
    elif kind == "fail":
        report.fail(event["reason"], source_id=event.get("source_id"), url=event.get("url"))
    elif kind == "warn":
        report.warn(event["reason"], source_id=event.get("source_id"), url=event.get("url"))
    elif kind == "count":
        report.count(event["name"], event.get("n", 1))
    elif kind == "progress":
        progress(event["done"], event.get("total"), event.get("message", ""))


def _update_health(settings, health, by_id, run, report, now, crashed: bool) -> None:
    for source_id in by_id:
        errors = run.poll_errors.get(source_id, [])
        if run.polls_ok.get(source_id):
            report.count("sources_ok")
            health.record_success(
                source_id, now, run.entries.get(source_id, 0), run.articles.get(source_id, 0)
            )
        elif errors:
            report.count("sources_failed")
            health.record_failure(source_id, now, errors[0], settings.collect)
        elif crashed:
            report.count("sources_failed")
            health.record_failure(source_id, now, "crawler process ended before polling it", settings.collect)
        else:
            report.count("sources_failed")
            health.record_failure(source_id, now, "no response recorded", settings.collect)
