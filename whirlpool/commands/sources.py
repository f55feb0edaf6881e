"""`whirlpool sources`: every configured source with its health (a table, or --json)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from whirlpool.console import common_options, console, fail, load_cli_settings
from whirlpool.settings import Settings
from whirlpool.sources import Source, load_sources
from whirlpool.yamlconfig import ConfigError


def source_rows(settings: Settings, sources: list[Source], now: datetime | None = None) -> list[dict]:
    """One dict per source: its config and its health (read-only; never polls)."""
    from crawlers.health import HealthStore
    from crawlers.state import connect

    now = now or datetime.now(UTC)
    connection = connect(settings.state_dir, readonly=True)
    health = HealthStore(settings.state_dir, connection)
    rows = []
    for source in sources:
        state = health.get(source.id)
        next_due = state.next_due(source)
        rows.append(
            {
                "id": source.id,
                "name": source.name,
                "language": source.language,
                "country": source.country,
                "kind": str(source.kind),
                "poll_minutes": source.poll_minutes,
                "enabled": source.enabled,
                "disabled_reason": source.disabled_reason,
                "feeds": [str(u) for u in source.feeds],
                "sitemaps": [str(u) for u in source.sitemaps],
                "listing_pages": [str(u) for u in source.listing.pages] if source.listing else [],
                **state.to_dict(),
                "next_due": next_due.isoformat(timespec="seconds") if next_due else None,
                "due_now": source.enabled and state.is_due(source, now),
                "in_backoff": bool(state.backoff_until and state.backoff_until > now),
            }
        )
    connection.close()
    return rows


def _ago(value: str | None, now: datetime) -> str:
    if not value:
        return "—"
    delta = now - datetime.fromisoformat(value)
    minutes = int(delta.total_seconds() // 60)
    if minutes < 0:
        return f"in {-minutes} min" if minutes > -120 else f"in {-minutes // 60} h"
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} d ago"


def _status(row: dict) -> str:
    if not row["enabled"]:
        return "[dim]disabled[/]"
    if row["in_backoff"]:
        return f"[red]backoff ({row['consecutive_failures']} failures)[/]"
    if row["consecutive_failures"]:
        return f"[red]failing ({row['consecutive_failures']})[/]"
    if row["status"] == "never polled":
        return "[yellow]never polled[/]"
    return "[green]ok[/]"


@click.command("sources")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the sources and their health as JSON.")
@click.option("--enabled-only", is_flag=True, help="Leave out disabled sources.")
def sources(config_dir: Path | None, as_json: bool, enabled_only: bool) -> None:
    """List every source in sources.yaml with its health: last success, last error, failures, items seen."""
    settings = load_cli_settings(config_dir)
    try:
        configured = load_sources(settings.config_path("sources.yaml"), only_enabled=enabled_only)
    except ConfigError as exc:
        fail(str(exc))
    rows = source_rows(settings, configured)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    now = datetime.now(UTC)
    table = Table(title=f"Sources ({settings.config_path('sources.yaml')})", show_lines=False)
    table.add_column("id", no_wrap=True)
    for column in ("lang", "kind", "every", "status", "last success", "last error", "items", "next due"):
        table.add_column(column, overflow="fold")
    for row in rows:
        error = row["disabled_reason"] if not row["enabled"] else (row["last_error"] or "")
        table.add_row(
            row["id"],
            row["language"],
            row["kind"],
            f"{row['poll_minutes']} min",
            _status(row),
            _ago(row["last_success"], now),
            error,
            str(row["items_seen"]),
            ("now" if row["due_now"] else _ago(row["next_due"], now)) if row["enabled"] else "—",
        )
    console.print(table)
    enabled = sum(1 for r in rows if r["enabled"])
    failing = sum(1 for r in rows if r["enabled"] and r["consecutive_failures"])
    console.print(
        f"{len(rows)} sources, {enabled} enabled, {failing} failing; state in {settings.state_dir}",
        markup=False,
    )
