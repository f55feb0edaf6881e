"""What every alert rule check implements (``RuleCheck``) and what it is given (``CheckContext``).

A check evaluates one rule at the run's ``now`` and returns the emails to send, each with the alerts it
reports. It changes nothing itself: state changes that must wait until the emails are queued go to
``context.on_queued``; what it fires is added to ``context.fired_this_run`` by the run loop.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from alerting.detectors import should_refire
from alerting.emails import AlertEmail, Story, kibana_discover_link
from alerting.rules import AlertsConfig, parse_duration
from alerting.state import AlertState, FiredAlert
from indexing.backend import BucketCount, CountUnit, IndexBackend, SearchFilters, SearchRequest
from indexing.kibana import data_view_id
from indexing.kql import quoted, search_kql
from whirlpool.article import Article
from whirlpool.report import StageReport
from whirlpool.settings import Settings

CHART_DAYS = 14
STORY_SCAN = 200  # hits read to find an email's newest stories

# Which SearchFilters field narrows a search to one value of a count dimension.
_FILTER_FIELD = {
    "themes": "themes",
    "entities": "entities",
    "source_kind": "source_kinds",
    "source_id": "source_ids",
    "language": "languages",
}
# Count dimensions SearchFilters cannot narrow to: the Discover link filters on their field itself.
_KQL_ONLY_FIELD = {"places": "places"}

# The emails a rule sends, each with the alerts it reports (recorded in the state once queued).
Emails = list[tuple[AlertEmail, list[FiredAlert]]]


@dataclass
class CheckContext:
    """One alert run as the checks see it: the index, the state, the rules, the time, the report."""

    backend: IndexBackend
    state: AlertState
    config: AlertsConfig
    settings: Settings
    now: datetime
    report: StageReport
    # alerts fired earlier in this run: not in the state until the emails are queued
    fired_this_run: list[FiredAlert] = field(default_factory=list)
    # state changes to make once the emails are queued
    on_queued: list[Callable[[], None]] = field(default_factory=list)
    warned_rules: set[str] = field(default_factory=set)  # rules warned about once this run
    _history: dict[timedelta, datetime | None] = field(default_factory=dict)  # warm-up → start, asked once

    def filters(
        self, dimension: str | None, value: str | None, since: datetime, until: datetime, **kw
    ) -> SearchFilters:
        filters = SearchFilters(since=since, until=until, **kw)
        if dimension in _FILTER_FIELD and value is not None:
            getattr(filters, _FILTER_FIELD[dimension]).append(value)
        return filters

    def top_stories(self, query: str | None, filters: SearchFilters, limit: int = 5) -> list[Story]:
        """The ``limit`` stories with the most clusters among the hits (the newest first among
        equals), each once (an article without a story id is its duplicate cluster's story): the
        story's earliest article in the window is listed, with its first report and the outlets and
        languages of the whole story in the index."""
        filters.representatives_only = True
        result = self.backend.search(
            SearchRequest(query=query or "", filters=filters, sort="date", limit=STORY_SCAN, highlight=False)
        )
        grouped: dict[str, list[Article]] = {}
        for hit in result.hits:
            grouped.setdefault(story_key(hit.article), []).append(hit.article)
        top = sorted(grouped.values(), key=len, reverse=True)[:limit]  # stable: newest first among equals
        grouped = {story_key(reps[0]): reps for reps in top}
        members = self._story_members([a.story_id for reps in grouped.values() for a in reps[:1] if a.story_id])
        copies = self._copies(query, filters)
        stories = []
        for reps in grouped.values():
            listed = min(reps, key=lambda a: (a.published_at or a.fetched_at, a.id))
            story = members.get(listed.story_id or "", reps)
            stories.append(story_of(listed, copies.get(listed.cluster_id or listed.id, 1), story))
        return stories

    def _story_members(self, story_ids: list[str]) -> dict[str, list[Article]]:
        """Every indexed article of these stories (a story holds at most a few hundred)."""
        if not story_ids:
            return {}
        result = self.backend.search(
            SearchRequest(filters=SearchFilters(story_ids=story_ids), sort="date", limit=STORY_SCAN * 5,
                          highlight=False)
        )  # fmt: skip
        members: dict[str, list[Article]] = {}
        for hit in result.hits:
            members.setdefault(hit.article.story_id or "", []).append(hit.article)
        return members

    def _copies(self, query: str | None, filters: SearchFilters) -> Counter:
        all_filters = SearchFilters(**{**filters.__dict__, "representatives_only": False})
        result = self.backend.search(
            SearchRequest(query=query or "", filters=all_filters, sort="date", limit=500, highlight=False)
        )
        return Counter(hit.article.cluster_id or hit.article.id for hit in result.hits)

    def window_counts(
        self,
        dimension: str,
        window_text: str,
        baseline_windows: int,
        query: str | None = None,
        unit: CountUnit = "stories",
    ) -> tuple[timedelta, dict[str, list[BucketCount]]]:
        """Stories (or clusters) per window of ``dimension`` over the baseline windows and the current
        one (trusted dates only): what spike and new-entity rules compare."""
        window = parse_duration(window_text)
        start = self.now - window * (baseline_windows + 1)
        counts = self.backend.bucket_counts(
            dimension, window, start, self.now, query=query,
            filters=SearchFilters(exclude_guessed_dates=True), unit=unit,
        )  # fmt: skip
        return window, counts

    def daily_series(
        self, dimension: str, value: str, query: str | None, unit: CountUnit = "stories"
    ) -> list[int]:
        start = self.now - timedelta(days=CHART_DAYS)
        counts = self.backend.bucket_counts(
            dimension, timedelta(days=1), start, self.now, query=query,
            filters=SearchFilters(exclude_guessed_dates=True), unit=unit,
        )  # fmt: skip
        return [b.count for b in counts.get(value, [])] or [0] * CHART_DAYS

    def kibana(
        self,
        query: str | None,
        filters: SearchFilters,
        dimension: str | None = None,
        value: str | None = None,
    ) -> str:
        """A Discover link to what the email lists: the saved data view, the query expanded across
        scripts and translated to KQL with the filters, and the filters' time range."""
        extra = []
        if dimension in _KQL_ONLY_FIELD and value is not None:
            extra.append(f"{_KQL_ONLY_FIELD[dimension]}:{quoted(value)}")
        kql = search_kql(query, filters, self.backend.taxonomy, *extra)
        data_view = data_view_id(self.settings.elasticsearch.index_prefix)
        start = filters.since or self.now
        return kibana_discover_link(
            self.settings.alerts.kibana_url, data_view, kql, start, filters.until or self.now
        )

    def in_cooldown(
        self, rule_name: str, key: str, cooldown: timedelta, current: int, refire: float | None
    ) -> bool:
        last = self.state.last_fired(rule_name, key)
        if last is None or self.now - last.fired_at >= cooldown:
            return False
        if refire is not None and should_refire(last.count, current, refire):
            return False
        self.report.count("suppressed_cooldown")
        return True

    def warming_up(self, rule_name: str, warm_up: timedelta) -> bool:
        """True (and said in the run report) while the index holds less than ``warm_up`` of history,
        counted from its earliest trusted-date document: a spike or a "new" entity on an empty
        history is noise (issue 13, 10)."""
        if warm_up <= timedelta(0):
            return False
        if warm_up not in self._history:
            self._history[warm_up] = _history_start(self.backend, self.now, warm_up)
        start = self._history[warm_up]
        if start is not None and start <= self.now - warm_up:
            return False
        until = (start or self.now) + warm_up
        since = f"history since {start:%Y-%m-%d %H:%M} UTC" if start else "no history yet"
        self.report.notes.append(
            f"rule '{rule_name}': warming up until {until:%Y-%m-%d %H:%M} UTC "
            f"(needs {_days(warm_up)} of history, {since}); silent until then"
        )
        self.report.count("rules_warming_up")
        return True


def _history_start(backend: IndexBackend, now: datetime, warm_up: timedelta) -> datetime | None:
    """When the index's trusted-date history begins, to within ~5 minutes, as far back as ``now -
    warm_up`` (older is enough); None when it holds none. Counts halve the span: both backends
    answer a count cheaply, and a deployment past its warm-up asks one."""

    def any_before(moment: datetime) -> bool:
        return backend.count(SearchFilters(until=moment, exclude_guessed_dates=True)) > 0

    low, high = now - warm_up, now + timedelta(seconds=1)
    if any_before(low):
        return low
    if not any_before(high):
        return None
    while high - low > timedelta(minutes=5):  # something before ``high``, nothing before ``low``
        middle = low + (high - low) / 2
        if any_before(middle):
            high = middle
        else:
            low = middle
    return low


def _days(period: timedelta) -> str:
    days = period / timedelta(days=1)
    return f"{days:g} day{'s' if days != 1 else ''}" if days >= 1 else f"{period.total_seconds() / 3600:g} h"


class RuleCheck(ABC):
    """Evaluates one rule (of the type it is registered for in ``alerting.checks.CHECKS``)."""

    def __init__(self, rule: Any) -> None:
        self.rule = rule

    @abstractmethod
    def evaluate(self, context: CheckContext) -> Emails:
        """The emails to send now, each with the alerts it reports; [] when nothing fires."""


def story_key(article: Article) -> str:
    """The story an article counts in: its story id, else its duplicate cluster (indexed before
    stories existed)."""
    return article.story_id or article.cluster_id or article.id


def story_of(article: Article, copies: int = 1, members: list[Article] | None = None) -> Story:
    """``article`` listed for its story; ``members`` (the story's articles in the index, or the
    article alone) give the first report, the outlets and the languages."""
    members = members or [article]
    languages: list[str] = []
    for member in members:
        for language in (*member.story_languages, member.language):
            if language and language not in languages:
                languages.append(language)
    # each member knows the story's first report as it stood then: the earliest of them is the
    # earliest known; before stories (or with no trusted date) the earliest trusted member
    known = [m for m in members if m.story_first_seen is not None and m.story_first_source]
    if known:
        first = min(known, key=lambda m: m.story_first_seen)
        source, kind, seen = first.story_first_source, first.story_first_source_kind, first.story_first_seen
    else:
        trusted = [m for m in members if m.published_at is not None and not m.date_is_guessed]
        first = min(trusted, key=lambda m: m.published_at) if trusted else None
        source = (first.source_name or first.source_id) if first else ""
        kind, seen = (first.source_kind, first.published_at) if first else ("", None)
    snippet = (article.summary or article.body)[:240]
    return Story(
        article.id, article.title or article.url, article.source_name or article.source_id, article.language,
        article.published_at, article.url, copies, snippet, source, kind, seen,
        len({m.source_id for m in members}), languages,
    )  # fmt: skip
