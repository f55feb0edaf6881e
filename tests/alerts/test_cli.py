"""`whirlpool alerts`: --dry-run writes the emails to files; a bad rule is a one-line error and exit 2."""

from __future__ import annotations

from click.testing import CliRunner

from alerting.engine import dry_run_dir
from tests.alerts.conftest import NOW, background, index_articles, make_article, make_settings
from whirlpool.cli import main


def test_dry_run_with_now_writes_the_spike_email_to_a_file(tmp_path, monkeypatch):
    settings = make_settings(tmp_path, 2525)
    spike = [make_article(900 + i, NOW.replace(hour=8, minute=i), ["troop_deployment"]) for i in range(9)]
    index_articles(settings, background() + spike)
    monkeypatch.setenv("WHIRLPOOL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WHIRLPOOL_INDEX_BACKEND", "embedded")

    result = CliRunner().invoke(
        main, ["alerts", "--config-dir", str(settings.config_dir), "--dry-run", "--now", NOW.isoformat()]
    )

    assert result.exit_code == 0, result.output
    assert (
        "would send to analysts@example.org, lead@example.org: Spike: troop_deployment 9 stories"
        in result.output
    )
    assert [p.suffix for p in dry_run_dir(settings).iterdir()] == [".eml"]


def test_malformed_rule_is_a_one_line_error_with_exit_code_2(tmp_path, monkeypatch):
    settings = make_settings(
        tmp_path,
        2525,
        "rules:\n  - name: x\n    type: spike\n    window: soon\n    recipients: [a@example.org]\n",
    )
    monkeypatch.setenv("WHIRLPOOL_DATA_DIR", str(settings.data_dir))

    result = CliRunner().invoke(main, ["alerts", "--config-dir", str(settings.config_dir), "--dry-run"])

    assert result.exit_code == 2
    assert "alerts.yaml:4: rule 'x': field 'window'" in result.output.replace("\n", "")  # rich wraps lines
