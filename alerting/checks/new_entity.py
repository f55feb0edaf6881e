"""``new_entity``: an entity or term (nearly) absent from the baseline windows and now frequent."""

from __future__ import annotations

from alerting.checks.base import CheckContext, Emails, RuleCheck
from alerting.detectors import detect_emerging
from alerting.emails import AlertEmail, Section
from alerting.rules import NewEntityRule, parse_duration
from alerting.state import FiredAlert


class NewEntityCheck(RuleCheck):
    rule: NewEntityRule

    def evaluate(self, context: CheckContext) -> Emails:
        rule, now = self.rule, context.now
        if context.warming_up(rule.name, rule.warm_up_period()):
            return []
        window, counts = context.window_counts(
            rule.dimension, rule.window, rule.baseline_windows, unit=rule.count
        )
        unit = "stories" if rule.count == "stories" else "story clusters"
        sections, fired = [], []
        for key, buckets in sorted(counts.items()):
            series = [b.count for b in buckets]
            if len(series) < 2 or not detect_emerging(
                series[-1], series[:-1], rule.min_count, rule.max_baseline_total
            ):
                continue
            if context.in_cooldown(rule.name, key, parse_duration(rule.cooldown), series[-1], None):
                continue
            listed = context.filters(rule.dimension, key, now - window, now)
            stories = context.top_stories(None, listed)
            sections.append(
                Section(
                    heading=f"New: {key} ({series[-1]} {unit} in the last {rule.window})",
                    reason=f"{sum(series[:-1])} {unit} in the previous {rule.baseline_windows} windows, "
                    f"{series[-1]} now (threshold {rule.min_count})",
                    stories=stories,
                    kibana_link=context.kibana(None, listed, rule.dimension, key),
                )
            )
            fired.append(FiredAlert(rule.name, key, now, now - window, now, series[-1],
                                    sum(series[:-1]) / max(1, len(series) - 1), [s.id for s in stories]))  # fmt: skip
        if not sections:
            return []
        names = ", ".join(f.series_key for f in fired[:3]) + ("…" if len(fired) > 3 else "")
        subject = f"New {rule.dimension}: {names}, {len(fired)} in the last {rule.window}"
        key = "|".join(f.series_key for f in fired) + f"|{now.isoformat()}"
        return [(AlertEmail(rule.name, key, subject, context.config.recipients(rule), sections, now), fired)]
