"""The power calculator against hand-worked formulas with scipy.stats.norm."""

from __future__ import annotations

import math

import pytest
from scipy.stats import norm

from deliveryops.analytics.experiments import (
    comparison_alpha,
    duration_days,
    mde_means,
    mde_proportions,
    sample_size_means,
    sample_size_proportions,
)

Z_80 = float(norm.ppf(0.8))


def test_sample_size_for_a_mean_hand_worked() -> None:
    # δ = 5 % of 10 = 0.5; n = 2·2²·(1.959964 + 0.841621)²/0.5² = 251.16 → 252
    z = float(norm.ppf(0.975)) + Z_80
    assert 2 * 4 * z**2 / 0.25 == pytest.approx(251.1641, abs=1e-4)
    assert sample_size_means(baseline_mean=10, standard_deviation=2, mde_relative=0.05) == 252
    assert sample_size_means(baseline_mean=-10, standard_deviation=2, mde_relative=0.05) == 252


def test_sample_size_for_a_proportion_hand_worked() -> None:
    # p₁ 0.10, p₂ 0.11: n = 7.848879·(0.09 + 0.0979)/0.01² = 14,748.04 → 14,749
    z = float(norm.ppf(0.975)) + Z_80
    assert z**2 * (0.1 * 0.9 + 0.11 * 0.89) / 0.01**2 == pytest.approx(14748.04, abs=1e-2)
    assert sample_size_proportions(baseline_rate=0.1, mde_relative=0.1) == 14749


def test_more_variations_test_each_comparison_at_the_bonferroni_level() -> None:
    assert comparison_alpha(0.05, 3) == pytest.approx(0.025)
    z = float(norm.ppf(1 - 0.025 / 2)) + Z_80
    assert sample_size_proportions(baseline_rate=0.1, mde_relative=0.1, variations=3) == math.ceil(
        z**2 * (0.1 * 0.9 + 0.11 * 0.89) / 0.01**2
    )
    assert sample_size_proportions(baseline_rate=0.1, mde_relative=0.1, variations=3) == 17860
    assert sample_size_means(
        baseline_mean=10, standard_deviation=2, mde_relative=0.05, variations=4, alpha=0.1, power=0.9
    ) == math.ceil(8 * (float(norm.ppf(1 - 0.1 / 3 / 2)) + float(norm.ppf(0.9))) ** 2 / 0.25)


def test_mde_inverts_the_sample_size() -> None:
    z = float(norm.ppf(0.975)) + Z_80
    assert mde_means(baseline_mean=10, standard_deviation=2, sample_per_variation=252) == pytest.approx(
        z * 2 * math.sqrt(2 / 252) / 10, abs=1e-12
    )
    assert mde_means(baseline_mean=10, standard_deviation=2, sample_per_variation=252) == pytest.approx(0.049917, abs=1e-6)
    found = mde_proportions(baseline_rate=0.1, sample_per_variation=14749)
    assert found == pytest.approx(0.1, abs=1e-4)
    p2 = 0.1 * (1 + found)
    assert 14749 * (p2 - 0.1) ** 2 == pytest.approx(z**2 * (0.09 + p2 * (1 - p2)), abs=1e-9)


def test_duration_in_whole_days() -> None:
    assert duration_days(17860, 3, 4000) == 14  # 53,580 / 4,000 = 13.4
    assert duration_days(1000, 2, 1000, traffic_share=0.5) == 4
    assert duration_days(1000, 2, 2000) == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sample_size_means(baseline_mean=0, standard_deviation=1, mde_relative=0.1), "baseline_mean must be a non-zero"),
        (
            lambda: sample_size_means(baseline_mean=1, standard_deviation=0, mde_relative=0.1),
            "standard_deviation must be a positive",
        ),
        (lambda: sample_size_proportions(baseline_rate=1.2, mde_relative=0.1), "baseline_rate must be between 0 and 1"),
        (lambda: sample_size_proportions(baseline_rate=0.6, mde_relative=1.0), "reaches a rate of 1 or more"),
        (lambda: sample_size_proportions(baseline_rate=0.1, mde_relative=0.1, variations=1), "variations must be 2 or more"),
        (lambda: sample_size_proportions(baseline_rate=0.1, mde_relative=0.1, power=1.0), "power must be between 0 and 1"),
        (lambda: duration_days(100, 2, 0), "daily_traffic must be a positive number"),
        (lambda: duration_days(100, 2, 10, traffic_share=0), r"traffic_share must be in \(0, 1\]"),
    ],
)
def test_bad_planning_input_is_refused(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match=message):
        call()
