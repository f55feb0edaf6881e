"""Measured language accuracy on lingua's test sets, and where the shared evaluation data is.

Evaluations read ``../shared/data`` beside the repository (or ``WHIRLPOOL_SHARED_DATA``); callers
skip with a clear message when it is absent. Extraction F1 is measured in ``crawlers.evaluation``.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from processing.language import detect_language
from whirlpool.report import ProgressCallback, no_progress
from whirlpool.settings import source_checkout

LANGUAGES = ("en", "ru", "uk", "ko", "ja", "zh")
LANGID_KINDS = ("sentences", "word-pairs", "single-words")
SENTENCE_GOALS = {"en": 0.99, "ru": 0.99, "ko": 0.99, "ja": 0.99, "zh": 0.99, "uk": 0.97}


def shared_data_dir() -> Path | None:
    """``WHIRLPOOL_SHARED_DATA``, else ``../shared/data`` beside the repository when running from a
    checkout; None when absent (an installed package has no checkout to look beside)."""
    checkout = source_checkout()
    found = os.environ.get("WHIRLPOOL_SHARED_DATA") or (checkout and checkout / ".." / "shared" / "data")
    path = Path(found) if found else None
    return path.resolve() if path is not None and path.is_dir() else None


# -- language ---------------------------------------------------------------------------------
@dataclass
class LanguageScore:
    kind: str  # sentences | word-pairs | single-words
    language: str
    total: int
    correct: int
    goal: float | None = None
    confusions: dict[str, int] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def meets_goal(self) -> bool | None:
        return None if self.goal is None else self.accuracy >= self.goal


def evaluate_language(
    langid_dir: Path,
    languages: tuple[str, ...] = LANGUAGES,
    kinds: tuple[str, ...] = LANGID_KINDS,
    progress: ProgressCallback = no_progress,
) -> list[LanguageScore]:
    """Accuracy per language and test set (one line of text per item). The ``und`` threshold is
    not applied here: every line is judged, however short."""
    root = Path(langid_dir) / "lingua-testdata"
    files = [(kind, lang, root / kind / f"{lang}.txt") for kind in kinds for lang in languages]
    files = [item for item in files if item[2].exists()]
    scores = []
    for number, (kind, lang, path) in enumerate(files):
        progress(number, len(files), f"detecting {kind}")
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        guesses = Counter(detect_language(line, min_chars=1) for line in lines)
        correct = guesses.pop(lang, 0)
        goal = SENTENCE_GOALS.get(lang) if kind == "sentences" else None
        scores.append(LanguageScore(kind, lang, len(lines), correct, goal, dict(guesses.most_common(3))))
    progress(len(files), len(files), "languages done")
    return scores
