"""Retention benchmark: bytes per document of the embedded index, the duplicate state and the stage
files, after the real pipeline (``run_process`` then ``run_index``) over N documents of realistic
text, then what ``run_prune`` leaves with the default retention windows.

``python -m bench.retention [--docs N] [--batch B] [--per-day D]``. Documents are the process
benchmark's (``bench.process.corpus``: real news text from ``../shared/data`` when present, else
generated, 5 % syndicated copies), streamed into raw batches of B documents named by their date,
D documents a day, ending now. The same harness runs on an older checkout (its library on
PYTHONPATH, this package copied in): prune is skipped where the code has none.
"""

from __future__ import annotations

import argparse
import collections
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.process.corpus import _article, generated_units, load_units
from processing.evaluation import shared_data_dir
from whirlpool.article import Article
from whirlpool.settings import Settings, config_dir
from whirlpool.stagestore import RAW, StageStore, new_batch_name


def documents(count: int, end: datetime, per_day: int, seed: int = 7) -> Iterator[Article]:
    """``bench.process.corpus.build_corpus``'s documents, streamed (no list of N in memory), dated
    ``per_day`` a day up to ``end``."""
    rng = random.Random(seed)
    shared = shared_data_dir()
    units = load_units(shared) if shared else {}
    if len(units) < 3:
        units = generated_units()
    languages = sorted(units)
    step = timedelta(days=1) / per_day
    start = end - step * count
    recent: collections.deque[Article] = collections.deque(maxlen=500)
    for number in range(count):
        published = start + step * number
        if recent and rng.random() < 0.05:
            original = recent[rng.randrange(len(recent))]
            body = "(Syndicated) " + original.body + "\nRepublished with permission."
            url = f"https://copy{number % 7}.example/news/{number}"
            doc = _article(url, original.title, body, original.language_hint, published, 0)
        else:
            lang = languages[number % len(languages)] if number % 3 == 0 else rng.choice(languages)
            pool = units[lang]
            first = rng.randrange(len(pool))
            parts = [pool[first][1]] + [
                pool[rng.randrange(len(pool))][1] for _ in range(rng.randint(4, 10) - 1)
            ]
            url = f"https://{lang}.example/news/{number}"
            doc = _article(url, pool[first][0], "\n\n".join(parts), lang, published, 0)
        doc.fetched_at = published + timedelta(minutes=3)
        recent.append(doc)
        yield doc


def folder_bytes(path: Path, pattern: str = "*") -> int:
    return sum(p.stat().st_size for p in path.rglob(pattern) if p.is_file()) if path.exists() else 0


def sizes(data: Path) -> dict[str, int]:
    stages = data / "stages"
    return {
        "index (embedded)": folder_bytes(data / "index"),
        "duplicate state": folder_bytes(data / "state", "duplicates.sqlite3*"),
        "stage files (raw)": folder_bytes(stages / "raw", "*.jsonl.gz"),
        "stage files (processed)": folder_bytes(stages / "processed", "*.jsonl.gz"),
    }


def print_sizes(title: str, measured: dict[str, int], docs: dict[str, int]) -> None:
    print(f"\n{title}")
    print(f"  {'store':<26}{'documents':>11}{'MB':>10}{'bytes/doc':>11}")
    for name, size in measured.items():
        count = docs[name]
        per_doc = f"{size / count:,.0f}" if count else "-"
        print(f"  {name:<26}{count:>11,}{size / 1e6:>10,.1f}{per_doc:>11}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--per-day", type=int, default=2000, help="documents a day (sets the date span)")
    parser.add_argument(
        "--state-only", action="store_true",
        help="only the duplicate state: the documents straight into DuplicateIndex (no process or index)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.state_only:
        return state_only(args)

    from whirlpool import pipeline

    end = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        settings = Settings(data_dir=data, config_dir=config_dir().path)
        store = StageStore(data)
        clock = time.perf_counter()
        stream = documents(args.docs, end, args.per_day)
        written = 0
        while written < args.docs:
            batch = [doc for _, doc in zip(range(args.batch), stream, strict=False)]
            store.write_batch(RAW, batch, batch_name=new_batch_name(batch[0].published_at))
            written += len(batch)
        print(
            f"{args.docs:,} documents, {args.per_day:,} a day over {args.docs / args.per_day:.0f} days, "
            f"in {len(store.batches(RAW))} raw batches ({time.perf_counter() - clock:.0f} s)",
            flush=True,
        )
        clock = time.perf_counter()
        processed = pipeline.run_process(settings)
        print(
            f"run_process: {processed.counts['articles']:,} articles, {processed.counts['new_clusters']:,} "
            f"clusters ({time.perf_counter() - clock:.0f} s)",
            flush=True,
        )
        clock = time.perf_counter()
        indexed = pipeline.run_index(settings)
        in_index = indexed.counts["documents_in_index"]
        print(
            f"run_index: {indexed.counts['indexed']:,} indexed ({time.perf_counter() - clock:.0f} s)",
            flush=True,
        )
        members = _members(data)
        every = {
            "index (embedded)": in_index, "duplicate state": members,
            "stage files (raw)": args.docs, "stage files (processed)": args.docs,
        }  # fmt: skip
        print_sizes("after the pipeline, everything kept:", sizes(data), every)
        try:
            from whirlpool.retention import run_prune
        except ImportError:
            print("\nno retention in this code (whirlpool.retention is missing): prune skipped")
            return
        r = settings.retention
        clock = time.perf_counter()
        report = run_prune(settings, now=end)
        print(
            f"\nrun_prune (stage_days {r.stage_days}, index_days {r.index_days}, duplicate_days "
            f"{r.duplicate_days}; {time.perf_counter() - clock:.0f} s): {report.notes[-1]}"
        )
        from indexing import open_backend

        backend = open_backend(settings)
        kept_index = backend.count()
        backend.close()
        kept_stage = sum(1 for path in store.batches(RAW) for _ in store.read_batch(path))
        kept = {
            "index (embedded)": kept_index, "duplicate state": _members(data),
            "stage files (raw)": kept_stage, "stage files (processed)": kept_stage,
        }  # fmt: skip
        print_sizes("after prune, bytes per document kept:", sizes(data), kept)


def state_only(args: argparse.Namespace) -> None:
    """The duplicate state alone, fed as the process step feeds it (language, content hash), committed
    every 500 documents; its size, then (where the code has it) after ``prune_state``."""
    from processing.cleaning import content_hash
    from processing.duplicates import DuplicateIndex

    end = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "duplicates.sqlite3"
        index = DuplicateIndex(path)
        clock = time.process_time()
        for number, doc in enumerate(documents(args.docs, end, args.per_day), 1):
            doc.language, doc.content_hash = doc.language_hint, content_hash(doc.title, doc.body)
            index.assign(doc, doc.body)
            if number % 500 == 0:
                index.commit()
        index.close()
        seconds = time.process_time() - clock
        size = path.stat().st_size
        print(
            f"duplicate state, {args.docs:,} documents ({seconds:.0f} CPU-s): {size / 1e6:,.1f} MB, "
            f"{size / args.docs:,.0f} bytes per document"
        )
        try:
            from processing.duplicates import prune_state
        except ImportError:
            print("no prune_state in this code: prune skipped")
            return
        days = Settings().retention.duplicate_days
        pruned = prune_state(path, end, days)
        kept = _members(Path(tmp), path)
        print(
            f"after prune_state (duplicate_days {days}): {pruned.members:,} members dropped, {kept:,} kept, "
            f"{pruned.bytes_after / 1e6:,.1f} MB, {pruned.bytes_after / kept:,.0f} bytes per document kept"
        )


def _members(data: Path, path: Path | None = None) -> int:
    import sqlite3

    db = sqlite3.connect(path or data / "state" / "duplicates.sqlite3")
    try:
        return db.execute("SELECT count(*) FROM members").fetchone()[0]
    finally:
        db.close()


if __name__ == "__main__":
    main()
