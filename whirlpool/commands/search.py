"""`whirlpool search QUERY`: search the index with filters; a table or JSON lines."""

from __future__ import annotations

import json

import click
from rich.table import Table

from whirlpool.console import common_options, console, fail, load_cli_settings


@click.command("search")
@click.argument("query", default="")
@click.option("--since", help="Published at or after: 7d, 24h, 2026-01-01.")
@click.option("--until", help="Published before: 7d, 24h, 2026-01-01.")
@click.option("--lang", "languages", multiple=True, help="Language code (repeatable).")
@click.option("--theme", "themes", multiple=True, help="Theme id (repeatable).")
@click.option("--source", "source_ids", multiple=True, help="Source id (repeatable).")
@click.option("--source-kind", "source_kinds", multiple=True, help="Source kind (repeatable).")
@click.option("--entity", "entities", multiple=True, help="Taxonomy entity id (repeatable).")
@click.option("--relevant", is_flag=True, help="Only articles judged relevant.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--exact", is_flag=True, help="No cross-script expansion of taxonomy names.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit (JSON lines).")
@click.option(
    "--group",
    type=click.Choice(["story"]),
    help="One line per story among the hits (--limit counts hits), with its languages and first report.",
)
@click.option(
    "--backend", type=click.Choice(["embedded", "elasticsearch"]), help="Override the configured backend."
)
@common_options
def search(query: str, **options) -> None:
    """Search articles: terms, "phrases", AND/OR/NOT, field:value, entity:<id>, prefix*."""
    from indexing import open_backend
    from indexing.backend import (
        BackendNotConfigured,
        IndexUnavailable,
        QuerySyntaxError,
        SearchFilters,
        SearchRequest,
    )
    from whirlpool.timetext import parse_when

    settings = load_cli_settings(options.pop("config_dir", None))
    try:
        since = parse_when(options["since"]) if options["since"] else None
        until = parse_when(options["until"]) if options["until"] else None
    except ValueError as exc:
        fail(str(exc))
    filters = SearchFilters(
        since=since,
        until=until,
        languages=list(options["languages"]),
        themes=list(options["themes"]),
        entities=list(options["entities"]),
        source_ids=list(options["source_ids"]),
        source_kinds=list(options["source_kinds"]),
        relevant_only=options["relevant"],
    )
    request = SearchRequest(query, filters, options["sort"], options["limit"], exact=options["exact"])
    try:
        backend = open_backend(settings, options["backend"])
    except BackendNotConfigured as exc:
        fail(str(exc))
    try:
        backend.ensure_ready()
        result = backend.search(request)
    except QuerySyntaxError as exc:
        fail(f"bad query: {exc}")
    except IndexUnavailable as exc:
        fail(f"index unavailable: {exc}", code=1)
    finally:
        backend.close()
    if options["group"] == "story":
        _print_stories(result, options["as_json"])
        return
    if options["as_json"]:
        for hit in result.hits:
            record = {"score": hit.score, "highlights": hit.highlights, **hit.article.model_dump(mode="json")}
            record.pop("body", None)
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    _print_table(result, Table)


def _print_table(result, table_class) -> None:
    table = table_class(
        title=f"{result.total} hit(s)" + (f" for {result.expanded_query}" if result.expanded_query else "")
    )
    for name in ("published", "lang", "source", "title / snippet"):
        table.add_column(name)
    for hit in result.hits:
        article = hit.article
        when = article.published_at.strftime("%Y-%m-%d %H:%M") if article.published_at else "?"
        snippet = hit.highlights[0] if hit.highlights else ""
        text = article.title + (f"\n[dim]{_marked(snippet)}[/]" if snippet else "")
        table.add_row(when, article.language, article.source_id, text)
    console.print(table)


def _print_stories(result, as_json: bool) -> None:
    from processing.stories import story_lines

    lines = story_lines(hit.article for hit in result.hits)
    if as_json:
        for line in lines:
            click.echo(json.dumps(line.as_dict(), ensure_ascii=False))
        return
    table = Table(
        title=f"{len(lines)} stor{'y' if len(lines) == 1 else 'ies'} among {len(result.hits)} hit(s)"
    )
    for name in ("first reported", "by", "languages", "articles", "title"):
        table.add_column(name)
    for line in lines:
        when = line.first_seen.strftime("%Y-%m-%d %H:%M") if line.first_seen else "?"
        by = line.first_source + (
            f" ({line.first_source_kind.replace('_', ' ')})" if line.first_source_kind else ""
        )
        table.add_row(when, by, " ".join(line.languages), str(len(line.articles)), line.title)
    console.print(table)


def _marked(snippet: str) -> str:
    from rich.markup import escape

    return (
        escape(snippet)
        .replace("&lt;mark&gt;", "[bold]")
        .replace("<mark>", "[bold]")
        .replace("</mark>", "[/bold]")
    )
