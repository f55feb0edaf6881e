"""New-entity and immediate watch rules, an unreachable index, and SMTP config from an Airflow connection."""

from __future__ import annotations

from datetime import timedelta

from alerting.engine import run_alert_rules
from tests.alerts.conftest import NOW, background, index_articles, make_article, make_settings
from whirlpool.loopback import free_port

MORE_RULES = """
groups:
  desk: [desk@example.org]
rules:
  - name: new-entity
    type: new_entity
    dimension: entities
    min_count: 3
    max_baseline_total: 1
    recipients: desk
  - name: kn23
    type: watch
    query: "KN-23"
    recipients: desk
"""


def test_new_entity_and_watch_hits_are_emailed_once(tmp_path, smtp_server):
    settings = make_settings(tmp_path, smtp_server.port, MORE_RULES)
    old = [
        make_article(100, NOW - timedelta(days=5), ["arms_transfers"], entities=["weapon.artillery_shells"])
    ]
    new = [
        make_article(
            200 + i,
            NOW - timedelta(hours=2 + i),
            ["arms_transfers"],
            f"Koksan guns seen {i}",
            entities=["weapon.koksan"],
        )
        for i in range(3)
    ]
    watched = [make_article(300, NOW - timedelta(hours=1), ["strategic_tech"], "KN-23 strike on Kyiv")]
    index_articles(settings, background(days=14, per_day=1) + old + new + watched)

    first = run_alert_rules(settings, now=NOW)
    second = run_alert_rules(settings, now=NOW + timedelta(minutes=30))

    subjects = sorted(m[1]["Subject"] for m in smtp_server.messages)
    assert subjects == [
        "New entities: weapon.koksan, 1 in the last 1d",
        "Watch: 1 new story matching KN-23",
    ]
    assert first.counts["sent"] == 2 and second.counts["sent"] == 0
    watch_html = next(m for m in smtp_server.messages if m[1]["Subject"].startswith("Watch"))[1]
    assert "KN-23 strike on Kyiv" in watch_html.get_body(("html",)).get_content()


def test_unreachable_index_is_a_one_line_failure_not_a_crash(tmp_path, smtp_server):
    env = {"WHIRLPOOL_INDEX_BACKEND": "elasticsearch", "WHIRLPOOL_ES_URL": f"http://127.0.0.1:{free_port()}"}
    settings = make_settings(tmp_path, smtp_server.port, env=env)
    settings.elasticsearch.max_retries = 0

    report = run_alert_rules(settings, now=NOW)

    assert len(report.errors) == 1
    assert report.errors[0].reason.startswith("index unavailable, alert rules not evaluated:")
    assert "\n" not in report.errors[0].reason
    assert smtp_server.messages == []


def test_smtp_settings_from_an_airflow_connection(tmp_path):
    """The one way a task gets its SMTP settings: the connection's fields over the environment."""
    from airflow.models.connection import Connection

    from whirlpool.orchestration import connection_fields, settings_environ
    from whirlpool.settings import load_settings

    conn = Connection(
        conn_id="smtp_alerts", conn_type="smtp", host="mail.example.org", port=587, login="whirlpool",
        password="s3cret", extra='{"starttls": true, "timeout": 7, "from_email": "alerts@example.org"}',
    )  # fmt: skip
    env = settings_environ({"WHIRLPOOL_DATA_DIR": str(tmp_path)}, smtp_conn=connection_fields(conn))
    config = load_settings(environ=env).alerts.smtp
    assert (config.host, config.port, config.starttls, config.ssl) == ("mail.example.org", 587, True, False)
    assert (config.username, config.password.get_secret_value(), config.timeout_seconds) == (
        "whirlpool",
        "s3cret",
        7.0,
    )
    assert config.sender == "alerts@example.org"
