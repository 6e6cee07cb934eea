"""Properties of the experiment statistics that hold for any input (hypothesis)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliveryops.analytics.experiments import (
    AnalysisOptions,
    ArmStats,
    Correction,
    Method,
    MetricInput,
    MetricKind,
    analyse,
    analyse_many,
    benjamini_hochberg,
    holm,
)

arm_moments = st.tuples(
    st.integers(min_value=20, max_value=100_000),
    st.floats(min_value=-1000, max_value=1000, allow_nan=False).filter(lambda mean: abs(mean) > 1e-3),
    st.floats(min_value=1e-3, max_value=1e4, allow_nan=False),
)


def metric_of(control: tuple[int, float, float], variation: tuple[int, float, float]) -> MetricInput:
    def arm(name: str, moments: tuple[int, float, float]) -> ArmStats:
        n, mean, variance = moments
        return ArmStats(name, n, n * mean, variance * (n - 1) + n * mean * mean)

    return MetricInput("m", MetricKind.MEAN, (arm("A", control), arm("B", variation)))


@settings(max_examples=150, deadline=None)
@given(arm_moments, arm_moments, st.sampled_from(list(Method)), st.booleans())
def test_the_interval_contains_the_point_estimate(
    control: tuple[int, float, float], variation: tuple[int, float, float], method: Method, relative: bool
) -> None:
    result = analyse([metric_of(control, variation)], options=AnalysisOptions(method=method, relative=relative)).results[0]
    assert result.lift is not None
    assert result.ci_low is not None
    assert result.ci_high is not None
    assert result.ci_low <= result.lift <= result.ci_high
    if method is Method.BAYESIAN:
        assert result.chance_to_win is not None
        assert 0 <= result.chance_to_win <= 1
        assert result.risk is not None
        assert result.risk >= 0
    else:
        assert result.p_value is not None
        assert 0 <= result.p_value <= 1


@settings(max_examples=150, deadline=None)
@given(arm_moments, arm_moments, st.booleans())
def test_the_sequential_interval_is_wider_than_the_fixed_horizon_one(
    control: tuple[int, float, float], variation: tuple[int, float, float], relative: bool
) -> None:
    metric = metric_of(control, variation)
    fixed = analyse([metric], options=AnalysisOptions(relative=relative)).results[0]
    always_valid = analyse([metric], options=AnalysisOptions(method=Method.SEQUENTIAL, relative=relative)).results[0]
    assert fixed.ci_low is not None
    assert fixed.ci_high is not None
    assert always_valid.ci_low is not None
    assert always_valid.ci_high is not None
    assert always_valid.ci_high - always_valid.ci_low > fixed.ci_high - fixed.ci_low
    # In the far tail the fixed test's t distribution (few degrees of freedom) is heavier than the sequence's normal
    # asymptotics, so the p-values are compared where decisions are made.
    if (fixed.p_value or 0) > 1e-4:
        assert (always_valid.p_value or 0) >= (fixed.p_value or 0)


@settings(max_examples=150, deadline=None)
@given(arm_moments, arm_moments)
def test_relative_lift_has_the_sign_of_the_difference(
    control: tuple[int, float, float], variation: tuple[int, float, float]
) -> None:
    metric = metric_of(control, variation)
    relative = analyse([metric], options=AnalysisOptions()).results[0]
    absolute = analyse([metric], options=AnalysisOptions(relative=False)).results[0]
    assert relative.lift is not None
    assert absolute.lift is not None
    assert np.sign(relative.lift) == np.sign(absolute.lift)


p_values = st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(p_values)
def test_adjusted_p_values_are_at_least_raw_monotone_and_bh_is_not_above_holm(raw: list[float]) -> None:
    p = np.array(raw)
    holm_adjusted, bh_adjusted = holm(p), benjamini_hochberg(p)
    assert np.all(holm_adjusted >= p - 1e-15)
    assert np.all(bh_adjusted >= p - 1e-15)
    assert np.all(holm_adjusted <= 1)
    assert np.all(bh_adjusted <= holm_adjusted + 1e-12)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(holm_adjusted[order]) >= -1e-15)
    assert np.all(np.diff(bh_adjusted[order]) >= -1e-15)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(arm_moments, arm_moments), min_size=1, max_size=6))
def test_holm_significance_implies_raw_significance(
    pairs: list[tuple[tuple[int, float, float], tuple[int, float, float]]],
) -> None:
    metrics = [MetricInput(f"m{index}", MetricKind.MEAN, metric_of(*pair).arms) for index, pair in enumerate(pairs)]
    results = analyse(metrics, options=AnalysisOptions(correction=Correction.HOLM)).results
    for result in results:
        assert result.p_value is not None
        assert result.adjusted_p_value is not None
        assert result.adjusted_p_value >= result.p_value
        if result.significant:
            assert result.p_value < 0.05


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.tuples(arm_moments, arm_moments), min_size=1, max_size=4), min_size=1, max_size=5),
    st.sampled_from(list(Method)),
    st.booleans(),
)
def test_analyse_many_gives_what_analyse_gives_for_each_experiment(
    experiments: list[list[tuple[tuple[int, float, float], tuple[int, float, float]]]], method: Method, relative: bool
) -> None:
    inputs = [
        [MetricInput(f"m{index}", MetricKind.MEAN, metric_of(*pair).arms) for index, pair in enumerate(pairs)]
        for pairs in experiments
    ]
    options = AnalysisOptions(method=method, relative=relative)
    together = analyse_many(inputs, options=options)
    apart = [analyse(metrics, options=options) for metrics in inputs]
    assert [(a.srm, a.warnings) for a in together] == [(a.srm, a.warnings) for a in apart]
    for many, one in zip(together, apart, strict=True):
        for left, right in zip(many.results, one.results, strict=True):
            # Vectorised maths over arrays of different lengths may differ in the last bit.
            for name, value in asdict(left).items():
                other = asdict(right)[name]
                if isinstance(value, float) and isinstance(other, float):
                    assert value == pytest.approx(other, rel=1e-12, abs=1e-300), name
                else:
                    assert value == other, name
