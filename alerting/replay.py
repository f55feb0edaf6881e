"""Replay: a synthetic stream with noise and injected spikes of known size and time, run day by day.

Reports detection recall per spike size, false alerts per rule per week, and detection delay (in
windows), for the Poisson detector used by the engine and the robust z-score alternative.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from alerting.detectors import detect_spike, detect_spike_robust_z, should_refire


@dataclass(frozen=True)
class InjectedSpike:
    series: int
    day: int
    factor: float
    duration: int = 1


@dataclass
class SyntheticStream:
    counts: list[list[int]]  # per series, clusters per day
    spikes: list[InjectedSpike]
    rates: list[float]


@dataclass
class ReplayResult:
    detector: str
    spikes_by_factor: dict[float, int] = field(default_factory=dict)
    detected_by_factor: dict[float, int] = field(default_factory=dict)
    delays: list[int] = field(
        default_factory=list
    )  # windows from spike start to first alert (0 = same window)
    false_alerts: int = 0
    recall_by_rate: dict[float, list[int]] = field(default_factory=dict)  # base rate -> [found, total] (>=3x)
    series_weeks: float = 0.0
    rule_weeks: float = 0.0

    def recall(self, min_factor: float = 3.0) -> float:
        total = sum(n for f, n in self.spikes_by_factor.items() if f >= min_factor)
        found = sum(n for f, n in self.detected_by_factor.items() if f >= min_factor)
        return found / total if total else 1.0

    @property
    def false_per_rule_week(self) -> float:
        return self.false_alerts / self.rule_weeks if self.rule_weeks else 0.0

    @property
    def false_per_series_week(self) -> float:
        return self.false_alerts / self.series_weeks if self.series_weeks else 0.0


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 60:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def synthetic_stream(
    seed: int,
    days: int = 60,
    rates: tuple[float, ...] = (1.5, 3, 5, 8, 12, 20, 2, 6),
    factors: tuple[float, ...] = (2.0, 3.0, 5.0),
    spikes_per_series: int = 2,
    warmup: int = 15,
    dispersion: float = 0.15,
) -> SyntheticStream:
    """Gamma-Poisson noise (overdispersed, weekends quieter) with spikes of ``factor`` × the rate."""
    rng = random.Random(seed)
    counts, spikes = [], []
    for s, rate in enumerate(rates):
        days_free = list(range(warmup, days))
        chosen = []
        for _ in range(spikes_per_series):
            day = rng.choice([d for d in days_free if all(abs(d - c) > 7 for c in chosen)])
            chosen.append(day)
            spikes.append(InjectedSpike(s, day, rng.choice(factors), rng.choice((1, 1, 2))))
        series = []
        for d in range(days):
            mean = rate * (0.7 if d % 7 in (5, 6) else 1.0)
            for spike in spikes:
                if spike.series == s and spike.day <= d < spike.day + spike.duration:
                    mean *= spike.factor
            mean *= rng.gammavariate(1 / dispersion, dispersion) if dispersion else 1.0
            series.append(_poisson(rng, mean))
        counts.append(series)
    return SyntheticStream(counts, spikes, list(rates))


Detector = Callable[[int, list[int]], bool]


def poisson_detector(p_value: float = 0.001, min_count: int = 5, min_ratio: float = 2.0) -> Detector:
    return lambda current, baseline: detect_spike(current, baseline, p_value, min_count, min_ratio).fired


def robust_z_detector(threshold: float = 3.5, min_count: int = 5) -> Detector:
    return lambda current, baseline: detect_spike_robust_z(current, baseline, threshold, min_count)


def replay_stream(
    stream: SyntheticStream,
    detector: Detector,
    name: str,
    baseline_windows: int = 14,
    cooldown_windows: int = 1,
    refire_factor: float = 1.5,
    result: ReplayResult | None = None,
) -> ReplayResult:
    """Run ``detector`` day by day with the engine's cool-down; score against the injected spikes."""
    result = result or ReplayResult(name)
    for s, series in enumerate(stream.counts):
        spikes = [sp for sp in stream.spikes if sp.series == s]
        fired_days: list[int] = []
        last: tuple[int, int] | None = None  # (day, count) of the last alert sent
        for d in range(baseline_windows, len(series)):
            if not detector(series[d], series[d - baseline_windows : d]):
                continue
            if (
                last
                and d - last[0] <= cooldown_windows
                and not should_refire(last[1], series[d], refire_factor)
            ):
                continue
            last = (d, series[d])
            fired_days.append(d)
        evaluated_days = len(series) - baseline_windows
        result.series_weeks += evaluated_days / 7
        for sp in spikes:
            result.spikes_by_factor[sp.factor] = result.spikes_by_factor.get(sp.factor, 0) + 1
            hits = [d for d in fired_days if sp.day <= d < sp.day + sp.duration]
            if sp.factor >= 3:
                cell = result.recall_by_rate.setdefault(stream.rates[s], [0, 0])
                cell[0] += bool(hits)
                cell[1] += 1
            if hits:
                result.detected_by_factor[sp.factor] = result.detected_by_factor.get(sp.factor, 0) + 1
                result.delays.append(hits[0] - sp.day)
        result.false_alerts += sum(
            1 for d in fired_days if not any(sp.day <= d < sp.day + sp.duration for sp in spikes)
        )
    # A rule covers every series of its dimension (here: all the series of one stream).
    result.rule_weeks += (len(stream.counts[0]) - baseline_windows) / 7 if stream.counts else 0
    return result


def run_replay(
    seeds: int = 20,
    days: int = 60,
    dispersion: float = 0.15,
    progress: Callable[[int, int], None] | None = None,
) -> list[ReplayResult]:
    """Every detector over ``seeds`` synthetic streams; one result per detector."""
    detectors = [("poisson p<=0.001", poisson_detector()), ("robust z>=3.5", robust_z_detector())]
    results = {name: ReplayResult(name) for name, _ in detectors}
    for seed in range(seeds):
        stream = synthetic_stream(seed, days, dispersion=dispersion)
        for name, detector in detectors:
            replay_stream(stream, detector, name, result=results[name])
        if progress:
            progress(seed + 1, seeds)
    return list(results.values())


def format_result(result: ReplayResult) -> list[str]:
    lines = [f"detector: {result.detector}"]
    for factor in sorted(result.spikes_by_factor):
        n, found = result.spikes_by_factor[factor], result.detected_by_factor.get(factor, 0)
        lines.append(f"  recall at {factor:g}x baseline: {found}/{n} = {found / n:.1%}")
    lines.append(f"  recall for spikes >= 3x: {result.recall(3.0):.1%}")
    by_rate = ", ".join(f"{rate:g}/day {f}/{n}" for rate, (f, n) in sorted(result.recall_by_rate.items()))
    lines.append(f"  recall for spikes >= 3x by baseline rate: {by_rate}")
    lines.append(
        f"  false alerts: {result.false_alerts} = {result.false_per_rule_week:.2f} per rule per week "
        f"({result.false_per_series_week:.3f} per series per week)"
    )
    if result.delays:
        mean = sum(result.delays) / len(result.delays)
        lines.append(f"  delay (windows after spike start): mean {mean:.2f}, max {max(result.delays)}")
    return lines
