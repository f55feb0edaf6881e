"""Terminal output shared by every command: progress bars, summaries, one-line errors."""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.table import Table

from whirlpool.report import ProgressCallback, StageReport
from whirlpool.settings import Settings, load_settings
from whirlpool.yamlconfig import ConfigError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
# rich redraws a live bar 10 times a second by default, in a thread that takes the GIL from the
# stage: ~33 ms of CPU a second of the run (3 % of the process command on a terminal). The stages
# report once a batch, so two redraws a second keep the spinner alive for a tenth of that (issue 11).
PROGRESS_REFRESHES_PER_SECOND = 2


# True in the `whirlpool` program itself (its entry points call ``as_program``), not where a test or
# another program runs the commands inside its own interpreter
_program = False


def as_program() -> None:
    """This interpreter runs the `whirlpool` program and ends with its command (see ``leave``)."""
    global _program
    _program = True


def leave(code: int) -> NoReturn:
    """End the command with exit code ``code``, once it has closed everything it wrote.

    In the `whirlpool` program the interpreter's own teardown is skipped (``os._exit`` after the
    exit handlers and a flush of the standard streams): freeing Kiwi's model, langdetect's profiles
    and every module object by object costs ~0.15–0.2 s of CPU at the end of each `whirlpool
    process` and does nothing a finished command needs (issue 11). Elsewhere it is ``sys.exit``."""
    if not _program:
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code)


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error (no traceback) and exit."""
    err_console.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(code)


# Where the global ``whirlpool --config-dir`` is kept for the command that runs (click's ctx.meta).
CONFIG_DIR_META = "whirlpool.config_dir"


def remember_config_dir(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Callback of the global ``--config-dir``: keep it for every command (and for ``--help``)."""
    if value is not None:
        ctx.meta[CONFIG_DIR_META] = value
    return value


def cli_config_dir(config_dir: Path | None = None) -> Path | None:
    """A command's own ``--config-dir``, else the global one, else None (then config_dir() looks further)."""
    if config_dir is not None:
        return config_dir
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(CONFIG_DIR_META) if ctx is not None else None


def load_cli_settings(config_dir: Path | None = None) -> Settings:
    try:
        return load_settings(cli_config_dir(config_dir))
    except ConfigError as exc:
        fail(str(exc))
        raise  # unreachable; keeps type checkers happy


@contextmanager
def stage_progress(label: str) -> Iterator[ProgressCallback]:
    """A rich progress bar (a plain log line per step when not on a terminal)."""
    if not console.is_terminal:
        last: list[str] = [""]

        def plain(done: int, total: int | None, message: str) -> None:
            if message != last[0]:
                last[0] = message
                suffix = f" ({done}/{total})" if total else ""
                console.print(f"{label}: {message}{suffix}", markup=False)

        yield plain
        return
    # rich's progress bars only on a terminal: ~15 ms of imports a run spares the stage otherwise
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = [SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn()]
    columns += [TextColumn("{task.fields[message]}"), TimeElapsedColumn()]
    with Progress(
        *columns, console=console, transient=False, refresh_per_second=PROGRESS_REFRESHES_PER_SECOND
    ) as progress:
        task = progress.add_task(label, total=None, message="")

        def update(done: int, total: int | None, message: str) -> None:
            progress.update(task, completed=done, total=total, message=message)

        yield update


def print_summary(reports: list[StageReport], title: str = "Summary") -> None:
    """Counts per stage, every error in one line, and where the output went."""
    table = Table(title=title, show_lines=False)
    table.add_column("stage", style="bold")
    table.add_column("counts")
    table.add_column("errors", justify="right")
    for report in reports:
        counts = ", ".join(f"{k}={v}" for k, v in report.counts.items() if v) or "nothing to do"
        table.add_row(report.stage, counts, str(len(report.errors)))
    console.print(table)
    for report in reports:
        for outcome in report.outcomes:
            style = "red" if outcome.severity == "error" else "yellow"
            console.print(
                f"[{style}]{outcome.severity}:[/] {outcome.line()}",
                markup=True,
                highlight=False,
                soft_wrap=True,
            )
        for note in report.notes:
            console.print(f"note: {note}", markup=False, soft_wrap=True)
        for output in report.outputs:
            console.print(f"output: {output}", markup=False, soft_wrap=True)


def exit_code(reports: list[StageReport]) -> int:
    """The one exit-code rule of every stage command (README, "Exit codes"; the Airflow tasks fail on
    the same): 1 when a stage failed or was skipped for an error (an error marked ``retry_later``:
    the index or the crawl stopped, rules not evaluated), when collect reached none of its sources,
    or when a stage had errors and did nothing else; otherwise 0, also when one feed of many is
    dead (reported, backed off, and watched by the coverage-gap alert). Usage and config errors exit
    2 before anything runs."""
    if any(o.retry_later for r in reports for o in r.errors):
        return 1
    for report in reports:
        if (
            report.stage == "collect"
            and not report.counts.get("sources_ok")
            and report.counts.get("sources_failed")
        ):
            return 1
    if not any(r.errors for r in reports):
        return 0
    did_something = any(
        v
        for r in reports
        for k, v in r.counts.items()
        if k not in ("batches_pending",) and not k.startswith("sources_")
    )
    return 0 if did_something else 1


def common_options(func):
    """--config-dir for every command (also accepted before the command: ``whirlpool --config-dir D run``)."""
    return click.option(
        "--config-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Folder with settings.yaml, sources.yaml, taxonomy.yaml, alerts.yaml "
        "(default: WHIRLPOOL_CONFIG_DIR, else ./config, else the packaged defaults).",
    )(func)
