"""The stages as plain functions: the CLI and the Airflow DAGs call exactly these.

collect → ``stages/raw`` → process → ``stages/processed`` → index → alerts.
Each stage reads its input batches from files, is idempotent, and returns a StageReport.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from whirlpool.report import ProgressCallback, StageReport, append_outcomes, no_progress
from whirlpool.settings import Settings
from whirlpool.stagestore import PROCESSED, RAW, StageStore
from whirlpool.yamlconfig import ConfigError

if TYPE_CHECKING:  # the sources' schema only for collect and the config check, not process
    from whirlpool.sources import Source

PROCESS_CONSUMER = "process"


def index_consumer(settings: Settings) -> str:
    """Each backend keeps its own ledger, so switching to Elasticsearch re-indexes everything."""
    return f"index-{settings.index_backend}"


def _log(settings: Settings, report: StageReport) -> StageReport:
    append_outcomes(settings.data_dir / "logs" / "outcomes.jsonl", report.outcomes)
    return report


def run_collect(
    settings: Settings,
    sources: list[Source] | None = None,
    progress: ProgressCallback = no_progress,
    force: bool = False,
    recover_partials: bool = True,
) -> StageReport:
    """Poll every enabled source that is due; write what was fetched as one raw batch.

    ``recover_partials=False`` when other collect calls may be writing at the same time (the Airflow
    fan-out recovers once, before its parallel tasks start).
    """
    from crawlers.collect import collect_sources
    from whirlpool.sources import load_sources

    store = StageStore(settings.data_dir)
    recovered = store.recover_partials(RAW) if recover_partials else []
    if sources is None:
        sources = load_sources(settings.config_path("sources.yaml"), only_enabled=True)
    report = collect_sources(settings, sources, store, progress=progress, force=force)
    if recovered:
        report.notes.append(f"recovered {len(recovered)} batch(es) left by an interrupted run")
    return _log(settings, report)


def config_problems(settings: Settings, alerts: bool = True) -> list[str]:
    """Every problem in the config files a cycle reads, one line each (file, line, field), found
    before any stage runs: a bad taxonomy or alert rule must not surface after collect has run."""
    from alerting.rules import load_rules
    from whirlpool.sources import load_sources
    from whirlpool.taxonomy import load_taxonomy

    checks = [("sources.yaml", lambda path: load_sources(path)), ("taxonomy.yaml", load_taxonomy)]
    if alerts and settings.alerts.enabled:
        checks.append(("alerts.yaml", load_rules))
    problems: list[str] = []
    for name, load in checks:
        try:
            load(settings.config_path(name))
        except ConfigError as exc:
            problems.extend(str(exc).splitlines())
    return problems


def run_process(settings: Settings, progress: ProgressCallback = no_progress) -> StageReport:
    """Clean, detect language, cluster duplicates, tag and score every pending raw batch."""
    from processing.pipeline import Processor

    store = StageStore(settings.data_dir)
    report = StageReport("process")
    pending = store.pending(RAW, PROCESS_CONSUMER)
    report.count("batches_pending", len(pending))
    if not pending:
        return _log(settings, report)
    processor = Processor.from_settings(settings)
    try:
        for number, batch in enumerate(pending, 1):
            progress(number - 1, len(pending), f"processing {store.batch_name(batch)}")
            read_errors: list[str] = []
            articles = store.read_batch(batch, read_errors)
            out = store.write_lines(
                PROCESSED, processor.process_lines(articles, report), batch_name=store.batch_name(batch)
            )
            for line in read_errors:
                report.fail(line)
            if out:
                report.outputs.append(str(out))
            store.mark_consumed(RAW, PROCESS_CONSUMER, batch)
            report.count("batches")
        progress(len(pending), len(pending), "processed")
    finally:
        processor.close()
    return _log(settings, report)


def run_index(settings: Settings, progress: ProgressCallback = no_progress) -> StageReport:
    """Upsert every pending processed batch; a batch the index could not take stays pending."""
    from indexing import open_backend
    from indexing.backend import IndexUnavailable

    store = StageStore(settings.data_dir)
    report = StageReport("index")
    consumer = index_consumer(settings)
    pending = store.pending(PROCESSED, consumer)
    report.count("batches_pending", len(pending))
    try:
        backend = open_backend(settings)
        backend.ensure_ready()
    except IndexUnavailable as exc:
        report.fail(
            f"index unavailable, {len(pending)} batch(es) kept for the next run: {exc}", retry_later=True
        )
        return _log(settings, report)
    try:
        for number, batch in enumerate(pending, 1):
            progress(number - 1, len(pending), f"indexing {store.batch_name(batch)}")
            read_errors: list[str] = []
            try:
                result = backend.upsert(store.read_batch(batch, read_errors))
            except IndexUnavailable as exc:
                left = len(pending) - number + 1
                report.fail(
                    f"index unavailable, {left} batch(es) kept for the next run: {exc}", retry_later=True
                )
                break
            for line in read_errors + result.errors:
                report.fail(line)
            report.count("indexed", result.indexed)
            report.count("dead_lettered", result.failed)
            if result.dead_letter_path and result.failed:
                report.outputs.append(result.dead_letter_path)
            store.mark_consumed(PROCESSED, consumer, batch)
            report.count("batches")
        progress(len(pending), len(pending), "indexed")
        report.count("documents_in_index", backend.count())
        report.outputs.append(describe_index(settings))
    finally:
        backend.close()
    return _log(settings, report)


def run_alerts(
    settings: Settings,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: ProgressCallback = no_progress,
) -> StageReport:
    """Evaluate the alert rules in ``config/alerts.yaml`` and send (or, dry, write) the emails."""
    from alerting.engine import run_alert_rules

    report = run_alert_rules(settings, dry_run=dry_run, now=now, progress=progress)
    return _log(settings, report)


def describe_index(settings: Settings) -> str:
    if settings.index_backend == "elasticsearch":
        return f"Elasticsearch {settings.elasticsearch.url} (alias {settings.elasticsearch.index_prefix})"
    return f"embedded index {settings.embedded_index_dir}"
