"""Index benchmark: documents per second indexed, and search latency p50/p95 over a fixed query
set (a phrase, a boolean, a filtered date range, a trend aggregation counted by the engine, and the
same counted on the client as before), for each backend available, side by side.
``python -m bench.index [--docs N] [--repeats R]``; the trend count at scale (1,000,000 documents)
is ``python -m bench.index.trend``. Elasticsearch is a real cluster from WHIRLPOOL_ES_URL, else
noida-db started on a free 127.0.0.1 port when installed."""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from itertools import islice
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bench.index.client_counts import client_side_bucket_counts
from bench.index.corpus import START, synthetic_articles
from indexing.backend import IndexBackend, SearchFilters, SearchRequest
from indexing.devserver import DevServerUnavailable, local_elasticsearch

console = Console()
BATCH = 5000

QUERIES: dict[str, Callable[[IndexBackend], object]] = {
    "phrase": lambda b: b.search(SearchRequest(query='"north korea"', exact=True, limit=20)),
    "boolean": lambda b: b.search(
        SearchRequest(query="(missiles OR снаряды) AND treaty NOT drones", exact=True)
    ),
    "cjk word": lambda b: b.search(SearchRequest(query="导弹", exact=True)),
    "filtered date range": lambda b: b.search(
        SearchRequest(
            query="sanctions",
            exact=True,
            sort="date",
            filters=SearchFilters(
                since=START + timedelta(days=30), until=START + timedelta(days=37), languages=["en"]
            ),
        )
    ),
    "trend counts (7 days x themes)": lambda b: b.bucket_counts(
        "themes", timedelta(days=1), START + timedelta(days=60), START + timedelta(days=67)
    ),
    "trend counts before (client-side)": lambda b: client_side_bucket_counts(
        b, "themes", timedelta(days=1), START + timedelta(days=60), START + timedelta(days=67)
    ),
}


def open_backends(workdir: Path, which: list[str], servers: contextlib.ExitStack) -> dict[str, IndexBackend]:
    """The backends asked for; a noida-db this starts is stopped when ``servers`` closes."""
    backends: dict[str, IndexBackend] = {}
    if "embedded" in which:
        from indexing.embedded import EmbeddedBackend

        backends["embedded"] = EmbeddedBackend(workdir / "embedded")
    if "elasticsearch" in which:
        from elasticsearch import Elasticsearch

        from indexing.elasticsearch_backend import ElasticsearchBackend

        url = os.environ.get("WHIRLPOOL_ES_URL")
        label = "elasticsearch"
        if not url:
            try:
                url = servers.enter_context(local_elasticsearch(workdir / "noida"))
                label = "elasticsearch (noida-db)"
            except DevServerUnavailable as exc:
                console.print(f"elasticsearch: skipped (no WHIRLPOOL_ES_URL and {exc})")
        if url:
            client = Elasticsearch(url, request_timeout=300)
            backends[label] = ElasticsearchBackend(
                client, f"bench-{int(time.time())}", workdir / "deadletter", 1000
            )
    for backend in backends.values():
        backend.ensure_ready()
    return backends


def index_all(backend: IndexBackend, docs: int, label: str) -> float:
    articles = synthetic_articles(docs)
    indexed = 0
    started = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"indexing into {label}", total=docs)
        while batch := list(islice(articles, BATCH)):
            result = backend.upsert(batch)
            indexed += result.indexed
            progress.update(task, advance=len(batch))
    elapsed = time.perf_counter() - started
    assert backend.count() == docs, f"{label}: {backend.count()} documents after indexing {docs}"
    return indexed / elapsed


def latencies(backend: IndexBackend, repeats: int) -> dict[str, tuple[float, float]]:
    figures = {}
    for name, run in QUERIES.items():
        run(backend)  # warm up
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            run(backend)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        figures[name] = (
            statistics.median(times),
            times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))],
        )
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.index", description=__doc__)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument(
        "--noida-docs",
        type=int,
        default=2_000,
        help="documents for noida-db (a test server: its phrase queries scan, so 100k takes hours); "
        "a real cluster from WHIRLPOOL_ES_URL gets --docs",
    )
    parser.add_argument("--noida-repeats", type=int, default=3, help="runs per query on noida-db")
    parser.add_argument("--backend", action="append", choices=["embedded", "elasticsearch"])
    args = parser.parse_args(argv)
    which = args.backend or ["embedded", "elasticsearch"]
    with (
        tempfile.TemporaryDirectory(prefix="whirlpool-bench-index-") as tmp,
        contextlib.ExitStack() as servers,
    ):
        backends = open_backends(Path(tmp), which, servers)
        sizes = {label: args.noida_docs if "noida" in label else args.docs for label in backends}
        if "embedded" in backends and len(set(sizes.values())) > 1:
            # the peer runs at a smaller size: the embedded index runs at that size too, so the ratio
            # compares the same work (same documents, same count), never 100,000 against 2,000
            from indexing.embedded import EmbeddedBackend

            small = min(sizes.values())
            label = f"embedded at {small:,}"
            backends[label] = EmbeddedBackend(Path(tmp) / "embedded-small")
            backends[label].ensure_ready()
            sizes[label] = small
        rates, timings = {}, {}
        for label, backend in backends.items():
            rates[label] = index_all(backend, sizes[label], label)
            console.print(f"{label}: {rates[label]:,.0f} docs/s")
            repeats = args.noida_repeats if "noida" in label else args.repeats
            timings[label] = latencies(backend, repeats)
            for name, (p50, p95) in timings[label].items():
                console.print(f"{label}: {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({repeats} runs)")
            backend.close()
    labels = list(backends)
    peers = [label for label in labels if label.startswith("elasticsearch")]
    same = [label for label in labels if label.startswith("embedded") and peers and sizes[label] == sizes[peers[0]]]
    table = Table(title="Index benchmark (query times in ms: p50 / p95)")
    table.add_column("measure")
    for label in labels:
        runs = args.noida_repeats if "noida" in label else args.repeats
        table.add_column(f"{label}\n{sizes[label]:,} docs, {runs} runs", justify="right")
    if same:
        table.add_column(f"ratio {same[0]} / {peers[0]}\n(same {sizes[same[0]]:,} docs)", justify="right")

    def ratio(cells: dict[str, float]) -> list[str]:
        if not same:
            return []
        a, b = cells[same[0]], cells[peers[0]]
        return [f"{a / b:.3g}x" if b else "n/a"]

    table.add_row("indexing docs/s", *(f"{rates[label]:,.0f}" for label in labels), *ratio(rates))
    for name in QUERIES:
        cells = {label: timings[label][name] for label in labels}
        text = [f"{p50:.1f} / {p95:.1f}" for p50, p95 in cells.values()]
        table.add_row(name, *text, *ratio({label: cell[0] for label, cell in cells.items()}))
    console.print(table)
    console.print(
        "ratio: indexing = how many times faster the embedded index indexes than the peer; queries = p50 time "
        "of the embedded index over the peer's, both at the same number of documents"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
