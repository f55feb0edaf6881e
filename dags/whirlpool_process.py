"""whirlpool_process: when collect emits new raw batches, clean, detect language, dedupe, tag and score.

Scheduled on the ``whirlpool_raw_batches`` asset; runs one at a time (the raw ledger is its queue, so
a run processes every pending batch, and a re-run finds nothing left to do). New processed batches
emit ``whirlpool_processed_batches``, which starts ``whirlpool_index``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset, dag, task
from airflow.sdk.exceptions import AirflowSkipException

from whirlpool.orchestration import PROCESSED_ASSET_URI, RAW_ASSET_URI, task_defaults

RAW_BATCHES = Asset(name="whirlpool_raw_batches", uri=RAW_ASSET_URI)
PROCESSED_BATCHES = Asset(name="whirlpool_processed_batches", uri=PROCESSED_ASSET_URI)


@dag(
    dag_id="whirlpool_process",
    schedule=[RAW_BATCHES],
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args=task_defaults(),
    tags=["whirlpool"],
    doc_md=__doc__,
)
def whirlpool_process():
    @task(execution_timeout=timedelta(minutes=45))
    def process_pending_batches() -> dict:
        """run_process over every raw batch not yet processed; returns counts and output paths."""
        from whirlpool.orchestration import report_lines, task_settings, xcom_summary
        from whirlpool.pipeline import run_process

        report = run_process(task_settings())
        print("\n".join(report_lines(report)))
        return xcom_summary(report)

    @task(outlets=[PROCESSED_BATCHES])
    def announce_processed_batches(summary: dict, *, outlet_events=None) -> list[str]:
        """Emit the asset when this run wrote processed batches."""
        from whirlpool.orchestration import batch_names

        batches = batch_names(summary["outputs"])
        if not batches:
            raise AirflowSkipException("no processed batch written")
        outlet_events[PROCESSED_BATCHES].extra = {"batches": batches}
        return batches

    announce_processed_batches(process_pending_batches())


whirlpool_process()
