"""Child process for one collect run: ``python -m crawlers.run JOB.json``.

Twisted's reactor cannot be restarted, so each run gets its own process. The job file holds the
collect settings, the due sources, the feeds' validators and the state folder; results stream
back as JSON lines on stdout (Scrapy's log goes to stderr).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from crawlers.settings import scrapy_settings
from crawlers.state import connect, feed_validators
from whirlpool.settings import CollectSettings
from whirlpool.sources import Source


def _emit(event: dict) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def run_job(job_path: Path) -> int:
    from scrapy.crawler import CrawlerProcess

    from crawlers.spiders.collect import CollectSpider

    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    collect = CollectSettings.model_validate(job["collect"])
    sources = [Source.model_validate(s) for s in job["sources"]]
    seen = connect(Path(job["state_dir"]), readonly=True)
    validators = {} if job.get("force") else feed_validators(seen)
    settings = scrapy_settings(collect)
    settings.update(job.get("scrapy_overrides") or {})
    process = CrawlerProcess(settings, install_root_handler=True)
    process.crawl(
        CollectSpider, sources=sources, collect=collect, validators=validators, seen=seen, emit=_emit
    )
    process.start()
    _emit({"event": "done"})
    return 0


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m crawlers.run JOB.json")
    sys.exit(run_job(Path(sys.argv[1])))


if __name__ == "__main__":
    main()
