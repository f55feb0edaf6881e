"""Detectors: plain functions over lists of counts (clusters per window). Used by the engine and the replay.

The spike test is a Poisson upper tail: P(X >= current | mean of the baseline windows), with a floor
on the baseline mean (a quiet series is not "infinitely" surprised by 2 stories), a minimum count and
a minimum ratio. The replay (``alerting/replay.py``) measures recall, false alerts and delay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SpikeDecision:
    fired: bool
    current: int
    baseline_mean: float
    ratio: float
    p_value: float

    def reason(self) -> str:
        return (
            f"{self.current} clusters against a baseline mean of {self.baseline_mean:.1f} "
            f"({self.ratio:.1f}×, Poisson p={self.p_value:.2g})"
        )


def poisson_upper_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean), computed stably in log space."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    # 1 - P(X <= k-1); sum the lower terms in log space.
    log_terms = [i * math.log(mean) - mean - math.lgamma(i + 1) for i in range(k)]
    top = max(log_terms)
    lower = math.exp(top) * sum(math.exp(t - top) for t in log_terms)
    if lower < 0.999:
        return max(0.0, 1.0 - lower)
    # Near 1: sum the upper terms directly for precision.
    total, i = 0.0, k
    while True:
        term = math.exp(i * math.log(mean) - mean - math.lgamma(i + 1))
        total += term
        if term < 1e-18 * max(total, 1e-300) or i > k + 10_000:
            return total
        i += 1


def detect_spike(
    current: int,
    baseline: list[int],
    p_value: float = 0.001,
    min_count: int = 5,
    min_ratio: float = 2.0,
    baseline_floor: float = 1.0,
) -> SpikeDecision:
    """Is ``current`` unusual against ``baseline`` (the previous windows' counts)?"""
    mean = max(sum(baseline) / len(baseline) if baseline else 0.0, baseline_floor)
    ratio = current / mean
    p = poisson_upper_tail(current, mean)
    fired = current >= min_count and ratio >= min_ratio and p <= p_value
    return SpikeDecision(fired, current, mean, ratio, p)


def detect_emerging(
    current: int, baseline: list[int], min_count: int = 3, max_baseline_total: int = 1
) -> bool:
    """A value (nearly) absent in the baseline and now frequent."""
    return current >= min_count and sum(baseline) <= max_baseline_total


def is_silent(counts: list[int]) -> bool:
    """No items at all over the silence period (a source or language that went quiet)."""
    return sum(counts) == 0


def should_refire(previous_count: int, current: int, refire_factor: float) -> bool:
    """Within the cool-down, send again only when the spike grew past ``refire_factor``."""
    return current >= previous_count * refire_factor


def detect_spike_robust_z(
    current: int, baseline: list[int], threshold: float = 3.5, min_count: int = 5
) -> bool:
    """The alternative the replay compares against: a robust z-score on median and MAD."""
    if not baseline:
        return current >= min_count
    ordered = sorted(baseline)
    median = (
        ordered[len(ordered) // 2]
        if len(ordered) % 2
        else (ordered[len(ordered) // 2 - 1] + ordered[len(ordered) // 2]) / 2
    )
    deviations = sorted(abs(x - median) for x in baseline)
    mad = deviations[len(deviations) // 2] or 1.0
    return current >= min_count and 0.6745 * (current - median) / mad >= threshold
