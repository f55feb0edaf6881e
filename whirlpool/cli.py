"""The ``whirlpool`` command: a thin layer that parses arguments and calls the stage functions.

Commands live in ``whirlpool/commands/`` and are imported only when used, so ``whirlpool --help``
stays fast and a command's heavy imports (Scrapy, tantivy, Elasticsearch) load only for it.
"""

from __future__ import annotations

import importlib

import click

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

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="whirlpool")
def main() -> None:
    """Whirlpool: monitor news coverage of Russia–DPRK cooperation.

    Configuration is read from config/ (settings.yaml, sources.yaml, taxonomy.yaml, alerts.yaml);
    WHIRLPOOL_DATA_DIR and WHIRLPOOL_ES_URL override the data folder and the index.
    """


if __name__ == "__main__":
    main()
