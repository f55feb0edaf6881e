"""Fixtures for the collect tests: a local site with bad inputs, and fast crawl settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.collect.fixture_site import FixtureSite
from whirlpool.loopback import LOOPBACK_ONLY
from whirlpool.settings import Settings


def shared_data() -> Path:
    override = os.environ.get("WHIRLPOOL_SHARED_DATA")
    return Path(override) if override else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture(scope="module")
def site():
    site = FixtureSite().start()
    yield site
    site.stop()


def fast_settings(data_dir: Path) -> Settings:
    """Politeness off for a local site: no delay, no retries, small timeout and size limit; the
    network policy allows the site's address, 127.0.0.1, and no other private one."""
    settings = Settings(data_dir=data_dir)
    collect = settings.collect
    collect.download_delay_seconds = 0
    collect.autothrottle = False
    collect.retry_times = 0
    collect.timeout_seconds = 1
    collect.max_response_bytes = 200_000
    collect.max_redirects = 5
    collect.concurrent_requests_per_domain = 8
    collect.allow_private_networks = LOOPBACK_ONLY
    return settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return fast_settings(tmp_path / "data")


@pytest.fixture
def shared_feeds() -> Path:
    path = shared_data() / "feeds"
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set WHIRLPOOL_SHARED_DATA)")
    return path
