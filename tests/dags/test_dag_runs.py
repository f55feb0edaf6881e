"""Each DAG run end to end with dag.test(): the fixture site on 127.0.0.1, the embedded index, a real
SMTP server (aiosmtpd) reached through the Airflow connection ``whirlpool_smtp``; then every DAG run
again for the same interval, which must change nothing."""

from __future__ import annotations

import json
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.alerts.conftest import SmtpServer
from tests.conftest import Workspace, make_workspace
from tests.dags.conftest import DAGS_FOLDER
from tests.index.conftest import elasticsearch_url  # noqa: F401 - the shared Elasticsearch fixture
from whirlpool.article import article_id
from whirlpool.loopback import free_port
from whirlpool.urls import canonical_url

pytest.importorskip("airflow", reason="apache-airflow is not installed (pip install -e '.[airflow]')")

pytestmark = pytest.mark.airflow

# Alert rules are evaluated at the run's logical date: 12:00 London time on the day of the newest
# fixture article, so the 07:00 Europe/London digest is due and the last day holds fixture stories.
WHEN = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ORDER = ("whirlpool_collect", "whirlpool_process", "whirlpool_index", "whirlpool_alerts")


@dataclass
class Snapshot:
    """What the pipeline's outputs look like: files, ledgers, index, mailbox."""

    batch_files: dict[str, float]
    ledgers: dict[str, str]
    documents: int
    emails: list[str]


@dataclass
class PipelineRun:
    workspace: Workspace
    smtp: SmtpServer
    site_url: str
    runs: dict = field(default_factory=dict)  # dag_id -> (state, {task_id[map]: state}, xcoms, events)
    first: Snapshot | None = None


def run_dag(dag_id: str) -> tuple[str, dict[str, str], dict[str, object], list[dict]]:
    """One dag.test() run at WHEN; its state, task states, XCom values and the asset events it emitted."""
    from airflow.dag_processing.dagbag import BundleDagBag
    from airflow.models.asset import AssetEvent
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    # the bag Airflow's dag processor and task runner use: the DAGs folder (the bundle) is on sys.path
    dag = BundleDagBag(dag_folder=str(DAGS_FOLDER), bundle_path=DAGS_FOLDER).dags[dag_id]
    started = datetime.now(UTC)
    run = dag.test(logical_date=WHEN, run_after=WHEN)  # same run id each time
    with create_session() as session:
        tis = {_ti_name(ti): str(ti.state) for ti in run.get_task_instances(session=session)}
        xcoms = {
            _ti_name(x): XComModel.deserialize_value(x)
            for x in session.scalars(
                XComModel.get_many(run_id=run.run_id, dag_ids=dag_id, key="return_value")
            )
        }
        events = [
            dict(e.extra)
            for e in session.scalars(
                select(AssetEvent).where(
                    AssetEvent.source_dag_id == dag_id,
                    AssetEvent.source_run_id == run.run_id,
                    AssetEvent.timestamp >= started,
                )
            )
        ]
    return str(run.state), tis, xcoms, events


def _ti_name(ti) -> str:
    return ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"


def snapshot(ws: Workspace, smtp: SmtpServer) -> Snapshot:
    from indexing import open_backend

    stages = ws.data_dir / "stages"
    settings = ws.settings()
    backend = open_backend(settings)
    try:
        documents = backend.count()
    finally:
        backend.close()
    return Snapshot(
        batch_files={str(p.relative_to(stages)): p.stat().st_mtime for p in stages.rglob("*.jsonl.gz")},
        ledgers={str(p.relative_to(stages)): p.read_text() for p in stages.rglob("_consumed/*.txt")},
        documents=documents,
        emails=[str(message["Subject"]) for _, message in smtp.messages],
    )


def sources_with_a_dead_feed(site) -> str:
    """The fixture site's sources plus one, in a group of its own, whose feed answers 404."""
    data = yaml.safe_load(site.sources_yaml())
    dead = dict(data["sources"][0], id="dead-feed", name="Dead feed", group="dead-links")
    dead["feeds"] = [f"{site.url}/no-such-outlet/feed.xml"]
    data["sources"].append(dead)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@pytest.fixture(scope="module")
def pipeline(airflow_db, news_site, tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("dag-runs") / "ws", sources_with_a_dead_feed(news_site))
    smtp = SmtpServer(free_port())
    smtp.start()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WHIRLPOOL_CONFIG_DIR", str(ws.config_dir))
        env.setenv("AIRFLOW_CONN_WHIRLPOOL_SMTP", f"smtp://127.0.0.1:{smtp.port}?timeout=5")
        env.delenv("WHIRLPOOL_ES_URL", raising=False)
        result = PipelineRun(ws, smtp, news_site.url)
        for dag_id in ORDER:
            result.runs[dag_id] = run_dag(dag_id)
        result.first = snapshot(ws, smtp)
        yield result
    smtp.stop()


def fixture_articles(site) -> dict[str, str]:
    """Every article page the fixture site serves: id -> title."""
    return {
        article_id(canonical_url(f"{site.url}/{outlet.id}/{article.slug}.html")): article.title
        for outlet in site.spec.outlets
        for article in outlet.articles
    }


def test_every_dag_run_succeeds_on_the_fixture_site(pipeline):
    for dag_id, (state, tis, _, _) in pipeline.runs.items():
        assert state == "success", f"{dag_id}: {tis}"
        assert all(s in ("success", "skipped") for s in tis.values()), f"{dag_id}: {tis}"


def test_collect_fans_out_one_mapped_task_per_source_group_and_announces_their_batches(pipeline):
    _, tis, xcoms, events = pipeline.runs["whirlpool_collect"]
    assert xcoms["list_source_groups"] == ["dead-links", "en", "ko", "ru"]
    reports = {xcoms[f"collect_group[{i}]"]["notes"][0]: xcoms[f"collect_group[{i}]"] for i in range(4)}
    assert set(reports) == {"group dead-links", "group en", "group ko", "group ru"}
    assert sum(r["counts"]["articles_new"] for r in reports.values()) == 5
    raw = sorted(
        Path(p).name.removesuffix(".jsonl.gz") for p in pipeline.first.batch_files if p.startswith("raw/")
    )
    assert len(raw) == 3
    assert events == [{"batches": raw}]
    assert xcoms["announce_raw_batches"] == raw


def test_a_dead_feed_is_reported_by_its_group_task_and_the_other_groups_go_on(pipeline):
    _, tis, xcoms, _ = pipeline.runs["whirlpool_collect"]
    dead = next(
        x
        for name, x in xcoms.items()
        if name.startswith("collect_group") and x["notes"] == ["group dead-links"]
    )
    assert dead["counts"]["sources_failed"] == 1 and dead["counts"]["articles_new"] == 0
    assert dead["errors_total"] == 1
    assert "dead-feed" in dead["errors"][0] and "no-such-outlet/feed.xml" in dead["errors"][0]
    assert "404" in dead["errors"][0]
    assert all(state == "success" for name, state in tis.items() if name.startswith("collect_group"))


def test_process_and_index_dags_put_every_fixture_article_in_the_embedded_index(pipeline, news_site):
    from indexing import open_backend

    _, _, process_xcoms, process_events = pipeline.runs["whirlpool_process"]
    _, _, index_xcoms, index_events = pipeline.runs["whirlpool_index"]
    assert process_xcoms["process_pending_batches"]["counts"]["articles"] == 5
    raw = sorted(
        Path(p).name.removesuffix(".jsonl.gz") for p in pipeline.first.batch_files if p.startswith("raw/")
    )
    assert process_events == [{"batches": raw}]  # processed batches keep their raw batch's name
    assert index_xcoms["index_pending_batches"]["counts"]["indexed"] == 5
    assert index_events == [{"indexed": 5}]
    expected = fixture_articles(news_site)
    backend = open_backend(pipeline.workspace.settings())
    try:
        assert backend.count() == len(expected) == 5
        titles = {aid: backend.get(aid).title for aid in expected}
    finally:
        backend.close()
    assert titles == {aid: unicodedata.normalize("NFKC", title) for aid, title in expected.items()}


def test_alerts_dag_mails_the_digest_and_the_watch_hit_through_the_airflow_smtp_connection(pipeline):
    by_subject = {str(m["Subject"]): (rcpt, m) for rcpt, m in pipeline.smtp.messages}
    digest = next(s for s in by_subject if s.startswith("Daily digest 2026-11-21:"))
    assert by_subject[digest][0] == ["analysts@whirlpool.localhost"]
    watch = next(s for s in by_subject if s.startswith("Watch: 1 new story"))
    assert sorted(by_subject[watch][0]) == ["desk@whirlpool.localhost", "editor@whirlpool.localhost"]
    body = by_subject[watch][1].get_body(("plain",)).get_content()
    assert "화성-11" in body
    _, _, xcoms, _ = pipeline.runs["whirlpool_alerts"]
    gap = next(s for s in by_subject if s.startswith("Coverage gap:"))
    assert gap == "Coverage gap: no items from ru in 24h"  # the fixture's Russian story is older than a day
    # digest, watch hit, language gap; the shipped dead-feeds rule names sources this site does not have
    assert xcoms["evaluate_alert_rules"]["counts"]["sent"] == len(pipeline.smtp.messages) == 3


def test_xcom_and_asset_events_carry_references_never_article_text(pipeline, news_site):
    passed = json.dumps(
        [(xcoms, events) for _, _, xcoms, events in pipeline.runs.values()], ensure_ascii=False
    )
    for outlet in news_site.spec.outlets:
        for article in outlet.articles:
            assert article.title not in passed
            assert all(paragraph[:60] not in passed for paragraph in article.paragraphs)
    for _, _, xcoms, _ in pipeline.runs.values():
        for name, value in xcoms.items():
            assert len(json.dumps(value)) < 4000, f"{name} pushes {len(json.dumps(value))} bytes to XCom"


def test_rerunning_every_dag_for_the_same_interval_changes_nothing(pipeline):
    for dag_id in ORDER:
        state, tis, _, events = run_dag(dag_id)
        assert state == "success", f"{dag_id}: {tis}"
        assert events == [], f"{dag_id} announced new data on a re-run: {events}"
    assert snapshot(pipeline.workspace, pipeline.smtp) == pipeline.first


def test_an_unreachable_elasticsearch_fails_the_index_task_and_keeps_every_batch_pending(
    pipeline, monkeypatch
):
    """The connection ``whirlpool_elasticsearch`` points at a closed port: nothing is lost."""
    from whirlpool.orchestration import pending_batches, task_settings
    from whirlpool.stagestore import PROCESSED

    monkeypatch.setenv("AIRFLOW_CONN_WHIRLPOOL_ELASTICSEARCH", f"elasticsearch://127.0.0.1:{free_port()}")
    monkeypatch.setenv("WHIRLPOOL_INDEX_BACKEND", "elasticsearch")  # the workspace pins the embedded index
    monkeypatch.setenv("WHIRLPOOL__ELASTICSEARCH__MAX_RETRIES", "0")
    monkeypatch.setenv("WHIRLPOOL__ELASTICSEARCH__REQUEST_TIMEOUT_SECONDS", "2")
    settings = task_settings()
    assert settings.index_backend == "elasticsearch"
    before = pending_batches(settings, PROCESSED)
    assert len(before) == 3  # the Elasticsearch ledger is its own: everything is still to index there
    state, tis, _, events = run_dag("whirlpool_index")
    assert state == "failed" and tis["index_pending_batches"] == "failed"
    assert tis["announce_index_updated"] == "upstream_failed" and events == []
    assert pending_batches(settings, PROCESSED) == before


def test_index_dag_writes_to_elasticsearch_through_the_airflow_connection(pipeline, request, monkeypatch):
    """Connection ``whirlpool_elasticsearch`` → settings → the Elasticsearch backend (noida-db in CI)."""
    from indexing import open_backend
    from whirlpool.orchestration import pending_batches, task_settings
    from whirlpool.stagestore import PROCESSED

    url = urlsplit(request.getfixturevalue("elasticsearch_url"))
    monkeypatch.setenv("AIRFLOW_CONN_WHIRLPOOL_ELASTICSEARCH", f"elasticsearch://{url.hostname}:{url.port}")
    monkeypatch.setenv("WHIRLPOOL_INDEX_BACKEND", "elasticsearch")
    monkeypatch.setenv("WHIRLPOOL__ELASTICSEARCH__INDEX_PREFIX", f"dags-test-{uuid.uuid4().hex[:10]}")
    settings = task_settings()
    assert settings.elasticsearch.url == f"http://{url.hostname}:{url.port}"
    assert len(pending_batches(settings, PROCESSED)) == 3
    state, tis, xcoms, events = run_dag("whirlpool_index")
    assert state == "success", tis
    assert xcoms["index_pending_batches"]["counts"]["indexed"] == 5 and events == [{"indexed": 5}]
    assert pending_batches(settings, PROCESSED) == []
    backend = open_backend(settings)
    try:
        assert backend.count() == 5
    finally:
        backend.close()
    state, tis, xcoms, events = run_dag("whirlpool_index")  # the same run again: nothing left to do
    assert state == "success" and tis["announce_index_updated"] == "skipped" and events == []


def test_a_group_whose_every_source_fails_fails_its_task_while_the_other_groups_collect(
    pipeline, news_site, tmp_path, monkeypatch
):
    """Two dead feeds in one group look like a network problem: that mapped task is red, the others
    collect, and what they fetched is announced all the same."""
    data = yaml.safe_load(news_site.sources_yaml())
    down = [
        dict(data["sources"][0], id=f"down-{n}", name=f"Down {n}", group="down", feeds=[feed])
        for n, feed in enumerate(
            [f"http://127.0.0.1:{free_port()}/feed.xml", f"{news_site.url}/gone/feed.xml"]
        )
    ]
    data["sources"] = [dict(data["sources"][0], group="up"), *down]
    ws = make_workspace(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    monkeypatch.setenv("WHIRLPOOL_CONFIG_DIR", str(ws.config_dir))

    state, tis, xcoms, events = run_dag("whirlpool_collect")

    assert state == "failed"
    assert tis["collect_group[0]"] == "failed" and "collect_group[0]" not in xcoms  # "down" sorts first
    assert tis["collect_group[1]"] == "success" and xcoms["collect_group[1]"]["counts"]["articles_new"] >= 1
    assert tis["announce_raw_batches"] == "success" and len(events) == 1
    assert tis["fail_run_if_a_task_failed"] == "failed"


def test_maintenance_dag_prunes_past_retention_and_a_rerun_removes_nothing(pipeline, tmp_path, monkeypatch):
    """dag.test() of whirlpool_maintenance on a copy of the pipeline's data: the fixture articles
    (dated up to 2026-11-21) are past a one-day window in the index and the duplicate state."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(pipeline.workspace.data_dir, data)
    monkeypatch.setenv("WHIRLPOOL_DATA_DIR", str(data))
    monkeypatch.setenv("WHIRLPOOL__RETENTION__INDEX_DAYS", "1")
    monkeypatch.setenv("WHIRLPOOL__RETENTION__DUPLICATE_DAYS", "1")
    state, tis, xcoms, _ = run_dag("whirlpool_maintenance")
    assert state == "success", tis
    counts = xcoms["prune_past_retention"]["counts"]
    assert counts["index_documents_deleted"] == 5 and counts["duplicate_entries_dropped"] == 5
    assert counts.get("stage_files_removed", 0) == 0  # today's batches are within stage_days
    state, _, xcoms, _ = run_dag("whirlpool_maintenance")
    assert (
        state == "success" and xcoms["prune_past_retention"]["counts"].get("index_documents_deleted", 0) == 0
    )
