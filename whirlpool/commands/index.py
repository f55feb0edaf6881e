"""`whirlpool index`: index pending processed batches; `migrate` and `setup` subcommands."""

from __future__ import annotations

import os
import sys

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


@click.group("index", invoke_without_command=True)
@common_options
@click.pass_context
def index(ctx: click.Context, config_dir=None) -> None:
    """Index every pending processed batch (the embedded index unless an Elasticsearch URL is set)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = config_dir
        return
    from whirlpool.pipeline import run_index

    settings = load_cli_settings(config_dir)
    with stage_progress("Indexing") as progress:
        report = run_index(settings, progress)
    print_summary([report])
    sys.exit(exit_code([report]))


def _elasticsearch(ctx: click.Context):
    from indexing.elasticsearch_backend import ElasticsearchBackend

    settings = load_cli_settings(ctx.obj)
    if not settings.elasticsearch.url:
        fail("no Elasticsearch configured: set WHIRLPOOL_ES_URL (or elasticsearch.url in settings.yaml)")
    return settings, ElasticsearchBackend.from_settings(settings)


@index.command("migrate")
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Create the next index version from the current template, reindex, swap the alias."""
    from indexing.backend import IndexUnavailable

    _settings, backend = _elasticsearch(ctx)
    try:
        result = backend.migrate()
    except IndexUnavailable as exc:
        fail(str(exc), code=1)
    finally:
        backend.close()
    console.print(
        f"alias {result.alias}: {', '.join(result.old_indices)} → {result.new_index}; "
        f"documents {result.documents_before} before, {result.documents_after} after",
        markup=False,
        soft_wrap=True,
    )


@index.command("setup")
@click.option("--kibana-url", envvar="WHIRLPOOL_KIBANA_URL", help="Kibana to import the saved objects into.")
@click.pass_context
def setup(ctx: click.Context, kibana_url: str | None) -> None:
    """Apply the index template and write alias; import the Kibana saved objects.

    Kibana credentials come from WHIRLPOOL_KIBANA_USERNAME / WHIRLPOOL_KIBANA_PASSWORD, else the
    Elasticsearch ones."""
    from indexing.backend import IndexUnavailable
    from indexing.kibana import KibanaError, import_saved_objects

    settings, backend = _elasticsearch(ctx)
    try:
        backend.ensure_ready()
    except IndexUnavailable as exc:
        fail(str(exc), code=1)
    finally:
        backend.close()
    console.print(f"index template and alias {backend.alias} ready", markup=False, soft_wrap=True)
    if not kibana_url:
        console.print("no --kibana-url: saved objects not imported", markup=False, soft_wrap=True)
        return
    es = settings.elasticsearch
    username = os.environ.get("WHIRLPOOL_KIBANA_USERNAME") or es.username
    password = os.environ.get("WHIRLPOOL_KIBANA_PASSWORD") or (
        es.password.get_secret_value() if es.password else None
    )
    from indexing.expansion import load_concept_lookup
    from indexing.kibana import DEFAULT_THEMES

    taxonomy = load_concept_lookup(settings.config_path("taxonomy.yaml"))
    themes = [c.id for c in taxonomy.concepts if c.kind == "theme"] if taxonomy else list(DEFAULT_THEMES)
    try:
        imported = import_saved_objects(kibana_url, es.index_prefix, username, password, themes)
    except KibanaError as exc:
        fail(str(exc), code=1)
    console.print(
        f"imported {imported} saved object(s) into Kibana at {kibana_url}", markup=False, soft_wrap=True
    )
