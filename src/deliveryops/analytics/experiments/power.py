"""Power calculator: sample size from an MDE, MDE from a sample size, and duration from daily traffic.

Two-sided z-test approximations (the usual planning formulas), equal allocation, per variation:

* means: n = 2σ²(z₁₋α′/₂ + z_power)²/δ², δ = mde_relative·|baseline mean|;
* proportions (unpooled variance): n = (z₁₋α′/₂ + z_power)²·(p₁(1 − p₁) + p₂(1 − p₂))/(p₂ − p₁)²,
  p₂ = p₁(1 + mde_relative).

With more than two variations each of the k − 1 comparisons with the control is tested at the
Bonferroni level α′ = α/(k − 1): conservative, and the first step of the Holm correction used in the
analysis, so an experiment sized here keeps its power after correction.
"""

from __future__ import annotations

import math

from scipy import special

__all__ = [
    "comparison_alpha",
    "duration_days",
    "mde_means",
    "mde_proportions",
    "sample_size_means",
    "sample_size_proportions",
]


def comparison_alpha(alpha: float, variations: int) -> float:
    """The per-comparison level α/(k − 1) for k variations (control included).

    Args:
        alpha: the family-wise level.
        variations: number of variations including the control (2 or more).

    Returns:
        The Bonferroni per-comparison level.

    Raises:
        ValueError: fewer than 2 variations, or alpha outside (0, 1).
    """
    if variations < 2:
        raise ValueError(f"variations must be 2 or more (control included), got {variations}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    return alpha / (variations - 1)


def _z_total(alpha: float, power: float, variations: int) -> float:
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1, got {power}")
    level = comparison_alpha(alpha, variations)
    return float(special.ndtri(1 - level / 2) + special.ndtri(power))


def _positive(name: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive number, got {value}")


def sample_size_means(
    *,
    baseline_mean: float,
    standard_deviation: float,
    mde_relative: float,
    variations: int = 2,
    alpha: float = 0.05,
    power: float = 0.8,
) -> int:
    """Units per variation to detect a relative change of a mean.

    Args:
        baseline_mean: the control's expected mean (not 0).
        standard_deviation: per-unit standard deviation (assumed equal in every arm).
        mde_relative: minimum detectable effect as a fraction of the baseline (0.05 = 5 %).
        variations: number of variations including the control.
        alpha: family-wise false-positive rate (two-sided).
        power: probability of detecting an effect of exactly the MDE.

    Returns:
        Units per variation, rounded up.

    Raises:
        ValueError: a non-positive MDE or standard deviation, a zero baseline, or a bad level.
    """
    _positive("standard_deviation", standard_deviation)
    _positive("mde_relative", mde_relative)
    if baseline_mean == 0 or not math.isfinite(baseline_mean):
        raise ValueError("baseline_mean must be a non-zero number")
    delta = mde_relative * abs(baseline_mean)
    return math.ceil(2 * standard_deviation**2 * _z_total(alpha, power, variations) ** 2 / delta**2)


def _check_rate(baseline_rate: float) -> None:
    if not 0 < baseline_rate < 1:
        raise ValueError(f"baseline_rate must be between 0 and 1, got {baseline_rate}")


def sample_size_proportions(
    *, baseline_rate: float, mde_relative: float, variations: int = 2, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Units per variation to detect a relative change of a conversion rate.

    Args:
        baseline_rate: the control's expected rate, between 0 and 1.
        mde_relative: minimum detectable effect as a fraction of the rate (0.1 = 10 % more conversions).
        variations: number of variations including the control.
        alpha: family-wise false-positive rate (two-sided).
        power: probability of detecting an effect of exactly the MDE.

    Returns:
        Units per variation, rounded up.

    Raises:
        ValueError: a rate outside (0, 1), an MDE that is not positive or pushes the rate to 1 or more.
    """
    _check_rate(baseline_rate)
    _positive("mde_relative", mde_relative)
    target = baseline_rate * (1 + mde_relative)
    if target >= 1:
        raise ValueError(f"a {mde_relative:.0%} lift of {baseline_rate} reaches a rate of 1 or more")
    spread = baseline_rate * (1 - baseline_rate) + target * (1 - target)
    return math.ceil(_z_total(alpha, power, variations) ** 2 * spread / (target - baseline_rate) ** 2)


def mde_means(
    *,
    baseline_mean: float,
    standard_deviation: float,
    sample_per_variation: int,
    variations: int = 2,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """The relative effect on a mean detectable with ``sample_per_variation`` units per variation.

    Args:
        baseline_mean: the control's expected mean (not 0).
        standard_deviation: per-unit standard deviation.
        sample_per_variation: units per variation.
        variations: number of variations including the control.
        alpha: family-wise false-positive rate (two-sided).
        power: probability of detecting it.

    Returns:
        The MDE as a fraction of the baseline: (z₁₋α′/₂ + z_power)·σ·√(2/n)/|baseline|.

    Raises:
        ValueError: fewer than 1 unit, a zero baseline, or a bad level.
    """
    _positive("standard_deviation", standard_deviation)
    _positive("sample_per_variation", sample_per_variation)
    if baseline_mean == 0 or not math.isfinite(baseline_mean):
        raise ValueError("baseline_mean must be a non-zero number")
    z = _z_total(alpha, power, variations)
    return z * standard_deviation * math.sqrt(2 / sample_per_variation) / abs(baseline_mean)


def mde_proportions(
    *, baseline_rate: float, sample_per_variation: int, variations: int = 2, alpha: float = 0.05, power: float = 0.8
) -> float:
    """The relative increase of a rate detectable with ``sample_per_variation`` units per variation.

    Solves n(p₂ − p₁)² = z²(p₁q₁ + p₂q₂) for p₂ > p₁, a quadratic:
    (n + z²)p₂² − (2np₁ + z²)p₂ + np₁² − z²p₁q₁ = 0.

    Args:
        baseline_rate: the control's expected rate, between 0 and 1.
        sample_per_variation: units per variation.
        variations: number of variations including the control.
        alpha: family-wise false-positive rate (two-sided).
        power: probability of detecting it.

    Returns:
        The MDE as a fraction of the baseline rate (p₂/p₁ − 1).

    Raises:
        ValueError: a rate outside (0, 1), fewer than 1 unit, or a bad level.
    """
    _check_rate(baseline_rate)
    _positive("sample_per_variation", sample_per_variation)
    z2 = _z_total(alpha, power, variations) ** 2
    n, p = float(sample_per_variation), baseline_rate
    a, b, c = n + z2, -(2 * n * p + z2), n * p * p - z2 * p * (1 - p)
    target = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    return target / p - 1


def duration_days(sample_per_variation: int, variations: int, daily_traffic: float, traffic_share: float = 1.0) -> int:
    """Days needed to reach ``sample_per_variation`` units in each of ``variations`` arms.

    Args:
        sample_per_variation: units needed per variation.
        variations: number of variations including the control (traffic split equally).
        daily_traffic: eligible units per day.
        traffic_share: fraction of the eligible traffic in the experiment (0 < share ≤ 1).

    Returns:
        Whole days: ⌈n·k/(daily traffic·share)⌉.

    Raises:
        ValueError: non-positive traffic, a share outside (0, 1], or fewer than 2 variations.
    """
    _positive("daily_traffic", daily_traffic)
    if not 0 < traffic_share <= 1:
        raise ValueError(f"traffic_share must be in (0, 1], got {traffic_share}")
    if variations < 2:
        raise ValueError(f"variations must be 2 or more (control included), got {variations}")
    if sample_per_variation < 0:
        raise ValueError(f"sample_per_variation must be 0 or more, got {sample_per_variation}")
    return math.ceil(sample_per_variation * variations / (daily_traffic * traffic_share))
