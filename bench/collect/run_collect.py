"""One measured collect run in its own process, so its crawler's peak memory is its own:
``python -m bench.collect.run_collect JOB.json`` prints one JSON line of figures.

The job names the feed URLs and the collect settings to change from their defaults; everything else is
``whirlpool collect``'s own path: ``crawlers.collect.collect_sources`` with a fresh data folder.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from crawlers.collect import collect_sources
from whirlpool.article import ExtractionMethod
from whirlpool.loopback import LOOPBACK_ONLY
from whirlpool.settings import Settings
from whirlpool.sources import Source
from whirlpool.stagestore import RAW, StageStore


def run(job: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-collect-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        settings.collect.allow_private_networks = LOOPBACK_ONLY  # the bench site is on 127.0.0.1
        for name, value in job["collect_changes"].items():
            setattr(settings.collect, name, value)
        sources = [
            Source(
                id=f"bench-{n}",
                name=f"Bench {n}",
                homepage=job["homepage"],
                feeds=[url],
                language="en",
                country="GB",
                kind="independent",
            )
            for n, url in enumerate(job["feed_urls"])
        ]
        store = StageStore(settings.data_dir)
        started = time.perf_counter()
        report = collect_sources(settings, sources, store, force=True)
        elapsed = time.perf_counter() - started
        articles = [a for batch in store.batches(RAW) for a in store.read_batch(batch)]
    crawler = resource.getrusage(resource.RUSAGE_CHILDREN)
    full_text = [a for a in articles if a.extraction_method == ExtractionMethod.TRAFILATURA]
    return {
        "articles": len(articles),  # one per page fetched and extracted
        "full_text": len(full_text),  # extracted text long enough to keep (else the feed summary)
        "errors": len(report.errors),
        "seconds": elapsed,
        "pages_per_minute": len(articles) / elapsed * 60,
        # the crawler child (fetch + extraction); this process only waits and reads the batch
        "peak_rss_mb": crawler.ru_maxrss / 1024,
        "cpu_seconds": crawler.ru_utime + crawler.ru_stime,
    }


if __name__ == "__main__":
    print(json.dumps(run(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))))
