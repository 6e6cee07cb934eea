"""Experiment statistics (GrowthBook-compatible): the public API of ``deliveryops.analytics``' experiments engine.

Inputs are per-variation sufficient statistics per metric (:class:`ArmStats` in :class:`MetricInput`);
:func:`analyse` compares each variation with the control by a Welch t-test (absolute or relative lift,
delta method), a sequential confidence sequence, or a Gaussian-prior Bayesian model, with CUPED, Holm or
Benjamini–Hochberg corrections and a sample ratio mismatch check. The power calculator plans sample
sizes, MDEs and durations. Formulas and assumptions: ``docs/experiment-statistics.md``.
"""

from __future__ import annotations

from deliveryops.analytics.experiments.analysis import (
    analyse,
    analyse_many,
    analyse_over_time,
    sample_ratio_mismatch,
)
from deliveryops.analytics.experiments.inference import benjamini_hochberg, holm, sequential_half_width
from deliveryops.analytics.experiments.power import (
    comparison_alpha,
    duration_days,
    mde_means,
    mde_proportions,
    sample_size_means,
    sample_size_proportions,
)
from deliveryops.analytics.experiments.types import (
    DEFAULT_PRIOR_VARIANCE,
    DEFAULT_SEQUENTIAL_TUNING,
    SRM_THRESHOLD,
    AnalysisOptions,
    ArmStats,
    Correction,
    ExperimentAnalysis,
    LiftResult,
    Method,
    MetricInput,
    MetricKind,
    MetricRole,
    OverTimePoint,
    SrmResult,
)

__all__ = [
    "DEFAULT_PRIOR_VARIANCE",
    "DEFAULT_SEQUENTIAL_TUNING",
    "SRM_THRESHOLD",
    "AnalysisOptions",
    "ArmStats",
    "Correction",
    "ExperimentAnalysis",
    "LiftResult",
    "Method",
    "MetricInput",
    "MetricKind",
    "MetricRole",
    "OverTimePoint",
    "SrmResult",
    "analyse",
    "analyse_many",
    "analyse_over_time",
    "benjamini_hochberg",
    "comparison_alpha",
    "duration_days",
    "holm",
    "mde_means",
    "mde_proportions",
    "sample_ratio_mismatch",
    "sample_size_means",
    "sample_size_proportions",
    "sequential_half_width",
]
