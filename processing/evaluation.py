"""Measured quality: language accuracy on lingua's test sets and article-extraction F1 on the
Zyte/Scrapinghub article extraction benchmark, with the benchmark's own measure.

Both read ``../shared/data`` beside the repository (or ``WHIRLPOOL_SHARED_DATA``); callers skip
with a clear message when it is absent.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from processing.language import detect_language
from whirlpool.report import ProgressCallback, no_progress
from whirlpool.settings import source_checkout

LANGUAGES = ("en", "ru", "uk", "ko", "ja", "zh")
LANGID_KINDS = ("sentences", "word-pairs", "single-words")
SENTENCE_GOALS = {"en": 0.99, "ru": 0.99, "ko": 0.99, "ja": 0.99, "zh": 0.99, "uk": 0.97}
TRAFILATURA_PUBLISHED_F1 = 0.958  # trafilatura 2.0.0 on this benchmark, from its README
SHINGLE_TOKENS = 4
_TOKEN = re.compile(r"\w+", re.UNICODE)


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


# -- extraction -------------------------------------------------------------------------------
def _shingles(text: str) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(
        tuple(tokens[i : i + SHINGLE_TOKENS]) for i in range(max(1, len(tokens) - SHINGLE_TOKENS + 1))
    )


def shingle_counts(true: str, pred: str) -> tuple[float, float, float]:
    """(tp, fp, fn) over 4-token shingles, normalised to sum 1 so long pages weigh no more."""
    true_shingles, pred_shingles = _shingles(true), _shingles(pred)
    true_shingles.pop((), None)
    pred_shingles.pop((), None)
    tp = sum((true_shingles & pred_shingles).values())
    fp = sum((pred_shingles - true_shingles).values())
    fn = sum((true_shingles - pred_shingles).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def precision_recall_f1(counts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Mean precision and mean recall over pages, and the F1 of those means (the benchmark's way)."""

    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))

    p = statistics.mean([precision(*c) for c in counts if c[0] + c[1] > 0] or [0.0])
    r = statistics.mean([recall(*c) for c in counts if c[0] + c[2] > 0] or [0.0])
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@dataclass
class ExtractionScore:
    extractor: str
    pages: int
    failed: int
    precision: float
    recall: float
    f1: float
    reference_f1: float | None  # the benchmark's stored trafilatura output, scored here the same way
    published_f1: float = TRAFILATURA_PUBLISHED_F1


def default_extractor() -> tuple[str, Callable[[bytes, str], str]]:
    """The collect stage's extractor when it exists, else trafilatura directly."""
    try:
        from crawlers.extraction import extract_article
    except ImportError:
        import trafilatura

        def extract(body: bytes, url: str) -> str:
            return trafilatura.extract(body.decode("utf-8", errors="replace"), url=url) or ""

        return "trafilatura.extract", extract

    def extract_collect(body: bytes, url: str) -> str:
        return extract_article(body, url).text or ""

    return "crawlers.extraction.extract_article", extract_collect


def evaluate_extraction(
    extraction_dir: Path,
    extractor: tuple[str, Callable[[bytes, str], str]] | None = None,
    progress: ProgressCallback = no_progress,
    limit: int | None = None,
) -> ExtractionScore:
    """Token-shingle F1 of extracted body text against the benchmark's ground truth."""
    root = Path(extraction_dir) / "scrapinghub-aeb"
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    name, extract = extractor or default_extractor()
    keys = sorted(truth)[:limit] if limit else sorted(truth)
    counts, failed = [], 0
    for number, key in enumerate(keys):
        progress(number, len(keys), "extracting pages")
        try:
            html = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
            text = extract(html, truth[key].get("url", ""))
        except Exception:  # a page the extractor cannot handle scores as empty output
            failed += 1
            text = ""
        counts.append(shingle_counts(truth[key].get("articleBody", ""), text))
    precision, recall, f1 = precision_recall_f1(counts)
    reference = None
    reference_path = root / "output" / "trafilatura.json"
    if reference_path.exists():
        stored = json.loads(reference_path.read_text(encoding="utf-8"))
        stored = stored.get("output", stored)  # the file wraps the predictions in {"output": ...}
        ref_counts = [
            shingle_counts(truth[k].get("articleBody", ""), stored.get(k, {}).get("articleBody", ""))
            for k in keys
        ]
        reference = precision_recall_f1(ref_counts)[2]
    progress(len(keys), len(keys), "extraction done")
    return ExtractionScore(name, len(keys), failed, precision, recall, f1, reference)


def as_json(languages: list[LanguageScore] | None, extraction: ExtractionScore | None) -> str:
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
