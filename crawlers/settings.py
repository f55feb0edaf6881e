"""Scrapy settings built from Whirlpool's ``settings.collect`` (one place for defaults).

This is the crawl's settings module: ``crawlers.collect`` starts the crawl with
``SCRAPY_SETTINGS_MODULE=crawlers.settings`` and ``crawlers.run`` puts the run's own collect settings
over it. ``scrapy.cfg`` points here too, so ``scrapy`` commands run in this repository get the same
politeness rules: the module's globals are the defaults of ``CollectSettings``.
"""

from __future__ import annotations

from typing import Any

from crawlers.netpolicy import SCRAPY_SETTING
from whirlpool.settings import CollectSettings


def scrapy_settings(collect: CollectSettings) -> dict[str, Any]:
    """Translate Whirlpool's collect settings into Scrapy settings."""
    delay = collect.download_delay_seconds
    return {
        "BOT_NAME": "whirlpool",
        "SPIDER_MODULES": ["crawlers.spiders"],
        "NEWSPIDER_MODULE": "crawlers.spiders",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "USER_AGENT": collect.user_agent,
        "ROBOTSTXT_OBEY": collect.obey_robots_txt,
        "ROBOTSTXT_USER_AGENT": collect.user_agent,
        "DOWNLOAD_TIMEOUT": collect.timeout_seconds,
        "DOWNLOAD_MAXSIZE": collect.max_response_bytes,
        "DOWNLOAD_WARNSIZE": collect.max_response_bytes,
        "CONCURRENT_REQUESTS": collect.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": collect.concurrent_requests_per_domain,
        "DOWNLOAD_DELAY": delay,
        "RANDOMIZE_DOWNLOAD_DELAY": delay > 0,
        "AUTOTHROTTLE_ENABLED": collect.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(collect.concurrent_requests_per_domain),
        "RETRY_ENABLED": collect.retry_times > 0,
        "RETRY_TIMES": collect.retry_times,
        "RETRY_PRIORITY_ADJUST": -1,  # a retried request goes behind fresh ones (a crude backoff)
        "REDIRECT_ENABLED": True,
        "REDIRECT_MAX_TIMES": collect.max_redirects,
        "METAREFRESH_ENABLED": False,
        "COOKIES_ENABLED": False,
        # Public addresses only, unless collect.allow_private_networks says otherwise (every request
        # and every redirect; before robots.txt, so a refused host is not asked for it either).
        "DOWNLOADER_MIDDLEWARES": {"crawlers.netpolicy.NetworkPolicyMiddleware": 50},
        SCRAPY_SETTING: collect.model_dump(mode="json", include={"allow_private_networks"})[
            "allow_private_networks"
        ],
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        # crawler.stats as Scrapy keeps them, each collect/ change also appended to COLLECT_STATS_JOURNAL
        # (set per run by crawlers.run), so a crawl that dies still tells what it did.
        "STATS_CLASS": "crawlers.stats.JournaledStatsCollector",
        # One step each (crawlers.pipelines): an article is written before its URLs are marked seen.
        "ITEM_PIPELINES": {
            "crawlers.pipelines.DropSeenArticles": 100,
            "crawlers.pipelines.WriteRawBatch": 300,
            "crawlers.pipelines.MarkUrlsSeen": 400,
        },
        # Only http/https: every other scheme has no download handler.
        "DOWNLOAD_HANDLERS": {"file": None, "s3": None, "ftp": None, "data": None},
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
            "application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "en,ru;q=0.9,uk;q=0.8,ko;q=0.8,ja;q=0.8,zh;q=0.8",
        },
    }


globals().update(scrapy_settings(CollectSettings()))
