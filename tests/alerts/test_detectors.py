"""The detectors over count series, and the replay's figures against its goals."""

from __future__ import annotations

import math

from alerting.chart import render_bar_chart
from alerting.detectors import detect_emerging, detect_spike, poisson_upper_tail, should_refire
from alerting.replay import poisson_detector, replay_stream, run_replay, synthetic_stream


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
    assert not detect_spike(4, [0] * 14, min_count=5).fired  # 4 from nothing: floor keeps it calm
    assert detect_spike(6, [0] * 14, min_count=5).fired


def test_emerging_entity_and_refire_rules():
    assert detect_emerging(4, [0] * 13 + [1], min_count=3, max_baseline_total=1)
    assert not detect_emerging(4, [1, 1] + [0] * 12, min_count=3, max_baseline_total=1)
    assert should_refire(10, 15, 1.5) and not should_refire(10, 14, 1.5)


def test_replay_with_poisson_noise_finds_large_spikes_within_one_window_with_few_false_alerts():
    poisson, _ = run_replay(seeds=10, dispersion=0.0)
    assert poisson.false_per_rule_week < 1.0
    assert max(poisson.delays) <= 1
    # spikes of 3x or more on series of at least 5 clusters a day
    found = sum(f for rate, (f, n) in poisson.recall_by_rate.items() if rate >= 5)
    total = sum(n for rate, (f, n) in poisson.recall_by_rate.items() if rate >= 5)
    assert found / total >= 0.85


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
