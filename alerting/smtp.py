"""SMTP delivery: a small config built from Settings or an Airflow connection, and the outbox flush."""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.utils import parseaddr

from alerting.state import AlertState
from whirlpool.settings import SmtpSettings


class SmtpUnavailable(Exception):
    """The SMTP server cannot be reached or refused the login: messages stay in the outbox."""


def open_smtp(config: SmtpSettings) -> smtplib.SMTP:
    try:
        if config.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout_seconds, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
            if config.starttls:
                client.starttls(context=ssl.create_default_context())
        if config.username:
            client.login(config.username, config.password.get_secret_value() if config.password else "")
        return client
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpUnavailable(f"SMTP {config.address} unreachable: {exc}") from None


def deliver_outbox(state: AlertState, config: SmtpSettings) -> tuple[int, list[str]]:
    """Send every undelivered message; return (sent, problems). Undelivered ones stay for the next run."""
    pending = state.undelivered()
    if not pending:
        return 0, []
    try:
        client = open_smtp(config)
    except SmtpUnavailable as exc:
        for item in pending:
            state.mark_failed(item.message_id, str(exc))
        return 0, [f"{exc}; {len(pending)} alert(s) kept for the next run"]
    sent, problems = 0, []
    try:
        for item in pending:
            try:  # the stored bytes as they are: no re-serialisation, the same message every retry
                client.sendmail(_address(config.sender), item.recipients, item.eml)
            except smtplib.SMTPRecipientsRefused as exc:
                state.mark_failed(item.message_id, str(exc))
                problems.append(f"message {item.message_id} ({item.subject}): recipients refused: {exc}")
                continue
            except (OSError, smtplib.SMTPException) as exc:
                state.mark_failed(item.message_id, str(exc))
                left = len(pending) - sent
                problems.append(
                    f"SMTP {config.address} failed while sending: {exc}; {left} alert(s) kept for the next run"
                )
                break
            state.mark_delivered(item.message_id, datetime.now(UTC))
            sent += 1
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return sent, problems


def _address(sender: str) -> str:
    return parseaddr(sender)[1] or sender
