"""whirlpool_index: when process emits new batches, upsert them into the index.

Scheduled on the ``whirlpool_processed_batches`` asset; one run at a time. Upserts by article id make
a re-run harmless, and a batch the index could not take stays pending for the next run. New documents
emit ``whirlpool_index_updated``, which starts an alert check at once.
The index is Elasticsearch (connection ``whirlpool_elasticsearch`` or WHIRLPOOL_ES_URL), else embedded.
"""

from __future__ import annotations

from datetime import timedelta

from _whirlpool import INDEX_UPDATED, PROCESSED_BATCHES, dag_arguments, run_stage
from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowSkipException


@dag(**dag_arguments("whirlpool_index", [PROCESSED_BATCHES], __doc__, timedelta(hours=1)))
def whirlpool_index():
    @task(execution_timeout=timedelta(minutes=45))
    def index_pending_batches() -> dict:
        """run_index over every processed batch not yet indexed; fails if the index stays unreachable
        (the batches stay pending and Airflow retries)."""
        from whirlpool.pipeline import run_index

        return run_stage(run_index)

    @task(outlets=[INDEX_UPDATED])
    def announce_index_updated(summary: dict, *, outlet_events=None) -> int:
        """Emit the asset when documents were written."""
        indexed = summary["counts"].get("indexed", 0)
        if not indexed:
            raise AirflowSkipException("no document indexed")
        outlet_events[INDEX_UPDATED].extra = {"indexed": indexed}
        return indexed

    announce_index_updated(index_pending_batches())


whirlpool_index()
