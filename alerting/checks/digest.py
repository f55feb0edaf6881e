"""``digest``: once a day at a set hour, the day's alerts, coverage gaps, held watch hits and top themes.

The alerts of the day are those in the state since yesterday and those fired earlier in this run
(``context.fired_this_run``): digest rules run after every other rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alerting.checks.base import CHART_DAYS, CheckContext, Emails, RuleCheck, story_of
from alerting.checks.coverage_gap import silent_values
from alerting.emails import AlertEmail, Section
from alerting.rules import AlertsConfig, CoverageGapRule, DigestRule, NewEntityRule, SpikeRule
from indexing.backend import SearchFilters
from whirlpool.timetext import local_time


class DigestCheck(RuleCheck):
    rule: DigestRule

    def evaluate(self, context: CheckContext) -> Emails:
        rule, state = self.rule, context.state
        local = context.now.astimezone(ZoneInfo(rule.timezone or context.settings.alerts.timezone))
        day = local.date().isoformat()
        if local.hour < rule.hour or state.digest_sent(rule.name, day):
            return []
        since = context.now - timedelta(days=1)
        email = build_digest(context, rule, since, day)
        if not email.sections:  # nothing to tell: not sent, and the day's digest is still to come
            context.report.count("digest_empty_not_sent")
            return []
        context.on_queued.append(lambda: state.mark_digest_sent(rule.name, day))
        context.on_queued.append(state.release_held_watch_hits)
        return [(email, [])]


def build_digest(context: CheckContext, rule: DigestRule, since: datetime, day: str) -> AlertEmail:
    """The day's spikes, top stories per theme, watch hits held for the digest, and coverage gaps."""
    now, backend, config = context.now, context.backend, context.config
    sections: list[Section] = []
    earlier = context.state.fired_between(since, now + timedelta(seconds=1))
    spikes = [f for f in earlier + context.fired_this_run
              if isinstance(_rule(config, f.rule), SpikeRule | NewEntityRule)]  # fmt: skip
    if spikes:
        sections.append(Section(
            heading="Alerts of the day",
            lines=[f"{f.rule}: {f.series_key}, {_unit(_rule(config, f.rule), f.count)} (baseline {f.baseline:.1f}) at "
                   f"{local_time(f.fired_at, context.settings.alerts.timezone)}" for f in spikes],
        ))  # fmt: skip
    gaps = []
    for other in config.rules:
        if isinstance(other, CoverageGapRule) and other.enabled:
            gaps += [f"no items from {v} in the last {other.silence}" for v in silent_values(context, other)]
    if gaps:
        sections.append(
            Section(heading="Coverage gaps", reason="a dead feed is not a quiet news day", lines=gaps)
        )
    held = context.state.take_held_watch_hits()
    if held:
        stories = [story_of(a) for a in (backend.get(aid) for _, aid in held) if a is not None]
        sections.append(
            Section(heading="Watched queries", reason="new stories matching saved queries", stories=stories)
        )
    theme_counts = backend.bucket_counts(
        "themes", timedelta(days=1), now - timedelta(days=CHART_DAYS), now,
        filters=SearchFilters(exclude_guessed_dates=True, relevant_only=True), unit=rule.count,
    )  # fmt: skip
    ranked = sorted(theme_counts.items(), key=lambda kv: -(kv[1][-1].count if kv[1] else 0))
    for theme, buckets in ranked:
        today = buckets[-1].count if buckets else 0
        if today == 0:
            continue
        listed = SearchFilters(since=since, until=now, themes=[theme], relevant_only=True)
        stories = context.top_stories(None, listed, rule.top_per_theme)
        sections.append(Section(
            heading=f"{theme.replace('_', ' ').capitalize()}: {_unit(rule, today)}",
            stories=stories,
            series=[b.count for b in buckets],
            series_label=theme,
            series_unit=rule.count,
            kibana_link=context.kibana(None, listed),
        ))  # fmt: skip
    # a story tagged with three themes is one story: count the relevant stories once, not per theme
    total = backend.bucket_counts(
        "total", timedelta(days=1), now - timedelta(days=1), now,
        filters=SearchFilters(exclude_guessed_dates=True, relevant_only=True), unit=rule.count,
    ).get("total", [])  # fmt: skip
    total_today = total[-1].count if total else 0
    unit = "story" if rule.count == "stories" else "story cluster"
    subject = (
        f"Daily digest {day}: {_plural(total_today, unit)}, {_plural(len(spikes), 'alert')}, "
        f"{_plural(len(gaps), 'coverage gap')}"
    )
    return AlertEmail(rule.name, f"digest|{day}", subject, config.recipients(rule), sections, now)


def _rule(config: AlertsConfig, name: str):
    return next((r for r in config.rules if r.name == name), None)


def _unit(rule, n: int) -> str:
    """``12 stories`` or ``12 clusters``: as the rule that fired counts."""
    return _plural(n, "story" if getattr(rule, "count", "stories") == "stories" else "cluster")


def _plural(n: int, noun: str) -> str:
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {noun[:-1]}ies" if noun.endswith("y") else f"{n} {noun}s"
