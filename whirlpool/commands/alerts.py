"""`whirlpool alerts`: evaluate the rules now and send; `--dry-run` writes the emails to files; `replay`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from whirlpool.console import (
    common_options,
    console,
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


@click.group(invoke_without_command=True)
@common_options
@click.option(
    "--dry-run", is_flag=True, help="Print what would be sent and write the emails to files; send nothing."
)
@click.option(
    "--now", "now_text", default=None, help="Evaluate as of this ISO date-time (reproducible runs)."
)
@click.pass_context
def alerts(ctx: click.Context, config_dir: Path | None, dry_run: bool, now_text: str | None) -> None:
    """Evaluate the alert rules in config/alerts.yaml now and send the emails."""
    if ctx.invoked_subcommand is not None:
        return
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


@alerts.command("replay")
@click.option(
    "--seeds", default=20, show_default=True, help="How many synthetic 60-day streams (8 series each)."
)
@click.option("--days", default=60, show_default=True)
@click.option(
    "--dispersion", default=0.15, show_default=True, help="Gamma-Poisson overdispersion (0 = Poisson noise)."
)
@click.option(
    "--held-out",
    is_flag=True,
    help="Use that many of the held-out streams (seeds from 1000, random base rates) the defaults were not tuned on.",
)
@click.option(
    "--runs-per-window",
    default=1,
    show_default=True,
    help="1: day by day; more: that many runs per window over a window ending at each run (as the DAG).",
)
def replay(seeds: int, days: int, dispersion: float, held_out: bool, runs_per_window: int) -> None:
    """Replay synthetic streams with injected 2x/3x/5x spikes: recall per base-rate band, false alerts, delay."""
    from alerting.replay import HELD_OUT_SEEDS, format_result, run_replay

    chosen = range(HELD_OUT_SEEDS.start, HELD_OUT_SEEDS.start + seeds) if held_out else range(seeds)
    with stage_progress("Replay") as progress:
        results = run_replay(
            chosen, days, dispersion, progress=lambda done, total: progress(done, total, "streams"),
            evaluations_per_window=runs_per_window,
        )  # fmt: skip
    for result in results:
        console.print("\n".join(format_result(result)), markup=False)
