"""Each rule is evaluated by the check registered for its type in ``alerting.checks.CHECKS``."""

from __future__ import annotations

from typing import Literal, get_args

import pytest
from pydantic import BaseModel

from alerting.checks import CHECKS, CheckContext, Emails, RuleCheck, UnknownRuleType, check_for
from alerting.emails import AlertEmail
from alerting.engine import evaluate, run_alert_rules, state_path
from alerting.rules import AlertsConfig, SpikeRule
from alerting.state import AlertState, FiredAlert
from tests.alerts.conftest import NOW, make_settings
from whirlpool.report import StageReport


class QuietDayRule(BaseModel):
    """A rule type the engine has never seen."""

    name: str
    type: Literal["quiet_day"] = "quiet_day"
    recipients: list[str]


class QuietDayCheck(RuleCheck):
    rule: QuietDayRule

    def evaluate(self, context: CheckContext) -> Emails:
        fired = FiredAlert(self.rule.name, "all", context.now, context.now, context.now, 0, 0.0, [])
        email = AlertEmail(self.rule.name, "quiet", "Quiet day", self.rule.recipients, [], context.now)
        return [(email, [fired])]


class ReplacedSpikeCheck(RuleCheck):
    def evaluate(self, context: CheckContext) -> Emails:
        return [
            (AlertEmail(self.rule.name, "x", "Replaced spike check", ["a@example.org"], [], context.now), [])
        ]


def test_every_rule_type_in_alerts_yaml_has_a_check():
    (rule_union,) = get_args(AlertsConfig.model_fields["rules"].annotation)
    assert set(get_args(rule_union)) == set(CHECKS)


def test_a_new_rule_type_is_dispatched_to_the_check_registered_for_it(tmp_path, monkeypatch):
    from indexing import open_backend

    monkeypatch.setitem(CHECKS, QuietDayRule, QuietDayCheck)
    rule = QuietDayRule(name="quiet", recipients=["a@example.org"])
    settings = make_settings(tmp_path, 2525)
    state, backend, report = AlertState(state_path(settings)), open_backend(settings), StageReport("alerts")
    try:
        context = CheckContext(backend, state, AlertsConfig(), settings, NOW, report)
        check = check_for(rule)
        emails = evaluate(check, context)
    finally:
        backend.close()
        state.close()

    assert isinstance(check, QuietDayCheck) and check.rule is rule
    assert [email.subject for email, _ in emails] == ["Quiet day"]
    assert [alert.rule for alert in context.fired_this_run] == ["quiet"]  # seen by the digest after it


def test_a_rule_type_without_a_registered_check_is_an_error_naming_it():
    with pytest.raises(UnknownRuleType, match=r"rule 'quiet': no check registered for rule type 'quiet_day'"):
        check_for(QuietDayRule(name="quiet", recipients=["a@example.org"]))


def test_the_engine_evaluates_each_rule_with_the_check_of_its_type(tmp_path, monkeypatch):
    monkeypatch.setitem(CHECKS, SpikeRule, ReplacedSpikeCheck)
    report = run_alert_rules(make_settings(tmp_path, 2525), dry_run=True, now=NOW)
    assert report.notes == ["would send to a@example.org: Replaced spike check"]


def test_the_engine_refuses_a_rule_type_with_no_check_before_evaluating_anything(tmp_path, monkeypatch):
    monkeypatch.delitem(CHECKS, SpikeRule)
    with pytest.raises(
        UnknownRuleType, match=r"rule 'theme-spike': no check registered for rule type 'spike'"
    ):
        run_alert_rules(make_settings(tmp_path, 2525), dry_run=True, now=NOW)
