"""Detectors: plain functions over lists of counts (clusters per window). Used by the engine and the replay.

The spike test asks how likely the current count is under what the baseline windows predict:

1. Baseline windows that would themselves have fired against the rest (an earlier spike) are left out,
   so a spike last week does not raise the bar this week (at most a quarter of the windows).
2. The remaining windows give a mean (floored at ``baseline_floor``) and, unless fixed, an
   overdispersion ``phi`` (variance = mean + phi × mean², estimated by the method of moments).
3. The next window is predicted as a negative binomial with that mean and variance, widened by
   (1 + 1/n) for the uncertainty of a mean estimated from n windows; with ``phi`` = 0 this is close
   to a Poisson test.
4. With ``sliding`` (the engine's window ends at each run, and it runs every few minutes) the tail is
   the probability that a window sliding over one window's length reaches the count at some point
   (``sliding_window_p``, a scan statistic), not that one fixed window does.
5. It fires when that tail ≤ ``p_value``, current ≥ ``min_count`` and current ≥ ``min_ratio`` × mean.

``p_value`` is best derived from the false-alert budget (``p_value_for_budget``): a rule over many
series or short windows makes many tests a week and needs a smaller p for the same number of false
alerts. The replay (``bench/alerts/replay.py``) measures recall, false alerts and delay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.special import betainc, gammaln, pdtrc


@dataclass(frozen=True)
class SpikeDecision:
    fired: bool
    current: int
    baseline_mean: float
    ratio: float
    p_value: float
    dispersion: float = 0.0  # phi used: variance = mean + phi × mean²
    excluded: int = 0  # baseline windows left out as earlier spikes

    def reason(self, unit: str = "clusters") -> str:
        extra = f", {self.excluded} earlier spike window(s) left out of the baseline" if self.excluded else ""
        model = f"overdispersion {self.dispersion:.2f}" if self.dispersion else "Poisson-like noise"
        return (
            f"{self.current} {unit} against a baseline mean of {self.baseline_mean:.1f} "
            f"({self.ratio:.1f}×, p={self.p_value:.2g} under {model}{extra})"
        )


def p_value_for_budget(false_alerts_per_week: float, series: int, windows_per_week: float) -> float:
    """The per-window p that spends ``false_alerts_per_week`` over ``series`` tests each window."""
    tests = max(1, series) * max(windows_per_week, 1e-9)
    return min(0.49, false_alerts_per_week / tests)


def poisson_upper_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean): the regularised incomplete gamma function (scipy's pdtrc)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    return float(pdtrc(k - 1, mean))


def _size_and_success(mean: float, variance: float) -> tuple[float, float]:
    """The negative binomial's (r, p) for this mean and variance (variance > mean)."""
    return mean * mean / (variance - mean), mean / variance


def negative_binomial_upper_tail(k: int, mean: float, variance: float) -> float:
    """P(X >= k) for a negative binomial with this mean and variance (Poisson when variance <= mean).

    P(X >= k) = I_{1-p}(k, r), the regularised incomplete beta function (scipy's betainc), exact in
    the far tail where 1 - CDF would round to 0; r need not be a whole number.
    """
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if variance <= mean * (1 + 1e-9):
        return poisson_upper_tail(k, mean)
    size, success = _size_and_success(mean, variance)
    return float(betainc(k, size, 1.0 - success))


def negative_binomial_pmf(k: int, mean: float, variance: float) -> float:
    """P(X = k) for a negative binomial with this mean and variance (Poisson when variance <= mean)."""
    if k < 0:
        return 0.0
    if mean <= 0:
        return 1.0 if k == 0 else 0.0
    if variance <= mean * (1 + 1e-9):
        return math.exp(k * math.log(mean) - mean - gammaln(k + 1))
    size, success = _size_and_success(mean, variance)
    return math.exp(
        size * math.log(success) - gammaln(size) + gammaln(k + size) - gammaln(k + 1) + k * math.log1p(-success)
    )


def sliding_window_p(k: int, mean: float, variance: float) -> float:
    """P(a window sliding over one window's length of time reaches ``k`` at some point).

    An engine run every few minutes tests a window that ends *now*, so over one window length it sees
    many overlapping windows, not one: noise reaches ``k`` more often than P(X >= k). The scan-statistic
    approximation (Alm 1983) adds the rate at which arrivals push the count from k - 1 to k:
    P(X >= k) + (k - mean) / k × mean × P(X = k - 1).
    """
    tail = negative_binomial_upper_tail(k, mean, variance)
    if k <= mean:
        return tail
    return min(1.0, tail + (k - mean) / k * mean * negative_binomial_pmf(k - 1, mean, variance))


def estimate_dispersion(counts: list[int]) -> float:
    """phi in variance = mean + phi × mean², by the method of moments (0 when not overdispersed)."""
    n = len(counts)
    if n < 2:
        return 0.0
    mean = sum(counts) / n
    if mean <= 0:
        return 0.0
    variance = sum((c - mean) ** 2 for c in counts) / (n - 1)
    return max(0.0, (variance - mean) / (mean * mean))


def predictive_model(
    baseline: list[int], baseline_floor: float = 1.0, dispersion: float | None = None
) -> tuple[float, float, float]:
    """(mean, variance, phi) predicted for the next window from ``baseline`` (``dispersion`` None: estimated)."""
    n = len(baseline)
    mean = max(sum(baseline) / n if n else 0.0, baseline_floor)
    phi = estimate_dispersion(baseline) if dispersion is None else dispersion
    variance = (mean + phi * mean * mean) * (1 + 1 / n if n else 2.0)  # the mean itself is estimated
    return mean, variance, phi


def predictive_tail(
    current: int, baseline: list[int], baseline_floor: float = 1.0, dispersion: float | None = None
) -> tuple[float, float, float]:
    """(P(X >= current), mean, phi) for the next window given ``baseline`` (``dispersion`` None: estimated)."""
    mean, variance, phi = predictive_model(baseline, baseline_floor, dispersion)
    return negative_binomial_upper_tail(current, mean, variance), mean, phi


def clean_baseline(
    baseline: list[int],
    p_value: float,
    baseline_floor: float = 1.0,
    dispersion: float | None = None,
    max_excluded: int | None = None,
) -> list[int]:
    """The baseline without windows that would have fired against the rest (earlier spikes).

    The highest window is tested against the others at ``p_value``; when it is a spike it is left out and
    the next highest is tested, up to ``max_excluded`` windows (default a quarter of them).
    """
    kept = list(baseline)
    limit = len(baseline) // 4 if max_excluded is None else max_excluded
    for _ in range(limit):
        if len(kept) < 3:
            break
        top = max(range(len(kept)), key=kept.__getitem__)
        others = kept[:top] + kept[top + 1 :]
        tail, _, _ = predictive_tail(kept[top], others, baseline_floor, dispersion)
        if tail > p_value:
            break
        kept = others
    return kept


def detect_spike(
    current: int,
    baseline: list[int],
    p_value: float = 0.001,
    min_count: int = 5,
    min_ratio: float = 2.0,
    baseline_floor: float = 1.0,
    dispersion: float | None = None,
    exclude_spikes: bool = True,
    sliding: bool = False,
) -> SpikeDecision:
    """Is ``current`` unusual against ``baseline`` (the previous windows' counts)?

    ``dispersion`` None estimates the overdispersion from the baseline; 0 assumes Poisson noise.
    ``exclude_spikes`` leaves earlier spikes out of the baseline (see ``clean_baseline``).
    ``sliding``: the window ends now and is tested many times per window length (``sliding_window_p``).
    """
    kept = clean_baseline(baseline, p_value, baseline_floor, dispersion) if exclude_spikes else baseline
    mean, variance, phi = predictive_model(kept, baseline_floor, dispersion)
    tail = (sliding_window_p if sliding else negative_binomial_upper_tail)(current, mean, variance)
    ratio = current / mean
    fired = current >= min_count and ratio >= min_ratio and tail <= p_value
    return SpikeDecision(fired, current, mean, ratio, tail, phi, len(baseline) - len(kept))


def pooled_dispersion(baselines: list[list[int]]) -> float:
    """One overdispersion phi for the series of a rule: sum(variance - mean) / sum(mean²) over them.

    Fourteen windows give a noisy phi for one series; the series of one rule (themes, entities) share
    the news cycle's burstiness, and pooling them steadies the estimate (high-volume series weigh most).
    """
    excess = weight = 0.0
    for counts in baselines:
        n = len(counts)
        mean = sum(counts) / n if n else 0.0
        if n < 2 or mean <= 0:
            continue
        excess += sum((c - mean) ** 2 for c in counts) / (n - 1) - mean
        weight += mean * mean
    return max(0.0, excess / weight) if weight else 0.0


def detect_spikes(
    currents: list[int],
    baselines: list[list[int]],
    p_value: float,
    min_count: int = 3,
    min_ratio: float = 2.0,
    baseline_floor: float = 1.0,
    dispersion: float | None = None,
    exclude_spikes: bool = True,
    sliding: bool = False,
) -> list[SpikeDecision]:
    """``detect_spike`` for every series of a rule at one window, as the engine runs it.

    ``dispersion`` None pools one phi over the series' baselines (earlier spikes left out first).
    """
    if dispersion is None:
        cleaned = [
            clean_baseline(b, p_value, baseline_floor, None) if exclude_spikes else b for b in baselines
        ]
        dispersion = pooled_dispersion(cleaned)
    return [
        detect_spike(c, b, p_value, min_count, min_ratio, baseline_floor, dispersion, exclude_spikes, sliding)
        for c, b in zip(currents, baselines, strict=True)
    ]


def detect_spike_plain_poisson(
    current: int,
    baseline: list[int],
    p_value: float = 0.001,
    min_count: int = 5,
    min_ratio: float = 2.0,
    baseline_floor: float = 1.0,
) -> SpikeDecision:
    """The first detector (kept for the replay's before/after): Poisson tail against the plain mean."""
    mean = max(sum(baseline) / len(baseline) if baseline else 0.0, baseline_floor)
    p = poisson_upper_tail(current, mean)
    fired = current >= min_count and current / mean >= min_ratio and p <= p_value
    return SpikeDecision(fired, current, mean, current / mean, p)


def detect_emerging(
    current: int, baseline: list[int], min_count: int = 3, max_baseline_total: int = 1
) -> bool:
    """A value (nearly) absent in the baseline and now frequent."""
    return current >= min_count and sum(baseline) <= max_baseline_total


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
