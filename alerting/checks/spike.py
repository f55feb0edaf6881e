"""``spike``: the stories (or duplicate clusters, ``count: clusters``) in the current window are unusually many against the previous windows."""

from __future__ import annotations

from alerting.checks.base import CheckContext, Emails, RuleCheck
from alerting.detectors import detect_spikes
from alerting.emails import AlertEmail, Section
from alerting.rules import SpikeRule, parse_duration
from alerting.state import FiredAlert


class SpikeCheck(RuleCheck):
    rule: SpikeRule

    def evaluate(self, context: CheckContext) -> Emails:
        rule, now = self.rule, context.now
        if context.warming_up(rule.name, rule.warm_up_period()):
            return []
        window, counts = context.window_counts(
            rule.dimension, rule.window, rule.baseline_windows, rule.query, rule.count
        )
        out = []
        keyed = {
            key: [b.count for b in buckets]
            for key, buckets in sorted(counts.items())
            if (not rule.values or key in rule.values) and len(buckets) >= 2
        }
        # The budget is spread over every series the rule watches (its listed values, or all it sees).
        p_value = rule.per_window_p(len(rule.values) or len(keyed))
        decisions = detect_spikes(
            [series[-1] for series in keyed.values()],
            [series[:-1] for series in keyed.values()],
            p_value, rule.min_count, rule.min_ratio, rule.baseline_floor,
            None if rule.dispersion == "auto" else rule.dispersion, rule.exclude_spikes, rule.sliding_window,
        )  # fmt: skip
        for key, decision in zip(keyed, decisions, strict=True):
            if not decision.fired:
                continue
            if context.in_cooldown(
                rule.name, key, parse_duration(rule.cooldown), decision.current, rule.refire_factor
            ):
                continue
            listed = context.filters(rule.dimension, key, now - window, now, exclude_guessed_dates=True)
            stories = context.top_stories(rule.query, listed)
            label = key if rule.dimension != "total" else (rule.query or "all coverage")
            unit = "stories" if rule.count == "stories" else "story clusters"
            subject = (
                f"Spike: {label} {decision.current} {unit} in {rule.window}, {decision.ratio:.0f}× baseline"
            )
            counted = "one event in any language counted once" if rule.count == "stories" else "copies counted once"
            section = Section(
                heading=f"{label}: {decision.current} {unit} in the last {rule.window}",
                reason=f"{decision.reason(unit)}; threshold p={p_value:.2g}; baseline = previous "
                f"{rule.baseline_windows} windows of {rule.window}, {counted}, guessed dates left out",
                stories=stories,
                series=context.daily_series(rule.dimension, key, rule.query, rule.count),
                series_label=label,
                series_unit=rule.count,
                kibana_link=context.kibana(rule.query, listed, rule.dimension, key),
            )
            email = AlertEmail(
                rule.name,
                f"{key}|{now.isoformat()}",
                subject,
                context.config.recipients(rule),
                [section],
                now,
            )
            fired = FiredAlert(
                rule.name, key, now, now - window, now, decision.current,
                decision.baseline_mean, [s.id for s in stories],
            )  # fmt: skip
            out.append((email, [fired]))
        return out
