"""Process benchmark: documents per second on one core for the whole step, and peak memory.

``python -m bench.process [--docs N]``. Prints docs/s, the time of each part measured alone on
the same documents, peak RSS, language accuracy on the labelled documents, and cluster counts.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.process.corpus import build_corpus
from processing.cleaning import clean_text, clean_title
from processing.evaluation import shared_data_dir
from processing.language import detect_language
from processing.pipeline import Processor
from processing.relevance import score_relevance
from processing.tagging import tag_fields
from whirlpool.report import StageReport
from whirlpool.settings import REPO_ROOT, Settings

GOAL_DOCS_PER_SECOND = 1000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=20_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    shared = shared_data_dir()
    print(
        f"corpus: {args.docs:,} documents from {shared / 'articles' if shared else 'generated text'}",
        flush=True,
    )
    docs = build_corpus(args.docs, shared)
    chars = sum(len(d.title) + len(d.body) for d in docs)
    print(
        f"mean length {chars / len(docs):,.0f} characters; languages {dict(Counter(d.language_hint for d in docs))}"
    )
    rss_before = peak_rss_mb()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), config_dir=REPO_ROOT / "config")
        processor = Processor.from_settings(settings)
        detect_language("Warm up: langdetect loads its language profiles on first use.")
        report = StageReport("process")
        started = time.perf_counter()
        out = list(processor.process(docs, report))
        elapsed = time.perf_counter() - started
        processor.close()

        # The parts alone, on the same documents, to show where the time goes.
        parts = {}
        t = time.perf_counter()
        cleaned = [(clean_title(d.title), clean_text(d.body, settings.process.max_body_chars)) for d in docs]
        parts["clean"] = time.perf_counter() - t
        t = time.perf_counter()
        for title, body in cleaned:
            detect_language(f"{title}\n{body[:2000]}")
        parts["language"] = time.perf_counter() - t
        t = time.perf_counter()
        tags = [tag_fields(processor.taxonomy, {"title": ti, "body": b}) for ti, b in cleaned]
        parts["tags"] = time.perf_counter() - t
        t = time.perf_counter()
        for (title, body), tag in zip(cleaned, tags, strict=True):
            score_relevance({"title": title, "body": body}, tag.strong())
        parts["relevance"] = time.perf_counter() - t

    processed = [a for a in out if a.processed_at is not None and a.language_hint]
    by_lang: dict[str, list[int]] = {}
    seen = set()
    for article in processed:
        if article.id in seen:
            continue
        seen.add(article.id)
        stats = by_lang.setdefault(article.language_hint, [0, 0])
        stats[0] += 1
        stats[1] += article.language == article.language_hint
    rate = len(docs) / elapsed
    print(
        f"\nwhole step: {len(docs):,} documents in {elapsed:.1f} s = {rate:,.0f} docs/s on one core "
        f"(goal ≥ {GOAL_DOCS_PER_SECOND:,}: {'met' if rate >= GOAL_DOCS_PER_SECOND else 'MISSED'})"
    )
    for name, seconds in parts.items():
        print(f"  {name:<10} alone {seconds:6.2f} s  ({len(docs) / seconds:,.0f} docs/s)")
    print(f"  duplicates (whole step minus the parts) ≈ {max(elapsed - sum(parts.values()), 0):.2f} s")
    print(f"peak memory: {peak_rss_mb():,.0f} MB (corpus loaded: {rss_before:,.0f} MB)")
    counts = report.counts
    print(
        f"clusters: new {counts['new_clusters']:,}, joined {counts['joined_clusters']:,}; "
        f"relevant {counts['relevant']:,}; errors {len(report.errors)}"
    )
    print("language accuracy on the labelled documents:")
    for lang, (total, correct) in sorted(by_lang.items()):
        print(f"  {lang}: {correct / total:.2%} of {total:,}")


if __name__ == "__main__":
    main()
