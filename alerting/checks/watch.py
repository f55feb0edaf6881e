"""``watch``: new relevant stories matching a saved query, sent now or held for the digest."""

from __future__ import annotations

from alerting.checks.base import CheckContext, Emails, RuleCheck
from alerting.emails import AlertEmail, Section
from alerting.rules import WatchRule, parse_duration
from alerting.state import FiredAlert
from indexing.backend import SearchFilters


class WatchCheck(RuleCheck):
    rule: WatchRule

    def evaluate(self, context: CheckContext) -> Emails:
        rule, now, state = self.rule, context.now, context.state
        since = now - parse_duration(rule.lookback)
        filters = SearchFilters(since=since, until=now, relevant_only=True)
        stories = [
            s
            for s in context.top_stories(rule.query, filters, limit=50)
            if not state.watch_seen(rule.name, s.id)
        ]
        if not stories:
            return []
        held = rule.delivery == "digest"
        ids = [s.id for s in stories]
        context.on_queued.append(lambda: state.mark_watch_seen(rule.name, ids, now, held))
        if held:
            context.report.count("watch_held_for_digest", len(stories))
            return []
        subject = f"Watch: {len(stories)} new stor{'y' if len(stories) == 1 else 'ies'} matching {rule.query}"
        section = Section(
            heading=f"New stories matching “{rule.query}”",
            reason=f"saved query of rule '{rule.name}'",
            stories=stories,
            kibana_link=context.kibana(rule.query, filters),
        )
        key = "|".join(sorted(s.id for s in stories))
        fired = FiredAlert(rule.name, rule.query, now, since, now, len(stories), 0.0, [s.id for s in stories])
        return [
            (AlertEmail(rule.name, key, subject, context.config.recipients(rule), [section], now), [fired])
        ]
