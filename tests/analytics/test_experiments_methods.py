"""Sequential, Bayesian, corrections, warnings and edge cases of the experiment statistics."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from scipy import integrate, stats

from deliveryops.analytics.experiments import (
    AnalysisOptions,
    ArmStats,
    Correction,
    LiftResult,
    Method,
    MetricInput,
    MetricKind,
    OverTimePoint,
    analyse,
    analyse_over_time,
    benjamini_hochberg,
    holm,
    sequential_half_width,
)
from deliveryops.analytics.experiments.inference import sequential


def arm(name: str, n: int, mean: float, variance: float) -> ArmStats:
    total = n * mean
    return ArmStats(name, n, total, variance * (n - 1) + total * total / n)


HAND = MetricInput("revenue", MetricKind.MEAN, (arm("A", 100, 10.0, 4.0), arm("B", 120, 10.5, 9.0)))
HAND_VARIANCE = 0.001191  # relative lift 0.05, delta-method variance (see test_experiments.py)


def one(metric: MetricInput, options: AnalysisOptions) -> LiftResult:
    return analyse([metric], options=options).results[0]


# --- sequential -------------------------------------------------------------------------------------------------


def test_sequential_confidence_sequence_closed_form() -> None:
    result = one(HAND, AnalysisOptions(method=Method.SEQUENTIAL))
    # ρ² = (−2 ln α + ln(−2 ln α + 1))/n*; half = √(N·V)·√(2(Nρ² + 1)/(N²ρ²)·ln(√(Nρ² + 1)/α))
    rho2 = (-2 * math.log(0.05) + math.log(-2 * math.log(0.05) + 1)) / 5000
    n_total = 220
    half = math.sqrt(n_total * HAND_VARIANCE) * math.sqrt(
        2 * (n_total * rho2 + 1) / (n_total**2 * rho2) * math.log(math.sqrt(n_total * rho2 + 1) / 0.05)
    )
    assert half == pytest.approx(0.170145, abs=1e-6)
    assert result.lift == pytest.approx(0.05)
    assert result.ci_low == pytest.approx(0.05 - half, abs=1e-12)
    assert result.ci_high == pytest.approx(0.05 + half, abs=1e-12)
    # The p-value was 1.0 when it was the inversion of the sequence over α. It is now gbstats' always-valid
    # p-value (SequentialTwoSidedTTest.p_value, Waudby-Smith et al. eq. 155, ρ fixed at the chosen α):
    # p = min(1, √(Nρ² + 1)·exp(−ρ²·N·lift²/V/(2(Nρ² + 1)))); gbstats 0.8.0 gives 0.8852513041801225 here.
    scale = n_total * rho2 + 1
    expected_p = math.sqrt(scale) * math.exp(-rho2 * n_total * 0.05**2 / HAND_VARIANCE / (2 * scale))
    assert result.p_value == pytest.approx(expected_p, abs=1e-12)
    assert result.p_value == pytest.approx(0.8852513041801225, abs=1e-12)
    assert result.significant is False


def test_sequential_p_value_is_below_alpha_exactly_when_the_sequence_excludes_zero() -> None:
    # Was "the p-value is the level at which the sequence touches zero" (the inversion over α, ρ varying with
    # α). gbstats keeps ρ at the chosen α (SequentialTwoSidedTTest.rho), and with that ρ the p-value is below α
    # exactly when the level-α sequence excludes 0: checked here on both sides of the boundary.
    metric = MetricInput("m", MetricKind.MEAN, (arm("A", 20000, 10.0, 4.0), arm("B", 20000, 10.1, 4.0)))
    result = one(metric, AnalysisOptions(method=Method.SEQUENTIAL, relative=False))
    assert result.p_value is not None
    assert result.p_value == pytest.approx(3.632806277218172e-05, rel=1e-9)  # gbstats 0.8.0
    assert result.ci_low is not None
    assert result.ci_low == pytest.approx(0.03575684340151486, abs=1e-9)  # gbstats 0.8.0
    assert result.significant is True
    variance = np.array([4 / 20000 + 4 / 20000])
    for alpha in (0.2, 0.05, 0.01, 1e-3, 1e-4, 1e-5, 1e-6):
        outcome = sequential(np.array([0.1]), variance, np.array([40000.0]), alpha=alpha, tuning=5000)
        excludes = bool(outcome.low[0] > 0)
        assert excludes is bool(outcome.p_value[0] < alpha), alpha
    half = float(sequential_half_width(variance, np.array([40000.0]), alpha=0.05, tuning=5000)[0])
    at_edge = sequential(np.array([half]), variance, np.array([40000.0]), alpha=0.05, tuning=5000)
    assert float(at_edge.p_value[0]) == pytest.approx(0.05, rel=1e-12)


def test_sequential_tuning_parameter_sets_where_the_sequence_is_tightest() -> None:
    variance, n_total = np.array([1.0 / 5000]), np.array([5000.0])
    at_5000 = sequential_half_width(variance, n_total, alpha=0.05, tuning=5000)
    at_500 = sequential_half_width(variance, n_total, alpha=0.05, tuning=500)
    at_50000 = sequential_half_width(variance, n_total, alpha=0.05, tuning=50000)
    assert float(at_5000[0]) < float(at_500[0])
    assert float(at_5000[0]) < float(at_50000[0])


# --- bayesian ---------------------------------------------------------------------------------------------------


def test_bayesian_flat_prior_closed_form() -> None:
    result = one(HAND, AnalysisOptions(method=Method.BAYESIAN))
    sd = math.sqrt(HAND_VARIANCE)
    assert result.lift == pytest.approx(0.05)
    assert result.chance_to_win == pytest.approx(stats.norm.cdf(0.05 / sd), abs=1e-12)
    assert result.chance_to_win == pytest.approx(0.926306, abs=1e-6)
    assert result.ci_low == pytest.approx(0.05 - stats.norm.ppf(0.975) * sd, abs=1e-12)
    assert result.p_value is None
    assert result.adjusted_p_value is None
    # Risk = E[max(−X, 0)] for X ~ N(0.05, V), by numerical integration.
    loss, _ = integrate.quad(lambda x: -x * stats.norm.pdf(x, 0.05, sd), -np.inf, 0)
    gain, _ = integrate.quad(lambda x: x * stats.norm.pdf(x, 0.05, sd), 0, np.inf)
    assert result.risk == pytest.approx(loss, abs=1e-9)
    assert result.risk == pytest.approx(0.0011354, abs=1e-7)
    assert result.risk_control == pytest.approx(gain, abs=1e-9)
    assert result.significant is False


def test_bayesian_proper_prior_shrinks_towards_the_prior_mean() -> None:
    options = AnalysisOptions(method=Method.BAYESIAN, prior_proper=True, prior_mean=0.0, prior_variance=0.01)
    result = one(HAND, options)
    precision = 1 / 0.01 + 1 / HAND_VARIANCE
    mean = (0.05 / HAND_VARIANCE) / precision
    assert result.lift == pytest.approx(mean, abs=1e-12)
    assert result.lift == pytest.approx(0.0446785, abs=1e-6)
    assert result.chance_to_win == pytest.approx(stats.norm.cdf(mean * math.sqrt(precision)), abs=1e-12)
    assert result.ci_high == pytest.approx(mean + stats.norm.ppf(0.975) / math.sqrt(precision), abs=1e-12)


def test_bayesian_lower_is_better_flips_chance_to_win_and_risk() -> None:
    lower = MetricInput("latency", MetricKind.MEAN, HAND.arms, role="guardrail", higher_is_better=False)
    higher = one(HAND, AnalysisOptions(method=Method.BAYESIAN))
    flipped = one(lower, AnalysisOptions(method=Method.BAYESIAN))
    assert flipped.chance_to_win == pytest.approx(1 - (higher.chance_to_win or 0), abs=1e-12)
    assert flipped.risk == pytest.approx(higher.risk_control, abs=1e-12)


# --- corrections ------------------------------------------------------------------------------------------------


def holm_by_hand(p: list[float]) -> list[float]:
    order = sorted(range(len(p)), key=lambda i: p[i])
    adjusted, running = [0.0] * len(p), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def bh_by_hand(p: list[float]) -> list[float]:
    order = sorted(range(len(p)), key=lambda i: p[i])
    adjusted, running = [0.0] * len(p), 1.0
    for rank in range(len(p) - 1, -1, -1):
        index = order[rank]
        running = min(running, len(p) * p[index] / (rank + 1))
        adjusted[index] = running
    return adjusted


def test_holm_and_bh_match_hand_computation() -> None:
    p = [0.01, 0.04, 0.03, 0.005, 0.2]
    assert list(holm(np.array(p))) == pytest.approx([0.04, 0.09, 0.09, 0.025, 0.2])
    assert list(holm(np.array(p))) == pytest.approx(holm_by_hand(p))
    assert list(benjamini_hochberg(np.array(p))) == pytest.approx([0.025, 0.05, 0.05, 0.025, 0.2])
    assert list(benjamini_hochberg(np.array(p))) == pytest.approx(bh_by_hand(p))


def test_correction_applies_to_primary_metrics_only() -> None:
    strong = MetricInput("a", MetricKind.MEAN, (arm("A", 1000, 10, 4), arm("B", 1000, 10.3, 4)))
    weak = MetricInput("b", MetricKind.MEAN, (arm("A", 1000, 10, 4), arm("B", 1000, 10.2, 4)))
    secondary = MetricInput("c", MetricKind.MEAN, (arm("A", 1000, 10, 4), arm("B", 1000, 10.2, 4)), role="secondary")
    for correction, adjust in ((Correction.HOLM, holm_by_hand), (Correction.BH, bh_by_hand)):
        results = analyse([strong, weak, secondary], options=AnalysisOptions(correction=correction)).results
        raw = [r.p_value or 0.0 for r in results[:2]]
        assert [r.adjusted_p_value for r in results[:2]] == pytest.approx(adjust(raw))
        assert results[2].adjusted_p_value == results[2].p_value
    plain = analyse([strong, weak], options=AnalysisOptions(correction=Correction.NONE)).results
    assert [r.adjusted_p_value for r in plain] == [r.p_value for r in plain]


# --- edge cases -------------------------------------------------------------------------------------------------


def test_zero_variance_in_both_arms_gives_no_test() -> None:
    metric = MetricInput("flat", MetricKind.MEAN, (ArmStats("A", 10, 50, 250), ArmStats("B", 10, 60, 360)))
    analysis = analyse([metric], options=AnalysisOptions(relative=False))
    result = analysis.results[0]
    assert result.lift == pytest.approx(1.0)
    assert (result.ci_low, result.ci_high, result.p_value, result.significant) == (None, None, None, False)
    assert result.note == "zero variance in both arms: no test possible"
    assert "Zero variance in both arms for flat (B): no test possible." in analysis.warnings
    # scipy's answer is an infinite t and p = 0, a certainty no two samples of 10 can give: we report no test.
    assert float(stats.ttest_ind_from_stats(6, 0, 10, 5, 0, 10, equal_var=False).pvalue) == 0.0


def test_zero_variance_in_one_arm_still_tests_like_scipy() -> None:
    metric = MetricInput("m", MetricKind.MEAN, (ArmStats("A", 10, 50, 250), arm("B", 12, 6.0, 2.0)))
    result = one(metric, AnalysisOptions(relative=False))
    expected = stats.ttest_ind_from_stats(6.0, math.sqrt(2.0), 12, 5.0, 0.0, 10, equal_var=False)
    assert result.p_value == pytest.approx(float(expected.pvalue), abs=1e-10)
    assert result.degrees_of_freedom == pytest.approx(11.0)


def test_an_empty_arm_gives_no_lift_and_a_warning() -> None:
    metric = MetricInput("m", MetricKind.PROPORTION, (ArmStats("A", 100, 10, 10), ArmStats("B", 0, 0, 0)))
    analysis = analyse([metric], options=AnalysisOptions())
    result = analysis.results[0]
    assert (result.lift, result.p_value, result.variation_mean, result.significant) == (None, None, None, False)
    assert result.note == "variation 'B' has no units"
    assert "No units in B: those comparisons cannot be analysed." in analysis.warnings
    assert analysis.srm is not None
    assert analysis.srm.warn is True


def test_negative_baseline_relative_lift_divides_by_the_absolute_control_mean() -> None:
    metric = MetricInput("profit", MetricKind.MEAN, (arm("A", 50, -10.0, 4.0), arm("B", 50, -5.0, 4.0)))
    result = one(metric, AnalysisOptions())
    # −5 is an increase from −10: +50 %, not the −50 % of variation/control − 1.
    assert result.lift == pytest.approx(0.5)
    assert result.note == "negative control mean: relative lift = (variation − control) / |control|"
    variance = 4 / (100 * 50) + 4 * 25 / (10**4 * 50)
    assert result.standard_error == pytest.approx(math.sqrt(variance), abs=1e-12)


def test_zero_control_mean_has_no_relative_lift() -> None:
    metric = MetricInput("m", MetricKind.MEAN, (arm("A", 50, 0.0, 4.0), arm("B", 50, 1.0, 4.0)))
    result = one(metric, AnalysisOptions())
    assert (result.lift, result.p_value) == (None, None)
    assert result.note == "control mean is zero: relative lift is undefined"
    assert one(metric, AnalysisOptions(relative=False)).lift == pytest.approx(1.0)


def test_tiny_samples() -> None:
    single = MetricInput("m", MetricKind.MEAN, (ArmStats("A", 1, 3, 9), ArmStats("B", 1, 4, 16)))
    result = one(single, AnalysisOptions(relative=False))
    assert result.lift == pytest.approx(1.0)
    assert (result.p_value, result.ci_low) == (None, None)
    assert result.note == "too few units (fewer than 2 in an arm) to estimate a variance"
    pair = MetricInput("m", MetricKind.MEAN, (ArmStats("A", 2, 3 + 5, 9 + 25), ArmStats("B", 2, 4 + 9, 16 + 81)))
    paired = one(pair, AnalysisOptions(relative=False))
    expected = stats.ttest_ind([4.0, 9.0], [3.0, 5.0], equal_var=False)
    assert paired.p_value == pytest.approx(float(expected.pvalue), abs=1e-10)
    assert paired.degrees_of_freedom == pytest.approx(float(expected.df), abs=1e-10)
    interval = expected.confidence_interval(0.95)
    assert paired.ci_low == pytest.approx(float(interval.low), abs=1e-9)


# --- warnings ---------------------------------------------------------------------------------------------------


def test_guardrail_breach_peeking_and_underpowered_warnings() -> None:
    latency = MetricInput(
        "latency", MetricKind.MEAN, (arm("A", 2000, 200, 900), arm("B", 2000, 210, 900)), role="guardrail", higher_is_better=False
    )
    options = AnalysisOptions(peeked=True, planned_sample_per_variation=5000, mde_relative=0.01)
    analysis = analyse([HAND, latency], options=options)
    assert analysis.warnings == [
        "Results were looked at before the planned end without sequential testing: the false-positive rate is higher "
        "than alpha. Use --method sequential or wait for the planned end.",
        "Underpowered: A 100, B 120 of 5000 planned units per variation.",
        "Underpowered: the interval is wider than the MDE of 1.0% for revenue (B).",
        "Guardrail breached: latency (B) significantly worse than control.",
    ]
    sequential = analyse([HAND], options=AnalysisOptions(method=Method.SEQUENTIAL, peeked=True))
    assert sequential.warnings == []


def test_over_time_gives_one_point_per_day_metric_and_variation() -> None:
    day_one = [MetricInput("m", MetricKind.PROPORTION, (ArmStats("A", 100, 10, 10), ArmStats("B", 100, 12, 12)))]
    day_two = [MetricInput("m", MetricKind.PROPORTION, (ArmStats("A", 200, 20, 20), ArmStats("B", 200, 26, 26)))]
    points = analyse_over_time(
        [(date(2026, 11, 2), day_one), (date(2026, 11, 3), day_two)], options=AnalysisOptions(method=Method.SEQUENTIAL)
    )
    assert [(p.day, p.metric, p.variation) for p in points] == [(date(2026, 11, 2), "m", "B"), (date(2026, 11, 3), "m", "B")]
    assert points[1].lift == pytest.approx(0.3)
    assert isinstance(points[0], OverTimePoint)
    assert points[0].ci_low is not None
    assert points[1].ci_low is not None
    assert points[0].ci_high is not None
    assert points[1].ci_high is not None
    assert points[1].ci_high - points[1].ci_low < points[0].ci_high - points[0].ci_low
