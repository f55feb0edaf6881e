"""`whirlpool run`, `collect` and `process`: the stages, with progress and a closing summary."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from whirlpool import pipeline
from whirlpool.console import (
    common_options,
    console,
    exit_code,
    fail,
    leave,
    load_cli_settings,
    print_summary,
    stage_progress,
)
from whirlpool.report import StageReport
from whirlpool.settings import Settings
from whirlpool.yamlconfig import ConfigError


def _sources(settings: Settings, only: tuple[str, ...]):
    from whirlpool.sources import load_sources  # not for `whirlpool process`

    try:
        sources = load_sources(settings.config_path("sources.yaml"), only_enabled=True)
    except ConfigError as exc:
        fail(str(exc))
    if only:
        unknown = set(only) - {s.id for s in sources}
        if unknown:
            fail(f"unknown or disabled source id(s): {', '.join(sorted(unknown))} (see `whirlpool sources`)")
        sources = [s for s in sources if s.id in only]
    return sources


def collect_stage(settings: Settings, only: tuple[str, ...] = (), force: bool = False) -> StageReport:
    sources = _sources(settings, only)
    with stage_progress("Collecting") as progress:
        return pipeline.run_collect(settings, sources, progress=progress, force=force)


def nothing_reachable(report: StageReport) -> bool:
    return report.counts.get("sources_ok", 0) == 0 and report.counts.get("sources_failed", 0) > 0


def explain_unreachable(report: StageReport) -> None:
    failed = report.counts.get("sources_failed", 0)
    console.print(
        f"[bold yellow]No source could be reached[/] ({failed} failed; the reasons are listed above). "
        "Check the network and the feed URLs in config/sources.yaml, or `whirlpool sources` for their health. "
        "To see Whirlpool work without a network, run [bold]whirlpool demo[/].",
        markup=True,
        soft_wrap=True,
    )


def run_cycle(
    settings: Settings,
    only: tuple[str, ...] = (),
    force: bool = False,
    alerts: bool = True,
    dry_run_alerts: bool = False,
) -> list[StageReport]:
    """collect → process → index → alerts, each stage with its own progress bar."""
    reports = [collect_stage(settings, only, force)]
    with stage_progress("Processing") as progress:
        reports.append(pipeline.run_process(settings, progress=progress))
    with stage_progress("Indexing") as progress:
        reports.append(pipeline.run_index(settings, progress=progress))
    if alerts and settings.alerts.enabled:
        with stage_progress("Alerts") as progress:
            reports.append(pipeline.run_alerts(settings, dry_run=dry_run_alerts, progress=progress))
    return reports


def finish(reports: list[StageReport], settings: Settings) -> int:
    """The closing summary; returns the exit code (README, "Exit codes")."""
    print_summary(reports)
    console.print(f"config: {settings.config_location.describe()}", markup=False, soft_wrap=True)
    console.print(f"data: {Path(settings.data_dir).resolve()}", markup=False, soft_wrap=True)
    collect = next((r for r in reports if r.stage == "collect"), None)
    if collect is not None and nothing_reachable(collect):
        explain_unreachable(collect)
    return exit_code(reports)


_only = click.option("--source", "only", multiple=True, help="Only this source id (repeatable).")
_force = click.option("--force", is_flag=True, help="Poll every source now, even if not due or backing off.")


@click.command("run")
@common_options
@_only
@_force
@click.option("--no-alerts", is_flag=True, help="Skip the alert rules.")
@click.option("--dry-run-alerts", is_flag=True, help="Write alert emails to files instead of sending them.")
def run_command(
    config_dir: Path | None, only: tuple[str, ...], force: bool, no_alerts: bool, dry_run_alerts: bool
) -> None:
    """One full cycle: collect → process → index → alerts.

    Uses the embedded index under the data folder unless WHIRLPOOL_ES_URL is set.
    Exit codes: README, "Exit codes" (1 when a stage failed or was skipped for an error).
    """
    settings = load_cli_settings(config_dir)
    if problems := pipeline.config_problems(settings, alerts=not no_alerts):
        fail("\n".join(problems))  # before any stage: nothing half done
    reports = run_cycle(settings, only, force, alerts=not no_alerts, dry_run_alerts=dry_run_alerts)
    sys.exit(finish(reports, settings))


@click.command("collect")
@common_options
@_only
@_force
def collect_command(config_dir: Path | None, only: tuple[str, ...], force: bool) -> None:
    """Poll the sources that are due and fetch new articles into the raw stage."""
    settings = load_cli_settings(config_dir)
    sys.exit(finish([collect_stage(settings, only, force)], settings))


@click.command("process")
@common_options
def process_command(config_dir: Path | None) -> None:
    """Clean, detect language, de-duplicate, tag and score every pending raw batch."""
    settings = load_cli_settings(config_dir)
    with stage_progress("Processing") as progress:
        try:
            report = pipeline.run_process(settings, progress=progress)
        except ConfigError as exc:
            fail(str(exc))
    leave(finish([report], settings))  # its batches and state are closed: no teardown needed
