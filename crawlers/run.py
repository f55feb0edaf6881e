"""Child process for one collect run: ``python -m crawlers.run JOB.json``.

Twisted's reactor cannot be restarted, so each run gets its own process. Scrapy's settings come from
the module named by ``SCRAPY_SETTINGS_MODULE`` (``crawlers.settings``), with the run's collect settings
over them. The job file holds those collect settings, the due sources, where the item pipelines write
(stage store, batch name, state folder) and where to leave the outcomes and the crawl's stats.

What the parent reads: the exit code (0 when the crawl finished), the stats (``crawler.stats``)
journaled as they change (``crawlers.stats``: counts, sources polled, the finish reason), the outcome
records as JSON lines, and progress lines ``{"done", "total", "message"}`` on stdout. Both files are
appended as things happen, so a crash keeps them. Scrapy's log goes to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from crawlers.settings import scrapy_settings
from crawlers.state import SeenUrls, connect, feed_validators
from whirlpool.report import Outcome, append_outcomes
from whirlpool.settings import CollectSettings
from whirlpool.sources import Source


def _progress_line(done: int, total: int | None, message: str) -> None:
    sys.stdout.write(
        json.dumps({"done": done, "total": total, "message": message}, ensure_ascii=False) + "\n"
    )
    sys.stdout.flush()


def run_job(job_path: Path) -> int:
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawlers.spiders.collect import CollectSpider

    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    collect = CollectSettings.model_validate(job["collect"])
    sources = [Source.model_validate(s) for s in job["sources"]]
    state_dir = Path(job["state_dir"])
    outcomes_path = Path(job["outcomes_path"])

    settings = get_project_settings()  # SCRAPY_SETTINGS_MODULE
    settings.setdict(scrapy_settings(collect), priority="project")
    settings.setdict(
        {
            "COLLECT_DATA_DIR": job["data_dir"],
            "COLLECT_BATCH": job["batch"],
            "COLLECT_STATE_DIR": str(state_dir),
            "COLLECT_STATS_JOURNAL": job["stats_journal"],
            **(job.get("scrapy_overrides") or {}),
        },
        priority="cmdline",
    )
    connection = connect(state_dir, readonly=True)
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(CollectSpider)

    def on_outcome(outcome: Outcome) -> None:
        append_outcomes(outcomes_path, [outcome])

    process.crawl(
        crawler,
        sources=sources,
        collect=collect,
        validators={} if job.get("force") else feed_validators(connection),
        seen=SeenUrls(connection),
        on_outcome=on_outcome,
        progress=_progress_line,
    )
    process.start()
    connection.close()
    reason = crawler.stats.get_value("finish_reason")
    if reason != "finished":
        print(f"crawl stopped: {reason}", file=sys.stderr)
        return 1
    return 0


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m crawlers.run JOB.json")
    sys.exit(run_job(Path(sys.argv[1])))


if __name__ == "__main__":
    main()
