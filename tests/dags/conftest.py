"""Airflow for the DAG tests: one temporary AIRFLOW_HOME with a migrated metadata database: SQLite,
or the one WHIRLPOOL_TEST_AIRFLOW_DB names (a SQLAlchemy URL; tests/dags/test_postgres_metadata.py
runs the DAG tests again that way on a throwaway PostgreSQL).

Airflow reads its configuration once, when first imported, so the environment is set here, at
collection time, before any test imports airflow. The session fixture migrates the database and
checks that ``airflow dags list`` shows the five DAGs with no import errors.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO / "dags"
WHIRLPOOL_DAGS = {
    "whirlpool_collect",
    "whirlpool_process",
    "whirlpool_index",
    "whirlpool_alerts",
    "whirlpool_maintenance",
}

AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="whirlpool-airflow-"))
atexit.register(shutil.rmtree, AIRFLOW_HOME, True)
AIRFLOW_ENV = {
    "AIRFLOW_HOME": str(AIRFLOW_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__PARALLELISM": "2",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": os.environ.get("WHIRLPOOL_TEST_AIRFLOW_DB")
    or f"sqlite:///{AIRFLOW_HOME}/airflow.db",
    "WHIRLPOOL_TASK_RETRIES": "0",  # a failing task fails the test at once instead of waiting to retry
}
os.environ.update(AIRFLOW_ENV)


def _airflow_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHIRLPOOL_")} | AIRFLOW_ENV
    env["WHIRLPOOL_CONFIG_DIR"] = str(REPO / "config")
    return env


def airflow_cli(*commands: tuple[str, ...]) -> list[str]:
    """Run real ``airflow`` commands side by side with the test environment; returns their stdout."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    running = [
        (
            args,
            subprocess.Popen(
                [airflow, *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_airflow_env(),
                cwd=AIRFLOW_HOME,
            ),
        )  # fmt: skip
        for args in commands
    ]
    outputs = []
    for args, process in running:
        stdout, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, (
            f"airflow {' '.join(args)} exited {process.returncode}\n{stderr[-3000:]}"
        )
        outputs.append(stdout)
    return outputs


def _json_rows(stdout: str) -> list[dict]:
    """The JSON table in the command's output (Airflow also logs warnings to stdout)."""
    lines = stdout.strip().splitlines()
    if lines and lines[-1].strip() == "No data found":
        return []
    return json.loads(next(line for line in reversed(lines) if line.startswith("[")))


@pytest.fixture(scope="session")
def airflow_db() -> dict[str, list[dict]]:
    """Migrate the metadata DB, serialize the DAGs, and return ``airflow dags list`` and its import errors."""
    pytest.importorskip("airflow", reason="apache-airflow is not installed (pip install -e '.[airflow]')")
    airflow_cli(("db", "migrate"))
    if os.environ.get("WHIRLPOOL_TEST_AIRFLOW_DB"):
        # A second metadata database (test_postgres_metadata.py): the SQLite session already checks
        # the DAG list through the CLI; dag.test() serializes what it runs. Saves three Airflow start-ups.
        return {"dags": [], "import_errors": []}
    airflow_cli(("dags", "reserialize"))
    dags, errors = airflow_cli(("dags", "list", "-o", "json"), ("dags", "list-import-errors", "-o", "json"))
    return {"dags": _json_rows(dags), "import_errors": _json_rows(errors)}
