"""whirlpool.orchestration as plain functions: connections to settings, fan-out groups, schedules."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from whirlpool.orchestration import (
    alert_crons,
    alert_time,
    batch_names,
    collect_outage,
    digest_time,
    parse_connection,
    prepare_collect,
    retry_reason,
    settings_environ,
    smtp_environ,
    source_groups,
    sources_in_group,
    task_defaults,
)
from whirlpool.report import StageReport
from whirlpool.settings import load_settings
from whirlpool.stagestore import RAW, StageStore

SOURCES = """
sources:
  - {id: a, name: A, homepage: "http://127.0.0.1/a/", feeds: ["http://127.0.0.1/a.xml"], language: en, country: GB, kind: independent}
  - {id: b, name: B, homepage: "http://127.0.0.1/b/", feeds: ["http://127.0.0.1/b.xml"], language: ru, country: RU, kind: state_media, group: wires}
  - {id: c, name: C, homepage: "http://127.0.0.1/c/", feeds: ["http://127.0.0.1/c.xml"], language: ko, country: KR, kind: independent, group: wires}
  - {id: d, name: D, homepage: "http://127.0.0.1/d/", feeds: ["http://127.0.0.1/d.xml"], language: ja, country: JP, kind: independent, enabled: false, disabled_reason: gone}
"""


def config(tmp_path: Path, alerts: str | None = None) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    (folder / "settings.yaml").write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    if alerts is not None:
        (folder / "alerts.yaml").write_text(textwrap.dedent(alerts), encoding="utf-8")
    return folder


def test_uri_connection_is_split_into_fields_with_quoted_secrets_and_extra():
    conn = parse_connection(
        "smtp://alert%40example.org:p%40ss%2Fw@mail.example.org:2525/?from_email=w%40x.org&disable_ssl=true"
    )
    assert conn["conn_type"] == "smtp" and conn["host"] == "mail.example.org" and conn["port"] == 2525
    assert conn["login"] == "alert@example.org" and conn["password"] == "p@ss/w"
    assert conn["extra"] == {"from_email": "w@x.org", "disable_ssl": "true"}


def test_json_connection_accepts_extra_as_object_or_string():
    obj = parse_connection(
        '{"conn_type": "elasticsearch", "host": "es", "port": 9200, "extra": {"scheme": "https"}}'
    )
    text = parse_connection(
        '{"conn_type": "elasticsearch", "host": "es", "extra": "{\\"api_key\\": \\"k\\"}"}'
    )
    assert obj["extra"] == {"scheme": "https"} and text["extra"] == {"api_key": "k"}


def test_connections_override_the_plain_environment_for_elasticsearch_and_smtp():
    env = settings_environ(
        {
            "WHIRLPOOL_ES_URL": "http://old:9200",
            "AIRFLOW_CONN_WHIRLPOOL_ELASTICSEARCH": "elasticsearch://elastic:secret@es.internal:9201/?scheme=https",
            "AIRFLOW_CONN_WHIRLPOOL_SMTP": "smtp://mailpit:1025",
        }
    )
    settings = load_settings(Path("/nonexistent"), environ=env)
    assert settings.elasticsearch.url == "https://es.internal:9201"
    assert settings.elasticsearch.username == "elastic"
    assert settings.elasticsearch.password.get_secret_value() == "secret"
    assert (settings.alerts.smtp.host, settings.alerts.smtp.port) == ("mailpit", 1025)
    assert settings.index_backend == "elasticsearch"


def test_without_connections_the_environment_is_used_as_is():
    env = {"WHIRLPOOL_ES_URL": "http://es:9200", "WHIRLPOOL_SMTP_HOST": "relay"}
    assert settings_environ(env) == env


def test_smtp_connection_flags_follow_the_smtp_provider_names_too():
    assert smtp_environ({"host": "h", "extra": {"disable_ssl": "false", "disable_tls": "true"}}) == {
        "WHIRLPOOL_SMTP_HOST": "h",
        "WHIRLPOOL_SMTP_PORT": "25",
        "WHIRLPOOL__ALERTS__SMTP__SSL": "true",
        "WHIRLPOOL__ALERTS__SMTP__STARTTLS": "false",
    }
    assert smtp_environ({"host": "h", "port": 587, "extra": {"starttls": True, "timeout": 5}}) == {
        "WHIRLPOOL_SMTP_HOST": "h",
        "WHIRLPOOL_SMTP_PORT": "587",
        "WHIRLPOOL__ALERTS__SMTP__STARTTLS": "true",
        "WHIRLPOOL__ALERTS__SMTP__TIMEOUT_SECONDS": "5",
    }


def test_fan_out_groups_are_the_group_field_or_the_language_of_enabled_sources(tmp_path):
    settings = load_settings(config(tmp_path), environ={})
    assert source_groups(settings) == ["en", "wires"]
    assert [s.id for s in sources_in_group(settings, "wires")] == ["b", "c"]
    assert sources_in_group(settings, "ja") == []  # disabled sources are never collected


def test_prepare_collect_seals_a_batch_an_interrupted_run_left_half_written(tmp_path):
    settings = load_settings(config(tmp_path), environ={})
    partial = (
        StageStore(settings.data_dir).stage_dir(RAW)
        / "date=2026-11-25"
        / "20261125T000000.000000Z-abcdef.partial"
    )
    partial.parent.mkdir(parents=True)
    partial.write_text('{"cut short', encoding="utf-8")
    assert prepare_collect(settings) == ["en", "wires"]
    assert not partial.exists()


def test_digest_schedule_comes_from_the_digest_rule_in_alerts_yaml(tmp_path):
    folder = config(
        tmp_path,
        """
        rules:
          - {name: off, type: digest, hour: 3, timezone: Asia/Seoul, enabled: false, recipients: [a@b.c]}
          - {name: daily, type: digest, hour: 18, timezone: Asia/Tokyo, recipients: [a@b.c]}
        """,
    )
    assert digest_time(folder) == (18, "Asia/Tokyo")
    assert alert_crons({"WHIRLPOOL_SPIKE_CRON": "*/5 * * * *"}, folder) == (
        ["*/5 * * * *", "0 18 * * *"],
        "Asia/Tokyo",
    )


def test_a_missing_or_broken_alerts_yaml_does_not_break_dag_parsing(tmp_path):
    assert digest_time(tmp_path / "absent") == (7, "UTC")
    broken = config(tmp_path, "rules: [ {unclosed\n")
    assert digest_time(broken) == (7, "UTC")
    assert alert_crons({}, broken) == (["*/15 * * * *", "0 7 * * *"], "UTC")


def test_task_defaults_retry_with_exponential_backoff_and_can_be_tuned():
    defaults = task_defaults({})
    assert defaults["retries"] == 3 and defaults["retry_exponential_backoff"] > 1
    assert defaults["max_retry_delay"] == timedelta(minutes=30) and defaults["execution_timeout"]
    assert task_defaults({"WHIRLPOOL_TASK_RETRIES": "0"})["retries"] == 0


def test_alert_time_is_the_logical_date_as_a_plain_utc_datetime_else_the_run_time():
    pendulum = pytest.importorskip("pendulum", reason="pendulum comes with apache-airflow")

    logical = pendulum.datetime(2026, 11, 21, 13, 0, tz="Europe/Paris")
    moment = alert_time(logical, pendulum.now("UTC"))
    assert type(moment) is datetime and moment == datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert moment - datetime(2026, 11, 21, tzinfo=UTC) == timedelta(hours=12)  # mixes with stdlib datetimes
    run_after = datetime(2026, 11, 21, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    assert alert_time(None, run_after) == datetime(2026, 11, 21, 7, 30, tzinfo=UTC)


def test_batch_names_keep_only_batch_files():
    outputs = ["/d/stages/processed/date=2026-11-25/20261125T1Z-ab.jsonl.gz", "embedded index /d/index"]
    assert batch_names(outputs) == ["20261125T1Z-ab"]


def collect_report(polled: int, failed: int) -> StageReport:
    report = StageReport("collect")
    report.count("sources_polled", polled)
    report.count("sources_ok", polled - failed)
    report.count("sources_failed", failed)
    for n in range(failed):
        report.fail("HTTP 404 Not Found", source_id=f"s{n}", url=f"http://127.0.0.1/{n}.xml")
    return report


def test_a_group_whose_every_polled_source_failed_is_an_outage_named_in_one_line():
    line = collect_outage(collect_report(polled=3, failed=3), "ko")
    assert (
        line
        == "group ko: all 3 sources polled failed; the first: [collect] s0 http://127.0.0.1/0.xml: HTTP 404 Not Found"
    )


@pytest.mark.parametrize(("polled", "failed"), [(1, 1), (3, 2), (3, 0), (0, 0)])
def test_one_dead_feed_or_a_partial_failure_is_not_an_outage(polled, failed):
    assert collect_outage(collect_report(polled, failed), "en") is None


def test_a_crawl_that_stopped_before_finishing_fails_its_group_even_if_sources_were_polled():
    report = collect_report(polled=3, failed=0)
    report.fail("crawl stopped: raw batch write failed: [Errno 28] No space left on device", retry_later=True)
    assert collect_outage(report, "ru") == (
        "group ru: [collect] crawl stopped: raw batch write failed: [Errno 28] No space left on device"
    )


def test_only_errors_marked_retry_later_ask_airflow_to_retry():
    report = StageReport("index")
    report.fail("batch x: 2 documents dead-lettered")
    assert retry_reason(report) is None
    report.fail("index unavailable, 3 batch(es) kept for the next run: connection refused", retry_later=True)
    assert (
        retry_reason(report)
        == "[index] index unavailable, 3 batch(es) kept for the next run: connection refused"
    )
