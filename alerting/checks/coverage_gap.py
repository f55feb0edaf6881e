"""``coverage_gap``: a source or language silent for ``silence`` is reported; a dead feed is not a quiet day."""

from __future__ import annotations

from pathlib import Path

from alerting.checks.base import CheckContext, Emails, RuleCheck
from alerting.emails import AlertEmail, Section
from alerting.rules import CoverageGapRule, parse_duration
from alerting.state import FiredAlert
from whirlpool.sources import load_sources
from whirlpool.yamlconfig import ConfigError


class CoverageGapCheck(RuleCheck):
    rule: CoverageGapRule

    def evaluate(self, context: CheckContext) -> Emails:
        rule, now = self.rule, context.now
        silent = [
            v for v in silent_values(context, rule)
            if not context.in_cooldown(rule.name, v, parse_duration(rule.cooldown), 0, None)
        ]  # fmt: skip
        if not silent:
            return []
        what = "source" if rule.dimension == "source_id" else "language"
        lines = [f"no items from {what} {v} in the last {rule.silence}" for v in silent]
        subject = f"Coverage gap: no items from {', '.join(silent)} in {rule.silence}"
        section = Section(
            heading="Coverage gap",
            reason="a silent source or language may be a dead feed, not a quiet news day",
            lines=lines,
        )
        since = now - parse_duration(rule.silence)
        fired = [FiredAlert(rule.name, v, now, since, now, 0, 0.0, []) for v in silent]
        key = "|".join(silent) + f"|{now.isoformat()}"
        return [(AlertEmail(rule.name, key, subject, context.config.recipients(rule), [section], now), fired)]


def silent_values(context: CheckContext, rule: CoverageGapRule) -> list[str]:
    """The rule's watched values with no items in the last ``silence`` (the digest lists them too)."""
    since = context.now - parse_duration(rule.silence)
    return [
        v
        for v in watched_values(context, rule)
        if context.backend.count(context.filters(rule.dimension, v, since, context.now)) == 0
    ]


def watched_values(context: CheckContext, rule: CoverageGapRule) -> list[str]:
    """The rule's values that can have items: for sources, only those enabled in sources.yaml
    (a source that is not polled is silent by construction; saying so once is enough)."""
    if rule.dimension != "source_id":
        return list(rule.values)
    path = context.settings.config_path("sources.yaml")
    if not path.exists():
        return list(rule.values)
    try:
        enabled = {source.id for source in load_sources(path, only_enabled=True)}
    except ConfigError as exc:
        context.report.warn(f"rule '{rule.name}': every value watched, sources unreadable: {exc}")
        return list(rule.values)
    unknown = [v for v in rule.values if v not in enabled]
    polled = _polled_sources(context)
    waiting = [v for v in rule.values if v in enabled and v not in polled]
    if (unknown or waiting) and rule.name not in context.warned_rules:
        context.warned_rules.add(rule.name)
        if unknown:
            context.report.warn(
                f"rule '{rule.name}': {', '.join(unknown)} not enabled in {path.name}; not watched for silence"
            )
        if waiting:
            context.report.warn(
                f"rule '{rule.name}': {', '.join(waiting)} not polled yet; watched for silence once polled"
            )
    return [v for v in rule.values if v in enabled and v in polled]


def _polled_sources(context: CheckContext) -> set[str]:
    """Sources polled at least once: on a deployment's first day, a source never polled is not silent."""
    from crawlers.health import polled_sources

    return polled_sources(Path(context.settings.state_dir))
