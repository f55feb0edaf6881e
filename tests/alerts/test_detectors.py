"""The detectors over count series, and the replay's figures against its goals."""

from __future__ import annotations

import bisect
import math
import random

from alerting.chart import render_bar_chart
from alerting.detectors import (
    clean_baseline,
    detect_emerging,
    detect_spike,
    negative_binomial_upper_tail,
    p_value_for_budget,
    poisson_upper_tail,
    pooled_dispersion,
    should_refire,
    sliding_window_p,
)
from bench.alerts.__main__ import main as bench_alerts
from bench.alerts.replay import (
    TUNING_SEEDS,
    ReplayResult,
    best_case_recall,
    engine_detector,
    poisson_detector,
    replay_stream,
    replay_stream_sliding,
    run_replay,
    synthetic_stream,
)


def test_poisson_tail_matches_the_direct_sum():
    for k, mean in [(1, 0.5), (5, 2.0), (12, 3.0), (40, 20.0)]:
        direct = 1 - sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k))
        assert math.isclose(poisson_upper_tail(k, mean), direct, rel_tol=1e-6, abs_tol=1e-15)
    assert poisson_upper_tail(0, 3.0) == 1.0


def test_five_times_baseline_fires_and_ordinary_fluctuation_does_not():
    baseline = [4, 5, 3, 6, 4, 5, 4, 3, 5, 6, 4, 5, 4, 4]
    assert detect_spike(22, baseline).fired
    assert not detect_spike(8, baseline).fired
    assert "22 clusters against a baseline mean of 4.4" in detect_spike(22, baseline).reason()


def test_a_quiet_series_needs_the_minimum_count():
    assert not detect_spike(
        4, [0] * 14, p_value=0.01, min_count=5
    ).fired  # 4 from nothing: floor keeps it calm
    assert detect_spike(6, [0] * 14, p_value=0.01, min_count=5).fired


def test_negative_binomial_tail_matches_the_direct_sum_and_tends_to_poisson():
    mean, variance = 5.0, 12.0
    size, success = mean * mean / (variance - mean), mean / variance

    def pmf(i: int) -> float:
        return math.exp(
            math.lgamma(i + size) - math.lgamma(size) - math.lgamma(i + 1)
            + size * math.log(success) + i * math.log(1 - success)
        )  # fmt: skip

    for k in (1, 5, 12, 30):
        direct = 1 - sum(pmf(i) for i in range(k))
        assert math.isclose(negative_binomial_upper_tail(k, mean, variance), direct, rel_tol=1e-6)
    assert math.isclose(
        negative_binomial_upper_tail(12, 5.0, 5.0 * (1 + 1e-7)), poisson_upper_tail(12, 5.0), rel_tol=1e-4
    )
    assert negative_binomial_upper_tail(12, 5.0, 12.0) > poisson_upper_tail(12, 5.0)  # wider noise


def test_p_value_spreads_the_weekly_false_alert_budget_over_series_and_windows():
    assert math.isclose(p_value_for_budget(0.5, series=8, windows_per_week=7), 0.5 / 56)
    assert math.isclose(p_value_for_budget(0.5, series=8, windows_per_week=28), 0.5 / 224)


def test_an_earlier_spike_is_left_out_of_the_baseline():
    baseline = [2, 1, 2, 3, 1, 2, 14, 2, 1, 2, 3, 2, 1, 2]
    assert clean_baseline(baseline, p_value=0.01) == [2, 1, 2, 3, 1, 2, 2, 1, 2, 3, 2, 1, 2]
    assert clean_baseline([2, 1, 2, 3, 1, 2, 4, 2, 1, 2, 3, 2, 1, 2], p_value=0.01)[6] == 4  # noise stays
    decision = detect_spike(7, baseline, p_value=0.01)
    assert decision.fired and decision.excluded == 1 and "1 earlier spike window" in decision.reason()


def test_pooled_dispersion_is_near_zero_for_poisson_counts_and_positive_for_bursty_ones():
    poisson = synthetic_stream(4, rates=(5, 8, 12, 20, 6, 10, 15, 9), spikes_per_series=0, dispersion=0.0)
    bursty = synthetic_stream(4, rates=(5, 8, 12, 20, 6, 10, 15, 9), spikes_per_series=0, dispersion=0.3)
    assert pooled_dispersion([s[:28] for s in poisson.counts]) < 0.08  # the weekly cycle adds a little
    assert pooled_dispersion([s[:28] for s in bursty.counts]) > 0.15


def test_new_detector_catches_a_3x_spike_on_a_low_rate_series_the_first_detector_missed():
    # Seed 12, series 6 (2 clusters/day, Poisson noise): a 3x spike on day 37, with an earlier spike in
    # the 14-day baseline that raised the plain mean.
    stream = synthetic_stream(12, dispersion=0.0)
    spike = next(sp for sp in stream.spikes if sp.series == 6 and sp.day == 37)
    assert spike.factor == 3.0 and stream.rates[6] == 2
    currents = [series[37] for series in stream.counts]
    baselines = [series[37 - 14 : 37] for series in stream.counts]
    assert max(baselines[6]) >= 3 * 2 * 1.5  # the earlier spike
    assert not poisson_detector()(currents, baselines)[6]
    assert engine_detector()(currents, baselines)[6]


def test_plain_noise_over_60_days_stays_under_one_false_alert_per_rule_per_week():
    detector = engine_detector()  # the engine's defaults: budget 0.5 per rule per week, pooled dispersion
    for dispersion in (0.0, 0.15):
        result = ReplayResult("noise")
        for seed in TUNING_SEEDS:
            replay_stream(
                synthetic_stream(seed, spikes_per_series=0, dispersion=dispersion),
                detector,
                "n",
                result=result,
            )
        assert result.false_per_rule_week < 1.0, dispersion
    # one fixed seed, Poisson noise: the low-rate series (1.5 and 2 a day) never fire in 60 days
    quiet = synthetic_stream(1, spikes_per_series=0, dispersion=0.0)
    for day in range(14, 60):
        fired = detector([s[day] for s in quiet.counts], [s[day - 14 : day] for s in quiet.counts])
        assert not fired[0] and not fired[6], day


def test_best_case_recall_shows_why_low_rate_spikes_are_missed():
    p = p_value_for_budget(0.5, 8, 7)
    assert best_case_recall(1.5, 3.0, p) < 0.5  # even with the true mean known
    assert best_case_recall(20, 3.0, p) > 0.999


def test_emerging_entity_and_refire_rules():
    assert detect_emerging(4, [0] * 13 + [1], min_count=3, max_baseline_total=1)
    assert not detect_emerging(4, [1, 1] + [0] * 12, min_count=3, max_baseline_total=1)
    assert should_refire(10, 15, 1.5) and not should_refire(10, 14, 1.5)


def test_replay_with_poisson_noise_finds_large_spikes_within_one_window_with_few_false_alerts():
    new, before = run_replay(
        seeds=10, dispersion=0.0, detectors=[("new", engine_detector()), ("before", poisson_detector())]
    )
    assert new.false_per_rule_week < 1.0
    assert max(new.delays) <= 1
    found, total = new.band_recall(">=5/day")  # spikes of 3x or more on series of >= 5 clusters a day
    assert found / total >= 0.85
    assert new.band_recall("1.5-3/day")[0] > before.band_recall("1.5-3/day")[0]


def test_replay_counts_an_alert_outside_every_spike_as_false():
    declared = replay_stream(synthetic_stream(1, dispersion=0.0), poisson_detector(), "poisson")
    stream = synthetic_stream(1, dispersion=0.0)
    stream.spikes.clear()  # the same counts with no spike declared: the spike alerts become false ones
    undeclared = replay_stream(stream, poisson_detector(), "poisson")
    assert sum(declared.detected_by_factor.values()) > 0
    assert undeclared.false_alerts >= declared.false_alerts + sum(declared.detected_by_factor.values())


def test_chart_is_a_png_of_the_requested_size():
    png = render_bar_chart([1, 2, 3, 10], width=100, height=40)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(png[16:20], "big") == 100 and int.from_bytes(png[20:24], "big") == 40


def test_sliding_window_p_matches_a_simulated_poisson_process():
    # Arrivals at 3 per window over 20,000 windows; a unit interval counts when the count over the last
    # window reaches 9 at any moment inside it (it only rises at an arrival, so arrivals are enough).
    rng = random.Random(7)
    arrivals, t = [], 0.0
    while t < 20_000:
        t += rng.expovariate(3.0)
        arrivals.append(t)
    reached = {int(a) for i, a in enumerate(arrivals) if i - bisect.bisect_right(arrivals, a - 1) + 1 >= 9}
    simulated = len(reached) / 20_000
    assert math.isclose(sliding_window_p(9, 3.0, 3.0), simulated, rel_tol=0.25)
    assert sliding_window_p(9, 3.0, 3.0) > 3 * poisson_upper_tail(9, 3.0)  # many windows, not one
    assert sliding_window_p(2, 3.0, 3.0) == poisson_upper_tail(2, 3.0)  # at or below the mean


def test_a_rule_run_often_over_a_window_ending_now_keeps_the_budget_only_with_the_scan_correction():
    corrected, uncorrected = ReplayResult("corrected"), ReplayResult("uncorrected")
    for seed in range(10):  # plain overdispersed noise, evaluated 6 times per window
        stream = synthetic_stream(seed, spikes_per_series=0, dispersion=0.15)
        replay_stream_sliding(stream, engine_detector(sliding=True), "c", 6, seed, result=corrected)
        replay_stream_sliding(stream, engine_detector(sliding=False), "u", 6, seed, result=uncorrected)
    assert corrected.false_per_rule_week < 1.0 < uncorrected.false_per_rule_week


def test_replay_command_prints_recall_per_base_rate_band_for_held_out_streams(capsys):
    exit_code = bench_alerts(["replay", "--seeds", "2", "--held-out", "--dispersion", "0"])
    output = " ".join(capsys.readouterr().out.split())
    assert exit_code == 0, output
    assert "detector: engine, run once a window" in output and "detector: before: poisson" in output
    assert "recall >=3x by base rate: 1.5-3/day" in output and "per rule per week" in output
