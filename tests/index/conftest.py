"""Index test fixtures: both backends, Elasticsearch via WHIRLPOOL_ES_URL or a local noida-db.

noida-db (dev extra) serves the Elasticsearch REST API on 127.0.0.1; it is started once per
session on a free port with a temporary data dir, and stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _noida_binary() -> str | None:
    found = shutil.which("noida-db") or str(Path(sys.executable).parent / "noida-db")
    return found if Path(found).exists() else None


@pytest.fixture(scope="session")
def elasticsearch_url(tmp_path_factory) -> Iterator[str]:
    """A real cluster from WHIRLPOOL_ES_URL, else noida-db on a free 127.0.0.1 port."""
    if os.environ.get("WHIRLPOOL_ES_URL"):
        yield os.environ["WHIRLPOOL_ES_URL"]
        return
    binary = _noida_binary()
    if binary is None:
        pytest.skip(
            "no Elasticsearch: WHIRLPOOL_ES_URL unset and noida-db not installed (pip install -e .[dev])"
        )
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("noida")
    log = (data_dir / "noida.log").open("w")
    command = [
        binary,
        "start",
        "--only",
        "elasticsearch",
        "--data-dir",
        str(data_dir),
        "--elasticsearch-port",
        str(port),
    ]
    # Own session: the noida-db launcher starts the server as a child; stop both together.
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not _answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            pytest.skip(f"noida-db did not start on {url} (see {data_dir / 'noida.log'})")
        time.sleep(0.2)
    yield url
    _stop(process)
    log.close()


def _stop(process: subprocess.Popen) -> None:
    """Stop the server we started: its whole process group (launcher and server), by id."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend(request, tmp_path):
    """A fresh, empty, ready index on each backend (a unique alias per test on Elasticsearch)."""
    if request.param == "embedded":
        from indexing.embedded import EmbeddedBackend

        opened = EmbeddedBackend(tmp_path / "index")
    else:
        from elasticsearch import Elasticsearch

        from indexing.elasticsearch_backend import ElasticsearchBackend

        url = request.getfixturevalue("elasticsearch_url")
        opened = ElasticsearchBackend(
            Elasticsearch(url), f"test-{uuid.uuid4().hex[:10]}", tmp_path / "deadletter"
        )
    opened.ensure_ready()
    yield opened
    opened.close()


@pytest.fixture
def es_backend(elasticsearch_url, tmp_path):
    from elasticsearch import Elasticsearch

    from indexing.elasticsearch_backend import ElasticsearchBackend

    opened = ElasticsearchBackend(
        Elasticsearch(elasticsearch_url), f"test-{uuid.uuid4().hex[:10]}", tmp_path / "dl"
    )
    yield opened
    opened.close()
