"""`whirlpool prune`: remove what is past the retention windows (``retention`` in settings.yaml)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from whirlpool.console import common_options, exit_code, load_cli_settings, print_summary, stage_progress


@click.command()
@common_options
@click.option("--dry-run", is_flag=True, help="Count what would be removed; remove nothing.")
def prune(config_dir: Path | None, dry_run: bool) -> None:
    """Remove stage files, index documents and duplicate state past the retention windows.

    Stage batches go only once every consumer has finished them. The daily whirlpool_maintenance
    DAG runs the same. Windows: retention.stage_days, index_days, duplicate_days (0 keeps for ever).
    """
    from whirlpool.retention import run_prune

    settings = load_cli_settings(config_dir)
    with stage_progress("Pruning") as progress:
        report = run_prune(settings, dry_run=dry_run, progress=progress)
    print_summary([report], title="Prune (dry run)" if dry_run else "Prune")
    sys.exit(exit_code([report]))
