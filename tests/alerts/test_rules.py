"""alerts.yaml is validated at load: a malformed rule fails with file, line, rule and reason."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alerting.rules import SpikeRule, load_rules
from tests.conftest import REPO
from whirlpool.yamlconfig import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "alerts.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_shipped_alerts_yaml_loads_and_resolves_groups():
    config = load_rules(REPO / "config" / "alerts.yaml")
    kinds = {rule.type for rule in config.rules}
    assert kinds == {"spike", "new_entity", "watch", "coverage_gap", "digest"}
    spike = next(r for r in config.rules if isinstance(r, SpikeRule))
    assert config.recipients(spike) == ["analysts@whirlpool.localhost"]


def test_bad_window_names_file_line_rule_and_field(tmp_path):
    path = write(
        tmp_path,
        """
        rules:
          - name: ok-rule
            type: watch
            query: KN-23
            recipients: [a@example.org]
          - name: broken-spike
            type: spike
            window: 6x
            recipients: [a@example.org]
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    message = str(info.value)
    assert f"{path}:9:" in message
    assert "rule 'broken-spike'" in message and "window" in message and "6x" in message


def test_unknown_recipient_group_is_refused(tmp_path):
    path = write(
        tmp_path,
        """
        groups:
          analysts: [a@example.org]
        rules:
          - name: digest
            type: digest
            recipients: editors
        """,
    )
    with pytest.raises(ConfigError, match=r"alerts.yaml:5: rule 'digest': unknown recipient group 'editors'"):
        load_rules(path)


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("type: surge\n    recipients: [a@example.org]", "type"),
        ("type: digest\n    timezone: Mars/Olympus\n    recipients: [a@example.org]", "unknown time zone"),
        ("type: watch\n    recipients: [a@example.org]", "query"),
        ("type: spike\n    min_count: 0\n    recipients: [a@example.org]", "min_count"),
        ("type: spike\n    dispersion: lots\n    recipients: [a@example.org]", "dispersion"),
        (
            "type: spike\n    false_alerts_per_week: 0\n    recipients: [a@example.org]",
            "false_alerts_per_week",
        ),
        ("type: watch\n    query: x\n    recipients: [not-an-address]", "recipients must be email addresses"),
    ],
)
def test_each_kind_of_malformed_rule_fails_at_load(tmp_path, rule, reason):
    path = tmp_path / "alerts.yaml"
    path.write_text(f"rules:\n  - name: bad\n    {rule}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    assert "rule 'bad'" in str(info.value) and reason in str(info.value) and str(path) in str(info.value)


def test_spike_rule_derives_its_p_value_from_the_false_alert_budget_unless_one_is_fixed(tmp_path):
    path = tmp_path / "alerts.yaml"
    path.write_text(
        "rules:\n"
        "  - {name: daily, type: spike, recipients: [a@example.org]}\n"
        "  - {name: six-hourly, type: spike, window: 6h, false_alerts_per_week: 1, recipients: [a@example.org]}\n"
        "  - {name: fixed, type: spike, p_value: 0.001, dispersion: 0, recipients: [a@example.org]}\n",
        encoding="utf-8",
    )
    daily, six_hourly, fixed = load_rules(path).rules
    assert daily.dispersion == "auto" and daily.exclude_spikes and daily.sliding_window
    assert daily.per_window_p(series=8) == pytest.approx(0.5 / (8 * 7))
    assert six_hourly.per_window_p(series=8) == pytest.approx(1 / (8 * 28))
    assert fixed.per_window_p(series=8) == 0.001 and fixed.dispersion == 0
