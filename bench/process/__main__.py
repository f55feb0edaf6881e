"""Process benchmark: documents per second on one core for the whole step, and peak memory.

``python -m bench.process [--docs N] [--no-parts] [--command]``. Pinned to one core, it runs the whole step
(clean + language + duplicates + tags + relevance + stories) over N documents of realistic length and
prints: documents per second of wall time and per second of the process's own CPU time (the
figure that does not depend on what else the machine runs), the load average around the run,
resident memory at each quarter of the run and its peak (it must not grow beyond the cluster
state), then the same work stage by stage as the step runs it (each stage over a batch, then the
next; one timer per stage per batch), to show where the time goes, and
language accuracy on the labelled documents. Outputs are counted as they stream, not kept.

Measured on this 2-core machine, 20,000 documents (mean 1,292 characters), back to back with
the same harness at load average ≈ 1.0 (this benchmark alone on its core): before the speed work
(commit a7fc266) 776 docs/s wall, 784 per CPU-second, peak 324 MB; after it 1,521 docs/s wall,
1,550 per CPU-second, peak 294 MB. With Kiwi, the learned scorer and stories in (2026-12-02, fifth
pass: each stage over a batch of 100, then the next; quiet machine): 800–866 per CPU-second
in-process and 616–742 for the command, peak ~630 / ~660 MB (the start of that pass: 598–642 and
523–550). The CPU figure moves too (±10 %) with what shares the core: compare runs made in
turn, and read wall ÷ CPU beside it. Details and the per-part figures: docs/processing.md.
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
from processing.evaluation import shared_data_dir
from processing.language import load_profiles
from processing.pipeline import COMMIT_EVERY, STAGE_BATCH, Processor, Work, batched, fewer_collections
from whirlpool.korean import load_analyser
from whirlpool.report import StageReport
from whirlpool.settings import Settings, config_dir

GOAL_DOCS_PER_SECOND = 1000
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE_MB


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--no-parts", action="store_true", help="skip the per-part timing pass")
    parser.add_argument(
        "--command",
        action="store_true",
        help="also time the real `whirlpool process` command over the corpus written as gzip raw batches",
    )
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
        f"mean length {chars / len(docs):,.0f} characters; languages {dict(Counter(d.language_hint for d in docs))}",
        flush=True,
    )

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), config_dir=config_dir().path)
        processor = Processor.from_settings(settings)
        load_profiles(settings.process.language_seed)  # a one-off 60 MB, outside the measurement
        load_analyser()  # Kiwi's model, once per process as the process step does, outside it too
        report = StageReport("process")
        rss_start = rss_mb()
        quarter = max(len(docs) // 4, 1)
        checkpoints: list[float] = []
        by_lang: dict[str, list[int]] = {}
        seen: set[str] = set()
        load_before = load()
        wall, cpu = time.perf_counter(), time.process_time()
        for number, article in enumerate(processor.process(docs, report), 1):
            if article.language_hint and article.id not in seen:
                seen.add(article.id)
                stats = by_lang.setdefault(article.language_hint, [0, 0])
                stats[0] += 1
                stats[1] += article.language == article.language_hint
            if number % quarter == 0:
                checkpoints.append(rss_mb())
        processor.close()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        load_after, peak = load(), peak_rss_mb()

    rate, cpu_rate = len(docs) / wall, len(docs) / cpu
    verdict = "met" if cpu_rate >= GOAL_DOCS_PER_SECOND else "MISSED"
    print(
        f"\nwhole step: {len(docs):,} documents in {wall:.1f} s wall = {rate:,.0f} docs/s; "
        f"{cpu:.1f} s CPU = {cpu_rate:,.0f} docs per CPU-second on one core "
        f"(goal ≥ {GOAL_DOCS_PER_SECOND:,}: {verdict})"
    )
    print(f"load average (1/5/15 min) before {load_before}, after {load_after} on {os.cpu_count()} cores")
    print(
        f"memory: {rss_start:,.0f} MB with the corpus loaded; at each quarter "
        f"{', '.join(f'{m:,.0f}' for m in checkpoints)} MB; peak {peak:,.0f} MB"
    )
    counts = report.counts
    print(
        f"clusters: new {counts['new_clusters']:,}, joined {counts['joined_clusters']:,}; "
        f"relevant {counts['relevant']:,}; errors {len(report.errors)}"
    )
    print("language accuracy on the labelled documents:")
    for lang, (total, correct) in sorted(by_lang.items()):
        print(f"  {lang}: {correct / total:.2%} of {total:,}")
    if not args.no_parts:
        print_parts(docs, settings, cpu)
    if args.command:
        print_command(docs)


def print_command(docs, batch_size: int = 1000) -> None:
    """The real command: the corpus as gzip raw batches of ``batch_size``, ``whirlpool process`` in a
    child process on one core (reads, processes, writes processed batches, marks them consumed); its
    CPU time from the kernel, start-up (imports, taxonomy, Kiwi, langdetect profiles) included."""
    import subprocess
    import sys

    from whirlpool.stagestore import StageStore

    with tempfile.TemporaryDirectory() as tmp:
        store = StageStore(Path(tmp))
        for start in range(0, len(docs), batch_size):
            store.write_batch("raw", docs[start : start + batch_size])
        env = {**os.environ, "WHIRLPOOL_DATA_DIR": tmp, "WHIRLPOOL_CONFIG_DIR": str(config_dir().path)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "whirlpool.cli", "process"], env=env, capture_output=True, text=True
        )
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        peak = after.ru_maxrss / 1024
        written = sum(1 for _ in store.batches("processed"))
    if done.returncode != 0:
        print(f"\nwhirlpool process failed (exit {done.returncode}): {done.stderr.strip()[-400:]}")
        return
    print(
        f"\nthe command (whirlpool process, {len(docs):,} documents in {len(docs) // batch_size} gzip batches "
        f"→ {written} processed batches): {wall:.1f} s wall, {cpu:.1f} s CPU = {len(docs) / cpu:,.0f} docs "
        f"per CPU-second, start-up included; peak {peak:,.0f} MB"
    )


def print_parts(docs, settings: Settings, whole_cpu: float) -> None:
    """The step's work again, stage by stage as the step runs it (each stage over a batch of
    STAGE_BATCH documents, then the next), one timer around each stage of each batch (CPU time)."""
    names = ("clean", "language", "tags", "relevance+themes", "article", "duplicates", "stories")
    parts = dict.fromkeys(names, 0.0)
    clock = time.process_time
    report = StageReport("process")
    with tempfile.TemporaryDirectory() as tmp:
        processor = Processor.from_settings(settings.model_copy(update={"data_dir": Path(tmp)}))
        stages = processor.stages()
        assert len(stages) == len(names)
        with fewer_collections():
            done = 0
            for batch in batched(docs, STAGE_BATCH):
                work = [Work(doc) for doc in batch]
                for name, stage in zip(names, stages, strict=True):
                    start = clock()
                    processor.prepare(stage, work)
                    for item in work:
                        stage(item, report)
                    parts[name] += clock() - start
                done += len(batch)
                if done % COMMIT_EVERY == 0:
                    start = clock()
                    processor.duplicates.commit()
                    parts["duplicates"] += clock() - start
                    start = clock()
                    processor.stories.commit()
                    parts["stories"] += clock() - start
        processor.close()
    print(f"where the time goes (CPU, stage by stage over batches of {STAGE_BATCH}, as the step runs):")
    for name, seconds in parts.items():
        print(f"  {name:<16} {seconds:6.2f} s  {seconds / len(docs) * 1e6:6.0f} µs/doc")
    total = sum(parts.values())
    print(
        f"  stages together {total:.2f} s, the whole step {whole_cpu:.2f} s (article = canonical URL, "
        "content hash, evidence and the processed copy; duplicates and stories include their commits)"
    )


if __name__ == "__main__":
    main()
