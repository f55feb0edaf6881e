"""`whirlpool alerts`: evaluate the rules now and send; `--dry-run` writes the emails to files.

The replay figures (an evaluation, not part of the library) are `python -m bench.alerts replay`.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from whirlpool.console import (
    common_options,
    exit_code,
    fail,
    load_cli_settings,
    print_summary,
    stage_progress,
)
from whirlpool.timetext import utc_from_iso
from whirlpool.yamlconfig import ConfigError


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = utc_from_iso(value)
    if parsed is None:
        fail(f"--now: expected an ISO date-time like 2026-03-20T09:00:00+00:00, got {value!r}")
    return parsed


@click.command()
@common_options
@click.option(
    "--dry-run", is_flag=True, help="Print what would be sent and write the emails to files; send nothing."
)
@click.option(
    "--now", "now_text", default=None, help="Evaluate as of this ISO date-time (reproducible runs)."
)
def alerts(config_dir: Path | None, dry_run: bool, now_text: str | None) -> None:
    """Evaluate the alert rules in config/alerts.yaml now and send the emails."""
    from whirlpool import pipeline

    settings = load_cli_settings(config_dir)
    now = _parse_now(now_text)
    try:
        with stage_progress("Alerts") as progress:
            report = pipeline.run_alerts(settings, dry_run=dry_run, now=now, progress=progress)
    except ConfigError as exc:
        fail(str(exc))
    print_summary([report], title="Alerts (dry run)" if dry_run else "Alerts")
    sys.exit(exit_code([report]))
