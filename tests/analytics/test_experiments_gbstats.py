"""Exact values from GrowthBook's gbstats 0.8.0 on the same sufficient statistics.

Each expected number below was printed by gbstats 0.8.0's own test classes (``TwoSidedTTest``,
``SequentialTwoSidedTTest``, ``EffectBayesianABTest``) in its own virtualenv; ``benchmarks/peer_gbstats.py``
reruns the full comparison. gbstats is not a test dependency: the numbers are pinned here.
"""

from __future__ import annotations

import pytest

from deliveryops.analytics.experiments import (
    DEFAULT_PRIOR_VARIANCE,
    AnalysisOptions,
    ArmStats,
    Correction,
    LiftResult,
    Method,
    MetricInput,
    MetricKind,
    analyse,
)


def arm(name: str, n: int, mean: float, variance: float) -> ArmStats:
    total = n * mean
    return ArmStats(name, n, total, variance * (n - 1) + total * total / n)


# SampleMeanStatistic(n=100, mean 10, variance 4) vs (n=120, mean 10.5, variance 9)
HAND = MetricInput("revenue", MetricKind.MEAN, (arm("A", 100, 10.0, 4.0), arm("B", 120, 10.5, 9.0)))


def one(metric: MetricInput, **options: object) -> LiftResult:
    return analyse([metric], options=AnalysisOptions(correction=Correction.NONE, **options)).results[0]  # type: ignore[arg-type]


def test_welch_relative_lift_equals_gbstats() -> None:
    result = one(HAND)
    assert result.ci_low == pytest.approx(-0.01803497417139173, abs=1e-12)
    assert result.ci_high == pytest.approx(0.11803497417139173, abs=1e-12)
    assert result.p_value == pytest.approx(0.14889043646706224, abs=1e-12)


def test_sequential_sequence_and_p_value_equal_gbstats() -> None:
    result = one(HAND, method=Method.SEQUENTIAL)
    assert result.ci_low == pytest.approx(-0.12014530135865438, abs=1e-12)
    assert result.ci_high == pytest.approx(0.2201453013586544, abs=1e-12)
    assert result.p_value == pytest.approx(0.8852513041801225, abs=1e-12)


def test_bayesian_flat_prior_equals_gbstats() -> None:
    result = one(HAND, method=Method.BAYESIAN)
    assert result.ci_low == pytest.approx(-0.017640058068031747, abs=1e-12)
    assert result.ci_high == pytest.approx(0.11764005806803172, abs=1e-12)
    assert result.chance_to_win == pytest.approx(0.9263059275967557, abs=1e-12)
    # gbstats' risk is [risk of keeping the control, risk of shipping the variation].
    assert result.risk == pytest.approx(0.0011354102306421565, abs=1e-10)
    assert result.risk_control == pytest.approx(0.05113541023064216, abs=1e-10)


def test_default_proper_prior_is_growthbooks_standard_deviation_of_0_3() -> None:
    # GrowthBook's DEFAULT_PROPER_PRIOR_STDDEV is 0.3 and gbstats uses variance = prior_stddev² (get_configured_test).
    assert pytest.approx(0.3**2) == DEFAULT_PRIOR_VARIANCE
    result = one(HAND, method=Method.BAYESIAN, prior_proper=True)
    assert result.lift == pytest.approx(0.04934697503043064, abs=1e-12)
    assert result.ci_low == pytest.approx(-0.017849924846530606, abs=1e-12)
    assert result.ci_high == pytest.approx(0.11654387490739188, abs=1e-12)
    assert result.chance_to_win == pytest.approx(0.9249710127793502, abs=1e-12)
    assert result.risk == pytest.approx(0.001152171022159115, abs=1e-10)
    assert result.risk_control == pytest.approx(0.050499146052589754, abs=1e-10)


def test_the_prior_is_on_the_relative_lift_and_rescaled_for_absolute_effects() -> None:
    # gbstats (prior_type="relative", as GrowthBook always calls it) turns N(0, 0.09) on the lift into
    # N(0, 0.09·10²) on the absolute effect when the control mean is 10.
    result = one(HAND, method=Method.BAYESIAN, relative=False, prior_proper=True, prior_variance=0.09)
    assert result.lift == pytest.approx(0.4936917169500823, abs=1e-12)
    assert result.ci_low == pytest.approx(-0.1667582600956815, abs=1e-12)
    assert result.ci_high == pytest.approx(1.154141693995846, abs=1e-12)
    assert result.chance_to_win == pytest.approx(0.9285516788741557, abs=1e-12)
    assert result.risk == pytest.approx(0.01068850621514814, abs=1e-10)
    assert result.risk_control == pytest.approx(0.5043802231652305, abs=1e-10)


def test_cuped_on_a_proportion_with_a_binary_covariate_equals_gbstats() -> None:
    # RegressionAdjustedStatistic with ProportionStatistic post and pre: the 0/1 covariate's variance is p(1 − p).
    metric = MetricInput(
        "retained",
        MetricKind.PROPORTION,
        (
            ArmStats("A", 1000, 150, 150, pre_sum=300, pre_sum_squares=300, pre_cross_sum=90),
            ArmStats("B", 1000, 180, 180, pre_sum=310, pre_sum_squares=310, pre_cross_sum=100),
        ),
    )
    result = one(metric, relative=False, cuped=True)
    assert result.cuped_theta == pytest.approx(0.21086141608367573, abs=1e-12)
    assert result.lift == pytest.approx(0.027891385839163244, abs=1e-12)
    assert result.ci_low == pytest.approx(-0.0035050805554692893, abs=1e-12)
    assert result.ci_high == pytest.approx(0.059287852233795776, abs=1e-12)
    assert result.p_value == pytest.approx(0.08162532137630274, abs=1e-12)


def test_negative_control_mean_differs_from_gbstats_by_design() -> None:
    # gbstats divides by the signed control mean; we divide by |control mean| (docs: "Differs from GrowthBook"):
    # the lift and interval change sign, the p-value is the same.
    metric = MetricInput("profit", MetricKind.MEAN, (arm("A", 50, -10.0, 4.0), arm("B", 50, -5.0, 4.0)))
    ours = one(metric)
    gbstats_lift = (-5.0 - -10.0) / -10.0
    assert ours.lift == pytest.approx(-gbstats_lift)


def test_a_relative_prior_is_flat_for_an_absolute_effect_when_the_control_mean_is_zero() -> None:
    # |control mean| = 0 turns the relative prior into N(0, 0): it says nothing about an absolute effect, so the
    # posterior is the data's (gbstats would divide by a zero prior variance).
    metric = MetricInput("m", MetricKind.MEAN, (arm("A", 50, 0.0, 4.0), arm("B", 50, 1.0, 4.0)))
    proper = one(metric, method=Method.BAYESIAN, relative=False, prior_proper=True)
    flat = one(metric, method=Method.BAYESIAN, relative=False)
    assert proper.lift == pytest.approx(1.0)
    assert (proper.ci_low, proper.ci_high, proper.chance_to_win) == (flat.ci_low, flat.ci_high, flat.chance_to_win)
