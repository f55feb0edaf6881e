"""Pages per minute fetched and extracted by `collect_sources`, beside `scrapy bench` (same machine,
same run), and the crawler process's peak memory.

    python -m bench.collect [--pages 2000] [--scrapy-seconds 30]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.collect.site import BenchSite
from crawlers.collect import collect_sources
from whirlpool.settings import Settings
from whirlpool.sources import Source
from whirlpool.stagestore import RAW, StageStore

console = Console(highlight=False)


def run_collect(pages: int, concurrency: int) -> dict:
    site = BenchSite.generated(pages).start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-collect-") as tmp:
            settings = Settings(data_dir=Path(tmp))
            collect = settings.collect
            collect.download_delay_seconds = 0
            collect.autothrottle = False
            collect.retry_times = 0
            collect.concurrent_requests = concurrency
            collect.concurrent_requests_per_domain = concurrency
            collect.max_items_per_feed = site.per_feed
            sources = [
                Source(
                    id=f"bench-{n}",
                    name=f"Bench {n}",
                    homepage=site.base + "/",
                    feeds=[url],
                    language="en",
                    country="GB",
                    kind="independent",
                )
                for n, url in enumerate(site.feed_urls)
            ]
            store = StageStore(settings.data_dir)
            last = [0.0]

            def progress(done: int, total: int | None, message: str) -> None:
                now = time.perf_counter()
                if now - last[0] > 5:
                    last[0] = now
                    console.print(f"  collect: {done}/{total or '?'} pages", markup=False)

            started = time.perf_counter()
            report = collect_sources(settings, sources, store, progress=progress, force=True)
            elapsed = time.perf_counter() - started
            peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            articles = [a for batch in store.batches(RAW) for a in store.read_batch(batch)]
    finally:
        site.stop()
    full_text = sum(1 for a in articles if a.extraction_method == "trafilatura" and len(a.body) > 500)
    return {
        "pages": pages,
        "articles": len(articles),
        "full_text": full_text,
        "errors": len(report.errors),
        "seconds": elapsed,
        "pages_per_minute": full_text / elapsed * 60,
        "peak_rss_mb": peak_kb / 1024,
    }


def run_scrapy_bench(seconds: int) -> dict:
    """`scrapy bench` in an empty folder (Scrapy's defaults, not this project's politeness settings)."""
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    with tempfile.TemporaryDirectory(prefix="scrapy-bench-") as tmp:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "bench",
                "-s",
                f"CLOSESPIDER_TIMEOUT={seconds}",
                "-s",
                "LOGSTATS_INTERVAL=5",
                "-s",
                "LOG_LEVEL=INFO",
            ],  # fmt: skip
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
    log = result.stdout + result.stderr
    rates = [int(m) for m in re.findall(r"Crawled \d+ pages \(at (\d+) pages/min\)", log)]
    received = re.search(r"'response_received_count': (\d+)", log)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    overall = int(received.group(1)) / float(elapsed.group(1)) * 60 if received and elapsed else None
    steady = rates[1:] or rates
    return {
        "log_rates": rates,
        "pages_per_minute": overall,
        "steady_pages_per_minute": sum(steady) / len(steady) if steady else None,
        "exit": result.returncode,
        "tail": log.strip().splitlines()[-3:],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--scrapy-seconds", type=int, default=30)
    args = parser.parse_args(argv)

    console.print(f"bench/collect: {args.pages} article pages on 127.0.0.1, concurrency {args.concurrency}")
    ours = run_collect(args.pages, args.concurrency)
    console.print(f"  running `scrapy bench` for {args.scrapy_seconds} s")
    peer = run_scrapy_bench(args.scrapy_seconds)

    table = Table(title="Collect throughput (fetch + extraction) vs scrapy bench (fetch + link extraction)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("pages served", str(ours["pages"]))
    table.add_row("articles written (full text)", f"{ours['articles']} ({ours['full_text']})")
    table.add_row("errors", str(ours["errors"]))
    table.add_row("collect wall time", f"{ours['seconds']:.1f} s")
    table.add_row("collect pages/min (with extraction)", f"{ours['pages_per_minute']:.0f}")
    table.add_row("crawler process peak RSS", f"{ours['peak_rss_mb']:.0f} MB")
    rate = peer["pages_per_minute"]
    table.add_row("scrapy bench pages/min (overall)", f"{rate:.0f}" if rate else "n/a")
    steady = peer["steady_pages_per_minute"]
    table.add_row("scrapy bench pages/min (log lines after the first)", f"{steady:.0f}" if steady else "n/a")
    if rate:
        table.add_row("ratio collect / scrapy bench", f"{ours['pages_per_minute'] / rate:.2f}")
    console.print(table)
    if not rate:
        console.print(
            f"scrapy bench gave no figure (exit {peer['exit']}): {' | '.join(peer['tail'])}", markup=False
        )
        return 1
    ratio = ours["pages_per_minute"] / rate
    console.print(
        f"goal ≥ 0.50 of scrapy bench: {'met' if ratio >= 0.5 else 'NOT met'} ({ratio:.2f})", markup=False
    )
    return 0 if ours["full_text"] == ours["pages"] else 1


if __name__ == "__main__":
    sys.exit(main())
