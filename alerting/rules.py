"""Alert rules from ``config/alerts.yaml``: validated at load, errors name file, line, rule and reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from alerting.detectors import p_value_for_budget
from whirlpool.timetext import known_zone, parse_duration  # noqa: F401 - the rules' grammar, re-exported
from whirlpool.yamlconfig import ConfigError, _node_line, read_yaml

SeriesDimension = Literal["themes", "entities", "source_kind", "source_id", "language", "total"]
# What spike, new_entity and digest rules count: stories (one event in any language and from any
# outlet once, processing.stories) or duplicate clusters (copies of one text once).
CountUnit = Literal["stories", "clusters"]


def _check_warm_up(value: str | None) -> str | None:
    if value is not None and value != "off":
        parse_duration(value)
    return value


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    recipients: list[str] | str  # addresses, or the name of a group in ``groups:``
    enabled: bool = True


class SpikeRule(_Rule):
    """Fire when the stories (or clusters) in the current window are unusually many against previous windows."""

    type: Literal["spike"]
    count: CountUnit = "stories"
    dimension: SeriesDimension = "themes"
    values: list[str] = Field(default_factory=list)  # empty: every value seen
    query: str | None = None  # a saved query instead of (or narrowing) a dimension
    window: str = "1d"
    baseline_windows: int = Field(14, ge=3)
    # The per-window p is derived from this budget: budget / (series of the rule × windows per week).
    false_alerts_per_week: float = Field(0.5, gt=0, le=7)
    p_value: float | None = Field(None, gt=0, lt=0.5)  # a fixed per-window p instead of the budget
    min_count: int = Field(3, ge=1)
    min_ratio: float = Field(2.0, ge=1)  # current / baseline mean
    baseline_floor: float = Field(1.0, gt=0)  # a quiet series' mean is taken as at least this
    # Overdispersion phi (variance = mean + phi × mean²): "auto" pools it over the rule's series; 0 = Poisson.
    dispersion: Literal["auto"] | Annotated[float, Field(ge=0, le=10)] = "auto"
    exclude_spikes: bool = True  # leave earlier spike windows out of the baseline
    # The window ends at each run's time; run every few minutes, the rule sees many overlapping windows
    # per window length, and p is corrected for them (scan statistic). false: the rule runs once a window.
    sliding_window: bool = True
    cooldown: str = "1d"
    refire_factor: float = Field(1.5, ge=1)  # re-send within the cool-down only past this growth
    # Silent until the index holds this much history (from its earliest trusted-date document);
    # default: the baseline, window x baseline_windows. "off" turns the warm-up off.
    warm_up: str | None = None

    _v = field_validator("window", "cooldown")(lambda v: (parse_duration(v), v)[1])
    _w = field_validator("warm_up")(_check_warm_up)

    def warm_up_period(self) -> timedelta:
        return _warm_up(self.warm_up, self.window, self.baseline_windows)

    def per_window_p(self, series: int) -> float:
        """The p each series' window is tested at: fixed, or spread from the false-alert budget."""
        if self.p_value is not None:
            return self.p_value
        windows_per_week = timedelta(days=7) / parse_duration(self.window)
        return p_value_for_budget(self.false_alerts_per_week, series, windows_per_week)


class NewEntityRule(_Rule):
    """An entity or term (nearly) absent from the baseline and now frequent."""

    type: Literal["new_entity"]
    count: CountUnit = "stories"
    dimension: Literal["entities", "places", "themes"] = "entities"
    window: str = "1d"
    baseline_windows: int = Field(14, ge=1)
    min_count: int = Field(3, ge=1)
    max_baseline_total: int = Field(1, ge=0)  # at most this many stories (clusters) over the whole baseline
    cooldown: str = "7d"
    warm_up: str | None = None  # as for spike rules: default the baseline, window x baseline_windows

    _v = field_validator("window", "cooldown")(lambda v: (parse_duration(v), v)[1])
    _w = field_validator("warm_up")(_check_warm_up)

    def warm_up_period(self) -> timedelta:
        return _warm_up(self.warm_up, self.window, self.baseline_windows)


def _warm_up(warm_up: str | None, window: str, baseline_windows: int) -> timedelta:
    """The history a rule needs before it may fire: ``warm_up``, or its whole baseline."""
    if warm_up is None:
        return parse_duration(window) * baseline_windows
    return timedelta(0) if warm_up == "off" else parse_duration(warm_up)


class WatchRule(_Rule):
    """Any new relevant article matching a saved query."""

    type: Literal["watch"]
    query: str = Field(min_length=1)
    delivery: Literal["immediate", "digest"] = "immediate"
    lookback: str = "1d"  # how far back a first run looks

    _v = field_validator("lookback")(lambda v: (parse_duration(v), v)[1])


class DigestRule(_Rule):
    """A daily summary at a set hour and time zone."""

    type: Literal["digest"]
    count: CountUnit = "stories"
    hour: int = Field(7, ge=0, le=23)
    timezone: str | None = None  # None: the alerts.timezone setting
    top_per_theme: int = Field(3, ge=1, le=20)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else known_zone(value)


class CoverageGapRule(_Rule):
    """A source or language with no items for ``silence`` is reported, so a dead feed is not a quiet day."""

    type: Literal["coverage_gap"]
    dimension: Literal["source_id", "language"] = "source_id"
    values: list[str] = Field(min_length=1)
    silence: str = "24h"
    cooldown: str = "1d"

    _v = field_validator("silence", "cooldown")(lambda v: (parse_duration(v), v)[1])


Rule = Annotated[
    SpikeRule | NewEntityRule | WatchRule | DigestRule | CoverageGapRule, Field(discriminator="type")
]
_RULE = TypeAdapter(Rule)


class AlertsConfig(BaseModel):
    groups: dict[str, list[str]] = Field(default_factory=dict)
    rules: list[SpikeRule | NewEntityRule | WatchRule | DigestRule | CoverageGapRule] = Field(
        default_factory=list
    )

    def recipients(self, rule: _Rule) -> list[str]:
        if isinstance(rule.recipients, str):
            return list(self.groups[rule.recipients])
        return list(rule.recipients)


def _rule_error(path: Path, node, name: str, message: str) -> str:
    line = f":{node.start_mark.line + 1}" if node is not None else ""
    return f"{path}{line}: rule '{name}': {message}"


def load_rules(path: Path) -> AlertsConfig:
    """Read and validate ``alerts.yaml``. Raises ConfigError naming file, line, rule and reason."""
    data, root = read_yaml(path)
    data = data or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: expected a mapping with 'groups' and 'rules'")
    unknown = set(data) - {"groups", "rules"}
    if unknown:
        raise ConfigError(f"{path}:1: unknown top-level key(s): {', '.join(sorted(unknown))}")
    groups = data.get("groups") or {}
    if not isinstance(groups, dict) or not all(
        isinstance(v, list) and all(isinstance(a, str) and "@" in a for a in v) for v in groups.values()
    ):
        raise ConfigError(f"{path}: 'groups' must map a group name to a list of email addresses")
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        raise ConfigError(f"{path}: 'rules' must be a list")
    rule_nodes = _child(root, "rules")
    problems: list[str] = []
    rules = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_rules):
        node = rule_nodes.value[number] if rule_nodes is not None else None
        name = raw.get("name", f"#{number + 1}") if isinstance(raw, dict) else f"#{number + 1}"
        try:
            rule = _RULE.validate_python(raw)
        except ValidationError as exc:
            tag = raw.get("type") if isinstance(raw, dict) else None
            for item in exc.errors():
                loc = tuple(item["loc"])
                loc = loc[1:] if loc and loc[0] == tag else loc  # drop the rule type pydantic puts first
                line = _node_line(node, loc)
                field = ".".join(str(p) for p in loc) or "(rule)"
                where = f"{path}:{line}" if line else str(path)
                problems.append(f"{where}: rule '{name}': field '{field}': {item['msg']}")
            continue
        if rule.name in seen:
            problems.append(_rule_error(path, node, name, "duplicate rule name"))
        seen.add(rule.name)
        if isinstance(rule.recipients, str) and rule.recipients not in groups:
            problems.append(_rule_error(path, node, name, f"unknown recipient group {rule.recipients!r}"))
        elif not rule.recipients or (
            isinstance(rule.recipients, list) and not all("@" in a for a in rule.recipients)
        ):
            problems.append(_rule_error(path, node, name, "recipients must be email addresses or a group"))
        rules.append(rule)
    if problems:
        raise ConfigError("\n".join(problems))
    return AlertsConfig(groups=groups, rules=rules)


def _child(root, key: str):
    if root is None or not hasattr(root, "value") or not isinstance(root.value, list):
        return None
    for key_node, value_node in root.value:
        if getattr(key_node, "value", None) == key:
            return value_node
    return None
