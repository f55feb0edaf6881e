"""alerts.timezone: the times in emails and the hour of digests that name no zone (issue 12, 6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.engine import run_alert_rules
from tests.alerts.conftest import NOW, background, index_articles, make_article, make_settings
from whirlpool.orchestration import digest_time
from whirlpool.settings import load_settings
from whirlpool.yamlconfig import ConfigError

DIGEST_WITHOUT_ZONE = """
rules:
  - name: daily
    type: digest
    hour: 18
    recipients: [desk@example.org]
"""


def test_email_times_are_shown_in_the_alerts_time_zone(tmp_path, smtp_server):
    settings = make_settings(tmp_path, smtp_server.port, env={"WHIRLPOOL__ALERTS__TIMEZONE": "Asia/Seoul"})
    spike = [
        make_article(1000 + i, NOW - timedelta(hours=2, minutes=i), ["troop_deployment"], f"Troops report {i}")
        for i in range(12)
    ]
    index_articles(settings, background() + spike)

    run_alert_rules(settings, now=NOW)

    text = smtp_server.messages[0][1].get_body(("plain",)).get_content()
    # NOW is 09:00 UTC: 18:00 in Seoul; the first report was published at 06:59 UTC, 15:59 KST
    assert "generated 2026-03-20 18:00 KST" in text
    assert "2026-03-20 15:59 KST" in text
    assert " UTC" not in text


def test_a_digest_without_its_own_zone_follows_the_alerts_time_zone(tmp_path, smtp_server):
    settings = make_settings(
        tmp_path, smtp_server.port, DIGEST_WITHOUT_ZONE, env={"WHIRLPOOL__ALERTS__TIMEZONE": "Asia/Tokyo"}
    )
    index_articles(settings, background(days=2, per_day=2) + [
        make_article(1, NOW - timedelta(hours=2), ["arms_transfers"], "KN-23 shipment"),
    ])  # fmt: skip

    run_alert_rules(settings, now=NOW)  # 18:00 in Tokyo: the digest hour there (03:00 in London)

    subjects = [m[1]["Subject"] for m in smtp_server.messages]
    assert any(s.startswith("Daily digest") for s in subjects), subjects


def test_the_digest_schedule_follows_the_alerts_time_zone_when_the_rule_names_none(tmp_path):
    (tmp_path / "alerts.yaml").write_text(DIGEST_WITHOUT_ZONE, encoding="utf-8")
    (tmp_path / "settings.yaml").write_text("alerts:\n  timezone: Asia/Tokyo\n", encoding="utf-8")
    assert digest_time(tmp_path) == (18, "Asia/Tokyo")


def test_an_unknown_alerts_time_zone_names_file_line_and_field(tmp_path):
    (tmp_path / "settings.yaml").write_text("alerts:\n  timezone: Europe/Londn\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ={})
    message = str(info.value)
    assert "settings.yaml:2" in message and "alerts.timezone" in message and "Europe/Londn" in message
