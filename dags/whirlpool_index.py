"""whirlpool_index: when process emits new batches, upsert them into the index.

Scheduled on the ``whirlpool_processed_batches`` asset; one run at a time. Upserts by article id make
a re-run harmless, and a batch the index could not take stays pending for the next run. New documents
emit ``whirlpool_index_updated``, which starts an alert check at once.
The index is Elasticsearch (connection ``whirlpool_elasticsearch`` or WHIRLPOOL_ES_URL), else embedded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset, dag, task
from airflow.sdk.exceptions import AirflowSkipException

from whirlpool.orchestration import INDEXED_ASSET_URI, PROCESSED_ASSET_URI, task_defaults

PROCESSED_BATCHES = Asset(name="whirlpool_processed_batches", uri=PROCESSED_ASSET_URI)
INDEX_UPDATED = Asset(name="whirlpool_index_updated", uri=INDEXED_ASSET_URI)


@dag(
    dag_id="whirlpool_index",
    schedule=[PROCESSED_BATCHES],
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args=task_defaults(),
    tags=["whirlpool"],
    doc_md=__doc__,
)
def whirlpool_index():
    @task(execution_timeout=timedelta(minutes=45))
    def index_pending_batches() -> dict:
        """run_index over every processed batch not yet indexed; fails if the index stays unreachable."""
        from whirlpool.orchestration import report_lines, retry_reason, task_settings, xcom_summary
        from whirlpool.pipeline import run_index

        report = run_index(task_settings())
        print("\n".join(report_lines(report)))
        if problem := retry_reason(report):
            raise RuntimeError(problem)  # batches stay pending; Airflow retries with backoff
        return xcom_summary(report)

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
