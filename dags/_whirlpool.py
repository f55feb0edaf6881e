"""What the Whirlpool DAGs share, declared once: the assets that chain them, the DAG arguments, and
running one stage in a task (run it on the task's settings, log its report, ask for a retry when
it says so). Airflow puts the DAGs folder on ``sys.path``, so DAG files import this module; it
defines no DAG. Nothing heavy is imported here: DAG files are parsed every few seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Asset

from whirlpool.orchestration import INDEXED_ASSET_URI, PROCESSED_ASSET_URI, RAW_ASSET_URI, task_defaults

RAW_BATCHES = Asset(name="whirlpool_raw_batches", uri=RAW_ASSET_URI)
PROCESSED_BATCHES = Asset(name="whirlpool_processed_batches", uri=PROCESSED_ASSET_URI)
INDEX_UPDATED = Asset(name="whirlpool_index_updated", uri=INDEXED_ASSET_URI)

log = logging.getLogger("airflow.task")


def dag_arguments(dag_id: str, schedule: Any, doc: str | None, timeout: timedelta) -> dict[str, Any]:
    """The arguments every Whirlpool DAG shares: no catchup, one run at a time, the task defaults."""
    return {
        "dag_id": dag_id,
        "schedule": schedule,
        "start_date": datetime(2026, 1, 1, tzinfo=UTC),
        "catchup": False,
        "max_active_runs": 1,
        "dagrun_timeout": timeout,
        "default_args": task_defaults(),
        "tags": ["whirlpool"],
        "doc_md": doc,
    }


def run_stage(stage: Callable[..., Any], *args: Any, **kwargs: Any) -> dict:
    """Run ``stage(settings, *args, **kwargs)``, log its report line by line, and raise for a retry
    when the report asks for one (the index or the SMTP relay down: nothing is lost, it waits).
    Returns the counts and output paths for XCom."""
    from whirlpool.orchestration import report_lines, retry_reason, task_settings, xcom_summary

    report = stage(task_settings(), *args, **kwargs)
    for line in report_lines(report):
        log.info("%s", line)
    if problem := retry_reason(report):
        raise RuntimeError(problem)  # Airflow retries with exponential back-off
    return xcom_summary(report)
