"""Measured relevance and themes: precision, recall and F1 per language, theme F1, main-theme
accuracy and the misses, on labelled items (``tests/data/relevance``: a tuning part and a fixed
held-out part; ``../shared/data/relevance/dev-labels.jsonl``).

Items are labelled by reading (see ``tests/data/relevance/README.md``); the figures worth quoting
are those of the held-out part and of the shared set, which nothing fits or adjusts on.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from processing.cleaning import clean_text, clean_title
from processing.language import detect_language
from whirlpool.report import ProgressCallback, no_progress

LABELLED_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "relevance"
SET_FILES = {"held-out": "heldout.jsonl", "tuning": "tuning.jsonl"}
GOALS = {"precision": 0.95, "recall": 0.90, "theme_macro_f1": 0.80, "main_theme_accuracy": 0.85}


@dataclass(frozen=True)
class LabelledItem:
    id: str
    language: str  # as labelled / declared by the data set
    title: str
    summary: str
    body: str
    relevant: bool
    themes: tuple[str, ...]
    origin: str = ""
    confidence: str = "high"
    group: str = ""  # the event or URL: items of one group stay on one side of any split


@dataclass(frozen=True)
class Decision:
    """What the product decided for one item."""

    relevant: bool
    score: float
    themes: tuple[str, ...]
    language: str
    reasons: tuple[str, ...] = ()


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, predicted: bool) -> None:
        if truth and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def items(self) -> int:
        return self.tp + self.fp + self.fn + self.tn


def round_of(item: LabelledItem) -> str:
    """The labelling round an item came from: real, or w1, w2, ... for the written rounds (the id's
    prefix; the first round's ids have none)."""
    if item.origin != "written":
        return "real"
    prefix = item.id.split("-", 1)[0]
    return prefix if re.fullmatch(r"w\d+", prefix) else "w1"


@dataclass
class Miss:
    id: str
    language: str
    kind: str  # missed | false alarm | wrong main theme
    title: str
    score: float
    expected: str
    got: str
    reasons: tuple[str, ...]


@dataclass
class RelevanceScore:
    name: str
    overall: Counts
    by_language: dict[str, Counts]
    themes: dict[str, Counts]
    main_theme_right: int
    main_theme_total: int
    language_confusions: dict[str, int] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)

    @property
    def theme_macro_f1(self) -> float:
        scored = [c.f1 for c in self.themes.values() if c.tp + c.fn]
        return sum(scored) / len(scored) if scored else 0.0

    @property
    def main_theme_accuracy(self) -> float:
        return self.main_theme_right / self.main_theme_total if self.main_theme_total else 0.0

    def meets(self) -> dict[str, bool]:
        return {
            "precision": self.overall.precision >= GOALS["precision"],
            "recall": self.overall.recall >= GOALS["recall"],
            "theme_macro_f1": self.theme_macro_f1 >= GOALS["theme_macro_f1"],
            "main_theme_accuracy": self.main_theme_accuracy >= GOALS["main_theme_accuracy"],
        }

    def as_dict(self) -> dict:
        def counts(c: Counts) -> dict:
            return {**asdict(c), "precision": c.precision, "recall": c.recall, "f1": c.f1}

        return {
            "set": self.name,
            "overall": counts(self.overall),
            "by_language": {k: counts(v) for k, v in sorted(self.by_language.items())},
            "themes": {k: counts(v) for k, v in sorted(self.themes.items())},
            "theme_macro_f1": self.theme_macro_f1,
            "main_theme_accuracy": self.main_theme_accuracy,
            "main_theme_items": self.main_theme_total,
            "language_confusions": self.language_confusions,
            "goals_met": self.meets(),
            "misses": [asdict(m) for m in self.misses],
        }


def load_labelled(path: Path) -> list[LabelledItem]:
    """Labelled items of one JSON-lines file (our sets or the shared dev set)."""
    items = []
    for number, line in enumerate(Path(path).open(encoding="utf-8"), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        items.append(
            LabelledItem(
                id=row.get("id") or row.get("url") or f"{Path(path).name}:{number}",
                language=row.get("language") or "",
                title=row.get("title") or "",
                summary=row.get("summary") or "",
                body=row.get("body") or "",
                relevant=bool(row["relevant"]),
                themes=tuple(row.get("themes") or ()),
                origin=row.get("origin") or row.get("source") or "",
                confidence=row.get("confidence") or "high",
                group=row.get("group") or row.get("url") or "",
            )
        )
    return items


def labelled_sets(
    shared_data: Path | None, labelled_dir: Path = LABELLED_DIR
) -> dict[str, list[LabelledItem]]:
    """The sets to report: our held-out part, and the shared dev set when ../shared is here."""
    sets = {}
    heldout = labelled_dir / SET_FILES["held-out"]
    if heldout.is_file():
        sets["held-out"] = load_labelled(heldout)
        # the real news items alone (the rest were written where the shared data lacks coverage)
        sets["held-out, real items"] = [item for item in sets["held-out"] if item.origin != "written"]
    if shared_data is not None and (shared_data / "relevance" / "dev-labels.jsonl").is_file():
        sets["shared dev-labels"] = load_labelled(shared_data / "relevance" / "dev-labels.jsonl")
    return sets


def item_texts(item: LabelledItem) -> tuple[str, str, str]:
    """The cleaned title, summary and body, as the process step would store them (feed summaries
    carry HTML entities, sometimes escaped twice)."""
    return (
        clean_title(html.unescape(item.title)),
        clean_text(html.unescape(item.summary), 5000),
        clean_text(item.body, 200_000),
    )


def _language_of_label(item: LabelledItem) -> str:
    return item.language or detect_language(f"{item.title}\n{item.summary}")


def evaluate_relevance(
    name: str,
    items: Iterable[LabelledItem],
    decide: Callable[[LabelledItem], Decision],
    progress: ProgressCallback = no_progress,
) -> RelevanceScore:
    """Score ``decide`` against the labels of ``items``."""
    items = list(items)
    progress(0, len(items), name)
    overall = Counts()
    by_language: dict[str, Counts] = {}
    themes: dict[str, Counts] = {}
    confusions: Counter = Counter()
    right = total = 0
    misses: list[Miss] = []
    for number, item in enumerate(items, 1):
        decision = decide(item)
        language = _language_of_label(item)
        overall.add(item.relevant, decision.relevant)
        by_language.setdefault(language, Counts()).add(item.relevant, decision.relevant)
        if item.language and decision.language != item.language:
            confusions[f"{item.language}→{decision.language}"] += 1
        if item.relevant != decision.relevant:
            misses.append(
                Miss(
                    item.id,
                    language,
                    "missed" if item.relevant else "false alarm",
                    item.title,
                    decision.score,
                    ",".join(item.themes) or "not relevant",
                    ",".join(decision.themes) or "not relevant",
                    decision.reasons,
                )
            )
        if item.relevant:
            # themes are judged on the relevant items (what an analyst filters by)
            predicted = set(decision.themes) if decision.relevant else set()
            for code in set(item.themes) | predicted:
                themes.setdefault(code, Counts()).add(code in item.themes, code in predicted)
            if decision.relevant:
                total += 1
                if decision.themes and decision.themes[0] == item.themes[0]:
                    right += 1
                else:
                    misses.append(
                        Miss(
                            item.id,
                            language,
                            "wrong main theme",
                            item.title,
                            decision.score,
                            ",".join(item.themes),
                            ",".join(decision.themes) or "none",
                            decision.reasons,
                        )
                    )
        progress(number, len(items), name)
    return RelevanceScore(name, overall, by_language, themes, right, total, dict(confusions), misses)


def product_decider(scorer: str = "hand") -> Callable[[LabelledItem], Decision]:
    """Decide as the process step does (same cleaning, language, tags, scorer and themes)."""
    from processing.pipeline import analyse_texts, relevance_model_for
    from whirlpool.settings import ProcessSettings, default_config_dir
    from whirlpool.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(default_config_dir() / "taxonomy.yaml")
    settings = ProcessSettings(relevance_model=scorer)
    model = relevance_model_for(settings)

    def decide(item: LabelledItem) -> Decision:
        title, summary, body = item_texts(item)
        analysis = analyse_texts(taxonomy, settings, title, summary, body, model)
        return Decision(
            analysis.relevant,
            analysis.relevance.score,
            tuple(analysis.themes),
            analysis.language,
            tuple(analysis.relevance.reasons),
        )

    return decide
