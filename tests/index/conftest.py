"""Index test fixtures: both backends, Elasticsearch via WHIRLPOOL_ES_URL or a local noida-db.

noida-db (dev extra) serves the Elasticsearch REST API on 127.0.0.1; it is started once per
session on a free port with a temporary data dir, and stopped at the end.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest

from indexing.devserver import DevServerUnavailable, local_elasticsearch


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
            pytest.skip(f"no Elasticsearch: WHIRLPOOL_ES_URL unset and {exc}")
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
