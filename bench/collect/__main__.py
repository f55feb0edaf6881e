"""Pages per minute fetched and extracted by Whirlpool's real collect (``collect_sources``, what
``whirlpool collect`` runs) over the 181 real news article pages of the shared extraction benchmark
(``scrapinghub-aeb``: median 115 KB, mean 174 KB of HTML), served gzipped from 127.0.0.1 and listed by
seven RSS feeds of up to 30 items; beside a peer fetching and extracting the same URLs from the same
server in the same run; and each process's peak memory.

    python -m bench.collect [--peer auto|newsplease|trafilatura|none] [--generated [--pages N]]
                            [--no-polite] [--rounds 3] [--scrapy-bench SECONDS]

Collect runs twice: at the default settings (politeness on: ``download_delay_seconds`` 0.5 randomised,
AutoThrottle on, 2 requests at a time per domain, robots.txt obeyed), then with politeness off, which
changes exactly three settings: ``download_delay_seconds`` 0.5 → 0, ``autothrottle`` on → off,
``concurrent_requests_per_domain`` 2 → 16 (= ``concurrent_requests``). The whole site is one host, so
the polite figure is one site's ceiling; a collect over many sites runs up to 16 requests at a time.

The cores are shared, so the politeness-off collect and the peer run alternately ``--rounds`` times
and the medians and per-round ratios are printed, with CPU seconds per page (less sensitive to load
than the wall clock). The run at default politeness is bound by its delays and runs once.

The peer is news-please (``NewsPlease.from_urls``, run from the venv named by ``--peer-python`` or
``$NEWSPLEASE_PYTHON``, else this one), or, where news-please is not installed, trafilatura's own
``fetch_url`` + ``extract`` in 16 threads; the output says which. Both peers have no politeness.
news-please would downgrade python-dateutil and cssselect in our venv, so give it its own:

    python3 -m venv /tmp/newsplease-venv && /tmp/newsplease-venv/bin/pip install news-please==1.6.16
    NEWSPLEASE_PYTHON=/tmp/newsplease-venv/bin/python python -m bench.collect

Where the shared data (``$WHIRLPOOL_SHARED_DATA`` or ``../shared/data`` beside the checkout) is absent,
the benchmark says so and serves generated 6.5 KB pages instead, labelled as such. ``--generated``
forces them; ``--generated --pages 2000 --no-polite --scrapy-bench 30`` is the former benchmark (6,501
pages/min vs ``scrapy bench`` 4,049, a flattering figure: ``scrapy bench`` only follows links, and
generated pages extract far faster than real ones).

Measured 2026-12-01 on 2 cores shared with other work (news-please 1.6.16 in its own venv):

    collect, default politeness   181/181 pages  121 s    90 pages/min  146 MB
    collect, politeness off       181/181 pages   18 s   581 pages/min  150 MB   (median; rounds 405-619)
    news-please from_urls         177/181 pages   78 s   136 pages/min  730 MB   (median; its workers summed)
    ratio off / news-please 3.96 (rounds 3.05-4.55); CPU seconds per page 0.20 of news-please's;
    default politeness / news-please 0.66, / politeness off 0.15.
    --generated --pages 2000 --no-polite --scrapy-bench 30, same session: 2,599 pages/min, 109 MB,
    scrapy bench 2,365; real pages cost 4.4x the CPU per page of generated ones (0.10 s vs 0.023 s).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.collect.site import BenchSite
from processing.evaluation import shared_data_dir

console = Console(highlight=False, width=120)

POLITENESS_OFF = {"download_delay_seconds": 0, "autothrottle": False, "concurrent_requests_per_domain": 16}
PEER_SCRIPT = Path(__file__).with_name("peer.py")


def real_pages_dir() -> Path | None:
    shared = shared_data_dir()
    folder = shared / "extraction" / "scrapinghub-aeb" / "html" if shared else None
    return folder if folder is not None and any(folder.glob("*.html.gz")) else None


def run_collect(site: BenchSite, collect_changes: dict) -> dict:
    """Collect in a child process (``bench.collect.run_collect``): its crawler's memory is its own."""
    job = {"homepage": site.base + "/", "feed_urls": site.feed_urls, "collect_changes": collect_changes}
    with tempfile.TemporaryDirectory(prefix="bench-collect-job-") as tmp:
        path = Path(tmp) / "job.json"
        path.write_text(json.dumps(job), encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "bench.collect.run_collect", str(path)],
            capture_output=True,
            text=True,
            timeout=3600,
        )
    if result.returncode != 0:
        raise RuntimeError(f"collect run failed: {result.stderr.strip()[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def newsplease_python(requested: str | None) -> str | None:
    """An interpreter that can import news-please: the one asked for, else this one if it can."""
    for python in (requested, os.environ.get("NEWSPLEASE_PYTHON"), sys.executable):
        if python and shutil.which(python):
            probe = subprocess.run([python, "-c", "import newsplease"], capture_output=True)
            if probe.returncode == 0:
                return python
    return None


def run_peer(site: BenchSite, peer: str, python: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-collect-peer-") as tmp:
        urls = Path(tmp) / "urls.txt"
        urls.write_text("\n".join(site.page_urls), encoding="utf-8")
        result = subprocess.run(
            [python, str(PEER_SCRIPT), peer, str(urls)], capture_output=True, text=True, timeout=3600
        )
    if result.returncode != 0:
        raise RuntimeError(f"peer {peer} failed: {result.stderr.strip()[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_scrapy_bench(seconds: int) -> float | None:
    """`scrapy bench` in an empty folder (Scrapy's defaults): fetch + link following only."""
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
                "LOG_LEVEL=INFO",
            ],  # fmt: skip
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
    log = result.stdout + result.stderr
    received = re.search(r"'response_received_count': (\d+)", log)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    return int(received.group(1)) / float(elapsed.group(1)) * 60 if received and elapsed else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--peer", choices=("auto", "newsplease", "trafilatura", "none"), default="auto")
    parser.add_argument("--peer-python", help="interpreter with news-please installed (its own venv)")
    parser.add_argument("--generated", action="store_true", help="generated pages, not the real ones")
    parser.add_argument("--pages", type=int, default=181, help="how many generated pages")
    parser.add_argument("--no-polite", action="store_true", help="skip the run at default politeness")
    parser.add_argument("--rounds", type=int, default=3, help="politeness-off and peer runs, alternated")
    parser.add_argument("--scrapy-bench", type=int, metavar="SECONDS", help="also run `scrapy bench`")
    args = parser.parse_args(argv)

    folder = None if args.generated else real_pages_dir()
    if folder is None:
        if not args.generated:
            console.print(
                "bench/collect: shared data not found ($WHIRLPOOL_SHARED_DATA or ../shared/data beside "
                "the checkout): falling back to GENERATED pages, which extract far faster than real ones",
                markup=False,
            )
        site = BenchSite.generated(args.pages)
    else:
        site = BenchSite.real(folder)
    megabytes = site.html_bytes() / 1e6
    console.print(
        f"bench/collect: {site.label}; {megabytes:.1f} MB of HTML, {len(site.feed_urls)} RSS feeds, "
        f"one host {site.base}",
        markup=False,
    )

    peer, python = args.peer, sys.executable
    if peer in ("auto", "newsplease"):
        found = newsplease_python(args.peer_python)
        if found:
            peer, python = "newsplease", found
        else:
            console.print(
                "news-please is not installed for any interpreter given (--peer-python, $NEWSPLEASE_PYTHON, "
                "this one): the peer is trafilatura's own fetch_url + extract instead",
                markup=False,
            )
            peer = "trafilatura"

    polite, off, peers = None, [], []
    site.start()
    try:
        if not args.no_polite:  # bound by the delays, not the CPU: once is enough
            console.print("  collect at default politeness …", markup=False)
            polite = run_collect(site, {})
        for round_number in range(1, args.rounds + 1):  # alternated, so both see the same load
            console.print(
                f"  round {round_number}/{args.rounds}: collect with politeness off …", markup=False
            )
            off.append(run_collect(site, POLITENESS_OFF))
            if peer != "none":
                console.print(f"  round {round_number}/{args.rounds}: peer {peer} ({python}) …", markup=False)
                peers.append(run_peer(site, peer, python))
    finally:
        site.stop()
    scrapy_rate = None
    if args.scrapy_bench:
        console.print(f"  running `scrapy bench` for {args.scrapy_bench} s", markup=False)
        scrapy_rate = run_scrapy_bench(args.scrapy_bench)

    table = Table(title=f"Fetch + extraction, {site.label}")
    columns = ("run", "pages", "full text ≥200 chars", "errors", "seconds", "pages/min", "CPU s", "peak RSS")
    for column in columns:
        table.add_column(column, justify="left" if column == "run" else "right")
    named = [("collect, default politeness", polite)] if polite else []
    named += [(f"collect, politeness off #{n}", run) for n, run in enumerate(off, 1)]
    named += [(f"peer {peer} #{n}", run) for n, run in enumerate(peers, 1)]
    for name, run in named:
        table.add_row(
            name,
            str(run.get("articles", run.get("pages"))),
            str(run["full_text"]),
            str(run.get("errors", "-")),
            f"{run['seconds']:.1f}",
            f"{run['pages_per_minute']:.0f}",
            f"{run['cpu_seconds']:.0f}",
            f"{run['peak_rss_mb']:.0f} MB",
        )
    if scrapy_rate:
        table.add_row("scrapy bench (link following only)", "", "", "", "", f"{scrapy_rate:.0f}", "", "")
    console.print(table)

    off_rate = statistics.median(r["pages_per_minute"] for r in off)
    summary = [f"collect, politeness off: {off_rate:.0f} pages/min (median of {len(off)})"]
    if polite:
        summary.append(
            f"collect, default politeness: {polite['pages_per_minute']:.0f} pages/min "
            f"({polite['pages_per_minute'] / off_rate:.2f} of politeness off)"
        )
    if peers and not all(r["pages"] for r in peers):
        summary.append(f"the peer ({peer}) fetched no page in some round: no ratio")
    elif peers:
        peer_rate = statistics.median(r["pages_per_minute"] for r in peers)
        ratios = [o["pages_per_minute"] / r["pages_per_minute"] for o, r in zip(off, peers, strict=True)]
        cpu = [
            (o["cpu_seconds"] / o["articles"]) / (r["cpu_seconds"] / r["pages"])
            for o, r in zip(off, peers, strict=True)
        ]
        summary.append(f"peer {peer}: {peer_rate:.0f} pages/min (median of {len(peers)})")
        summary.append(
            f"ratio collect (politeness off) / {peer}: {statistics.median(ratios):.2f} "
            f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
        )
        summary.append(
            f"CPU seconds per page, collect / {peer}: {statistics.median(cpu):.2f} "
            f"(rounds: {', '.join(f'{r:.2f}' for r in cpu)})"
        )
        if polite:
            summary.append(
                f"ratio collect (default politeness) / {peer}: {polite['pages_per_minute'] / peer_rate:.2f}"
            )
        short = [r for r in peers if r["pages"] < site.pages]
        if short:
            summary.append(
                f"the peer returned fewer pages than served in {len(short)} round(s) (counted as is)"
            )
    if scrapy_rate:
        summary.append(f"ratio collect (politeness off) / scrapy bench: {off_rate / scrapy_rate:.2f}")
    for line in summary:
        console.print(line, markup=False)
    ours = [polite, *off] if polite else off
    complete = all(run["articles"] == site.pages and not run["errors"] for run in ours)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
