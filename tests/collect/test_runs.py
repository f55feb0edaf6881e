"""Collect across runs: conditional GET, due/backoff, seen URLs, crash recovery, the CLI."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from crawlers.collect import REPORTED_COUNTS, collect_sources
from crawlers.health import HealthStore, backoff_delay
from crawlers.pipelines import WriteRawBatch
from crawlers.settings import scrapy_settings
from tests.collect.fixture_site import article_html, feed_source, rss
from tests.conftest import REPO
from whirlpool.stagestore import RAW, StageStore

RSS = "application/rss+xml; charset=utf-8"


def all_articles(store: StageStore):
    return [a for batch in store.batches(RAW) for a in store.read_batch(batch)]


def test_unchanged_feed_costs_one_304_and_no_page_fetch(site, settings):
    link = site.add("/etag/a1", article_html(101))
    site.add("/etag-feed.xml", rss([("E1", link, "s", None)]), RSS, headers={"ETag": '"v1"'})
    source = feed_source(site, "etag", "/etag-feed.xml")
    store = StageStore(settings.data_dir)
    first = collect_sources(settings, [source], store, force=False)
    assert first.counts["articles_new"] == 1
    hits_before = site.hits["/etag/a1"]
    second = collect_sources(settings, [source], store, force=False)
    assert second.counts["sources_not_due"] == 1 and second.counts["sources_polled"] == 0
    # Make it due again without forcing: conditional GET answers 304.
    health = HealthStore(settings.state_dir)
    state = health.get("etag")
    state.last_polled = datetime.now(UTC) - timedelta(hours=2)
    health.save(state)
    third = collect_sources(settings, [source], store)
    assert third.counts["feeds_not_modified"] == 1
    assert third.counts["sources_ok"] == 1
    assert site.hits["/etag/a1"] == hits_before
    assert len(all_articles(store)) == 1


def test_seen_urls_are_not_fetched_again_even_with_tracking_parameters(site, settings):
    link = site.add("/seen/1", article_html(102))
    site.add("/seen.xml", rss([("S1", link, "s", None)]), RSS)
    site.add("/seen2.xml", rss([("S1 again", link + "?utm_source=rss&utm_medium=feed", "s", None)]), RSS)
    store = StageStore(settings.data_dir)
    collect_sources(settings, [feed_source(site, "seen", "/seen.xml")], store, force=True)
    report = collect_sources(settings, [feed_source(site, "seen2", "/seen2.xml")], store, force=True)
    assert report.counts["articles_new"] == 0
    assert report.counts["articles_already_seen"] == 1
    assert site.hits["/seen/1"] == 1


def test_failing_source_waits_for_its_backoff_unless_forced(site, settings):
    site.add("/down.xml", "down", "text/plain", status=503)
    source = feed_source(site, "down", "/down.xml")
    store = StageStore(settings.data_dir)
    collect_sources(settings, [source], store)
    state = HealthStore(settings.state_dir).get("down")
    assert state.consecutive_failures == 1
    assert state.backoff_until - state.last_polled == backoff_delay(1, settings.collect)
    skipped = collect_sources(settings, [source], store)
    assert skipped.counts["sources_not_due"] == 1
    forced = collect_sources(settings, [source], store, force=True)
    assert forced.counts["sources_failed"] == 1
    assert HealthStore(settings.state_dir).get("down").consecutive_failures == 2


def test_backoff_doubles_and_is_capped(settings):
    collect = settings.collect
    assert backoff_delay(1, collect) == timedelta(minutes=collect.backoff_base_minutes)
    assert backoff_delay(3, collect) == timedelta(minutes=4 * collect.backoff_base_minutes)
    assert backoff_delay(40, collect) == timedelta(hours=collect.backoff_max_hours)


def test_page_canonical_link_on_the_same_site_gives_the_article_id(site, settings):
    canonical = site.url("/canon/real")
    link = site.add("/canon/1", article_html(103, canonical=canonical))
    offsite = site.add("/canon/2", article_html(104, canonical="https://elsewhere.example/x"))
    site.add(
        "/canon.xml", rss([("C1", link + "?utm_campaign=x", "s", None), ("C2", offsite, "s", None)]), RSS
    )
    store = StageStore(settings.data_dir)
    collect_sources(settings, [feed_source(site, "canon", "/canon.xml")], store, force=True)
    urls = sorted(a.canonical_url for a in all_articles(store))
    assert urls == sorted([canonical, offsite])


def test_disabled_sources_are_not_polled(site, settings):
    site.add("/disabled.xml", rss([]), RSS)
    source = feed_source(site, "off", "/disabled.xml", enabled=False, disabled_reason="test")
    report = collect_sources(settings, [source], StageStore(settings.data_dir), force=True)
    assert report.counts["sources_polled"] == 0 and "/disabled.xml" not in site.hits
    assert set(REPORTED_COUNTS) <= set(report.counts)


class CrashAfterTwoArticles:
    """Item pipeline for the crash test: kills the crawl once the 2nd article is written, not yet seen."""

    written = 0

    def process_item(self, article):
        CrashAfterTwoArticles.written += 1
        if CrashAfterTwoArticles.written == 2:
            os._exit(9)
        return article


def test_crash_mid_run_keeps_fetched_articles_and_rerun_resumes(site, settings, tmp_path):
    """A run killed after two articles: they are recovered, and the next run fetches only the rest."""
    links = [site.add(f"/crash/{n}", article_html(200 + n)) for n in range(4)]
    site.add("/crash.xml", rss([(f"K{n}", link, "s", None) for n, link in enumerate(links)]), RSS)
    source = feed_source(site, "crash", "/crash.xml")
    script = tmp_path / "crash.py"
    # The crawl dies between its raw-batch and seen-URL pipelines, and the run that started it dies with it.
    script.write_text(
        "import os, subprocess, sys\n"
        "from crawlers.collect import collect_sources\n"
        "from crawlers.settings import scrapy_settings\n"
        "from whirlpool.settings import Settings\n"
        "from whirlpool.sources import Source\n"
        "from whirlpool.stagestore import StageStore\n"
        "original = subprocess.Popen.wait\n"
        "def wait(self, *args, **kwargs):\n"
        "    code = original(self, *args, **kwargs)\n"
        "    if code == 9:\n"
        "        os._exit(9)\n"
        "    return code\n"
        "subprocess.Popen.wait = wait\n"
        "settings = Settings.model_validate_json(sys.argv[1])\n"
        "source = Source.model_validate_json(sys.argv[2])\n"
        "pipelines = dict(scrapy_settings(settings.collect)['ITEM_PIPELINES'])\n"
        "pipelines['tests.collect.test_runs.CrashAfterTwoArticles'] = 350\n"
        "collect_sources(settings, [source], StageStore(settings.data_dir), force=True,\n"
        "                scrapy_overrides={'ITEM_PIPELINES': pipelines})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, str(script), settings.model_dump_json(), source.model_dump_json()],
        env=env,
        timeout=120,
    )
    assert result.returncode == 9
    store = StageStore(settings.data_dir)
    assert store.batches(RAW) == []
    recovered = store.recover_partials(RAW)
    assert len(recovered) == 1 and len(list(store.read_batch(recovered[0]))) == 2
    report = collect_sources(settings, [source], store, force=True)
    # At least once: the crash came after the 2nd article was written but before its URL was marked
    # seen, so it is fetched again (same id: downstream upserts make that harmless).
    assert report.counts["articles_new"] == 3 and report.counts["articles_already_seen"] == 1
    assert sorted({a.url for a in all_articles(store)}) == sorted(links)


def test_a_crawl_that_dies_reports_what_it_did_and_leaves_unpolled_sources_due(site, settings, monkeypatch):
    """One source polled and two of its articles written, the other's feed still loading: the crawl
    dies. The first is recorded as polled with its counts; the second is not failed, still due."""
    links = [site.add(f"/died/{n}", article_html(260 + n)) for n in range(3)]
    site.add("/died.xml", rss([(f"D{n}", link, "s", None) for n, link in enumerate(links)]), RSS)
    polled = feed_source(site, "polled", "/died.xml")
    unfinished = feed_source(site, "unfinished", "/slow-died.xml")
    monkeypatch.setattr(site, "slow_seconds", 6)
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the child imports the crash pipeline from tests
    pipelines = dict(scrapy_settings(settings.collect)["ITEM_PIPELINES"])
    pipelines["tests.collect.test_runs.CrashAfterTwoArticles"] = 350
    store = StageStore(settings.data_dir)
    report = collect_sources(
        settings,
        [polled, unfinished],
        store,
        force=True,
        scrapy_overrides={"ITEM_PIPELINES": pipelines, "DOWNLOAD_TIMEOUT": 30},
    )
    [crash] = report.errors
    assert crash.line().startswith("[collect] crawler process exited with code 9 before finishing")
    assert crash.retry_later  # the Airflow task goes red (collect_outage)
    counts = report.counts
    assert (counts["sources_ok"], counts["sources_failed"], counts["sources_unfinished"]) == (1, 0, 1)
    assert (counts["entries_seen"], counts["articles_new"], counts["full_text"]) == (3, 2, 2)
    assert len(all_articles(store)) == 2
    health = HealthStore(settings.state_dir)
    done = health.get("polled")
    assert done.status == "ok" and (done.items_seen, done.articles_collected) == (3, 2)
    assert health.get("unfinished").status == "never polled"
    assert health.get("unfinished").is_due(unfinished, datetime.now(UTC))


class RawBatchOnAFullDisk(WriteRawBatch):
    """The raw-batch pipeline on a disk that fills up once the first article is written."""

    def open_spider(self) -> None:
        super().open_spider()
        writer = self.writer
        write = writer.write

        def write_until_full(article) -> None:
            if writer.count >= 1:
                raise OSError(errno.ENOSPC, "No space left on device")
            write(article)

        writer.write = write_until_full


def test_a_failed_raw_batch_write_stops_the_crawl_and_keeps_what_was_written(site, settings):
    links = [site.add(f"/full/{n}", article_html(250 + n)) for n in range(3)]
    site.add("/full.xml", rss([(f"F{n}", link, "s", None) for n, link in enumerate(links)]), RSS)
    source = feed_source(site, "full", "/full.xml")
    pipelines = dict(scrapy_settings(settings.collect)["ITEM_PIPELINES"])
    del pipelines["crawlers.pipelines.WriteRawBatch"]
    pipelines["tests.collect.test_runs.RawBatchOnAFullDisk"] = 300
    store = StageStore(settings.data_dir)
    report = collect_sources(
        settings, [source], store, force=True, scrapy_overrides={"ITEM_PIPELINES": pipelines}
    )
    assert [o.line() for o in report.errors] == [
        "[collect] crawl stopped: raw batch write failed: [Errno 28] No space left on device; "
        "articles written before it are kept"
    ]
    [written] = all_articles(store)
    assert report.counts["articles_new"] == 1 and written.url in links
    # Only the written article was marked seen: the next run fetches the other two.
    again = collect_sources(settings, [source], store, force=True)
    assert again.errors == [] and again.counts["articles_new"] == 2
    assert sorted(a.url for a in all_articles(store)) == sorted(links)


def test_crawl_child_runs_from_any_folder_without_the_repository_on_pythonpath(
    site, settings, tmp_path, monkeypatch
):
    link = site.add("/anywhere/1", article_html(150))
    site.add("/anywhere.xml", rss([("A1", link, "s", None)]), RSS)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    store = StageStore(settings.data_dir)
    report = collect_sources(settings, [feed_source(site, "anywhere", "/anywhere.xml")], store, force=True)
    assert report.errors == [] and report.counts["articles_new"] == 1
    assert [a.url for a in all_articles(store)] == [link]


def test_whirlpool_collect_and_sources_commands_on_the_fixture_site(site, settings, tmp_path):
    from whirlpool.cli import main

    links = [site.add(f"/cli/{n}", article_html(300 + n, lang)) for n, lang in enumerate(("en", "ru", "ko"))]
    site.add("/cli.xml", rss([(f"CLI {n}", link, "s", None) for n, link in enumerate(links)]), RSS)
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.yaml").write_text(
        f"data_dir: {settings.data_dir}\ncollect:\n  download_delay_seconds: 0\n  autothrottle: false\n"
        "  retry_times: 0\n  timeout_seconds: 2\n  allow_private_networks: [127.0.0.1/32]\n"
    )
    (config / "sources.yaml").write_text(
        "sources:\n"
        f"  - {{id: cli, name: CLI site, homepage: '{site.url('/')}', feeds: ['{site.url('/cli.xml')}'],"
        " language: en, country: KR, kind: wire}\n"
        f"  - {{id: unverified, name: Unverified, homepage: '{site.url('/')}', feeds: ['{site.url('/x.xml')}'],"
        " language: ru, country: RU, kind: wire, enabled: false, disabled_reason: not verified}\n"
    )
    runner = CliRunner()
    result = runner.invoke(main, ["collect", "--config-dir", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    store = StageStore(settings.data_dir)
    articles = all_articles(store)
    assert sorted(a.url for a in articles) == sorted(links)
    assert all(len(a.body) > 500 for a in articles)
    listing = runner.invoke(main, ["sources", "--config-dir", str(config), "--json"], catch_exceptions=False)
    rows = {row["id"]: row for row in json.loads(listing.output)}
    assert rows["cli"]["status"] == "ok" and rows["cli"]["items_seen"] == 3
    assert rows["unverified"]["enabled"] is False and rows["unverified"]["disabled_reason"] == "not verified"
    table = runner.invoke(main, ["sources", "--config-dir", str(config)], catch_exceptions=False)
    assert "2 sources, 1 enabled, 0 failing" in table.output
    assert "│ cli " in table.output and "unverified" in table.output


def test_repository_sources_file_has_forty_real_sources_in_six_languages():
    from whirlpool.sources import load_sources

    sources = load_sources(REPO / "config" / "sources.yaml")
    enabled = [s for s in sources if s.enabled]
    assert len(enabled) >= 40
    assert {s.language for s in enabled} == {"en", "ru", "uk", "ko", "ja", "zh"}
    assert {"aggregator", "state_media", "wire", "specialist", "independent", "government"} <= {
        str(s.kind) for s in enabled
    }
