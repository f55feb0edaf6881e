"""One check per alert rule type, behind one interface (``RuleCheck``), found by the rule's class.

A new rule type is a pydantic class in ``alerting.rules`` and a ``RuleCheck`` here, registered in
``CHECKS``; the engine (``alerting.engine``) only runs the checks, in order, and sends what they return.
"""

from __future__ import annotations

from pydantic import BaseModel

from alerting.checks.base import CheckContext, Emails, RuleCheck
from alerting.checks.coverage_gap import CoverageGapCheck
from alerting.checks.digest import DigestCheck
from alerting.checks.new_entity import NewEntityCheck
from alerting.checks.spike import SpikeCheck
from alerting.checks.watch import WatchCheck
from alerting.rules import CoverageGapRule, DigestRule, NewEntityRule, SpikeRule, WatchRule

__all__ = ["CHECKS", "CheckContext", "Emails", "RuleCheck", "UnknownRuleType", "check_for"]

CHECKS: dict[type[BaseModel], type[RuleCheck]] = {
    SpikeRule: SpikeCheck,
    NewEntityRule: NewEntityCheck,
    WatchRule: WatchCheck,
    CoverageGapRule: CoverageGapCheck,
    DigestRule: DigestCheck,
}


class UnknownRuleType(LookupError):
    """A rule whose type has no check registered in ``CHECKS`` (a programmer error, not a config one)."""


def check_for(rule: BaseModel) -> RuleCheck:
    """The check registered for the rule's class, bound to the rule."""
    check = CHECKS.get(type(rule))
    if check is None:
        kind = getattr(rule, "type", type(rule).__name__)
        raise UnknownRuleType(
            f"rule '{getattr(rule, 'name', '?')}': no check registered for rule type {kind!r} "
            f"({type(rule).__name__}); add one to alerting.checks.CHECKS"
        )
    return check(rule)
