"""Retention: what ``whirlpool prune`` and the daily ``whirlpool_maintenance`` DAG remove (issue 13, 11).

Three stores grow with every run; ``retention`` in settings.yaml bounds each (0 keeps for ever):

- stage files: whole batches started more than ``stage_days`` ago, once every consumer has finished
  them (``process`` for raw batches; the index, and any other ledger, for processed ones);
- the index: documents published more than ``index_days`` ago (``IndexBackend.delete_older_than``);
- the duplicate state: members dated more than ``duplicate_days`` ago (``prune_state``).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from whirlpool.pipeline import PROCESS_CONSUMER, index_consumer
from whirlpool.report import ProgressCallback, StageReport, append_outcomes, no_progress
from whirlpool.settings import Settings
from whirlpool.stagestore import PROCESSED, RAW, StageStore, batch_started


def run_prune(
    settings: Settings,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: ProgressCallback = no_progress,
) -> StageReport:
    """Remove what is past the retention windows; with ``dry_run``, only count it."""
    report = StageReport("prune")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    retention = settings.retention
    progress(0, 3, "stage files")
    _prune_stage_files(settings, now, retention.stage_days, dry_run, report)
    progress(1, 3, "index")
    _prune_index(settings, now, retention.index_days, dry_run, report)
    progress(2, 3, "duplicate state")
    _prune_duplicates(settings, now, retention.duplicate_days, dry_run, report)
    progress(3, 3, "done")
    counts = report.counts
    verb = "would remove" if dry_run else "removed"
    report.notes.append(
        f"{verb} {counts['stage_files_removed']:,} stage file(s) ({_megabytes(counts['stage_bytes_freed'])}), "
        f"{counts['index_documents_deleted']:,} index document(s), "
        f"{counts['duplicate_entries_dropped']:,} duplicate-state entries "
        f"({_megabytes(counts['duplicate_bytes_freed'])})"
    )
    append_outcomes(settings.data_dir / "logs" / "outcomes.jsonl", report.outcomes)
    return report


def _prune_stage_files(
    settings: Settings, now: datetime, days: int, dry_run: bool, report: StageReport
) -> None:
    if not days:
        report.notes.append("stage files kept for ever (retention.stage_days: 0)")
        return
    store = StageStore(settings.data_dir)
    before = now - timedelta(days=days)
    for stage, consumers in ((RAW, [PROCESS_CONSUMER]), (PROCESSED, [index_consumer(settings)])):
        finished = store.finished_batches(stage, before, consumers)
        size = sum(path.stat().st_size for path in finished)
        if not dry_run:
            size = store.remove_batches(finished)
        report.count("stage_files_removed", len(finished))
        report.count("stage_bytes_freed", size)
        kept = [p for p in store.batches(stage) if p not in finished and _started_before(store, p, before)]
        if kept:
            report.warn(
                f"{len(kept)} {stage} batch(es) older than {days} days kept: not yet finished by every "
                f"consumer ({', '.join(sorted(store.ledger_consumers(stage) | set(consumers)))})"
            )


def _prune_index(settings: Settings, now: datetime, days: int, dry_run: bool, report: StageReport) -> None:
    from indexing import open_backend
    from indexing.backend import IndexUnavailable

    report.count("index_documents_deleted", 0)
    if not days:
        report.notes.append("index documents kept for ever (retention.index_days: 0)")
        return
    try:
        backend = open_backend(settings)
        try:
            backend.ensure_ready()
            deleted = backend.delete_older_than(now - timedelta(days=days), dry_run=dry_run)
        finally:
            backend.close()
    except IndexUnavailable as exc:
        report.fail(f"index unavailable, nothing deleted from it: {exc}", retry_later=True)
        return
    report.count("index_documents_deleted", deleted)


def _prune_duplicates(
    settings: Settings, now: datetime, days: int, dry_run: bool, report: StageReport
) -> None:
    from processing.duplicates import prune_state
    from processing.pipeline import DUPLICATE_STATE_FILE

    report.count("duplicate_entries_dropped", 0)
    report.count("duplicate_bytes_freed", 0)
    if not days:
        report.notes.append("duplicate-state members kept for ever (retention.duplicate_days: 0)")
    try:
        pruned = prune_state(settings.state_dir / DUPLICATE_STATE_FILE, now, days, dry_run=dry_run)
    except sqlite3.OperationalError as exc:  # locked by a process run for over a minute
        report.fail(f"duplicate state not pruned: {exc}", retry_later=True)
        return
    report.count("duplicate_entries_dropped", pruned.members)
    report.count("duplicate_bytes_freed", max(0, pruned.bytes_before - pruned.bytes_after))


def _started_before(store: StageStore, path, before: datetime) -> bool:
    started = batch_started(store.batch_name(path))
    return started is not None and started < before


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"
