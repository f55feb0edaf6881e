"""`whirlpool index`: index pending processed batches; `setup`, `migrate`, `rollover` and
`create-api-key` subcommands (Elasticsearch)."""

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
    from indexing.lifecycle import index_settings, plan_from_settings

    settings, backend = _elasticsearch(ctx)
    plan = plan_from_settings(settings)
    backend.template_settings = index_settings(plan)  # the new version keeps the lifecycle and replicas
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


@index.command("rollover")
@click.option("--max-age", help="Roll over only if the write index is at least this old (e.g. 30d).")
@click.option("--max-primary-shard-size", help="… or its primary shard at least this big (e.g. 50gb).")
@click.option("--max-docs", type=int, help="… or it holds at least this many documents.")
@click.pass_context
def rollover_command(ctx: click.Context, max_age, max_primary_shard_size, max_docs) -> None:
    """Roll the write alias over to a new index: now, or if one of the given conditions holds.
    (The ILM policy from `index setup` does this by itself; this is for an operator.)"""
    from indexing.backend import IndexUnavailable
    from indexing.lifecycle import rollover

    conditions = {
        key: value
        for key, value in (
            ("max_age", max_age),
            ("max_primary_shard_size", max_primary_shard_size),
            ("max_docs", max_docs),
        )
        if value
    }
    _settings, backend = _elasticsearch(ctx)
    try:
        answer = rollover(backend.client, backend.alias, conditions)
    except IndexUnavailable as exc:
        fail(str(exc), code=1)
    finally:
        backend.close()
    if answer.get("rolled_over"):
        message = f"alias {backend.alias}: rolled over {answer['old_index']} → {answer['new_index']}"
    else:
        message = f"alias {backend.alias}: not rolled over, conditions {answer.get('conditions')}"
    console.print(message, markup=False, soft_wrap=True)


@index.command("create-api-key")
@click.option("--expiration", help="Lifetime of the key (e.g. 90d); default: no expiry.")
@click.pass_context
def create_api_key(ctx: click.Context, expiration: str | None) -> None:
    """Create an API key limited to the whirlpool_writer role (run as the superuser, after `index
    setup`); prints it once, for WHIRLPOOL_ES_API_KEY."""
    from indexing.backend import IndexUnavailable
    from indexing.security import create_pipeline_api_key

    _settings, backend = _elasticsearch(ctx)
    try:
        encoded = create_pipeline_api_key(backend.client, backend.alias, expiration=expiration)
    except IndexUnavailable as exc:
        fail(str(exc), code=1)
    finally:
        backend.close()
    console.print(f"WHIRLPOOL_ES_API_KEY={encoded}", markup=False, soft_wrap=True)


@index.command("setup")
@click.option("--kibana-url", envvar="WHIRLPOOL_KIBANA_URL", help="Kibana to import the saved objects into.")
@click.option(
    "--pipeline-password",
    envvar="WHIRLPOOL_ES_PIPELINE_PASSWORD",
    help="Create or update the user whirlpool_pipeline with this password (role whirlpool_writer).",
)
@click.pass_context
def setup(ctx: click.Context, kibana_url: str | None, pipeline_password: str | None) -> None:
    """As the superuser: ILM policy, index template (replicas, policy) and write alias; the role
    whirlpool_writer and the user whirlpool_pipeline; then the Kibana saved objects.

    Kibana credentials come from WHIRLPOOL_KIBANA_USERNAME / WHIRLPOOL_KIBANA_PASSWORD, else the
    Elasticsearch ones."""
    from indexing.backend import IndexUnavailable
    from indexing.kibana import KibanaError, import_saved_objects
    from indexing.lifecycle import apply_lifecycle, plan_from_settings
    from indexing.security import ensure_writer

    settings, backend = _elasticsearch(ctx)
    plan = plan_from_settings(settings)
    try:
        lifecycle = apply_lifecycle(backend, plan)
        security = ensure_writer(backend.client, backend.alias, pipeline_password)
    except IndexUnavailable as exc:
        fail(str(exc), code=1)
    finally:
        backend.close()
    policy = f"ILM policy {lifecycle.policy}" if lifecycle.policy else lifecycle.note
    retention = f"delete {plan.delete_after_days} days after rollover" if plan.delete_after_days else "kept"
    console.print(
        f"index template and alias {backend.alias} ready: replicas {plan.replicas}; {policy} "
        f"(rollover at {plan.max_primary_shard_size} or {plan.max_age}; indices {retention})",
        markup=False,
        soft_wrap=True,
    )
    if security.role:
        who = f"user {security.user}" if security.user else security.note
        console.print(f"role {security.role} ready; {who}", markup=False, soft_wrap=True)
    else:
        console.print(security.note, markup=False, soft_wrap=True)
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
