"""Errors as data: what each stage did, and what failed, in records a person can act on."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

# A stage reports progress through this: (done, total or None, what it is doing now).
ProgressCallback = Callable[[int, int | None, str], None]


def no_progress(done: int, total: int | None, message: str) -> None:
    return None


@dataclass
class Outcome:
    """One thing that went wrong (or is worth telling): where, what, and why, in one line."""

    stage: str
    reason: str
    source_id: str | None = None
    url: str | None = None
    severity: str = "error"  # error | warning
    retry_later: bool = False  # nothing was done and nothing lost: the same run later may succeed
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def line(self) -> str:
        where = " ".join(part for part in (self.source_id, self.url) if part)
        return f"[{self.stage}] {where}: {self.reason}" if where else f"[{self.stage}] {self.reason}"


@dataclass
class StageReport:
    """What a stage did: counts by name, outcomes, and where its output went."""

    stage: str
    counts: Counter = field(default_factory=Counter)
    outcomes: list[Outcome] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def fail(
        self, reason: str, source_id: str | None = None, url: str | None = None, retry_later: bool = False
    ) -> Outcome:
        outcome = Outcome(self.stage, reason, source_id, url, "error", retry_later)
        self.outcomes.append(outcome)
        return outcome

    def warn(self, reason: str, source_id: str | None = None, url: str | None = None) -> Outcome:
        outcome = Outcome(self.stage, reason, source_id, url, "warning")
        self.outcomes.append(outcome)
        return outcome

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.severity == "error"]

    def to_dict(self) -> dict:
        return {
            "stage": self.stage,
            "counts": dict(self.counts),
            "errors": [o.line() for o in self.errors],
            "warnings": [o.line() for o in self.outcomes if o.severity != "error"],
            "outputs": self.outputs,
            "notes": self.notes,
        }


def append_outcomes(log_path: Path, outcomes: list[Outcome]) -> None:
    """Keep every outcome in ``<data_dir>/logs/outcomes.jsonl`` for later runs and audits."""
    if not outcomes:
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as fh:
        for outcome in outcomes:
            fh.write(json.dumps(outcome.__dict__, ensure_ascii=False) + "\n")
