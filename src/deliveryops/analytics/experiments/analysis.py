"""Analyse one experiment: every variation against the control on every metric, with warnings.

The per-row maths lives in ``moments`` and ``inference``; this module gathers
the sufficient statistics into arrays, runs the chosen method once for all rows, applies the
multiple-testing correction over the primary metrics, and explains what it could not compute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt
from scipy import special

from deliveryops.analytics.experiments.inference import (
    bayesian,
    benjamini_hochberg,
    effect,
    fixed_horizon,
    holm,
    sequential,
)
from deliveryops.analytics.experiments.moments import arm_moments, pooled_theta
from deliveryops.analytics.experiments.types import (
    AnalysisOptions,
    ArmStats,
    Correction,
    ExperimentAnalysis,
    LiftResult,
    Method,
    MetricInput,
    MetricKind,
    OverTimePoint,
    SrmResult,
)

__all__ = ["analyse", "analyse_many", "analyse_over_time", "sample_ratio_mismatch"]

FloatArray = npt.NDArray[np.float64]


def sample_ratio_mismatch(observed: Sequence[int], weights: Sequence[float], *, threshold: float = 0.001) -> SrmResult:
    """Pearson χ² test of the units per variation against the planned weights (GrowthBook's SRM check).

    χ² = Σ (oᵢ − eᵢ)²/eᵢ with eᵢ = N·wᵢ/Σw, on k − 1 degrees of freedom (variations with weight 0 are
    left out). A p-value below ``threshold`` is a mismatch: the assignment or the tracking is broken.

    Args:
        observed: units per variation.
        weights: planned traffic weights, one per variation (any positive scale).
        threshold: p-value below which ``warn`` is set.

    Returns:
        The test result.

    Raises:
        ValueError: lengths differ, a weight is negative, or fewer than two weights are positive.
    """
    if len(observed) != len(weights):
        raise ValueError(f"{len(observed)} variations but {len(weights)} weights")
    if any(weight < 0 or not math.isfinite(weight) for weight in weights):
        raise ValueError("weights must be finite and 0 or more")
    if any(count < 0 for count in observed):
        raise ValueError("observed counts must be 0 or more")
    kept = [(count, weight) for count, weight in zip(observed, weights, strict=True) if weight > 0]
    if len(kept) < 2:
        raise ValueError("at least two variations need a positive weight")
    total = sum(count for count, _ in kept)
    weight_total = sum(weight for _, weight in kept)
    expected = tuple(total * weight / weight_total for _, weight in kept)
    if total == 0:
        return SrmResult(p_value=1.0, chi_square=0.0, observed=tuple(observed), expected=expected, warn=False)
    chi_square = sum((count - exp) ** 2 / exp for (count, _), exp in zip(kept, expected, strict=True))
    p_value = float(special.chdtrc(len(kept) - 1, chi_square))
    return SrmResult(
        p_value=p_value, chi_square=float(chi_square), observed=tuple(observed), expected=expected, warn=p_value < threshold
    )


def _check(metrics: Sequence[MetricInput]) -> tuple[str, ...]:
    if not metrics:
        raise ValueError("no metrics to analyse")
    variations = tuple(arm.variation for arm in metrics[0].arms)
    if len(variations) < 2:
        raise ValueError(f"metric {metrics[0].name!r}: an experiment needs a control and at least one variation")
    if len(set(variations)) != len(variations):
        raise ValueError(f"metric {metrics[0].name!r}: a variation is listed twice")
    for metric in metrics:
        if tuple(arm.variation for arm in metric.arms) != variations:
            raise ValueError(
                f"metric {metric.name!r}: variations {[a.variation for a in metric.arms]} differ from "
                f"{list(variations)} (every metric needs the same variations in the same order)"
            )
        for arm in metric.arms:
            if metric.kind is MetricKind.PROPORTION and not 0 <= arm.sum <= arm.n:
                raise ValueError(
                    f"metric {metric.name!r}, variation {arm.variation!r}: conversions ({arm.sum}) "
                    f"must be between 0 and n ({arm.n})"
                )
            if metric.kind is MetricKind.RATIO and not arm.has_ratio:
                raise ValueError(
                    f"metric {metric.name!r}, variation {arm.variation!r}: a ratio metric needs "
                    "denominator_sum, denominator_sum_squares and cross_sum"
                )
    return variations


def _raw(arm: ArmStats) -> tuple[float, ...]:
    nan = math.nan
    return (
        float(arm.n),
        arm.sum,
        arm.sum_squares,
        nan if arm.denominator_sum is None else arm.denominator_sum,
        nan if arm.denominator_sum_squares is None else arm.denominator_sum_squares,
        nan if arm.cross_sum is None else arm.cross_sum,
        nan if arm.pre_sum is None else arm.pre_sum,
        nan if arm.pre_sum_squares is None else arm.pre_sum_squares,
        nan if arm.pre_cross_sum is None else arm.pre_cross_sum,
    )


def analyse(
    metrics: Sequence[MetricInput], *, options: AnalysisOptions, weights: Sequence[float] | None = None
) -> ExperimentAnalysis:
    """Compare every variation with the control (the first arm) on every metric.

    Args:
        metrics: the experiment's metrics, all with the same variations in the same order.
        options: method, level, lift type, CUPED, correction, prior and planning facts.
        weights: planned traffic weights for the SRM check; ``options.planned_weights`` or equal if None.

    Returns:
        One :class:`LiftResult` per metric × variation (metric order, then variation order), the SRM
        check on the first metric's units, and warnings in plain words.

    Raises:
        ValueError: inconsistent input (different variations across metrics, conversions above n, a ratio
            metric without denominator statistics).
    """
    return analyse_many([metrics], options=options, weights=weights)[0]


def analyse_many(
    experiments: Sequence[Sequence[MetricInput]], *, options: AnalysisOptions, weights: Sequence[float] | None = None
) -> list[ExperimentAnalysis]:
    """Analyse many experiments at once: the same results as :func:`analyse` on each, computed in one pass.

    The numerical work runs once over every comparison of every experiment (numpy), which is what makes
    a portfolio of experiments fast; corrections, SRM checks and warnings stay per experiment.

    Args:
        experiments: each experiment's metrics.
        options: as for :func:`analyse`, the same for every experiment.
        weights: planned traffic weights, the same for every experiment (or None).

    Returns:
        One analysis per experiment, in order.

    Raises:
        ValueError: inconsistent input in any experiment (see :func:`analyse`).
    """
    rows: list[tuple[MetricInput, int]] = []
    bounds: list[tuple[int, int]] = []
    variations_of: list[tuple[str, ...]] = []
    for metrics in experiments:
        variations = _check(metrics)
        variations_of.append(variations)
        first = len(rows)
        rows.extend((metric, index) for metric in metrics for index in range(1, len(variations)))
        bounds.append((first, len(rows)))
    if not rows:
        return []
    control_raw = np.array([_raw(metric.arms[0]) for metric, _ in rows], dtype=np.float64).reshape(-1, 9)
    variation_raw = np.array([_raw(metric.arms[index]) for metric, index in rows], dtype=np.float64).reshape(-1, 9)
    kinds = [metric.kind for metric, _ in rows]
    is_proportion = np.array([kind is MetricKind.PROPORTION for kind in kinds], dtype=bool)
    is_ratio = np.array([kind is MetricKind.RATIO for kind in kinds], dtype=bool)
    higher = np.array([metric.higher_is_better for metric, _ in rows], dtype=bool)
    control = arm_moments(control_raw, is_proportion=is_proportion, is_ratio=is_ratio)
    variation = arm_moments(variation_raw, is_proportion=is_proportion, is_ratio=is_ratio)
    missing_pre = np.isnan(control_raw[:, 6:]).any(axis=1) | np.isnan(variation_raw[:, 6:]).any(axis=1)
    has_pre = np.asarray(~missing_pre, dtype=bool)
    cuped_rows: npt.NDArray[np.bool_] = has_pre & ~is_ratio if options.cuped else np.zeros(len(rows), dtype=bool)
    theta = np.where(cuped_rows, pooled_theta(control_raw, variation_raw, is_proportion), 0.0)
    theta = np.where(np.isnan(theta), 0.0, theta)
    estimate = effect(control, variation, theta=theta, relative=options.relative)
    testable = _testable(control.n, variation.n, control.mean, estimate.variance, is_ratio, options.relative)
    nan = np.full(len(rows), np.nan)
    chance = risk = risk_control = nan
    if options.method is Method.BAYESIAN:
        posterior = bayesian(
            estimate.point,
            estimate.variance,
            higher,
            alpha=options.alpha,
            prior_mean=options.prior_mean,
            prior_variance=options.prior_variance,
            prior_proper=options.prior_proper,
            prior_scale=None if options.relative else np.abs(control.mean),
        )
        point, low, high, p_values = posterior.mean, posterior.low, posterior.high, nan
        chance, risk, risk_control = posterior.chance_to_win, posterior.risk, posterior.risk_control
    else:
        # Untestable rows get a harmless variance so that the vectorised maths stays quiet; they are masked below.
        safe_variance = np.where(testable, estimate.variance, 1.0)
        if options.method is Method.SEQUENTIAL:
            outcome = sequential(
                estimate.point, safe_variance, control.n + variation.n, alpha=options.alpha, tuning=options.sequential_tuning
            )
        else:
            outcome = fixed_horizon(estimate.point, safe_variance, estimate.degrees_of_freedom, alpha=options.alpha)
        point, low, high, p_values = estimate.point, outcome.low, outcome.high, outcome.p_value
    p_values = np.where(testable, p_values, np.nan)
    primary = np.array([metric.role == "primary" for metric, _ in rows], dtype=bool)
    adjusted = p_values.copy()
    for first, last in bounds:
        adjusted[first:last] = _adjust(p_values[first:last], primary[first:last], options.correction)
    lift = np.where(testable, point, estimate.point)
    lift = np.where(_lift_defined(control.n, variation.n, control.mean, options.relative), lift, np.nan)
    shown = np.where(testable, 1.0, np.nan)
    columns = {
        "control_mean": control.mean,
        "variation_mean": variation.mean,
        "lift": lift,
        "ci_low": low * shown,
        "ci_high": high * shown,
        "p_value": p_values,
        "adjusted_p_value": adjusted,
        "chance_to_win": chance * shown,
        "risk": risk * shown,
        "degrees_of_freedom": estimate.degrees_of_freedom * shown,
        "standard_error": np.sqrt(np.where(testable, estimate.variance, np.nan)),
        "risk_control": risk_control * shown,
        "cuped_theta": np.where(cuped_rows, theta, np.nan),
    }
    values = {name: [value if math.isfinite(value) else None for value in array.tolist()] for name, array in columns.items()}
    control_n, variation_n = control.n.astype(np.int64).tolist(), variation.n.astype(np.int64).tolist()
    testable_list, has_pre_list = testable.tolist(), has_pre.tolist()
    bayesian_method = options.method is Method.BAYESIAN
    results: list[LiftResult] = []
    for row, (metric, index) in enumerate(rows):
        chance_value, adjusted_value = values["chance_to_win"][row], values["adjusted_p_value"][row]
        if bayesian_method:
            significant = chance_value is not None and (chance_value > 1 - options.alpha or chance_value < options.alpha)
        else:
            significant = adjusted_value is not None and adjusted_value < options.alpha
        results.append(
            LiftResult(
                metric=metric.name,
                variation=metric.arms[index].variation,
                role=metric.role,
                control_mean=values["control_mean"][row],
                variation_mean=values["variation_mean"][row],
                lift=values["lift"][row],
                ci_low=values["ci_low"][row],
                ci_high=values["ci_high"][row],
                p_value=values["p_value"][row],
                adjusted_p_value=adjusted_value,
                chance_to_win=chance_value,
                risk=values["risk"][row],
                significant=significant,
                degrees_of_freedom=values["degrees_of_freedom"][row],
                note=_row_note(
                    metric,
                    index,
                    control_n[row],
                    variation_n[row],
                    values["control_mean"][row],
                    testable=testable_list[row],
                    options=options,
                    has_pre=has_pre_list[row],
                ),
                control_n=control_n[row],
                variation_n=variation_n[row],
                standard_error=values["standard_error"][row],
                risk_control=values["risk_control"][row],
                higher_is_better=metric.higher_is_better,
                cuped_theta=values["cuped_theta"][row],
            )
        )
    chosen_weights = weights if weights is not None else options.planned_weights
    analyses = []
    for (first, last), metrics, variations in zip(bounds, experiments, variations_of, strict=True):
        experiment_results = results[first:last]
        srm = _srm(metrics[0], chosen_weights, options)
        analyses.append(
            ExperimentAnalysis(
                options=options,
                results=experiment_results,
                srm=srm,
                warnings=_warnings(experiment_results, srm, options, variations, metrics),
            )
        )
    return analyses


def _testable(
    n_control: FloatArray,
    n_variation: FloatArray,
    control_mean: FloatArray,
    variance: FloatArray,
    is_ratio: npt.NDArray[np.bool_],
    relative: bool,
) -> npt.NDArray[np.bool_]:
    """Rows that can be tested: two units or more per arm, a defined mean, a positive variance."""
    with np.errstate(invalid="ignore"):
        ok = (n_control >= 2) & (n_variation >= 2) & (variance > 0) & np.isfinite(variance)
        ok &= ~(is_ratio & ~np.isfinite(control_mean))
        if relative:
            ok &= control_mean != 0
    return np.asarray(ok, dtype=bool)


def _lift_defined(
    n_control: FloatArray, n_variation: FloatArray, control_mean: FloatArray, relative: bool
) -> npt.NDArray[np.bool_]:
    defined = (n_control > 0) & (n_variation > 0)
    if relative:
        defined &= (control_mean != 0) & np.isfinite(control_mean)
    return np.asarray(defined, dtype=bool)


def _row_note(
    metric: MetricInput,
    index: int,
    n_control: int,
    n_variation: int,
    control_mean: float | None,
    *,
    testable: bool,
    options: AnalysisOptions,
    has_pre: bool,
) -> str | None:
    """Why a row could not be tested, or what to know about how it was (None when nothing)."""
    if not testable:
        if n_control == 0 or n_variation == 0:
            which = "control" if n_control == 0 else f"variation {metric.arms[index].variation!r}"
            return f"{which} has no units"
        if control_mean is None:
            return "denominator mean is zero: the ratio is undefined"
        if options.relative and control_mean == 0:
            return "control mean is zero: relative lift is undefined"
        if n_control < 2 or n_variation < 2:
            return "too few units (fewer than 2 in an arm) to estimate a variance"
        return "zero variance in both arms: no test possible"
    extra: list[str] = []
    if options.cuped and metric.kind is MetricKind.RATIO:
        extra.append("CUPED is not applied to ratio metrics")
    elif options.cuped and not has_pre:
        extra.append("no pre-period statistics: not CUPED-adjusted")
    if options.relative and control_mean is not None and control_mean < 0:
        extra.append("negative control mean: relative lift = (variation − control) / |control|")
    return "; ".join(extra) or None


def _adjust(p_values: FloatArray, primary: npt.NDArray[np.bool_], correction: Correction) -> FloatArray:
    adjusted = p_values.copy()
    family = primary & ~np.isnan(p_values)
    if correction is Correction.NONE or not family.any():
        return adjusted
    chosen = holm if correction is Correction.HOLM else benjamini_hochberg
    adjusted[family] = chosen(p_values[family])
    return adjusted


def _srm(first: MetricInput, weights: Sequence[float] | None, options: AnalysisOptions) -> SrmResult | None:
    observed = [arm.n for arm in first.arms]
    if sum(observed) == 0:
        return None
    chosen = list(weights) if weights is not None else [1.0] * len(observed)
    return sample_ratio_mismatch(observed, chosen, threshold=options.srm_threshold)


def _warnings(
    results: list[LiftResult],
    srm: SrmResult | None,
    options: AnalysisOptions,
    variations: tuple[str, ...],
    metrics: Sequence[MetricInput],
) -> list[str]:
    warnings: list[str] = []
    if srm is not None and srm.warn:
        observed = ", ".join(f"{name} {count}" for name, count in zip(variations, srm.observed, strict=True))
        warnings.append(
            f"Sample ratio mismatch: p = {srm.p_value:.2g} < {options.srm_threshold:g} "
            f"(units: {observed}). Check assignment and tracking before trusting any result."
        )
    empty = [name for name, arm in zip(variations, metrics[0].arms, strict=True) if arm.n == 0]
    if empty:
        warnings.append(f"No units in {', '.join(empty)}: those comparisons cannot be analysed.")
    zero = sorted(
        {
            f"{result.metric} ({result.variation})"
            for result in results
            if result.note == "zero variance in both arms: no test possible"
        }
    )
    if zero:
        warnings.append(f"Zero variance in both arms for {', '.join(zero)}: no test possible.")
    if options.peeked and options.method is not Method.SEQUENTIAL:
        warnings.append(
            "Results were looked at before the planned end without sequential testing: "
            "the false-positive rate is higher than alpha. Use --method sequential or wait for the planned end."
        )
    planned = options.planned_sample_per_variation
    if planned is not None:
        short = [f"{name} {arm.n}" for name, arm in zip(variations, metrics[0].arms, strict=True) if arm.n < planned]
        if short:
            warnings.append(f"Underpowered: {', '.join(short)} of {planned} planned units per variation.")
    if options.mde_relative is not None:
        mde = options.mde_relative
        wide = sorted(
            {
                f"{r.metric} ({r.variation})"
                for r in results
                if r.role == "primary" and not r.significant and (_half_width_relative(r, relative=options.relative) or 0.0) > mde
            }
        )
        if wide:
            warnings.append(
                f"Underpowered: the interval is wider than the MDE of {options.mde_relative:.1%} for {', '.join(wide)}."
            )
    breached = [
        f"{r.metric} ({r.variation})"
        for r in results
        if r.role == "guardrail" and r.significant and r.lift is not None and ((r.lift < 0) == r.higher_is_better) and r.lift != 0
    ]
    if breached:
        warnings.append(f"Guardrail breached: {', '.join(breached)} significantly worse than control.")
    return warnings


def _half_width_relative(result: LiftResult, *, relative: bool) -> float | None:
    """Half the interval's width as a fraction of the control mean (None when there is no interval)."""
    if result.ci_low is None or result.ci_high is None:
        return None
    half = (result.ci_high - result.ci_low) / 2
    if relative:
        return half
    if not result.control_mean:
        return None
    return half / abs(result.control_mean)


def analyse_over_time(days: Sequence[tuple[date, Sequence[MetricInput]]], *, options: AnalysisOptions) -> list[OverTimePoint]:
    """Lift and interval per day from cumulative statistics (for a lift-over-time chart).

    Args:
        days: (day, metrics) with the statistics cumulated up to and including that day, in date order.
        options: as for :func:`analyse` (sequential is the honest choice for a chart one looks at daily).

    Returns:
        One point per day × metric × variation; days whose statistics cannot be analysed give None values.
    """
    analyses = analyse_many([metrics for _, metrics in days], options=options)
    return [
        OverTimePoint(
            day=day,
            metric=result.metric,
            variation=result.variation,
            lift=result.lift,
            ci_low=result.ci_low,
            ci_high=result.ci_high,
        )
        for (day, _), analysis in zip(days, analyses, strict=True)
        for result in analysis.results
    ]
