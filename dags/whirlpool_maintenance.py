"""whirlpool_maintenance: once a day, remove what is past retention (what ``whirlpool prune`` does).

Daily at 03:30 UTC: stage batches older than ``retention.stage_days`` that every consumer has finished,
index documents older than ``retention.index_days``, duplicate state older than
``retention.duplicate_days`` (config/settings.yaml). A re-run removes nothing twice; an unreachable
index makes Airflow retry, and nothing is removed from it meanwhile.
"""

from __future__ import annotations

from datetime import timedelta

from _whirlpool import dag_arguments, run_stage
from airflow.sdk import dag, task


@dag(**dag_arguments("whirlpool_maintenance", "30 3 * * *", __doc__, timedelta(hours=2)))
def whirlpool_maintenance():
    @task(execution_timeout=timedelta(hours=1))
    def prune_past_retention() -> dict:
        """run_prune: stage files, index documents and duplicate state past their windows."""
        from whirlpool.retention import run_prune

        return run_stage(run_prune)

    prune_past_retention()


whirlpool_maintenance()
