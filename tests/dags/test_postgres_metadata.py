"""The DAG runs again on PostgreSQL, Airflow's production metadata database (docker-compose.yml).

Airflow's configuration is process-global (read at first import), so the SQLite session cannot switch
databases: this test starts a throwaway PostgreSQL cluster on a free 127.0.0.1 port
(tests/dags/postgres.py), then runs a representative part of tests/dags/test_dag_runs.py in a child
pytest whose metadata database is that cluster (WHIRLPOOL_TEST_AIRFLOW_DB, read by
tests/dags/conftest.py): ``airflow db migrate``, ``dags reserialize`` and ``dags list`` through the real
CLI, then all four DAGs by ``dag.test()`` through the asset chain. That needs both
drivers Airflow 3 uses there, psycopg2 and asyncpg (the ``airflow`` extra). Skipped, with the reason,
when PostgreSQL's ``initdb`` is not installed."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dags.postgres import PostgresUnavailable, find_initdb, throwaway_postgres

REPO = Path(__file__).resolve().parents[2]
# The four DAGs end to end (one run each, the module fixture of test_dag_runs.py) and what they produced;
# the re-run, Elasticsearch and failure cases stay on SQLite only: they exercise Whirlpool, not the
# metadata database, and would double the time (the subset costs about 63 s of CPU, most of it Airflow's
# CLI start-ups and migration).
SUBSET = "every_dag_run_succeeds or process_and_index_dags or alerts_dag_mails"
WHIRLPOOL_DAGS = {"whirlpool_collect", "whirlpool_process", "whirlpool_index", "whirlpool_alerts"}


@pytest.fixture(scope="module")
def postgres_url():
    for driver in ("airflow", "psycopg2", "asyncpg"):
        pytest.importorskip(driver, reason=f"{driver} is not installed (pip install -e '.[airflow]')")
    if find_initdb() is None:
        pytest.skip("PostgreSQL's initdb is not installed (apt-get install postgresql)")
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_postgres())
        except PostgresUnavailable as exc:
            pytest.skip(str(exc))
        yield url


@pytest.mark.airflow
def test_the_four_dags_run_on_a_postgresql_metadata_database(postgres_url):
    import psycopg2

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["WHIRLPOOL_TEST_AIRFLOW_DB"] = postgres_url
    args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/dags/test_dag_runs.py", "-k", SUBSET]
    result = subprocess.run(
        [sys.executable, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\b3 passed\b", result.stdout), result.stdout[-2000:]

    connection = psycopg2.connect(postgres_url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT dag_id, state FROM dag_run")
            runs = cursor.fetchall()
            cursor.execute("SELECT count(*) FROM asset_event")
            (asset_events,) = cursor.fetchone()
    finally:
        connection.close()
    assert {dag_id for dag_id, _ in runs} == WHIRLPOOL_DAGS  # the runs were recorded here, not in SQLite
    assert all(state == "success" for _, state in runs), runs
    assert asset_events >= 3  # collect → process → index → alerts announced their batches


def test_the_airflow_extra_brings_both_postgresql_drivers():
    import tomllib

    extra = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]["airflow"]
    names = {requirement.split("==")[0].lower() for requirement in extra if "==" in requirement}
    assert {"psycopg2-binary", "asyncpg"} <= names  # pinned: Airflow's constraint files are out of reach
