"""When a source is due again: on the schedule's ticks, not a tick late (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlers.health import SourceHealth
from whirlpool.sources import Source


def source(minutes: int) -> Source:
    return Source(
        id="s", name="S", homepage="https://example.org/", feeds=["https://example.org/feed.xml"],
        language="en", country="GB", kind="wire", poll_minutes=minutes,
    )  # fmt: skip


@pytest.mark.parametrize("minutes", [10, 30, 60])
def test_a_source_polled_seconds_after_a_tick_is_due_at_the_tick_one_interval_later(minutes):
    tick = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    health = SourceHealth("s", last_polled=tick + timedelta(seconds=7))
    next_tick = tick + timedelta(minutes=minutes)
    assert health.is_due(source(minutes), next_tick)
    assert not health.is_due(source(minutes), next_tick - timedelta(minutes=10))


def test_backoff_is_kept_to_within_the_same_tolerance():
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    health = SourceHealth(
        "s", last_polled=now - timedelta(hours=1), backoff_until=now + timedelta(minutes=30)
    )
    assert not health.is_due(source(10), now)
    assert health.is_due(source(10), now + timedelta(minutes=29, seconds=30))
