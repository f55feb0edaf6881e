"""The alert stage: evaluate the rules against the index, render emails, queue them, deliver the outbox.

Every email is written to the SQLite outbox before a send is tried; an SMTP failure leaves it there for
the next run (never lost), and a delivered message is never sent again (message ids are stable).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

from alerting.detectors import detect_emerging, detect_spikes, should_refire
from alerting.emails import AlertEmail, Section, Story, kibana_discover_link, render_email
from alerting.rules import (
    AlertsConfig,
    CoverageGapRule,
    DigestRule,
    NewEntityRule,
    SpikeRule,
    WatchRule,
    load_rules,
    parse_duration,
)
from alerting.smtp import SmtpConfig, deliver_outbox
from alerting.state import AlertState, FiredAlert
from indexing.backend import IndexBackend, IndexUnavailable, QuerySyntaxError, SearchFilters, SearchRequest
from whirlpool.article import Article
from whirlpool.report import ProgressCallback, StageReport, no_progress
from whirlpool.settings import Settings
from whirlpool.sources import load_sources
from whirlpool.yamlconfig import ConfigError

CHART_DAYS = 14
# CRLF line ends as sent on the wire; long subjects unfolded (Python folds "(s)" badly).
WIRE_POLICY = policy.SMTP.clone(max_line_length=998)

# Which SearchFilters field narrows a search to one value of a count dimension.
_FILTER_FIELD = {
    "themes": "themes",
    "entities": "entities",
    "source_kind": "source_kinds",
    "source_id": "source_ids",
    "language": "languages",
}
_KQL_FIELD = {"themes": "themes", "entities": "entities", "source_kind": "source_kind", "source_id": "source_id", "language": "language"}  # fmt: skip


def state_path(settings: Settings) -> Path:
    return settings.state_dir / "alerts.sqlite"


def dry_run_dir(settings: Settings) -> Path:
    return settings.data_dir / "alerts" / "outbox-dry"


def run_alert_rules(
    settings: Settings,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: ProgressCallback = no_progress,
) -> StageReport:
    """Evaluate ``alerts.yaml`` now; send (or with ``dry_run`` write .eml files). Raises ConfigError on bad rules."""
    from indexing import open_backend

    report = StageReport("alerts")
    config = load_rules(settings.config_path("alerts.yaml"))
    # digests last, so a spike that fires in this run is in today's digest too
    rules = sorted((r for r in config.rules if r.enabled), key=lambda r: isinstance(r, DigestRule))
    report.count("rules", len(rules))
    if not settings.alerts.enabled:
        report.notes.append("alerts are disabled in settings (alerts.enabled: false)")
        return report
    now = (now or datetime.now(UTC)).astimezone(UTC)
    state = AlertState(state_path(settings))
    smtp = SmtpConfig.from_settings(settings.alerts.smtp)
    try:
        emails: list[tuple[AlertEmail, list[FiredAlert]]] = []
        evaluator: RuleEvaluator | None = None
        try:
            backend = open_backend(settings)
            backend.ensure_ready()
        except IndexUnavailable as exc:
            report.fail(f"index unavailable, alert rules not evaluated: {exc}", retry_later=True)
            backend = None
        if backend is not None:
            try:
                evaluator = RuleEvaluator(backend, state, config, settings, now, report)
                for number, rule in enumerate(rules):
                    progress(number, len(rules), f"rule {rule.name}")
                    emails.extend(evaluator.evaluate(rule))
                progress(len(rules), len(rules), "rules evaluated")
            except IndexUnavailable as exc:
                report.fail(f"index unavailable, alert rules not evaluated: {exc}", retry_later=True)
            finally:
                backend.close()
        report.count("fired", sum(len(fired) or 1 for _, fired in emails))
        if dry_run:
            _write_dry_run(settings, smtp, emails, report)
        else:
            _queue_and_deliver(state, smtp, emails, now, report, evaluator.on_queued if evaluator else [])
    finally:
        state.close()
    return report


def _write_dry_run(settings: Settings, smtp: SmtpConfig, emails, report: StageReport) -> None:
    folder = dry_run_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    for email, _ in emails:
        data = render_email(email, smtp.sender).as_bytes()
        name = f"{email.rule}-{email.message_id[1:13]}.eml"
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(folder / name)
        report.notes.append(f"would send to {', '.join(email.recipients)}: {email.subject}")
    report.count("would_send", len(emails))
    report.outputs.append(f"{len(emails)} email(s) written to {folder}")


def _queue_and_deliver(
    state: AlertState, smtp: SmtpConfig, emails, now: datetime, report: StageReport, on_queued: list
) -> None:
    """Queue every email (and what fired) first, then mark watch hits and digests done, then send."""
    for email, fired in emails:
        message = render_email(email, smtp.sender)
        eml = message.as_bytes(policy=WIRE_POLICY)
        state.enqueue(email.message_id, email.rule, email.recipients, email.subject, eml, now)
        for alert in fired:
            alert.message_id = email.message_id
            state.record_fired(alert)
    for mark_done in on_queued:
        mark_done()
    sent, problems = deliver_outbox(state, smtp)
    report.count("sent", sent)
    kept = len(state.undelivered())
    report.count("kept_for_retry", kept)
    for problem in problems:
        report.fail(problem)
    if sent:
        report.outputs.append(f"{sent} email(s) sent via {smtp.address}")


class RuleEvaluator:
    """Evaluates one rule at a time against the index at ``now``; returns the emails to send."""

    def __init__(
        self, backend: IndexBackend, state: AlertState, config: AlertsConfig, settings: Settings,
        now: datetime, report: StageReport,
    ) -> None:  # fmt: skip
        self.backend, self.state, self.config = backend, state, config
        self.settings, self.now, self.report = settings, now, report
        self.on_queued: list[Callable[[], None]] = []  # state changes to make once the emails are queued
        self.fired_this_run: list[FiredAlert] = []  # not in the state until the emails are queued
        self._warned_rules: set[str] = set()

    def evaluate(self, rule) -> list[tuple[AlertEmail, list[FiredAlert]]]:
        try:
            if isinstance(rule, SpikeRule | NewEntityRule):
                emails = self.spike(rule) if isinstance(rule, SpikeRule) else self.new_entity(rule)
                self.fired_this_run += [alert for _, fired in emails for alert in fired]
                return emails
            if isinstance(rule, WatchRule):
                return self.watch(rule)
            if isinstance(rule, CoverageGapRule):
                return self.coverage_gap(rule)
            if isinstance(rule, DigestRule):
                return self.digest(rule)
        except QuerySyntaxError as exc:
            self.report.fail(f"rule '{rule.name}': query cannot be parsed: {exc}")
        return []

    # helpers
    def _filters(
        self, dimension: str | None, value: str | None, since: datetime, until: datetime, **kw
    ) -> SearchFilters:
        filters = SearchFilters(since=since, until=until, **kw)
        if dimension in _FILTER_FIELD and value is not None:
            getattr(filters, _FILTER_FIELD[dimension]).append(value)
        return filters

    def top_stories(self, query: str | None, filters: SearchFilters, limit: int = 5) -> list[Story]:
        filters.representatives_only = True
        result = self.backend.search(
            SearchRequest(query=query or "", filters=filters, sort="date", limit=limit, highlight=False)
        )
        reps = [hit.article for hit in result.hits]
        copies = self._copies(query, filters)
        return [_story(a, copies.get(a.cluster_id or a.id, 1)) for a in reps]

    def _copies(self, query: str | None, filters: SearchFilters) -> Counter:
        all_filters = SearchFilters(**{**filters.__dict__, "representatives_only": False})
        result = self.backend.search(
            SearchRequest(query=query or "", filters=all_filters, sort="date", limit=500, highlight=False)
        )
        return Counter(hit.article.cluster_id or hit.article.id for hit in result.hits)

    def daily_series(self, dimension: str, value: str, query: str | None) -> list[int]:
        start = self.now - timedelta(days=CHART_DAYS)
        counts = self.backend.bucket_counts(
            dimension, timedelta(days=1), start, self.now, query=query,
            filters=SearchFilters(exclude_guessed_dates=True),
        )  # fmt: skip
        return [b.count for b in counts.get(value, [])] or [0] * CHART_DAYS

    def kibana(self, dimension: str, value: str, query: str | None, start: datetime) -> str:
        parts = [f"({query})"] if query else []
        if dimension in _KQL_FIELD:
            parts.append(f'{_KQL_FIELD[dimension]}:"{value}"')
        return kibana_discover_link(
            self.settings.alerts.kibana_url, " AND ".join(parts) or "*", start, self.now,
            self.settings.elasticsearch.index_prefix,
        )  # fmt: skip

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

    # rules
    def spike(self, rule: SpikeRule) -> list[tuple[AlertEmail, list[FiredAlert]]]:
        window = parse_duration(rule.window)
        start = self.now - window * (rule.baseline_windows + 1)
        counts = self.backend.bucket_counts(
            rule.dimension, window, start, self.now, query=rule.query,
            filters=SearchFilters(exclude_guessed_dates=True),
        )  # fmt: skip
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
            if self.in_cooldown(
                rule.name, key, parse_duration(rule.cooldown), decision.current, rule.refire_factor
            ):
                continue
            stories = self.top_stories(
                rule.query,
                self._filters(rule.dimension, key, self.now - window, self.now, exclude_guessed_dates=True),
            )
            label = key if rule.dimension != "total" else (rule.query or "all coverage")
            subject = (
                f"Spike: {label} {decision.current} stories in {rule.window}, {decision.ratio:.0f}× baseline"
            )
            section = Section(
                heading=f"{label}: {decision.current} story clusters in the last {rule.window}",
                reason=f"{decision.reason()}; threshold p={p_value:.2g}; baseline = previous "
                f"{rule.baseline_windows} windows of {rule.window}, copies counted once, guessed dates left out",
                stories=stories,
                series=self.daily_series(rule.dimension, key, rule.query),
                series_label=label,
                kibana_link=self.kibana(
                    rule.dimension, key, rule.query, self.now - timedelta(days=CHART_DAYS)
                ),
            )
            email = AlertEmail(
                rule.name,
                f"{key}|{self.now.isoformat()}",
                subject,
                self.config.recipients(rule),
                [section],
                self.now,
            )
            fired = FiredAlert(
                rule.name, key, self.now, self.now - window, self.now, decision.current,
                decision.baseline_mean, [s.id for s in stories],
            )  # fmt: skip
            out.append((email, [fired]))
        return out

    def new_entity(self, rule: NewEntityRule) -> list[tuple[AlertEmail, list[FiredAlert]]]:
        window = parse_duration(rule.window)
        start = self.now - window * (rule.baseline_windows + 1)
        counts = self.backend.bucket_counts(
            rule.dimension, window, start, self.now, filters=SearchFilters(exclude_guessed_dates=True)
        )
        sections, fired = [], []
        for key, buckets in sorted(counts.items()):
            series = [b.count for b in buckets]
            if len(series) < 2 or not detect_emerging(
                series[-1], series[:-1], rule.min_count, rule.max_baseline_total
            ):
                continue
            if self.in_cooldown(rule.name, key, parse_duration(rule.cooldown), series[-1], None):
                continue
            stories = self.top_stories(None, self._filters(rule.dimension, key, self.now - window, self.now))
            sections.append(
                Section(
                    heading=f"New: {key} ({series[-1]} story clusters in the last {rule.window})",
                    reason=f"{sum(series[:-1])} cluster(s) in the previous {rule.baseline_windows} windows, "
                    f"{series[-1]} now (threshold {rule.min_count})",
                    stories=stories,
                    kibana_link=self.kibana(rule.dimension, key, None, self.now - window),
                )
            )
            fired.append(FiredAlert(rule.name, key, self.now, self.now - window, self.now, series[-1],
                                    sum(series[:-1]) / max(1, len(series) - 1), [s.id for s in stories]))  # fmt: skip
        if not sections:
            return []
        names = ", ".join(f.series_key for f in fired[:3]) + ("…" if len(fired) > 3 else "")
        subject = f"New {rule.dimension}: {names}, {len(fired)} in the last {rule.window}"
        key = "|".join(f.series_key for f in fired) + f"|{self.now.isoformat()}"
        return [
            (AlertEmail(rule.name, key, subject, self.config.recipients(rule), sections, self.now), fired)
        ]

    def watch(self, rule: WatchRule) -> list[tuple[AlertEmail, list[FiredAlert]]]:
        since = self.now - parse_duration(rule.lookback)
        filters = SearchFilters(since=since, until=self.now, relevant_only=True)
        stories = [
            s
            for s in self.top_stories(rule.query, filters, limit=50)
            if not self.state.watch_seen(rule.name, s.id)
        ]
        if not stories:
            return []
        held = rule.delivery == "digest"
        ids = [s.id for s in stories]
        self.on_queued.append(lambda: self.state.mark_watch_seen(rule.name, ids, self.now, held))
        if held:
            self.report.count("watch_held_for_digest", len(stories))
            return []
        subject = f"Watch: {len(stories)} new stor{'y' if len(stories) == 1 else 'ies'} matching {rule.query}"
        section = Section(
            heading=f"New stories matching “{rule.query}”",
            reason=f"saved query of rule '{rule.name}'",
            stories=stories,
            kibana_link=kibana_discover_link(self.settings.alerts.kibana_url, rule.query, since, self.now),
        )
        key = "|".join(sorted(s.id for s in stories))
        fired = FiredAlert(
            rule.name, rule.query, self.now, since, self.now, len(stories), 0.0, [s.id for s in stories]
        )
        return [
            (AlertEmail(rule.name, key, subject, self.config.recipients(rule), [section], self.now), [fired])
        ]

    def watched_values(self, rule: CoverageGapRule) -> list[str]:
        """The rule's values that can have items: for sources, only those enabled in sources.yaml
        (a source that is not polled is silent by construction; saying so once is enough)."""
        if rule.dimension != "source_id":
            return list(rule.values)
        path = self.settings.config_path("sources.yaml")
        if not path.exists():
            return list(rule.values)
        try:
            enabled = {source.id for source in load_sources(path, only_enabled=True)}
        except ConfigError as exc:
            self.report.warn(f"rule '{rule.name}': every value watched, sources unreadable: {exc}")
            return list(rule.values)
        unknown = [v for v in rule.values if v not in enabled]
        if unknown and rule.name not in self._warned_rules:
            self._warned_rules.add(rule.name)
            self.report.warn(
                f"rule '{rule.name}': {', '.join(unknown)} not enabled in {path.name}; not watched for silence"
            )
        return [v for v in rule.values if v in enabled]

    def silent_values(self, rule: CoverageGapRule) -> list[str]:
        since = self.now - parse_duration(rule.silence)
        return [
            v
            for v in self.watched_values(rule)
            if self.backend.count(self._filters(rule.dimension, v, since, self.now)) == 0
        ]

    def coverage_gap(self, rule: CoverageGapRule) -> list[tuple[AlertEmail, list[FiredAlert]]]:
        silent = [
            v for v in self.silent_values(rule)
            if not self.in_cooldown(rule.name, v, parse_duration(rule.cooldown), 0, None)
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
        since = self.now - parse_duration(rule.silence)
        fired = [FiredAlert(rule.name, v, self.now, since, self.now, 0, 0.0, []) for v in silent]
        key = "|".join(silent) + f"|{self.now.isoformat()}"
        return [
            (AlertEmail(rule.name, key, subject, self.config.recipients(rule), [section], self.now), fired)
        ]

    def digest(self, rule: DigestRule) -> list[tuple[AlertEmail, list[FiredAlert]]]:
        local = self.now.astimezone(ZoneInfo(rule.timezone))
        day = local.date().isoformat()
        if local.hour < rule.hour or self.state.digest_sent(rule.name, day):
            return []
        since = self.now - timedelta(days=1)
        email = build_digest(self, rule, since, day)
        self.on_queued.append(lambda: self.state.mark_digest_sent(rule.name, day))
        self.on_queued.append(self.state.release_held_watch_hits)
        return [(email, [])]


def build_digest(ev: RuleEvaluator, rule: DigestRule, since: datetime, day: str) -> AlertEmail:
    """The day's spikes, top clusters per theme, watch hits held for the digest, and coverage gaps."""
    sections: list[Section] = []
    earlier = ev.state.fired_between(since, ev.now + timedelta(seconds=1))
    spikes = [f for f in earlier + ev.fired_this_run
              if isinstance(_rule(ev.config, f.rule), SpikeRule | NewEntityRule)]  # fmt: skip
    if spikes:
        sections.append(Section(
            heading="Alerts of the day",
            lines=[f"{f.rule}: {f.series_key}, {f.count} clusters (baseline {f.baseline:.1f}) at "
                   f"{f.fired_at.strftime('%H:%M UTC')}" for f in spikes],
        ))  # fmt: skip
    gaps = []
    for other in ev.config.rules:
        if isinstance(other, CoverageGapRule) and other.enabled:
            gaps += [f"no items from {v} in the last {other.silence}" for v in ev.silent_values(other)]
    if gaps:
        sections.append(
            Section(heading="Coverage gaps", reason="a dead feed is not a quiet news day", lines=gaps)
        )
    held = ev.state.take_held_watch_hits()
    if held:
        stories = [_story(a) for a in (ev.backend.get(aid) for _, aid in held) if a is not None]
        sections.append(
            Section(heading="Watched queries", reason="new stories matching saved queries", stories=stories)
        )
    theme_counts = ev.backend.bucket_counts(
        "themes", timedelta(days=1), ev.now - timedelta(days=CHART_DAYS), ev.now,
        filters=SearchFilters(exclude_guessed_dates=True, relevant_only=True),
    )  # fmt: skip
    ranked = sorted(theme_counts.items(), key=lambda kv: -(kv[1][-1].count if kv[1] else 0))
    for theme, buckets in ranked:
        today = buckets[-1].count if buckets else 0
        if today == 0:
            continue
        stories = ev.top_stories(
            None,
            SearchFilters(since=since, until=ev.now, themes=[theme], relevant_only=True),
            rule.top_per_theme,
        )
        sections.append(Section(
            heading=f"{theme.replace('_', ' ').capitalize()}: {today} stor{'y' if today == 1 else 'ies'}",
            stories=stories,
            series=[b.count for b in buckets],
            series_label=theme,
            kibana_link=ev.kibana("themes", theme, None, ev.now - timedelta(days=CHART_DAYS)),
        ))  # fmt: skip
    # a story tagged with three themes is one story: count the relevant clusters once, not per theme
    total = ev.backend.bucket_counts(
        "total", timedelta(days=1), ev.now - timedelta(days=1), ev.now,
        filters=SearchFilters(exclude_guessed_dates=True, relevant_only=True),
    ).get("total", [])  # fmt: skip
    total_today = total[-1].count if total else 0
    subject = (
        f"Daily digest {day}: {_plural(total_today, 'story cluster')}, {_plural(len(spikes), 'alert')}, "
        f"{_plural(len(gaps), 'coverage gap')}"
    )
    return AlertEmail(rule.name, f"digest|{day}", subject, ev.config.recipients(rule), sections, ev.now)


def _rule(config: AlertsConfig, name: str):
    return next((r for r in config.rules if r.name == name), None)


def _story(article: Article, copies: int = 1) -> Story:
    snippet = (article.summary or article.body)[:240]
    return Story(
        article.id, article.title or article.url, article.source_name or article.source_id, article.language,
        article.published_at, article.url, copies, snippet,
    )  # fmt: skip


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
