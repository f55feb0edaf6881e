"""The alert stage: evaluate the rules against the index, render emails, queue them, deliver the outbox.

Each rule is evaluated by the check registered for its type (``alerting.checks``); this module is the
run loop: the state, the order (digests last), the outbox and sending.

Every email is written to the SQLite outbox before a send is tried; an SMTP failure leaves it there for
the next run (never lost), and a delivered message is never sent again (message ids are stable).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from pathlib import Path

from alerting.checks import CheckContext, Emails, RuleCheck, check_for
from alerting.emails import render_email
from alerting.rules import DigestRule, load_rules
from alerting.smtp import deliver_outbox
from alerting.state import AlertState
from indexing.backend import IndexUnavailable, QuerySyntaxError
from whirlpool.report import ProgressCallback, StageReport, no_progress
from whirlpool.settings import Settings, SmtpSettings

# CRLF line ends as sent on the wire; long subjects unfolded (Python folds "(s)" badly).
WIRE_POLICY = policy.SMTP.clone(max_line_length=998)


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
    checks = [check_for(rule) for rule in rules]  # a rule type without a check fails before any work
    now = (now or datetime.now(UTC)).astimezone(UTC)
    state = AlertState(state_path(settings))
    smtp = settings.alerts.smtp
    try:
        emails: Emails = []
        context: CheckContext | None = None
        try:
            backend = open_backend(settings)
            backend.ensure_ready()
        except IndexUnavailable as exc:
            report.fail(f"index unavailable, alert rules not evaluated: {exc}", retry_later=True)
            backend = None
        if backend is not None:
            try:
                context = CheckContext(backend, state, config, settings, now, report)
                for number, check in enumerate(checks):
                    progress(number, len(checks), f"rule {check.rule.name}")
                    emails.extend(evaluate(check, context))
                progress(len(checks), len(checks), "rules evaluated")
            except IndexUnavailable as exc:
                report.fail(f"index unavailable, alert rules not evaluated: {exc}", retry_later=True)
            finally:
                backend.close()
        report.count("fired", sum(len(fired) or 1 for _, fired in emails))
        if dry_run:
            _write_dry_run(settings, smtp, emails, report)
        else:
            _queue_and_deliver(state, smtp, emails, now, report, context.on_queued if context else [],
                               settings.alerts.timezone)
    finally:
        state.close()
    return report


def evaluate(check: RuleCheck, context: CheckContext) -> Emails:
    """One rule's emails; a query that cannot be parsed is reported, not raised. What fires is added
    to ``context.fired_this_run`` for the rules evaluated after it (the digest)."""
    try:
        emails = check.evaluate(context)
    except QuerySyntaxError as exc:
        context.report.fail(f"rule '{check.rule.name}': query cannot be parsed: {exc}")
        return []
    context.fired_this_run += [alert for _, fired in emails for alert in fired]
    return emails


def _write_dry_run(settings: Settings, smtp: SmtpSettings, emails: Emails, report: StageReport) -> None:
    folder = dry_run_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    for email, _ in emails:
        data = render_email(email, smtp.sender, settings.alerts.timezone).as_bytes()
        name = f"{email.rule}-{email.message_id[1:13]}.eml"
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(folder / name)
        report.notes.append(f"would send to {', '.join(email.recipients)}: {email.subject}")
    report.count("would_send", len(emails))
    report.outputs.append(f"{len(emails)} email(s) written to {folder}")


def _queue_and_deliver(
    state: AlertState, smtp: SmtpSettings, emails: Emails, now: datetime, report: StageReport, on_queued: list,
    timezone: str = "UTC",
) -> None:
    """Queue every email (and what fired) first, then mark watch hits and digests done, then send."""
    for email, fired in emails:
        message = render_email(email, smtp.sender, timezone)
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
    for problem in problems:  # undelivered mail is kept, and the run fails so that someone looks
        report.fail(problem, retry_later=kept > 0)
    if sent:
        report.outputs.append(f"{sent} email(s) sent via {smtp.address}")
