"""Trend-count benchmark at scale: a 7-day trend count (daily buckets by theme) and the same over the
whole 90 days, counted in the engine (today's ``bucket_counts``) and on the client (the code before,
``bench/index/client_counts.py``), in the same run over the same index; both must give the same
counts. ``python -m bench.index.trend [--docs 1000000] [--noida-docs 200000] [--index-dir DIR]``.

The indices are built once into ``--index-dir`` and reused by later runs (building 1,000,000
documents takes a long while on a small machine; the build time is printed when it happens)."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from itertools import islice
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.index.client_counts import client_side_bucket_counts
from bench.index.corpus import DAYS, START, synthetic_articles
from indexing.backend import BucketCount, IndexBackend
from indexing.devserver import DevServerUnavailable, local_elasticsearch

console = Console()
BUILD_BATCH = 20_000
WINDOWS = {
    "7 days x themes": ("themes", timedelta(days=1), START + timedelta(days=60), START + timedelta(days=67)),
    f"{DAYS} days x themes": ("themes", timedelta(days=1), START, START + timedelta(days=DAYS + 1)),
}


def build(backend: IndexBackend, docs: int, label: str) -> float:
    """Index ``docs`` synthetic articles; the seconds it took."""
    articles = synthetic_articles(docs)
    started = time.perf_counter()
    done = 0
    while batch := list(islice(articles, BUILD_BATCH)):
        done += backend.upsert(batch).indexed
        elapsed = time.perf_counter() - started
        console.print(
            f"{label}: {done:,} / {docs:,} indexed, {elapsed:,.0f} s ({done / elapsed:,.0f} docs/s)"
        )
    return time.perf_counter() - started


def embedded_index(index_dir: Path, docs: int) -> tuple[IndexBackend, float | None]:
    from indexing.embedded import EmbeddedBackend

    directory = index_dir / f"embedded-{docs}"
    backend = EmbeddedBackend(directory, heap_bytes=400_000_000)
    if directory.exists() and backend.count() == docs:
        console.print(f"embedded: reusing {docs:,} documents in {directory}")
        return backend, None
    backend.close()
    shutil.rmtree(directory, ignore_errors=True)
    backend = EmbeddedBackend(directory, heap_bytes=400_000_000)
    backend.ensure_ready()
    return backend, build(backend, docs, "embedded")


def noida_index(
    index_dir: Path, docs: int, servers: contextlib.ExitStack
) -> tuple[IndexBackend, float | None]:
    from elasticsearch import Elasticsearch

    from indexing.elasticsearch_backend import ElasticsearchBackend

    url = servers.enter_context(local_elasticsearch(index_dir / f"noida-{docs}"))
    backend = ElasticsearchBackend(
        Elasticsearch(url, request_timeout=3600), "bench-trend", index_dir / "deadletter", 2000
    )
    backend.ensure_ready()
    if backend.count() == docs:
        console.print(f"noida-db: reusing {docs:,} documents in {index_dir / f'noida-{docs}'}")
        return backend, None
    if backend.count():
        raise SystemExit(f"noida-db index in {index_dir} holds {backend.count():,} documents; remove it")
    return backend, build(backend, docs, "noida-db")


def timed(run: Callable[[], dict[str, list[BucketCount]]], repeats: int) -> tuple[float, dict]:
    """Median seconds over ``repeats`` runs (after one warm-up run), and the last answer."""
    answer = run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        answer = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), answer


def measure(
    backend: IndexBackend, label: str, repeats: int, old_repeats: int, windows: list[str]
) -> dict[str, tuple]:
    figures = {}
    for name in windows:
        dimension, interval, start, end = WINDOWS[name]
        window = (dimension, interval, start, end)
        engine, counted = timed(partial(backend.bucket_counts, *window), repeats)
        client, before = timed(partial(client_side_bucket_counts, backend, *window), old_repeats)
        if counted != before:
            raise SystemExit(f"{label}: {name}: engine and client counts differ")
        clusters = sum(b.count for buckets in counted.values() for b in buckets)
        figures[name] = (engine, client, clusters)
        console.print(
            f"{label}: {name}: engine {engine * 1000:,.1f} ms ({repeats} runs), client {client * 1000:,.1f} ms "
            f"({old_repeats} runs), same counts ({clusters:,} theme counts)"
        )
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.index.trend", description=__doc__)
    parser.add_argument("--docs", type=int, default=1_000_000, help="documents in the embedded index")
    parser.add_argument("--noida-docs", type=int, default=200_000, help="documents in noida-db")
    parser.add_argument("--index-dir", type=Path, default=Path("/tmp/whirlpool-bench-trend"))
    parser.add_argument("--repeats", type=int, default=5, help="runs of the engine count")
    parser.add_argument("--old-repeats", type=int, default=1, help="runs of the client-side count")
    parser.add_argument("--backend", action="append", choices=["embedded", "elasticsearch"])
    parser.add_argument("--window", action="append", choices=list(WINDOWS), help="default: all")
    parser.add_argument("--build-only", action="store_true", help="build (or check) the indices and stop")
    args = parser.parse_args(argv)
    which = args.backend or ["embedded", "elasticsearch"]
    args.index_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, tuple[int, float | None, dict]] = {}
    with contextlib.ExitStack() as servers:
        opened: dict[str, tuple[IndexBackend, int, float | None]] = {}
        if "embedded" in which:
            backend, built = embedded_index(args.index_dir, args.docs)
            opened["embedded"] = (backend, args.docs, built)
        if "elasticsearch" in which:
            try:
                backend, built = noida_index(args.index_dir, args.noida_docs, servers)
                opened["elasticsearch (noida-db)"] = (backend, args.noida_docs, built)
            except DevServerUnavailable as exc:
                console.print(f"elasticsearch: skipped ({exc})")
        for label, (backend, docs, built) in opened.items():
            if built is not None:
                console.print(
                    f"{label}: built {docs:,} documents in {built:,.0f} s ({docs / built:,.0f} docs/s)"
                )
            if not args.build_only:
                rows[label] = (
                    docs,
                    built,
                    measure(backend, label, args.repeats, args.old_repeats, args.window or list(WINDOWS)),
                )
            backend.close()
    if not rows:
        return 0
    table = Table(title=f"Trend counts, engine vs client (median seconds), {datetime.now():%Y-%m-%d}")
    for column in ("backend", "documents", "window", "engine (now)", "client (before)", "speed-up"):
        table.add_column(column, justify="left" if column in ("backend", "window") else "right")
    for label, (docs, _built, figures) in rows.items():
        for name, (engine, client, _clusters) in figures.items():
            table.add_row(
                label, f"{docs:,}", name, f"{engine:.3f}", f"{client:.3f}", f"{client / engine:,.0f}x"
            )
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
