"""Experiment statistics against scipy and hand-worked examples: Welch, delta method, proportions, ratio, CUPED, SRM."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from deliveryops.analytics.experiments import (
    AnalysisOptions,
    ArmStats,
    Correction,
    LiftResult,
    MetricInput,
    MetricKind,
    analyse,
    sample_ratio_mismatch,
)

ABSOLUTE = AnalysisOptions(relative=False, correction=Correction.NONE)
RELATIVE = AnalysisOptions(relative=True, correction=Correction.NONE)


def arm_from_moments(name: str, n: int, mean: float, variance: float) -> ArmStats:
    """Sums that give exactly this mean and sample variance."""
    total = n * mean
    return ArmStats(name, n, total, variance * (n - 1) + total * total / n)


def arm_from_values(
    name: str, values: np.ndarray, pre: np.ndarray | None = None, denominator: np.ndarray | None = None
) -> ArmStats:
    return ArmStats(
        name,
        len(values),
        float(values.sum()),
        float((values * values).sum()),
        denominator_sum=None if denominator is None else float(denominator.sum()),
        denominator_sum_squares=None if denominator is None else float((denominator * denominator).sum()),
        cross_sum=None if denominator is None else float((values * denominator).sum()),
        pre_sum=None if pre is None else float(pre.sum()),
        pre_sum_squares=None if pre is None else float((pre * pre).sum()),
        pre_cross_sum=None if pre is None else float((values * pre).sum()),
    )


def only(metric: MetricInput, options: AnalysisOptions) -> LiftResult:
    results = analyse([metric], options=options).results
    assert len(results) == 1
    return results[0]


HAND = MetricInput("revenue", MetricKind.MEAN, (arm_from_moments("A", 100, 10.0, 4.0), arm_from_moments("B", 120, 10.5, 9.0)))


def test_absolute_welch_matches_scipy() -> None:
    result = only(HAND, ABSOLUTE)
    expected = stats.ttest_ind_from_stats(10.5, 3.0, 120, 10.0, 2.0, 100, equal_var=False)
    assert result.lift == pytest.approx(0.5, abs=1e-12)
    assert result.p_value == pytest.approx(float(expected.pvalue), abs=1e-10)
    assert result.degrees_of_freedom == pytest.approx(208.49583486668226, abs=1e-8)
    half = stats.t.ppf(0.975, result.degrees_of_freedom) * math.sqrt(9 / 120 + 4 / 100)
    assert result.ci_low == pytest.approx(0.5 - half, abs=1e-10)
    assert result.ci_high == pytest.approx(0.5 + half, abs=1e-10)
    assert (result.control_mean, result.variation_mean) == (pytest.approx(10.0), pytest.approx(10.5))  # type: ignore[comparison-overlap]
    assert result.significant is False


def test_absolute_welch_matches_scipy_on_unit_level_data() -> None:
    rng = np.random.default_rng(11)
    control, variation = rng.normal(5.0, 2.0, 400), rng.normal(5.4, 3.0, 350)
    metric = MetricInput("m", MetricKind.MEAN, (arm_from_values("A", control), arm_from_values("B", variation)))
    result = only(metric, ABSOLUTE)
    expected = stats.ttest_ind(variation, control, equal_var=False)
    interval = expected.confidence_interval(0.95)
    assert result.p_value == pytest.approx(float(expected.pvalue), abs=1e-9)
    assert result.degrees_of_freedom == pytest.approx(float(expected.df), abs=1e-6)
    assert result.ci_low == pytest.approx(float(interval.low), abs=1e-9)
    assert result.ci_high == pytest.approx(float(interval.high), abs=1e-9)
    assert result.significant is (float(expected.pvalue) < 0.05)


def test_relative_lift_by_the_delta_method_hand_worked() -> None:
    # Var = s²_B/(x̄_A² n_B) + s²_A x̄_B²/(x̄_A⁴ n_A) = 9/12000 + 4·110.25/1,000,000 = 0.001191
    result = only(HAND, RELATIVE)
    assert result.lift == pytest.approx(0.05, abs=1e-12)
    assert result.standard_error == pytest.approx(math.sqrt(0.001191), abs=1e-12)
    assert result.ci_low == pytest.approx(-0.0180350, abs=1e-6)
    assert result.ci_high == pytest.approx(0.1180350, abs=1e-6)
    assert result.p_value == pytest.approx(0.1488904, abs=1e-6)
    t = 0.05 / math.sqrt(0.001191)
    assert result.p_value == pytest.approx(2 * stats.t.sf(t, 208.49583486668226), abs=1e-10)


def test_proportions_use_p_times_one_minus_p() -> None:
    metric = MetricInput("conversion", MetricKind.PROPORTION, (ArmStats("A", 1000, 100, 100), ArmStats("B", 1000, 130, 130)))
    result = only(metric, ABSOLUTE)
    expected = stats.ttest_ind_from_stats(0.13, math.sqrt(0.13 * 0.87), 1000, 0.1, math.sqrt(0.1 * 0.9), 1000, equal_var=False)
    assert result.lift == pytest.approx(0.03, abs=1e-12)
    assert result.p_value == pytest.approx(float(expected.pvalue), abs=1e-10)
    assert result.p_value == pytest.approx(0.0354, abs=1e-4)  # z = 0.03/√(0.2031/1000) = 2.105
    relative = only(metric, RELATIVE)
    variance = 0.13 * 0.87 / (0.01 * 1000) + 0.09 * 0.13**2 / (0.1**4 * 1000)
    assert relative.lift == pytest.approx(0.3, abs=1e-12)
    assert relative.standard_error == pytest.approx(math.sqrt(variance), abs=1e-12)


def test_ratio_metric_by_the_delta_method_matches_linearised_units() -> None:
    rng = np.random.default_rng(5)
    sessions_a, sessions_b = rng.poisson(3, 300) + 1, rng.poisson(3, 280) + 1
    pages_a, pages_b = rng.poisson(sessions_a * 4.0), rng.poisson(sessions_b * 4.4)
    metric = MetricInput(
        "pages per session",
        MetricKind.RATIO,
        (
            arm_from_values("A", pages_a.astype(float), denominator=sessions_a.astype(float)),
            arm_from_values("B", pages_b.astype(float), denominator=sessions_b.astype(float)),
        ),
    )
    result = only(metric, ABSOLUTE)
    ratio_a, ratio_b = pages_a.sum() / sessions_a.sum(), pages_b.sum() / sessions_b.sum()
    # The delta-method variance of a ratio of means is the variance of the linearised unit values.
    linear_a = (pages_a - ratio_a * sessions_a) / sessions_a.mean()
    linear_b = (pages_b - ratio_b * sessions_b) / sessions_b.mean()
    expected = stats.ttest_ind_from_stats(ratio_b, linear_b.std(ddof=1), 280, ratio_a, linear_a.std(ddof=1), 300, equal_var=False)
    assert result.control_mean == pytest.approx(ratio_a, abs=1e-12)
    assert result.lift == pytest.approx(ratio_b - ratio_a, abs=1e-12)
    assert result.p_value == pytest.approx(float(expected.pvalue), abs=1e-9)
    assert result.standard_error == pytest.approx(math.sqrt(linear_a.var(ddof=1) / 300 + linear_b.var(ddof=1) / 280), abs=1e-12)


def test_ratio_metric_hand_worked() -> None:
    # Two units per arm: A = (x, y) (2, 1), (4, 3); B = (3, 1), (5, 2).
    metric = MetricInput(
        "r",
        MetricKind.RATIO,
        (
            ArmStats("A", 2, 6, 20, denominator_sum=4, denominator_sum_squares=10, cross_sum=14),
            ArmStats("B", 2, 8, 34, denominator_sum=3, denominator_sum_squares=5, cross_sum=13),
        ),
    )
    result = only(metric, ABSOLUTE)
    # A: x̄ 3, ȳ 2, s²x 2, s²y 2, cov 2 → r 1.5, var = 2/4 − 2·2·3/8 + 2·9/16 = 0.125
    # B: x̄ 4, ȳ 1.5, s²x 2, s²y 0.5, cov 1 → r 8/3, var = 2/2.25 − 2·4/3.375 + 0.5·16/5.0625 = 0.0987654…
    var_b = 2 / 2.25 - 8 / 3.375 + 8 / 5.0625
    assert result.control_mean == pytest.approx(1.5)
    assert result.variation_mean == pytest.approx(8 / 3)
    assert result.standard_error == pytest.approx(math.sqrt(0.125 / 2 + var_b / 2), abs=1e-12)
    assert result.standard_error == pytest.approx(0.334489, abs=1e-6)  # √((0.125 + 0.0987654)/2)


def test_cuped_with_pooled_theta_matches_a_welch_test_on_adjusted_units() -> None:
    rng = np.random.default_rng(3)
    pre_a, pre_b = rng.gamma(2.0, 10.0, 500), rng.gamma(2.0, 10.0, 450)
    post_a = 0.7 * pre_a + rng.normal(5.0, 4.0, 500)
    post_b = 0.7 * pre_b + rng.normal(5.8, 4.0, 450)
    metric = MetricInput(
        "revenue", MetricKind.MEAN, (arm_from_values("A", post_a, pre=pre_a), arm_from_values("B", post_b, pre=pre_b))
    )
    options = AnalysisOptions(relative=False, cuped=True, correction=Correction.NONE)
    result = only(metric, options)
    pooled_pre, pooled_post = np.concatenate([pre_a, pre_b]), np.concatenate([post_a, post_b])
    theta = np.cov(pooled_post, pooled_pre, ddof=1)[0, 1] / pooled_pre.var(ddof=1)
    expected = stats.ttest_ind(post_b - theta * pre_b, post_a - theta * pre_a, equal_var=False)
    assert result.cuped_theta == pytest.approx(theta, abs=1e-10)
    assert result.lift == pytest.approx((post_b - theta * pre_b).mean() - (post_a - theta * pre_a).mean(), abs=1e-10)
    assert result.p_value == pytest.approx(float(expected.pvalue), abs=1e-9)
    assert result.degrees_of_freedom == pytest.approx(float(expected.df), abs=1e-6)
    unadjusted = only(metric, ABSOLUTE)
    assert result.standard_error is not None
    assert unadjusted.standard_error is not None
    assert result.standard_error < unadjusted.standard_error
    assert unadjusted.cuped_theta is None


def test_cuped_relative_variance_hand_worked() -> None:
    # Control: n 100, post mean 10 var 4, pre mean 8 var 3, cov 2; variation: n 100, post 11 var 5, pre 8 var 3, cov 2.
    def arm(name: str, post_mean: float, post_var: float) -> ArmStats:
        n = 100
        return ArmStats(
            name,
            n,
            n * post_mean,
            post_var * 99 + n * post_mean**2,
            pre_sum=n * 8.0,
            pre_sum_squares=3.0 * 99 + n * 64.0,
            pre_cross_sum=2.0 * 99 + n * post_mean * 8.0,
        )

    metric = MetricInput("m", MetricKind.MEAN, (arm("A", 10.0, 4.0), arm("B", 11.0, 5.0)))
    result = only(metric, AnalysisOptions(cuped=True, correction=Correction.NONE))
    # Pooled over 200 units: var(pre) = 3·99·2/199, cov = 2·99·2/199 (the post means differ, pre means do not) → θ = 2/3.
    theta = 2 / 3
    assert result.cuped_theta == pytest.approx(theta, abs=1e-12)
    var_b = (5 + theta**2 * 3 - 2 * theta * 2) / (100 * 100)
    var_a = (4 * 121 / 100 - 2 * theta * 2 * 11 / 10 + theta**2 * 3) / (100 * 100)
    assert result.lift == pytest.approx(0.1, abs=1e-12)
    assert result.standard_error == pytest.approx(math.sqrt(var_a + var_b), abs=1e-12)
    assert result.standard_error == pytest.approx(0.0262805, abs=1e-6)  # √((3.24 + 3.6667)·10⁻⁴)


def test_cuped_skips_ratio_metrics_and_metrics_without_pre_period_statistics() -> None:
    options = AnalysisOptions(cuped=True, correction=Correction.NONE)
    plain = only(HAND, options)
    assert plain.note == "no pre-period statistics: not CUPED-adjusted"
    assert plain.lift == only(HAND, RELATIVE).lift
    ratio = MetricInput(
        "r", MetricKind.RATIO, (ArmStats("A", 2, 6, 20, 4, 10, 14, 1, 1, 1), ArmStats("B", 2, 8, 34, 3, 5, 13, 1, 1, 1))
    )
    assert only(ratio, options).note == "CUPED is not applied to ratio metrics"


def test_srm_matches_scipy_chi_square() -> None:
    srm = sample_ratio_mismatch([5000, 5200, 4700], [1, 1, 1])
    expected = stats.chisquare([5000, 5200, 4700], f_exp=[14900 / 3] * 3)
    assert srm.chi_square == pytest.approx(float(expected.statistic), abs=1e-10)
    assert srm.p_value == pytest.approx(float(expected.pvalue), abs=1e-12)
    assert srm.expected == pytest.approx((14900 / 3,) * 3)
    assert srm.warn is True


def test_srm_uses_planned_weights_and_warns_only_below_the_threshold() -> None:
    srm = sample_ratio_mismatch([8000, 2000], [0.8, 0.2])
    assert (srm.chi_square, srm.p_value, srm.warn) == (0.0, 1.0, False)
    # χ² = 100²/5000 · 2 = 4 → p = 0.0455: not a mismatch at 0.001.
    mild = sample_ratio_mismatch([5100, 4900], [50, 50])
    assert mild.chi_square == pytest.approx(4.0)
    assert mild.p_value == pytest.approx(float(stats.chi2.sf(4.0, 1)), abs=1e-12)
    assert mild.warn is False


def test_srm_rejects_bad_weights() -> None:
    with pytest.raises(ValueError, match="2 variations but 3 weights"):
        sample_ratio_mismatch([1, 2], [1, 1, 1])
    with pytest.raises(ValueError, match="at least two variations need a positive weight"):
        sample_ratio_mismatch([1, 2], [1, 0])


def test_analysis_reports_srm_on_the_first_metric_units() -> None:
    metric = MetricInput("m", MetricKind.PROPORTION, (ArmStats("A", 5000, 500, 500), ArmStats("B", 4500, 450, 450)))
    analysis = analyse([metric], options=RELATIVE)
    assert analysis.srm is not None
    assert analysis.srm.observed == (5000, 4500)
    assert analysis.srm.warn is True
    assert analysis.warnings[0].startswith("Sample ratio mismatch: p = 2.9e-07 < 0.001 (units: A 5000, B 4500).")
    weighted = analyse([metric], options=RELATIVE, weights=[10, 9])
    assert weighted.srm is not None
    assert weighted.srm.p_value == pytest.approx(1.0)
    assert weighted.warnings == []


def test_inconsistent_input_is_refused() -> None:
    other = MetricInput("x", MetricKind.MEAN, (arm_from_moments("A", 10, 1, 1), arm_from_moments("C", 10, 1, 1)))
    with pytest.raises(ValueError, match=r"metric 'x': variations \['A', 'C'\] differ from \['A', 'B'\]"):
        analyse([HAND, other], options=RELATIVE)
    too_many = MetricInput("c", MetricKind.PROPORTION, (ArmStats("A", 10, 11, 11), ArmStats("B", 10, 1, 1)))
    with pytest.raises(ValueError, match=r"conversions \(11\) must be between 0 and n \(10\)"):
        analyse([too_many], options=RELATIVE)
    with pytest.raises(ValueError, match="a ratio metric needs denominator_sum"):
        analyse([MetricInput("r", MetricKind.RATIO, HAND.arms)], options=RELATIVE)
    with pytest.raises(ValueError, match="no metrics to analyse"):
        analyse([], options=RELATIVE)
