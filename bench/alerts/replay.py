"""Replay: synthetic streams with noise and injected spikes of known size and time, run as the engine runs.

``replay_stream`` runs a rule day by day (one test per window); ``replay_stream_sliding`` runs it many
times per window over a window ending at each run, as the 15-minute DAG does. Both report detection
recall per spike size and per base-rate band, false alerts per rule per week, and delay (in windows),
for the engine's detector, the first (plain Poisson) detector and a robust z-score. Figures are honest
only over many streams: ``TUNING_SEEDS`` are the streams the defaults were chosen on;
``HELD_OUT_SEEDS`` (base rates drawn at random) were not looked at while tuning: quote those.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from alerting.detectors import (
    detect_spike_plain_poisson,
    detect_spike_robust_z,
    detect_spikes,
    p_value_for_budget,
    poisson_upper_tail,
    should_refire,
)

TUNING_SEEDS = range(0, 20)
HELD_OUT_SEEDS = range(1000, 1200)
FIXED_RATES = (1.5, 3, 5, 8, 12, 20, 2, 6)
BANDS = (("1.5-3/day", 0.0, 3.0), ("3-5/day", 3.0, 5.0), (">=5/day", 5.0, math.inf))


def band_of(rate: float) -> str:
    return next(name for name, low, high in BANDS if low <= rate < high)


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
    # (band, "2x" or ">=3x") -> [found, total]
    recall_by_band: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    false_by_band: dict[str, int] = field(default_factory=dict)
    series_weeks: float = 0.0
    rule_weeks: float = 0.0

    def recall(self, min_factor: float = 3.0) -> float:
        total = sum(n for f, n in self.spikes_by_factor.items() if f >= min_factor)
        found = sum(n for f, n in self.detected_by_factor.items() if f >= min_factor)
        return found / total if total else 1.0

    def band_recall(self, band: str, size: str = ">=3x") -> tuple[int, int]:
        found, total = self.recall_by_band.get((band, size), [0, 0])
        return found, total

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


def random_rates(seed: int, series: int = 8, low: float = 1.5, high: float = 20.0) -> tuple[float, ...]:
    """Base rates drawn log-uniformly in [low, high] (the held-out streams: rates not tuned on)."""
    rng = random.Random(f"rates-{seed}")
    return tuple(round(math.exp(rng.uniform(math.log(low), math.log(high))), 2) for _ in range(series))


def synthetic_stream(
    seed: int,
    days: int = 60,
    rates: tuple[float, ...] = FIXED_RATES,
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


Detector = Callable[[int, list[int]], bool]  # one series: (current, baseline) -> fired
# One rule at one window, as the engine runs it: (currents, baselines) of every series -> fired per series
RuleDetector = Callable[[list[int], list[list[int]]], list[bool]]


def per_series(detector: Detector) -> RuleDetector:
    return lambda currents, baselines: [detector(c, b) for c, b in zip(currents, baselines, strict=True)]


def engine_detector(
    false_alerts_per_week: float = 0.5,
    windows_per_week: float = 7,
    min_count: int = 3,
    min_ratio: float = 2.0,
    baseline_floor: float = 1.0,
    dispersion: float | None = None,
    exclude_spikes: bool = True,
    sliding: bool = False,
) -> RuleDetector:
    """The engine's detector: p from the false-alert budget over the rule's series, pooled dispersion."""

    def detect(currents: list[int], baselines: list[list[int]]) -> list[bool]:
        p = p_value_for_budget(false_alerts_per_week, len(currents), windows_per_week)
        decisions = detect_spikes(
            currents, baselines, p, min_count, min_ratio, baseline_floor, dispersion, exclude_spikes, sliding
        )
        return [d.fired for d in decisions]

    return detect


def poisson_detector(p_value: float = 0.001, min_count: int = 5, min_ratio: float = 2.0) -> RuleDetector:
    """The first detector (before): plain Poisson tail against the mean of every baseline window."""
    return per_series(lambda c, b: detect_spike_plain_poisson(c, b, p_value, min_count, min_ratio).fired)


def robust_z_detector(threshold: float = 3.5, min_count: int = 5) -> RuleDetector:
    return per_series(lambda c, b: detect_spike_robust_z(c, b, threshold, min_count))


def default_detectors(evaluations_per_window: int = 1) -> list[tuple[str, RuleDetector]]:
    """Day by day: the engine as set for one run per window, its default, the first detector, robust z.

    Run many times per window: the engine's default (scan-corrected), the same without the correction,
    and the first detector.
    """
    if evaluations_per_window > 1:
        return [
            ("engine (default: sliding_window true)", engine_detector(sliding=True)),
            ("engine, no scan correction", engine_detector(sliding=False)),
            ("before: poisson p<=0.001", poisson_detector()),
        ]
    return [
        ("engine, run once a window (sliding_window false)", engine_detector()),
        ("engine default (sliding_window true)", engine_detector(sliding=True)),
        ("before: poisson p<=0.001", poisson_detector()),
        ("robust z>=3.5", robust_z_detector()),
    ]


def replay_stream(
    stream: SyntheticStream,
    detector: RuleDetector,
    name: str,
    baseline_windows: int = 14,
    cooldown_windows: int = 1,
    refire_factor: float = 1.5,
    result: ReplayResult | None = None,
) -> ReplayResult:
    """Run ``detector`` day by day over all series (one rule) with the engine's cool-down; score it."""
    result = result or ReplayResult(name)
    days = len(stream.counts[0]) if stream.counts else 0
    fired_days: list[list[int]] = [[] for _ in stream.counts]
    last: list[tuple[int, int] | None] = [None for _ in stream.counts]  # (day, count) of the last alert
    for d in range(baseline_windows, days):
        currents = [series[d] for series in stream.counts]
        baselines = [series[d - baseline_windows : d] for series in stream.counts]
        for s, fired in enumerate(detector(currents, baselines)):
            if not fired:
                continue
            previous = last[s]
            if (
                previous
                and d - previous[0] <= cooldown_windows
                and not should_refire(previous[1], currents[s], refire_factor)
            ):
                continue
            last[s] = (d, currents[s])
            fired_days[s].append(d)
    for s, series in enumerate(stream.counts):
        result.series_weeks += (len(series) - baseline_windows) / 7
        _score_series(
            result, stream, s, fired_days[s],
            found=lambda d, sp: sp.day <= d < sp.day + sp.duration,
            overlaps=lambda d, sp: sp.day <= d < sp.day + sp.duration,
        )  # fmt: skip
    # A rule covers every series of its dimension (here: all the series of one stream).
    result.rule_weeks += (days - baseline_windows) / 7
    return result


def _score_series(
    result: ReplayResult,
    stream: SyntheticStream,
    s: int,
    alerts: list[int] | list[float],
    found: Callable[[float, InjectedSpike], bool],
    overlaps: Callable[[float, InjectedSpike], bool],
) -> None:
    """Score the alerts on series ``s``: spikes found (by factor and rate band), delays, false alerts."""
    spikes = [sp for sp in stream.spikes if sp.series == s]
    band = band_of(stream.rates[s])
    for sp in spikes:
        result.spikes_by_factor[sp.factor] = result.spikes_by_factor.get(sp.factor, 0) + 1
        hits = [a for a in alerts if found(a, sp)]
        if sp.factor >= 2:
            cell = result.recall_by_band.setdefault((band, ">=3x" if sp.factor >= 3 else "2x"), [0, 0])
            cell[0] += bool(hits)
            cell[1] += 1
        if hits:
            result.detected_by_factor[sp.factor] = result.detected_by_factor.get(sp.factor, 0) + 1
            result.delays.append(hits[0] - sp.day)
    false = sum(1 for a in alerts if not any(overlaps(a, sp) for sp in spikes))
    result.false_alerts += false
    result.false_by_band[band] = result.false_by_band.get(band, 0) + false


def replay_stream_sliding(
    stream: SyntheticStream,
    detector: RuleDetector,
    name: str,
    evaluations_per_window: int = 24,
    seed: int = 0,
    baseline_windows: int = 14,
    refire_factor: float = 1.5,
    result: ReplayResult | None = None,
) -> ReplayResult:
    """As the engine runs in production: the window ends *now* and is tested many times per window.

    Each day's clusters get random times within the day; the rule is evaluated every
    1/``evaluations_per_window`` of a window over a window ending then (the baseline: the
    ``baseline_windows`` windows before it), with a cool-down of one window. An alert is false when its
    window overlaps no spike; a spike counts as found when an alert comes before the spike ends, and
    its delay is the time from the spike's start to the first alert, in windows (at most 1 for a
    one-day spike, 2 for a two-day one).
    """
    result = result or ReplayResult(name)
    rng = random.Random(f"times-{seed}")
    times = [
        sorted(d + rng.random() for d, count in enumerate(s) for _ in range(count)) for s in stream.counts
    ]
    days = len(stream.counts[0]) if stream.counts else 0

    def count(ts: list[float], start: float, end: float) -> int:
        return bisect.bisect_left(ts, end) - bisect.bisect_left(ts, start)

    alerts: list[list[float]] = [[] for _ in stream.counts]
    last: list[tuple[float, int] | None] = [None for _ in stream.counts]
    steps = evaluations_per_window
    for k in range((baseline_windows + 1) * steps, days * steps + 1):
        t = k / steps
        currents = [count(ts, t - 1, t) for ts in times]
        baselines = [[count(ts, t - 1 - j, t - j) for j in range(baseline_windows, 0, -1)] for ts in times]
        for s, fired in enumerate(detector(currents, baselines)):
            previous = last[s]
            if not fired or (
                previous
                and t - previous[0] < 1 - 1e-9
                and not should_refire(previous[1], currents[s], refire_factor)
            ):
                continue
            last[s] = (t, currents[s])
            alerts[s].append(t)
    for s, _ in enumerate(stream.counts):
        result.series_weeks += (days - baseline_windows - 1) / 7
        _score_series(
            result, stream, s, alerts[s],
            found=lambda t, sp: sp.day < t <= sp.day + sp.duration + 1e-9,  # before the spike ends
            overlaps=lambda t, sp: t - 1 < sp.day + sp.duration and t > sp.day,  # window [t-1, t) meets it
        )  # fmt: skip
    result.rule_weeks += (days - baseline_windows - 1) / 7
    return result


def run_replay(
    seeds: int | Iterable[int] = TUNING_SEEDS,
    days: int = 60,
    dispersion: float = 0.15,
    progress: Callable[[int, int], None] | None = None,
    detectors: list[tuple[str, RuleDetector]] | None = None,
    draw_rates: bool | None = None,
    evaluations_per_window: int = 1,
) -> list[ReplayResult]:
    """Every detector over the streams of ``seeds`` (a count: seeds 0..n-1); one result per detector.

    ``draw_rates`` draws each stream's base rates at random (``random_rates``); by default only for
    seeds outside ``TUNING_SEEDS`` (the held-out streams). ``evaluations_per_window`` > 1 runs the rule
    that often per window over a window ending at each run, as the engine does (``replay_stream_sliding``).
    """
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    detectors = detectors or default_detectors(evaluations_per_window)
    results = {name: ReplayResult(name) for name, _ in detectors}
    for number, seed in enumerate(seed_list):
        drawn = draw_rates if draw_rates is not None else seed not in TUNING_SEEDS
        rates = random_rates(seed) if drawn else FIXED_RATES
        stream = synthetic_stream(seed, days, rates=rates, dispersion=dispersion)
        for name, detector in detectors:
            if evaluations_per_window > 1:
                replay_stream_sliding(
                    stream, detector, name, evaluations_per_window, seed, result=results[name]
                )
            else:
                replay_stream(stream, detector, name, result=results[name])
        if progress:
            progress(number + 1, len(seed_list))
    return list(results.values())


def poisson_threshold(mean: float, p_value: float) -> int:
    """The smallest count k with P(X >= k | Poisson(mean)) <= p_value."""
    k = max(1, math.ceil(mean))
    while poisson_upper_tail(k, mean) > p_value:
        k += 1
    return k


def best_case_recall(
    rate: float, factor: float, p_value: float, min_count: int = 3, windows_per_day: int = 1
) -> float:
    """P(a one-day spike is caught) when the baseline mean is known exactly and the noise is Poisson.

    The best a test at ``p_value`` per day can do when it knows the mean: the spike day is
    Poisson(factor × rate) and must reach the count plain noise reaches with probability ≤ ``p_value``. With
    ``windows_per_day`` > 1 the day is cut into shorter windows, each tested at p / windows_per_day
    (the same daily budget); the spike is caught when any of them fires.
    """
    mean, p = rate / windows_per_day, p_value / windows_per_day
    threshold = max(poisson_threshold(mean, p), min_count)
    one = poisson_upper_tail(threshold, factor * mean)
    return 1 - (1 - one) ** windows_per_day


def format_result(result: ReplayResult) -> list[str]:
    lines = [f"detector: {result.detector}"]
    for factor in sorted(result.spikes_by_factor):
        n, found = result.spikes_by_factor[factor], result.detected_by_factor.get(factor, 0)
        lines.append(f"  recall at {factor:g}x baseline: {found}/{n} = {found / n:.1%}")
    lines.append(f"  recall for spikes >= 3x: {result.recall(3.0):.1%}")
    for size in (">=3x", "2x"):
        cells = []
        for band, _, _ in BANDS:
            found, total = result.band_recall(band, size)
            cells.append(f"{band} {found}/{total} = {found / total:.1%}" if total else f"{band} -")
        lines.append(f"  recall {size} by base rate: " + ", ".join(cells))
    lines.append(
        f"  false alerts: {result.false_alerts} = {result.false_per_rule_week:.2f} per rule per week "
        f"({result.false_per_series_week:.3f} per series per week); by base rate: "
        + ", ".join(f"{band} {result.false_by_band.get(band, 0)}" for band, _, _ in BANDS)
    )
    if result.delays:
        mean = sum(result.delays) / len(result.delays)
        lines.append(f"  delay (windows after spike start): mean {mean:.2f}, max {max(result.delays):g}")
    return lines
