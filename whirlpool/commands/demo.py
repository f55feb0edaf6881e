"""`whirlpool demo`: the whole product on a built-in sample site, with no network and no setup."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click
import yaml

from whirlpool.commands.stages import finish, run_cycle
from whirlpool.console import console, load_cli_settings
from whirlpool.loopback import LOOPBACK_ONLY
from whirlpool.samplesite import DEMO_SITE, serve_site
from whirlpool.settings import load_settings

DEMO_QUERIES = ("KN-23", "Ким Чен Ын", "北朝鮮 ロシア")


def prepare_demo_config(
    settings_config_dir: Path, demo_dir: Path, sources_yaml: str, collect: dict[str, object] | None = None
) -> Path:
    """A config folder for the demo: the real taxonomy and alert rules, sources pointing at the site,
    the embedded index, no crawl delay (the site is local), and 127.0.0.1 allowed by the network
    policy (the site's one address, nothing else private); ``collect`` adds collect settings."""
    config_dir = demo_dir / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    for name in ("taxonomy.yaml", "alerts.yaml"):
        if (settings_config_dir / name).exists():
            shutil.copyfile(settings_config_dir / name, config_dir / name)
    (config_dir / "sources.yaml").write_text(sources_yaml, encoding="utf-8")
    settings = {
        "data_dir": str(demo_dir / "data"),
        "index": {"backend": "embedded"},
        "collect": {
            "download_delay_seconds": 0,
            "autothrottle": False,
            "allow_private_networks": LOOPBACK_ONLY,  # the sample site is on 127.0.0.1
            **(collect or {}),
        },
    }
    (config_dir / "settings.yaml").write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return config_dir


def demo_environ() -> dict[str, str]:
    """The environment without WHIRLPOOL_* overrides: the demo never writes into the real data
    directory or a configured Elasticsearch, whatever the shell exports."""
    return {key: value for key, value in os.environ.items() if not key.startswith("WHIRLPOOL")}


@click.command("demo")
@click.option(
    "--dir",
    "demo_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where the demo keeps its config and data (default: <data_dir>/demo). Wiped at start.",
)
@click.option("--keep", is_flag=True, help="Keep the previous demo data instead of starting afresh.")
def demo_command(demo_dir: Path | None, keep: bool) -> None:
    """Serve the built-in sample news site (six languages) on 127.0.0.1 and run a full cycle on it.

    Collects, processes, indexes and evaluates the alert rules (emails written to files, not sent),
    then shows a few searches, including cross-script ones.
    """
    base = load_cli_settings()
    demo_dir = (demo_dir or Path(base.data_dir) / "demo").resolve()
    if demo_dir.exists() and not keep:
        shutil.rmtree(demo_dir)
    with serve_site(DEMO_SITE, recent=True) as site:
        console.print(f"Sample site serving at {site.url} ({len(site.spec.outlets)} outlets)", markup=False)
        console.print(
            f"Taxonomy and alert rules from {base.config_location.describe()}", markup=False, soft_wrap=True
        )
        config_dir = prepare_demo_config(base.config_dir, demo_dir, site.sources_yaml())
        settings = load_settings(config_dir, environ=demo_environ())
        reports = run_cycle(settings, force=True, dry_run_alerts=True)
    code = finish(reports, settings)
    show_searches(settings)
    console.print(
        f"\nTry it yourself:  WHIRLPOOL_CONFIG_DIR={config_dir} whirlpool search 'Kim Jong Un'",
        markup=False,
        soft_wrap=True,
    )
    sys.exit(code)


def show_searches(settings) -> None:
    from indexing import open_backend
    from indexing.backend import SearchRequest

    backend = open_backend(settings)
    try:
        for query in DEMO_QUERIES:
            result = backend.search(SearchRequest(query=query, limit=5, highlight=False))
            console.print(f"\n[bold]search[/] {query!r}: {result.total} hit(s)", markup=True, highlight=False)
            for hit in result.hits:
                a = hit.article
                console.print(
                    f"  [{a.language}] {a.title}  ({a.source_name}; {','.join(a.themes)})", markup=False
                )
    finally:
        backend.close()
