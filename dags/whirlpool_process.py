"""whirlpool_process: when collect emits new raw batches, clean, detect language, dedupe, tag and score.

Scheduled on the ``whirlpool_raw_batches`` asset; runs one at a time (the raw ledger is its queue, so
a run processes every pending batch, and a re-run finds nothing left to do). New processed batches
emit ``whirlpool_processed_batches``, which starts ``whirlpool_index``.
"""

from __future__ import annotations

from datetime import timedelta

from _whirlpool import PROCESSED_BATCHES, RAW_BATCHES, dag_arguments, run_stage
from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowSkipException


@dag(**dag_arguments("whirlpool_process", [RAW_BATCHES], __doc__, timedelta(hours=1)))
def whirlpool_process():
    @task(execution_timeout=timedelta(minutes=45))
    def process_pending_batches() -> dict:
        """run_process over every raw batch not yet processed; returns counts and output paths."""
        from whirlpool.pipeline import run_process

        return run_stage(run_process)

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
