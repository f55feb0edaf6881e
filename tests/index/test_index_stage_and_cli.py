"""The index stage and the `whirlpool index` / `whirlpool search` commands, on real backends."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.index.conftest import embedded_cli
from tests.index.corpus import CORPUS, ids
from whirlpool.cli import main
from whirlpool.loopback import free_port
from whirlpool.pipeline import index_consumer, run_index
from whirlpool.settings import load_settings
from whirlpool.stagestore import PROCESSED, StageStore


def _settings(tmp_path, **env):
    environ = {"WHIRLPOOL_DATA_DIR": str(tmp_path / "data"), **env}
    return load_settings(environ=environ)


def test_index_stage_keeps_the_batch_when_elasticsearch_is_down_and_indexes_it_next_run(
    tmp_path, elasticsearch_url
):
    down = _settings(tmp_path, WHIRLPOOL_ES_URL=f"http://127.0.0.1:{free_port()}")
    down.elasticsearch.max_retries = 0
    down.elasticsearch.request_timeout_seconds = 2
    store = StageStore(down.data_dir)
    store.write_batch(PROCESSED, CORPUS.values())
    report = run_index(down, lambda *a: None)
    assert report.errors and "kept for the next run" in report.errors[0].line()
    assert len(store.pending(PROCESSED, index_consumer(down))) == 1

    up = _settings(tmp_path, WHIRLPOOL_ES_URL=elasticsearch_url)
    up.elasticsearch.index_prefix = f"stage-{free_port()}"
    report = run_index(up, lambda *a: None)
    assert not report.errors
    assert report.counts["indexed"] == len(CORPUS)
    assert report.counts["documents_in_index"] == len(CORPUS)
    assert store.pending(PROCESSED, index_consumer(up)) == []


def test_index_command_indexes_pending_batches_and_search_finds_them(tmp_path):
    StageStore(tmp_path / "data").write_batch(PROCESSED, CORPUS.values())
    indexed = embedded_cli(tmp_path, "index")
    assert indexed.exit_code == 0, indexed.output
    assert f"indexed={len(CORPUS)}" in indexed.output

    searched = embedded_cli(tmp_path, "search", "treaty", "--json", "--exact", "--source-kind", "state_media")
    assert searched.exit_code == 0, searched.output
    records = [json.loads(line) for line in searched.output.splitlines()]
    assert {r["id"] for r in records} == ids("en_treaty")
    assert "<mark>" in "".join(records[0]["highlights"])

    dated = embedded_cli(
        tmp_path, "search", "--since", "2026-03-05", "--until", "2026-03-06", "--sort", "date", "--json"
    )
    assert [json.loads(line)["id"] for line in dated.output.splitlines()] == [
        CORPUS["ja_visit"].id,
        CORPUS["ko_visit"].id,
    ]

    table = embedded_cli(tmp_path, "search", "sanctions", "--lang", "en")
    assert table.exit_code == 0 and "1 hit(s)" in table.output


def test_search_with_a_malformed_query_prints_one_line_and_exits_2(tmp_path):
    result = embedded_cli(tmp_path, "search", '"unclosed')
    assert result.exit_code == 2
    assert "bad query" in result.output and "unclosed quote" in result.output
    assert "Traceback" not in result.output


def test_search_with_an_unreadable_since_names_the_accepted_forms(tmp_path):
    result = embedded_cli(tmp_path, "search", "x", "--since", "last tuesday")
    assert result.exit_code == 2 and "7d" in result.output


def test_index_migrate_without_elasticsearch_says_what_to_set(tmp_path):
    result = embedded_cli(tmp_path, "index", "migrate")
    assert result.exit_code == 2 and "WHIRLPOOL_ES_URL" in result.output


def test_index_migrate_command_swaps_the_alias_and_prints_the_counts(tmp_path, elasticsearch_url):
    from indexing import open_backend

    prefix = f"cli-{free_port()}"
    settings = _settings(tmp_path, WHIRLPOOL_ES_URL=elasticsearch_url)
    settings.elasticsearch.index_prefix = prefix
    backend = open_backend(settings)
    backend.ensure_ready()
    backend.upsert(CORPUS.values())
    backend.close()
    env = {
        "WHIRLPOOL_DATA_DIR": str(tmp_path / "data"),
        "WHIRLPOOL_ES_URL": elasticsearch_url,
        "WHIRLPOOL__ELASTICSEARCH__INDEX_PREFIX": prefix,
    }
    result = CliRunner().invoke(main, ["index", "migrate"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"{prefix}-v1-000001 → {prefix}-v2-000001" in result.output
    assert f"documents {len(CORPUS)} before, {len(CORPUS)} after" in result.output


def test_index_setup_applies_the_template_and_imports_one_saved_search_per_taxonomy_theme(
    tmp_path, elasticsearch_url
):
    import http.server
    import threading

    from tests.index.test_kibana_objects import _FakeKibanaImport

    server = http.server.HTTPServer(("127.0.0.1", 0), _FakeKibanaImport)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _FakeKibanaImport.received.clear()
    prefix = f"setup-{free_port()}"
    env = {
        "WHIRLPOOL_DATA_DIR": str(tmp_path / "data"),
        "WHIRLPOOL_ES_URL": elasticsearch_url,
        "WHIRLPOOL__ELASTICSEARCH__INDEX_PREFIX": prefix,
    }
    try:
        args = ["index", "setup", "--kibana-url", f"http://127.0.0.1:{server.server_port}"]
        result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    finally:
        server.shutdown()
    assert result.exit_code == 0, result.output
    assert f"alias {prefix} ready" in result.output and "imported" in result.output
    body = _FakeKibanaImport.received[0][2].decode()
    assert '"title": "Theme: labor migration"' in body  # a theme only the taxonomy names
    from elasticsearch import Elasticsearch

    assert Elasticsearch(elasticsearch_url).indices.exists_alias(name=prefix)


def test_a_new_embedded_index_answers_counts_and_searches_before_anything_is_indexed(tmp_path):
    from datetime import UTC, datetime, timedelta

    from indexing import open_backend
    from indexing.backend import SearchRequest

    backend = open_backend(_settings(tmp_path))  # what `whirlpool alerts` does on a new install
    try:
        end = datetime(2026, 11, 25, tzinfo=UTC)
        counts = backend.bucket_counts("themes", timedelta(hours=6), end - timedelta(days=1), end)
        assert counts == {}
        assert backend.search(SearchRequest(query="KN-23")).total == 0
    finally:
        backend.close()
