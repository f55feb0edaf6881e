"""The peer's fetch + extraction of the same page URLs, in its own process (and its own venv when the
peer cannot share ours): ``python peer.py {newsplease|trafilatura} URLS.txt`` prints one JSON line.

Standard library plus the peer only: no Whirlpool import, so any interpreter with the peer installed
runs it. The clock starts after the peer is imported (Whirlpool's figure includes its crawler's
start-up, so this favours the peer by a second or two).

- newsplease: ``NewsPlease.from_urls(urls, request_args={"timeout": 30}, fetch_images=False)``,
  news-please's library entry point: one download thread per URL, then its extractors (newspaper,
  readability, its date and language detectors) in a process pool over every core. Images are not
  fetched: they would leave 127.0.0.1. (Without ``request_args`` news-please 1.6.16 returns ``{}`` for
  every page: it calls ``request_args.get`` on None.)

Peak memory is the largest total resident size of this process and its children, sampled every
0.1 s (news-please extracts in several processes at once).
- trafilatura: ``trafilatura.fetch_url`` in a pool of ``--workers`` threads and ``trafilatura.extract``
  on each page as it arrives, at trafilatura's default settings except ``SSRF_PROTECTION`` off (it
  refuses 127.0.0.1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path


def run_newsplease(urls: list[str], workers: int) -> tuple[int, int]:
    from newsplease import NewsPlease

    results = NewsPlease.from_urls(urls, request_args={"timeout": 30}, fetch_images=False)
    done = [article for article in results.values() if article and not isinstance(article, dict)]
    with_text = [a for a in done if getattr(a, "maintext", None) and len(a.maintext) >= 200]
    return len(done), len(with_text)


def run_trafilatura(urls: list[str], workers: int) -> tuple[int, int]:
    import trafilatura
    from trafilatura.settings import use_config

    config = use_config()
    config["DEFAULT"]["SSRF_PROTECTION"] = "off"
    done = with_text = 0
    with ThreadPoolExecutor(workers) as pool:
        for future in as_completed([pool.submit(trafilatura.fetch_url, url, config=config) for url in urls]):
            html = future.result()
            if not html:
                continue
            text = trafilatura.extract(html) or ""
            done += 1
            with_text += len(text) >= 200
    return done, with_text


def tree_rss_kb(pid: int) -> int:
    """Resident size of a process and all its descendants (Linux /proc), in KB."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, AttributeError):  # gone meanwhile, or a zombie without VmRSS
            continue
    return total


class PeakMemory(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            self.peak_kb = max(self.peak_kb, tree_rss_kb(os.getpid()))


PEERS = {"newsplease": run_newsplease, "trafilatura": run_trafilatura}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("peer", choices=sorted(PEERS))
    parser.add_argument("urls", type=Path)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    urls = args.urls.read_text(encoding="utf-8").split()
    if args.peer == "newsplease":
        import newsplease  # noqa: F401  (imported before the clock starts, like trafilatura below)
    else:
        import trafilatura  # noqa: F401
    memory = PeakMemory()
    memory.start()
    started = time.perf_counter()
    pages, with_text = PEERS[args.peer](urls, args.workers)
    elapsed = time.perf_counter() - started
    memory.stopped.set()
    peak = max(memory.peak_kb, tree_rss_kb(os.getpid()))
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    print(
        json.dumps(
            {
                "peer": args.peer,
                "urls": len(urls),
                "pages": pages,
                "full_text": with_text,
                "seconds": elapsed,
                "pages_per_minute": pages / elapsed * 60,
                "peak_rss_mb": peak / 1024,
                # imports included: the clock starts after them, this cannot
                "cpu_seconds": sum(u.ru_utime + u.ru_stime for u in usage),
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
