"""Warm-up: spike and new-entity rules stay silent until the index holds the history they need
(issue 13, 10), measured from the earliest trusted-date document; a real SMTP server receives."""

from __future__ import annotations

from datetime import timedelta

from alerting.engine import run_alert_rules
from tests.alerts.conftest import NOW, index_articles, make_article, make_settings
from whirlpool.article import DateSource

FIRST_DAY_RULES = """
groups:
  analysts: [analysts@example.org]
rules:
  - name: theme-spike
    type: spike
    dimension: themes
    window: 1d
    baseline_windows: 14
    recipients: analysts{warm_up}
  - name: actor-spike
    type: spike
    dimension: entities
    values: [person.putin]
    window: 1d
    baseline_windows: 14
    recipients: analysts{warm_up}
  - name: new-entity
    type: new_entity
    dimension: entities
    min_count: 3
    max_baseline_total: 1
    recipients: analysts{warm_up}
"""


def first_hours() -> list:
    """A fresh deployment: 12 stories on Putin and troops in its first five hours, and one page
    whose date was guessed (set to a fetch time long ago): a guess is no history."""
    stories = [
        make_article(
            n,
            NOW - timedelta(hours=5) + timedelta(minutes=20 * n),
            ["troop_deployment"],
            f"Putin meets delegation {n}",
            entities=["person.putin"],
        )  # fmt: skip
        for n in range(12)
    ]
    guessed = make_article(99, NOW - timedelta(days=30), ["troop_deployment"], date_source=DateSource.GUESSED)
    return stories + [guessed]


def test_a_fresh_deployment_with_hours_of_history_sends_no_spike_and_no_new_entity_mail(
    tmp_path, smtp_server
):
    settings = make_settings(tmp_path, smtp_server.port, FIRST_DAY_RULES.format(warm_up=""))
    index_articles(settings, first_hours())

    report = run_alert_rules(settings, now=NOW)

    assert [m[1]["Subject"] for m in smtp_server.messages] == []
    assert report.errors == [] and report.counts["rules_warming_up"] == 3
    until = (NOW - timedelta(hours=5) + timedelta(days=14)).strftime("%Y-%m-%d")
    notes = [n for n in report.notes if "warming up" in n]
    assert len(notes) == 3 and all(f"warming up until {until}" in n for n in notes), notes
    assert "rule 'new-entity': warming up until" in notes[2] and "needs 14 days of history" in notes[2]


def test_an_empty_index_warms_up_and_says_there_is_no_history_yet(tmp_path, smtp_server):
    settings = make_settings(tmp_path, smtp_server.port, FIRST_DAY_RULES.format(warm_up=""))
    report = run_alert_rules(settings, now=NOW)
    assert smtp_server.messages == []
    assert any("no history yet" in n for n in report.notes)


def test_rules_fire_once_the_history_covers_their_warm_up_setting(tmp_path, smtp_server):
    rules = FIRST_DAY_RULES.format(warm_up="\n    warm_up: 4h")
    settings = make_settings(tmp_path, smtp_server.port, rules)
    index_articles(settings, first_hours())

    report = run_alert_rules(settings, now=NOW)

    subjects = sorted(m[1]["Subject"] for m in smtp_server.messages)
    assert report.counts["rules_warming_up"] == 0
    assert any(s.startswith("Spike: troop_deployment") for s in subjects), subjects
    assert "New entities: person.putin, 1 in the last 1d" in subjects
