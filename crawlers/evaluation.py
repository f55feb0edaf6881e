"""Measured extraction quality: body-text F1 on the Zyte/Scrapinghub article extraction benchmark
(``../shared/data/extraction``), with the benchmark's own measure (4-token shingles)."""

from __future__ import annotations

import gzip
import json
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crawlers.extraction import extract_article
from whirlpool.report import ProgressCallback, no_progress

TRAFILATURA_PUBLISHED_F1 = 0.958  # trafilatura 2.0.0 on this benchmark, from its README
SHINGLE_TOKENS = 4
_TOKEN = re.compile(r"\w+", re.UNICODE)


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
    """The collect stage's extractor."""

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
