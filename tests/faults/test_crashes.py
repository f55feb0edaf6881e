"""A crash at each stage (the process killed with SIGKILL mid-batch) and the re-run; the index and the
SMTP server down, then back. Each run is accounted for: every article in comes out once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from crawlers.collect import collect_sources
from crawlers.settings import scrapy_settings
from tests.collect.fixture_site import article_html, rss
from tests.conftest import REPO, make_workspace
from tests.faults.conftest import RSS, Run, source
from tests.index.conftest import elasticsearch_url  # noqa: F401 - the shared Elasticsearch fixture
from tests.process.conftest import make_article
from whirlpool.console import exit_code
from whirlpool.loopback import free_port
from whirlpool.pipeline import index_consumer, run_index, run_process
from whirlpool.stagestore import PROCESSED, RAW, StageStore

WORDS = (
    "Pyongyang Moscow treaty artillery shells rail bridge Tumen river workers engineers satellite launch "
    "sanctions envoy summit missile drones troops Kursk frontline port Rajin cargo ferry tourism visa "
    "embassy delegation minister defence cooperation oil coal fertiliser wheat airline route Vladivostok "
    "Khasan customs exports imports ammunition factory technology submarine launch vehicle rocket "
    "inspection observers council veto panel experts report ceasefire negotiation talks ceremony parade"
).split()


def distinct_articles(prefix: str, count: int):
    """``count`` articles with unrelated texts (no two are near-duplicates)."""
    out = []
    for n in range(count):
        words = random.Random(f"{prefix}{n}").sample(WORDS, 40)
        out.append(
            make_article(
                f"https://news.example.org/{prefix}/{n}",
                f"{prefix} {n}: {' '.join(words[:6])}",
                "Russia and North Korea: " + " ".join(words) + ".",
            )
        )
    return out


KILLER = """
import os, signal, sys, importlib
module, _, attribute = sys.argv[1].partition(":")
owner_name, method_name = attribute.split(".")
owner = getattr(importlib.import_module(module), owner_name)
original = getattr(owner, method_name)
calls = 0
def killed_on_call(*args, **kwargs):
    global calls
    calls += 1
    if calls == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)
setattr(owner, method_name, killed_on_call)
from whirlpool.cli import main
main(sys.argv[3:])
"""


def killed_mid_run(ws, target: str, on_call: int, *command: str) -> subprocess.CompletedProcess:
    """Run a real ``whirlpool`` command that is killed (SIGKILL) on the ``on_call``-th call of
    ``target`` (``module:Class.method``)."""
    script = ws.root / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    env = {**ws.env, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, str(script), target, str(on_call), *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ws.root,
    )


@pytest.fixture
def ws(tmp_path, site):
    return make_workspace(tmp_path / "ws", "sources: []\n")


def lines_of(batches: list[Path], store: StageStore) -> int:
    return sum(1 for batch in batches for _ in store.read_batch(batch))


class KillOnThirdArticle:
    """Item pipeline before the raw batch is written: SIGKILLs the crawler child on the 3rd article."""

    articles = 0

    def process_item(self, article):
        KillOnThirdArticle.articles += 1
        if KillOnThirdArticle.articles == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return article


def test_the_crawler_child_killed_mid_batch_then_rerun_collects_every_item_once(site, settings, monkeypatch):
    links = [site.add(f"/crash/collect/{n}", article_html(600 + n)) for n in range(5)]
    site.add("/crash/collect.xml", rss([(f"C{n}", link, "s", None) for n, link in enumerate(links)]), RSS)
    feed = source(site, "crashing", "/crash/collect.xml")
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the child imports the killing pipeline from tests
    pipelines = dict(scrapy_settings(settings.collect)["ITEM_PIPELINES"])
    pipelines["tests.faults.test_crashes.KillOnThirdArticle"] = 250
    store = StageStore(settings.data_dir)
    killed = collect_sources(
        settings, [feed], store, force=True, scrapy_overrides={"ITEM_PIPELINES": pipelines}
    )
    [line] = [o.line() for o in killed.outcomes]
    assert line.startswith(
        "[collect] crawler process exited with code -9 before finishing; articles fetched so far are kept: "
    )
    assert killed.counts["articles_new"] == 2 and exit_code([killed]) == 1  # `whirlpool collect` fails

    again = collect_sources(settings, [feed], store, force=True)
    assert again.outcomes == [] and again.counts["articles_new"] == 3
    assert again.counts["articles_already_seen"] == 2
    articles = [a for batch in store.batches(RAW) for a in store.read_batch(batch)]
    run = Run(again, articles)
    assert run.ledger(links) == {"in": 5, "out": 5, "reported": 0, "lost": 0, "duplicated": 0}


def test_process_killed_mid_batch_then_rerun_writes_each_article_once(ws):
    settings = ws.settings()
    store = StageStore(settings.data_dir)
    first, second = distinct_articles("p-one", 6), distinct_articles("p-two", 6)
    store.write_batch(RAW, first)
    store.write_batch(RAW, second)
    killed = killed_mid_run(ws, "processing.pipeline:Processor._join_story", 9, "process")
    assert killed.returncode == -signal.SIGKILL
    # the first batch was processed and sealed; the second died after 2 articles of 6
    assert lines_of(store.batches(PROCESSED), store) == 6
    assert len(store.pending(RAW, "process")) == 1

    report = run_process(settings)
    assert report.errors == [] and report.counts["articles"] == 6
    processed = [a for batch in store.batches(PROCESSED) for a in store.read_batch(batch)]
    ids = Counter(a.id for a in processed)
    assert len(processed) == 12 and set(ids) == {a.id for a in first + second}  # not 14: no half-batch kept
    assert max(ids.values()) == 1
    assert list(store.root.rglob("*.partial")) == [] and list(store.root.rglob("*.tmp")) == []


def test_index_killed_mid_batch_then_rerun_holds_each_document_once(ws):
    from indexing import open_backend

    settings = ws.settings()
    store = StageStore(settings.data_dir)
    articles = distinct_articles("i-one", 6) + distinct_articles("i-two", 6)
    store.write_batch(PROCESSED, articles[:6])
    store.write_batch(PROCESSED, articles[6:])
    killed = killed_mid_run(ws, "indexing.embedded:EmbeddedBackend._document", 9, "index")
    assert killed.returncode == -signal.SIGKILL
    assert len(store.pending(PROCESSED, index_consumer(settings))) == 1

    report = run_index(settings)
    assert report.errors == []
    assert (report.counts["indexed"], report.counts["documents_in_index"]) == (6, 12)
    backend = open_backend(settings)
    try:
        assert {backend.get(a.id).id for a in articles} == {a.id for a in articles}
        assert backend.count() == 12
    finally:
        backend.close()


def test_the_index_down_keeps_every_batch_and_back_up_indexes_each_once(tmp_path, elasticsearch_url):  # noqa: F811
    from whirlpool.settings import load_settings

    def settings_for(url: str):
        settings = load_settings(
            tmp_path, environ={"WHIRLPOOL_DATA_DIR": str(tmp_path / "data"), "WHIRLPOOL_ES_URL": url}
        )
        settings.elasticsearch.max_retries = 0
        settings.elasticsearch.request_timeout_seconds = 2
        settings.elasticsearch.index_prefix = f"faults-{free_port()}"
        return settings

    store = StageStore(tmp_path / "data")
    articles = distinct_articles("down", 8)
    store.write_batch(PROCESSED, articles[:4])
    store.write_batch(PROCESSED, articles[4:])
    down_url = f"http://127.0.0.1:{free_port()}"
    down = run_index(settings_for(down_url))
    [line] = [o.line() for o in down.errors]
    assert line.startswith("[index] index unavailable, 2 batch(es) kept for the next run: ")
    assert down.counts["indexed"] == 0 and exit_code([down]) == 1

    up = run_index(settings_for(elasticsearch_url))
    assert up.errors == []
    assert (up.counts["indexed"], up.counts["documents_in_index"]) == (8, 8)
    assert store.pending(PROCESSED, index_consumer(settings_for(elasticsearch_url))) == []


def test_smtp_down_keeps_the_alert_and_back_up_sends_it_once(tmp_path):
    from alerting.engine import run_alert_rules
    from tests.alerts.conftest import NOW, SmtpServer, background, index_articles, make_settings
    from tests.alerts.conftest import make_article as alert_article

    smtp = SmtpServer(free_port())  # not started: the port has nothing listening
    settings = make_settings(tmp_path, smtp.port)
    spike = [
        alert_article(1000 + i, NOW - timedelta(hours=1 + i), ["troop_deployment"], f"Troops report {i}")
        for i in range(10)
    ]
    index_articles(settings, background() + spike)
    down = run_alert_rules(settings, now=NOW)
    assert [o.line() for o in down.errors] == [
        f"[alerts] SMTP 127.0.0.1:{smtp.port} unreachable: [Errno 111] Connection refused; "
        "1 alert(s) kept for the next run"
    ]
    assert (down.counts["sent"], down.counts["kept_for_retry"]) == (0, 1)
    # the alert is kept for the next run, and the run exits 1 (an Airflow task fails and retries)
    assert exit_code([down]) == 1
    smtp.start()
    try:
        up = run_alert_rules(settings, now=NOW + timedelta(hours=1))
        again = run_alert_rules(settings, now=NOW + timedelta(hours=2))
    finally:
        smtp.stop()
    assert (up.counts["sent"], up.counts["kept_for_retry"], again.counts["sent"]) == (1, 0, 0)
    assert exit_code([up]) == 0
    assert [m["Subject"].split(" 10 stories")[0] for _, m in smtp.messages] == ["Spike: troop_deployment"]
