"""The inference methods on effect estimates, vectorised over comparison rows.

All functions take numpy arrays (one entry per metric × variation) and return arrays; undefined
entries are NaN. Formulas are written out in ``docs/experiment-statistics.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

from deliveryops.analytics.experiments.moments import ArmMoments

__all__ = [
    "BayesianOutcome",
    "Effect",
    "IntervalOutcome",
    "bayesian",
    "benjamini_hochberg",
    "effect",
    "fixed_horizon",
    "holm",
    "sequential",
    "sequential_half_width",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Effect:
    """The estimated effect of each row and the variance of that estimate."""

    point: FloatArray
    variance: FloatArray
    degrees_of_freedom: FloatArray


@dataclass(frozen=True, slots=True)
class IntervalOutcome:
    """A confidence interval (or sequence) and a two-sided p-value per row."""

    low: FloatArray
    high: FloatArray
    p_value: FloatArray


@dataclass(frozen=True, slots=True)
class BayesianOutcome:
    """Posterior summaries per row: mean, credible interval, chance to win and risks."""

    mean: FloatArray
    low: FloatArray
    high: FloatArray
    chance_to_win: FloatArray
    risk: FloatArray
    risk_control: FloatArray


def effect(control: ArmMoments, variation: ArmMoments, *, theta: FloatArray, relative: bool) -> Effect:
    """Point estimate, its variance (delta method for relative lifts) and Welch–Satterthwaite degrees of freedom.

    With CUPED (θ not 0) the arms' means become x̄ − θ·p̄; the relative lift divides the adjusted
    difference by the *unadjusted* control mean and its variance follows GrowthBook's delta method.
    A relative lift divides by |control mean|, so a positive lift is always an increase of the metric.

    Args:
        control: moments of the control arm.
        variation: moments of the variation arm.
        theta: CUPED θ per row (0 for no adjustment).
        relative: relative lift instead of the absolute difference.

    Returns:
        The effect per row.
    """
    n_a, n_b = control.n, variation.n
    with np.errstate(divide="ignore", invalid="ignore"):
        adjusted = theta != 0
        var_a = np.where(
            adjusted, control.variance + theta**2 * control.pre_variance - 2 * theta * control.pre_covariance, control.variance
        )
        var_b = np.where(
            adjusted,
            variation.variance + theta**2 * variation.pre_variance - 2 * theta * variation.pre_covariance,
            variation.variance,
        )
        var_a = np.where(var_a < 0, 0.0, var_a)
        var_b = np.where(var_b < 0, 0.0, var_b)
        mean_a = np.where(adjusted, control.mean - theta * control.pre_mean, control.mean)
        mean_b = np.where(adjusted, variation.mean - theta * variation.pre_mean, variation.mean)
        difference = mean_b - mean_a
        per_a, per_b = var_a / n_a, var_b / n_b
        degrees = (per_a + per_b) ** 2 / (per_a**2 / (n_a - 1) + per_b**2 / (n_b - 1))
        if not relative:
            return Effect(point=difference, variance=per_a + per_b, degrees_of_freedom=degrees)
        base = control.mean
        point = difference / np.abs(base)
        plain_variance = var_b / (base**2 * n_b) + control.variance * variation.mean**2 / (base**4 * n_a)
        # Current gbstats' CUPED relative variance (frequentist_variance_relative_cuped); gbstats 0.8.0 used the
        # plain delta method on the adjusted variances (docs: "Compared with GrowthBook's gbstats 0.8.0").
        cuped_control = (
            control.variance * variation.mean**2 / base**2
            - 2 * theta * control.pre_covariance * variation.mean / base
            + theta**2 * control.pre_variance
        ) / (n_a * base**2)
        cuped_variance = var_b / (n_b * base**2) + cuped_control
        variance = np.where(adjusted, cuped_variance, plain_variance)
    return Effect(point=point, variance=np.where(variance < 0, 0.0, variance), degrees_of_freedom=degrees)


def fixed_horizon(point: FloatArray, variance: FloatArray, degrees: FloatArray, *, alpha: float) -> IntervalOutcome:
    """Welch t-test: CI = point ± t₁₋α/₂,ν · se and p = 2·P(T_ν > |point/se|).

    Args:
        point: estimates.
        variance: variances of the estimates.
        degrees: Welch–Satterthwaite degrees of freedom ν.
        alpha: significance level.

    Returns:
        Interval and p-value per row.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        standard_error = np.sqrt(variance)
        statistic = np.abs(point) / standard_error
        p_value = 2 * special.stdtr(degrees, -statistic)
        half = special.stdtrit(degrees, 1 - alpha / 2) * standard_error
        return IntervalOutcome(low=point - half, high=point + half, p_value=p_value)


def _rho_squared(alpha: FloatArray | float, tuning: float) -> FloatArray:
    log_alpha = np.log(alpha)
    return np.asarray((-2 * log_alpha + np.log(-2 * log_alpha + 1)) / tuning, dtype=np.float64)


def sequential_half_width(variance: FloatArray, n_total: FloatArray, *, alpha: FloatArray | float, tuning: float) -> FloatArray:
    """Half-width of the asymptotic confidence sequence (Waudby-Smith et al. 2023, eq. 9).

    halfwidth = √(N·V) · √( 2(Nρ² + 1)/(N²ρ²) · log(√(Nρ² + 1)/α) ), with
    ρ² = (−2 log α + log(−2 log α + 1))/n*, N = n_control + n_variation, V the variance of the estimate.

    Args:
        variance: variance of each estimate.
        n_total: units in both arms.
        alpha: level (scalar or per row).
        tuning: n*, where the sequence is tightest.

    Returns:
        The half-width per row.
    """
    rho2 = _rho_squared(alpha, tuning)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = n_total * rho2 + 1
        width_term = 2 * scale / (n_total**2 * rho2) * np.log(np.sqrt(scale) / alpha)
        return np.asarray(np.sqrt(n_total * variance) * np.sqrt(width_term), dtype=np.float64)


def sequential(point: FloatArray, variance: FloatArray, n_total: FloatArray, *, alpha: float, tuning: float) -> IntervalOutcome:
    """Always-valid confidence sequence and its always-valid p-value, both as gbstats computes them.

    The p-value is gbstats' (Waudby-Smith et al. 2023, eq. 155): with ρ² = ρ²(α, n*) as for the sequence and
    s²t² = N·point²/V, p = min(1, √(Nρ² + 1)·exp(−ρ²·s²t²/(2(Nρ² + 1)))), the inverse of an e-value. It is
    below α exactly when the sequence at level α excludes 0, so "significant" and the interval agree.

    Args:
        point: estimates.
        variance: variances of the estimates.
        n_total: units in both arms.
        alpha: level.
        tuning: n*.

    Returns:
        Sequence bounds and p-value per row.
    """
    half = sequential_half_width(variance, n_total, alpha=alpha, tuning=tuning)
    rho2 = _rho_squared(alpha, tuning)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = n_total * rho2 + 1
        log_p = 0.5 * np.log(scale) - rho2 * (n_total * point**2 / variance) / (2 * scale)
        p_value = np.where(np.isnan(log_p), np.nan, np.exp(np.minimum(log_p, 0.0)))
        return IntervalOutcome(low=point - half, high=point + half, p_value=p_value)


def bayesian(
    point: FloatArray,
    variance: FloatArray,
    higher_is_better: BoolArray,
    *,
    alpha: float,
    prior_mean: float,
    prior_variance: float,
    prior_proper: bool,
    prior_scale: FloatArray | None = None,
) -> BayesianOutcome:
    """Normal–normal posterior of the effect, with chance to win and expected loss (risk).

    Posterior precision = 1/prior variance + 1/V; posterior mean = (prior mean/prior variance + point/V)
    / precision (a flat prior leaves the data as they are). The prior is stated on the relative lift, as in
    GrowthBook (``prior_type="relative"``): for an absolute effect its mean is multiplied by ``prior_scale``
    (|control mean|) and its variance by ``prior_scale²``; where that scale is 0 the prior is flat. With
    X ~ N(μ, σ²) the posterior effect, chance to win = P(X > 0) (P(X < 0) when lower is better), risk of
    shipping the variation = E[max(−X, 0)] = σφ(μ/σ) − μΦ(−μ/σ), and risk of keeping the control = E[max(X, 0)] (mirrored when
    lower is better).

    Args:
        point: estimates.
        variance: variances of the estimates.
        higher_is_better: direction per row.
        alpha: 1 − credibility of the (equal-tailed) interval.
        prior_mean: prior mean of the relative lift.
        prior_variance: prior variance of the relative lift.
        prior_proper: use the prior; False for a flat (improper) prior.
        prior_scale: per row, |control mean| for an absolute effect; None (or 1) for a relative lift.

    Returns:
        Posterior summaries per row.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if prior_proper:
            scale = np.ones_like(point) if prior_scale is None else prior_scale
            row_prior_variance = prior_variance * scale**2
            # 1/prior variance is the prior's precision: 0 (a flat prior) where the scale is 0 or undefined.
            usable = np.isfinite(row_prior_variance) & (row_prior_variance > 0)
            prior_precision = np.where(usable, 1 / np.where(usable, row_prior_variance, 1.0), 0.0)
            row_prior_mean = np.where(usable, prior_mean * scale, 0.0)
            precision = prior_precision + 1 / variance
            mean = (row_prior_mean * prior_precision + point / variance) / precision
            posterior_variance = 1 / precision
        else:
            mean, posterior_variance = point, variance
        sd = np.sqrt(posterior_variance)
        half = special.ndtri(1 - alpha / 2) * sd
        z = mean / sd
        density = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
        loss_if_negative = sd * density - mean * special.ndtr(-z)  # E[max(−X, 0)]
        gain_if_positive = sd * density + mean * special.ndtr(z)  # E[max(X, 0)]
        up = special.ndtr(z)
        return BayesianOutcome(
            mean=mean,
            low=mean - half,
            high=mean + half,
            chance_to_win=np.where(higher_is_better, up, 1 - up),
            risk=np.where(higher_is_better, loss_if_negative, gain_if_positive),
            risk_control=np.where(higher_is_better, gain_if_positive, loss_if_negative),
        )


def holm(p_values: FloatArray) -> FloatArray:
    """Holm–Bonferroni adjusted p-values: max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎), in the input order.

    Args:
        p_values: the family's raw p-values.

    Returns:
        Adjusted p-values.
    """
    count = p_values.size
    order = np.argsort(p_values, kind="stable")
    scaled = np.minimum(1.0, (count - np.arange(count)) * p_values[order])
    adjusted = np.empty(count)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def benjamini_hochberg(p_values: FloatArray) -> FloatArray:
    """Benjamini–Hochberg adjusted p-values: min over j ≥ i of min(1, m·p₍ⱼ₎/j), in the input order.

    Args:
        p_values: the family's raw p-values.

    Returns:
        Adjusted p-values (q-values).
    """
    count = p_values.size
    order = np.argsort(p_values, kind="stable")
    scaled = np.minimum(1.0, count * p_values[order] / np.arange(1, count + 1))
    adjusted = np.empty(count)
    adjusted[order] = np.minimum.accumulate(scaled[::-1])[::-1]
    return adjusted
