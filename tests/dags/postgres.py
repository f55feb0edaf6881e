"""A throwaway PostgreSQL cluster on a free 127.0.0.1 port, for Airflow's metadata database in tests.

``initdb`` into a temporary folder, ``pg_ctl start`` on a free port with the socket in that folder,
``CREATE DATABASE airflow``; stopped and removed at the end. PostgreSQL refuses to run as root: under
root the server runs as the ``postgres`` user (Debian's ``postgresql`` package creates it)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whirlpool.loopback import free_port


class PostgresUnavailable(RuntimeError):
    pass


def find_initdb() -> Path | None:
    """``initdb`` on PATH, else Debian's ``/usr/lib/postgresql/<version>/bin``."""
    found = shutil.which("initdb") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1:]), None
    )
    return Path(found).resolve() if found else None


def _server_user() -> str | None:
    """The user to run the server as: ourselves, or ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError as exc:
        raise PostgresUnavailable("running as root and there is no postgres user to run the server") from exc


@contextmanager
def throwaway_postgres(database: str = "airflow") -> Iterator[str]:
    """Yield a SQLAlchemy URL (``postgresql+psycopg2://…``) to an empty database on a fresh cluster."""
    initdb = find_initdb()
    if initdb is None:
        raise PostgresUnavailable("initdb not found (apt-get install postgresql)")
    bin_dir = initdb.parent
    user = _server_user()
    base = Path(tempfile.mkdtemp(prefix="whirlpool-pg-"))
    data, log = base / "data", base / "server.log"
    if user:
        shutil.chown(base, user)
    run_as = {"user": user} if user else {}
    port = free_port()
    pg_ctl = str(bin_dir / "pg_ctl")
    try:
        subprocess.run(
            [str(initdb), "-D", str(data), "-U", "airflow", "-A", "trust", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, text=True, timeout=120, cwd=base, **run_as,
        )  # fmt: skip
        options = (
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            [pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
            check=True, capture_output=True, text=True, timeout=60, cwd=base, **run_as,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise PostgresUnavailable(
            f"PostgreSQL did not start: {exc} {getattr(exc, 'stderr', '')} {tail}"
        ) from exc
    try:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=port, user="airflow", dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{database}"')
        connection.close()
        yield f"postgresql+psycopg2://airflow@127.0.0.1:{port}/{database}"
    finally:
        subprocess.run(
            [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True, timeout=60, cwd=base, **run_as,
        )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)
