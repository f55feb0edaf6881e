"""The ``whirlpool`` command: a thin layer that parses arguments and calls the stage functions.

Commands live in ``whirlpool/commands/`` and are imported only when used, so ``whirlpool --help``
stays fast and a command's heavy imports (Scrapy, tantivy, Elasticsearch) load only for it.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from whirlpool.console import as_program, cli_config_dir, fail, remember_config_dir

# name -> (module, attribute, one-line help shown in `whirlpool --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": (
        "whirlpool.commands.stages",
        "run_command",
        "One full cycle: collect → process → index → alerts.",
    ),
    "collect": ("whirlpool.commands.stages", "collect_command", "Poll the sources and fetch new articles."),
    "process": (
        "whirlpool.commands.stages",
        "process_command",
        "Clean, detect language, de-duplicate, tag, score.",
    ),
    "index": ("whirlpool.commands.index", "index", "Index processed articles; migrate or set up the index."),
    "search": ("whirlpool.commands.search", "search", "Search the index (Lucene/KQL-like query, filters)."),
    "alerts": ("whirlpool.commands.alerts", "alerts", "Evaluate the alert rules and send the emails."),
    "sources": ("whirlpool.commands.sources", "sources", "List every source with its health."),
    "prune": (
        "whirlpool.commands.prune",
        "prune",
        "Remove stage files, index documents and duplicate state past retention.",
    ),
    "eval": (
        "whirlpool.commands.evaluate",
        "eval_command",
        "Measure language and extraction accuracy on ../shared.",
    ),
    "demo": (
        "whirlpool.commands.demo",
        "demo_command",
        "Serve the built-in sample site and run a full cycle on it.",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attribute, _ = COMMANDS[name]
        command = getattr(importlib.import_module(module_name), attribute)
        command.name = name
        return command

    def invoke(self, ctx: click.Context):
        """In every command, an index backend chosen without its settings is one line naming them."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # only a command that imported the index backends can raise it: the others (process)
            # do not import them just to name the exception (~20 ms of every start)
            backend = sys.modules.get("indexing.backend")
            if backend is not None and isinstance(exc, backend.BackendNotConfigured):
                fail(str(exc))
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from whirlpool.settings import config_dir

        formatter.write_paragraph()
        # not wrapped: the path stays whole, to copy
        formatter.write(f"Config in use: {config_dir(cli_config_dir()).describe()}\n")
        super().format_epilog(ctx, formatter)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="whirlpool")
@click.option(
    "--config-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    is_eager=True,  # before --help, which shows the folder in use
    expose_value=False,
    callback=remember_config_dir,
    help="Folder with settings.yaml, sources.yaml, taxonomy.yaml, alerts.yaml, for every command.",
)
def main() -> None:
    """Whirlpool: monitor news coverage of Russia–DPRK cooperation.

    The config folder (settings.yaml, sources.yaml, taxonomy.yaml, alerts.yaml) is the first of:
    --config-dir, WHIRLPOOL_CONFIG_DIR, ./config in the current folder, the packaged defaults.
    Data goes to ./data unless WHIRLPOOL_DATA_DIR or settings.yaml say otherwise; WHIRLPOOL_ES_URL
    switches the index to Elasticsearch.
    """


def run() -> None:
    """The `whirlpool` program (its console script): ``main``, in an interpreter of its own, so a
    command may end it without the interpreter's teardown (``whirlpool.console.leave``)."""
    as_program()
    main()


if __name__ == "__main__":
    run()
