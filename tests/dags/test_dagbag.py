"""The DAG files: each imports cleanly, parses fast, does no heavy work at top level, and is wired on purpose."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.dags.conftest import AIRFLOW_ENV, DAGS_FOLDER, REPO, WHIRLPOOL_DAGS

pytest.importorskip("airflow", reason="apache-airflow is not installed (pip install -e '.[airflow]')")

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import BundleDagBag

    # the bag Airflow's dag processor uses: the DAGs folder (the bundle) is on sys.path
    return BundleDagBag(dag_folder=str(DAGS_FOLDER), bundle_path=DAGS_FOLDER)


def test_airflow_dags_list_shows_every_dag_and_no_import_errors(airflow_db):
    assert {row["dag_id"] for row in airflow_db["dags"]} == WHIRLPOOL_DAGS
    assert airflow_db["import_errors"] == []


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == WHIRLPOOL_DAGS


def test_every_dag_file_parses_in_under_a_second(dagbag):
    durations = {stat.file: stat.duration for stat in dagbag.dagbag_stats}
    assert len(durations) == len(WHIRLPOOL_DAGS)
    slow = {name: d for name, d in durations.items() if d >= timedelta(seconds=1)}
    assert not slow, f"DAG files slower than 1 s to parse: {slow}"


def test_parsing_the_dags_imports_no_crawler_index_or_processing_code():
    """Heavy imports belong inside tasks: the DAG processor parses these files every few seconds."""
    script = (
        "import sys, json\n"
        "from airflow.dag_processing.dagbag import BundleDagBag\n"
        f"bag = BundleDagBag(dag_folder={str(DAGS_FOLDER)!r}, bundle_path={str(DAGS_FOLDER)!r})\n"
        "assert not bag.import_errors, bag.import_errors\n"
        "heavy = ('scrapy', 'tantivy', 'elasticsearch', 'trafilatura', 'langdetect', 'datasketch',\n"
        "         'crawlers', 'processing', 'indexing', 'alerting')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")} | AIRFLOW_ENV
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_collect_runs_every_ten_minutes_without_catchup_one_run_at_a_time(dagbag):
    dag = dagbag.dags["whirlpool_collect"]
    assert dag.timetable.expression == "*/10 * * * *"
    assert dag.catchup is False and dag.max_active_runs == 1
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    assert isinstance(dag.task_dict["collect_group"], MappedOperator)
    assert [a.name for a in dag.task_dict["announce_raw_batches"].outlets] == ["whirlpool_raw_batches"]


def test_process_and_index_are_scheduled_on_the_asset_the_previous_dag_emits(dagbag):
    process, index = dagbag.dags["whirlpool_process"], dagbag.dags["whirlpool_index"]
    assert _scheduled_on(process) == {"whirlpool_raw_batches"}
    assert _scheduled_on(index) == {"whirlpool_processed_batches"}
    assert _emits(process) == {"whirlpool_processed_batches"}
    assert _emits(index) == {"whirlpool_index_updated"}
    assert _scheduled_on(dagbag.dags["whirlpool_alerts"]) == {"whirlpool_index_updated"}


def test_alerts_run_often_and_at_the_digest_hour_in_its_time_zone(dagbag):
    """config/alerts.yaml: the daily digest at 07:00 Europe/London; spikes every 15 minutes."""
    timetable = dagbag.dags["whirlpool_alerts"].timetable.timetable
    crons = sorted(t.expression for t in timetable.timetables)
    assert crons == sorted(["*/15 * * * *", "0 7 * * *"])
    assert {_zone_name(t.timezone) for t in timetable.timetables} == {"Europe/London"}


def test_every_task_retries_with_exponential_backoff_and_has_a_timeout(dagbag):
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            assert task.retry_exponential_backoff, f"{dag.dag_id}.{task.task_id}"
            assert task.execution_timeout is not None, f"{dag.dag_id}.{task.task_id}"
            assert task.max_retry_delay == timedelta(minutes=30)
        assert dag.dagrun_timeout is not None and dag.max_active_runs == 1 and dag.catchup is False


def _scheduled_on(dag) -> set[str]:
    return {asset.name for asset in dag.timetable.asset_condition.objects}


def _zone_name(zone) -> str:
    return zone if isinstance(zone, str) else zone.name


def _emits(dag) -> set[str]:
    return {outlet.name for task in dag.tasks for outlet in task.outlets}


def test_maintenance_prunes_once_a_day_without_catchup(dagbag):
    dag = dagbag.dags["whirlpool_maintenance"]
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.timetable.expression == "30 3 * * *"
    assert [t.task_id for t in dag.tasks] == ["prune_past_retention"]
