"""Index test fixtures: both backends, Elasticsearch via WHIRLPOOL_ES_URL or a local noida-db.

noida-db (dev extra) serves the Elasticsearch REST API on 127.0.0.1; it is started once per
session on a free port with a temporary data dir, and stopped at the end. If it cannot start, the
Elasticsearch half of the suite is skipped locally but fails in CI (``CI=true``): a CI run that
silently tested one backend of two would look green.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator, Mapping
from typing import Literal, NoReturn

import pytest

from indexing.devserver import DevServerUnavailable, local_elasticsearch


def embedded_cli(tmp_path, *args: str):
    """``whirlpool <args>`` on the embedded index under ``tmp_path/data`` (Elasticsearch unset)."""
    from click.testing import CliRunner

    from whirlpool.cli import main

    env = {
        "WHIRLPOOL_DATA_DIR": str(tmp_path / "data"),
        "WHIRLPOOL_INDEX_BACKEND": "embedded",
        "WHIRLPOOL_ES_URL": "",
    }
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def missing_server_outcome(environ: Mapping[str, str]) -> Literal["fail", "skip"]:
    """What a test server that cannot start does to the run: "fail" in CI (CI set to true or 1, as
    GitHub Actions, GitLab CI and most others set it, and .ci/run), "skip" elsewhere."""
    return "fail" if environ.get("CI", "").strip().lower() in ("true", "1") else "skip"


def server_unavailable(reason: str, environ: Mapping[str, str] = os.environ) -> NoReturn:
    if missing_server_outcome(environ) == "fail":
        pytest.fail(f"{reason} (CI is set: a server that cannot start fails the run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def elasticsearch_url(tmp_path_factory) -> Iterator[str]:
    """A real cluster from WHIRLPOOL_ES_URL, else noida-db on a free 127.0.0.1 port."""
    if os.environ.get("WHIRLPOOL_ES_URL"):
        yield os.environ["WHIRLPOOL_ES_URL"]
        return
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(local_elasticsearch(tmp_path_factory.mktemp("noida")))
        except DevServerUnavailable as exc:
            server_unavailable(f"no Elasticsearch: WHIRLPOOL_ES_URL unset and {exc}")
        yield url


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
