"""``whirlpool eval``: language accuracy and extraction F1 on the shared ground truth."""

from __future__ import annotations

from pathlib import Path

import click

shared_data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The shared data folder (default: ../shared/data beside the repo, or WHIRLPOOL_SHARED_DATA).",
)
json_option = click.option("--json", "as_json_output", is_flag=True, help="Print the figures as JSON.")


@click.group("eval", invoke_without_command=True)
@shared_data_option
@json_option
@click.option("--skip-extraction", is_flag=True, help="Only measure language detection.")
@click.option("--limit", type=int, default=None, help="Extract only the first N benchmark pages.")
@click.option(
    "--sets",
    default="sentences,word-pairs,single-words",
    show_default=True,
    help="Which language test sets to run, comma-separated.",
)
@click.pass_context
def eval_command(
    ctx: click.Context,
    data_dir: Path | None,
    as_json_output: bool,
    skip_extraction: bool,
    limit: int | None,
    sets: str,
) -> None:
    """Measure language accuracy (lingua test sets) and article extraction F1 (Zyte benchmark);
    ``whirlpool eval relevance`` measures relevance and themes on labelled news, ``whirlpool eval
    stories`` the stories across languages."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from crawlers.evaluation import TRAFILATURA_PUBLISHED_F1, evaluate_extraction
    from processing.evaluation import (
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
        click.echo(_as_json(languages, extraction))
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


@eval_command.command("relevance")
@shared_data_option
@json_option
@click.option("--misses/--no-misses", default=True, show_default=True, help="List the items decided wrongly.")
@click.option("--tuning", is_flag=True, help="Also report the tuning part (what the scorer was adjusted on).")
def eval_relevance_command(data_dir: Path | None, as_json_output: bool, misses: bool, tuning: bool) -> None:
    """Relevance precision, recall and F1 (overall and per language), theme F1 per theme and macro,
    main-theme accuracy and the misses, for the hand and the learned scorer, on the held-out part of
    tests/data/relevance and on ../shared/data/relevance/dev-labels.jsonl."""
    import json

    from processing.evaluation import shared_data_dir
    from processing.relevance_evaluation import (
        LABELLED_DIR,
        SET_FILES,
        evaluate_relevance,
        labelled_sets,
        load_labelled,
        product_decider,
    )
    from whirlpool.console import console, stage_progress

    root = data_dir if data_dir is not None else shared_data_dir()
    sets = labelled_sets(Path(root) if root else None)
    if tuning:
        sets["tuning"] = load_labelled(LABELLED_DIR / SET_FILES["tuning"])
    if "shared dev-labels" not in sets:
        click.echo(
            "Note: ../shared/data/relevance/dev-labels.jsonl is absent; only our labelled sets are measured.",
            err=True,
        )
    results = []
    for scorer in ("hand", "learned"):
        decide = product_decider(scorer)
        for name, items in sets.items():
            if as_json_output:  # standard output holds the JSON and nothing else
                results.append((scorer, evaluate_relevance(name, items, decide)))
                continue
            with stage_progress(f"{scorer} · {name}") as progress:
                results.append((scorer, evaluate_relevance(name, items, decide, progress)))
    if as_json_output:
        click.echo(
            json.dumps([{"scorer": s, **r.as_dict()} for s, r in results], ensure_ascii=False, indent=2)
        )
        return
    _print_relevance(results, misses, console)


@eval_command.command("stories")
@json_option
@click.option("--mistakes", is_flag=True, help="List the pairs joined or split wrongly.")
@click.option(
    "--tuning", is_flag=True, help="Also report the tuning part (what the joining was adjusted on)."
)
def eval_stories_command(as_json_output: bool, mistakes: bool, tuning: bool) -> None:
    """Stories across languages: pairwise precision and recall (overall and per language pair) and
    B-cubed F1 of the story ids the process step gives the held-out part of tests/data/stories."""
    import json

    from processing.story_evaluation import evaluate_stories
    from whirlpool.settings import default_config_dir
    from whirlpool.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(default_config_dir() / "taxonomy.yaml")
    results = evaluate_stories(["held-out", "tuning"] if tuning else ["held-out"], taxonomy)
    if as_json_output:
        click.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    from processing.story_evaluation import GOALS
    from whirlpool.console import console

    table = Table(
        title=f"Stories (goals: pairwise and B-cubed F1 ≥ {GOALS['pairwise_f1']}, "
        f"pairwise precision ≥ {GOALS['precision']})"
    )
    for column in (
        "set",
        "items",
        "stories",
        "found",
        "pair P",
        "pair R",
        "pair F1",
        "B³ P",
        "B³ R",
        "B³ F1",
    ):
        table.add_column(column)
    for r in results:
        ok = r.meets()
        table.add_row(
            r.name,
            str(r.items),
            str(r.stories),
            str(r.predicted_stories),
            f"{r.pairs.precision:.3f} " + ("ok" if ok["precision"] else "MISSED"),
            f"{r.pairs.recall:.3f}",
            f"{r.pairs.f1:.3f} " + ("ok" if ok["pairwise_f1"] else "MISSED"),
            f"{r.bcubed_precision:.3f}",
            f"{r.bcubed_recall:.3f}",
            f"{r.bcubed_f1:.3f} " + ("ok" if ok["bcubed_f1"] else "MISSED"),
        )
    console.print(table)
    for r in results:
        pairs = Table(title=f"{r.name}: pairs per language pair")
        for column in ("languages", "same story", "joined right", "joined wrongly", "precision", "recall"):
            pairs.add_column(column)
        for key, c in sorted(r.by_language_pair.items()):
            pairs.add_row(
                key, str(c.tp + c.fn), str(c.tp), str(c.fp), f"{c.precision:.3f}", f"{c.recall:.3f}"
            )
        console.print(pairs)
        if mistakes:
            for m in r.mistakes:
                console.print(f"  {m.kind:<6} {m.first[:70]}  ~  {m.second[:70]}", markup=False)


def _print_relevance(results, show_misses: bool, console) -> None:
    from rich.table import Table

    from processing.relevance_evaluation import GOALS

    def mark(value: float, goal: float) -> str:
        return f"{value:.3f} " + ("ok" if value >= goal else "MISSED")

    table = Table(
        title="Relevance and themes (goals: P ≥ 0.95, R ≥ 0.90, theme macro-F1 ≥ 0.80, main theme ≥ 0.85)"
    )
    for column in (
        "scorer",
        "set",
        "items",
        "relevant",
        "precision",
        "recall",
        "F1",
        "theme macro-F1",
        "main theme",
    ):
        table.add_column(column)
    for scorer, r in results:
        o = r.overall
        table.add_row(
            scorer,
            r.name,
            str(o.items),
            str(o.tp + o.fn),
            mark(o.precision, GOALS["precision"]),
            mark(o.recall, GOALS["recall"]),
            f"{o.f1:.3f}",
            mark(r.theme_macro_f1, GOALS["theme_macro_f1"]),
            mark(r.main_theme_accuracy, GOALS["main_theme_accuracy"]) + f" of {r.main_theme_total}",
        )
    console.print(table)
    for scorer, r in results:
        languages = Table(title=f"{scorer} · {r.name}: per language")
        for column in ("language", "items", "relevant", "precision", "recall", "F1"):
            languages.add_column(column)
        for lang, c in sorted(r.by_language.items()):
            languages.add_row(
                lang, str(c.items), str(c.tp + c.fn), f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}"
            )
        console.print(languages)
        themes = Table(title=f"{scorer} · {r.name}: themes (on the relevant items)")
        for column in ("theme", "labelled", "precision", "recall", "F1"):
            themes.add_column(column)
        for code, c in sorted(r.themes.items()):
            themes.add_row(code, str(c.tp + c.fn), f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}")
        console.print(themes)
        if r.language_confusions:
            console.print(
                "language detected differently from the label: "
                + ", ".join(f"{k} {v}" for k, v in r.language_confusions.items())
            )
        if show_misses and scorer == "hand":
            for miss in r.misses:
                console.print(
                    f"  {miss.kind:<16} {miss.language:<3} {miss.score:.2f}  {miss.title[:80]}  "
                    f"[expected {miss.expected}; got {miss.got}] {'; '.join(miss.reasons)}",
                    markup=False,
                )


def _as_json(languages, extraction) -> str:
    import json
    from dataclasses import asdict

    return json.dumps(
        {
            "languages": [
                dict(asdict(s), accuracy=round(s.accuracy, 4), meets_goal=s.meets_goal)
                for s in languages or []
            ],
            "extraction": asdict(extraction) if extraction else None,
        },
        ensure_ascii=False,
        indent=2,
    )
