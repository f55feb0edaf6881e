"""A local Elasticsearch-API server for tests and benchmarks: noida-db (the dev extra) on 127.0.0.1.

Not Elasticsearch: a small server that speaks its REST API well enough for the backend suite. Started
on a free port with its own data folder and process group, and stopped with the whole group.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from whirlpool.loopback import free_port


class DevServerUnavailable(RuntimeError):
    """noida-db is not installed or did not answer in time; the message says which and where to look."""


def noida_binary() -> str | None:
    found = shutil.which("noida-db") or str(Path(sys.executable).parent / "noida-db")
    return found if Path(found).exists() else None


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def local_elasticsearch(data_dir: Path, start_timeout: float = 60) -> Iterator[str]:
    """Start noida-db with its data (and ``noida.log``) in ``data_dir``; yield its URL; stop it."""
    binary = noida_binary()
    if binary is None:
        raise DevServerUnavailable("noida-db is not installed (pip install -e '.[dev]')")
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [binary, "start", "--only", "elasticsearch", "--data-dir", str(data_dir)]
    command += ["--elasticsearch-port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with (data_dir / "noida.log").open("w") as log:
        # Own session: the noida-db launcher starts the server as a child; stop both together.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + start_timeout
            while not answers(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise DevServerUnavailable(
                        f"noida-db did not start on {url} (see {data_dir / 'noida.log'})"
                    )
                time.sleep(0.2)
            yield url
        finally:
            stop_process_group(process)


def stop_process_group(process: subprocess.Popen) -> None:
    """Stop a server we started: its whole process group (launcher and server), by id."""
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
