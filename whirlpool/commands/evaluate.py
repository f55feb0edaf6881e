"""``whirlpool eval``: language accuracy and extraction F1 on the shared ground truth."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("eval")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The shared data folder (default: ../shared/data beside the repo, or WHIRLPOOL_SHARED_DATA).",
)
@click.option("--json", "as_json_output", is_flag=True, help="Print the figures as JSON.")
@click.option("--skip-extraction", is_flag=True, help="Only measure language detection.")
@click.option("--limit", type=int, default=None, help="Extract only the first N benchmark pages.")
@click.option(
    "--sets",
    default="sentences,word-pairs,single-words",
    show_default=True,
    help="Which language test sets to run, comma-separated.",
)
def eval_command(
    data_dir: Path | None, as_json_output: bool, skip_extraction: bool, limit: int | None, sets: str
) -> None:
    """Measure language accuracy (lingua test sets) and article extraction F1 (Zyte benchmark)."""
    from rich.table import Table

    from processing.evaluation import (
        TRAFILATURA_PUBLISHED_F1,
        as_json,
        evaluate_extraction,
        evaluate_language,
        shared_data_dir,
    )
    from whirlpool.console import console, stage_progress

    root = data_dir if data_dir is not None else shared_data_dir()
    if root is None or not Path(root).is_dir():
        console.print(
            "Skipped: the shared evaluation data (../shared/data beside the repository) is absent. "
            "Set WHIRLPOOL_SHARED_DATA or pass --data to point at it."
        )
        return
    root = Path(root)
    languages = extraction = None
    if (root / "langid").is_dir():
        with stage_progress("Language") as progress:
            kinds = tuple(kind.strip() for kind in sets.split(",") if kind.strip())
            languages = evaluate_language(root / "langid", kinds=kinds, progress=progress)
    else:
        console.print(f"Skipped language accuracy: {root / 'langid'} is absent.")
    if not skip_extraction:
        if (root / "extraction" / "scrapinghub-aeb").is_dir():
            with stage_progress("Extraction") as progress:
                extraction = evaluate_extraction(root / "extraction", progress=progress, limit=limit)
        else:
            console.print(f"Skipped extraction F1: {root / 'extraction' / 'scrapinghub-aeb'} is absent.")
    if as_json_output:
        click.echo(as_json(languages, extraction))
        return
    if languages:
        table = Table(title="Language accuracy (lingua test data; every line judged, no 'und' threshold)")
        for column in ("set", "language", "items", "accuracy", "goal", "most confused with"):
            table.add_column(column)
        for score in languages:
            goal = (
                ""
                if score.goal is None
                else f"≥ {score.goal:.0%} " + ("ok" if score.meets_goal else "MISSED")
            )
            confused = ", ".join(f"{k} {v}" for k, v in score.confusions.items())
            table.add_row(
                score.kind, score.language, str(score.total), f"{score.accuracy:.2%}", goal, confused
            )
        console.print(table)
    if extraction:
        table = Table(title="Article body extraction (Zyte article-extraction-benchmark, 4-token shingle F1)")
        for column in ("extractor", "pages", "failed", "precision", "recall", "F1"):
            table.add_column(column)
        table.add_row(
            extraction.extractor,
            str(extraction.pages),
            str(extraction.failed),
            f"{extraction.precision:.3f}",
            f"{extraction.recall:.3f}",
            f"{extraction.f1:.3f}",
        )
        if extraction.reference_f1 is not None:
            table.add_row(
                "benchmark's stored trafilatura output",
                str(extraction.pages),
                "",
                "",
                "",
                f"{extraction.reference_f1:.3f}",
            )
        table.add_row("trafilatura 2.0.0, published", "181", "", "", "", f"{TRAFILATURA_PUBLISHED_F1:.3f}")
        console.print(table)
