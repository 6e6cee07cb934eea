"""Per-arm means and variances from sufficient statistics, vectorised over comparison rows.

A *row* is one (metric, variation) compared with the control. Each row carries the raw sums of its two
arms in a ``(rows, 9)`` array whose columns are :data:`COLUMNS`. Missing statistics are NaN.

* mean metric: x̄ = Σx/n, s² = (Σx² − (Σx)²/n)/(n − 1) (the unbiased sample variance);
* proportion: p = conversions/n, s² = p(1 − p) (as in GrowthBook);
* ratio metric (delta method): r = x̄/ȳ and
  s² = s²ₓ/ȳ² − 2·cov(x, y)·x̄/ȳ³ + s²ᵧ·x̄²/ȳ⁴, cov = (Σxy − ΣxΣy/n)/(n − 1);
* CUPED: θ = cov(x, p)/s²ₚ computed on the two arms' pooled sums; the adjusted mean is x̄ − θ·p̄ and its
  per-unit variance s²ₓ + θ²s²ₚ − 2θ·cov(x, p). For a proportion whose pre-period covariate is 0/1
  (Σp² = Σp), s²ₚ = p̄(1 − p̄), as gbstats' binomial covariate (``ProportionStatistic``) has it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["COLUMNS", "ArmMoments", "arm_moments", "pooled_theta"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

COLUMNS = (
    "n",
    "sum",
    "sum_squares",
    "denominator_sum",
    "denominator_sum_squares",
    "cross_sum",
    "pre_sum",
    "pre_sum_squares",
    "pre_cross_sum",
)
N, SUM, SUM_SQUARES, DEN_SUM, DEN_SUM_SQUARES, CROSS_SUM, PRE_SUM, PRE_SUM_SQUARES, PRE_CROSS_SUM = range(9)


@dataclass(frozen=True, slots=True)
class ArmMoments:
    """Mean and per-unit variance of one arm per row (before any CUPED adjustment)."""

    n: FloatArray
    mean: FloatArray
    variance: FloatArray
    pre_mean: FloatArray
    pre_variance: FloatArray
    pre_covariance: FloatArray


def _sample_variance(n: FloatArray, total: FloatArray, squares: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = (squares - total * total / n) / (n - 1)
    # Round-off can make an exactly-zero variance slightly negative.
    return np.where(variance < 0, 0.0, variance)


def _covariance(n: FloatArray, x_total: FloatArray, y_total: FloatArray, cross: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (cross - x_total * y_total / n) / (n - 1)


def _pre_variance(raw: FloatArray, is_proportion: BoolArray) -> FloatArray:
    """Variance of the pre-period covariate: p̄(1 − p̄) for a 0/1 covariate of a proportion, else the sample variance."""
    n = raw[:, N]
    sample = _sample_variance(n, raw[:, PRE_SUM], raw[:, PRE_SUM_SQUARES])
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = raw[:, PRE_SUM] / n
    binary = is_proportion & (raw[:, PRE_SUM] == raw[:, PRE_SUM_SQUARES])
    return np.where(binary, mean * (1 - mean), sample)


def arm_moments(raw: FloatArray, *, is_proportion: BoolArray, is_ratio: BoolArray) -> ArmMoments:
    """Means and variances of one arm for each row.

    Args:
        raw: ``(rows, 9)`` sums in the order of :data:`COLUMNS`.
        is_proportion: rows whose metric is a proportion.
        is_ratio: rows whose metric is a ratio.

    Returns:
        The arm's moments; NaN where undefined (n = 0, or n = 1 for a sample variance).
    """
    n = raw[:, N]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_x = raw[:, SUM] / n
        variance_x = _sample_variance(n, raw[:, SUM], raw[:, SUM_SQUARES])
        variance_x = np.where(is_proportion, mean_x * (1 - mean_x), variance_x)
        mean_y = raw[:, DEN_SUM] / n
        variance_y = _sample_variance(n, raw[:, DEN_SUM], raw[:, DEN_SUM_SQUARES])
        covariance_xy = _covariance(n, raw[:, SUM], raw[:, DEN_SUM], raw[:, CROSS_SUM])
        ratio = mean_x / mean_y
        ratio_variance = variance_x / mean_y**2 - 2 * covariance_xy * mean_x / mean_y**3 + variance_y * mean_x**2 / mean_y**4
        ratio_variance = np.where(ratio_variance < 0, 0.0, ratio_variance)
        mean = np.where(is_ratio, ratio, mean_x)
        variance = np.where(is_ratio, ratio_variance, variance_x)
        pre_mean = raw[:, PRE_SUM] / n
    return ArmMoments(
        n=n,
        mean=mean,
        variance=variance,
        pre_mean=pre_mean,
        pre_variance=_pre_variance(raw, is_proportion),
        pre_covariance=_covariance(n, raw[:, SUM], raw[:, PRE_SUM], raw[:, PRE_CROSS_SUM]),
    )


def pooled_theta(control: FloatArray, variation: FloatArray, is_proportion: BoolArray | None = None) -> FloatArray:
    """CUPED θ = cov(x, pre)/var(pre) on the pooled sums of both arms (0 when var(pre) is 0).

    Args:
        control: ``(rows, 9)`` sums of the control arm.
        variation: ``(rows, 9)`` sums of the variation arm.
        is_proportion: rows whose metric is a proportion (a 0/1 covariate then has variance p̄(1 − p̄));
            None for none.

    Returns:
        θ per row (NaN where the pre-period statistics are missing).
    """
    pooled = control + variation
    n = pooled[:, N]
    proportion = np.zeros(len(pooled), dtype=bool) if is_proportion is None else is_proportion
    pre_variance = _pre_variance(pooled, proportion)
    covariance = _covariance(n, pooled[:, SUM], pooled[:, PRE_SUM], pooled[:, PRE_CROSS_SUM])
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = covariance / pre_variance
    return np.where(pre_variance == 0, 0.0, theta)
