"""The inputs and outputs of the experiment statistics engine (``docs/experiment-statistics.md``).

Inputs are sufficient statistics per variation and metric: the engine never sees a unit-level row.
Everything here is a frozen dataclass or a string enum, so results serialise to JSON as they are.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date
from typing import Literal

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
]

SRM_THRESHOLD = 0.001
"""A sample ratio mismatch is flagged below this p-value (GrowthBook's default)."""
DEFAULT_SEQUENTIAL_TUNING = 5000.0
"""n*, the sample size at which the confidence sequence is tightest (GrowthBook's default)."""
DEFAULT_PRIOR_VARIANCE = 0.09
"""Variance of the Gaussian prior on the relative lift when the prior is proper: GrowthBook's default prior
standard deviation of 0.3 (``DEFAULT_PROPER_PRIOR_STDDEV``), squared; gbstats takes ``prior_stddev²``."""

MetricRole = Literal["primary", "secondary", "guardrail"]


class MetricKind(enum.StrEnum):
    """How a metric's per-unit values are summarised."""

    MEAN = "mean"
    PROPORTION = "proportion"
    RATIO = "ratio"


class Method(enum.StrEnum):
    """The inference method."""

    FREQUENTIST = "frequentist"
    SEQUENTIAL = "sequential"
    BAYESIAN = "bayesian"


class Correction(enum.StrEnum):
    """Multiple-testing correction across the family of goal (primary) metrics × variations."""

    NONE = "none"
    HOLM = "holm"
    BH = "bh"


@dataclass(frozen=True, slots=True)
class ArmStats:
    """Sufficient statistics of one variation for one metric.

    ``sum`` / ``sum_squares`` are Σx and Σx² over the ``n`` units (for a proportion, ``sum`` is the
    number of conversions and ``sum_squares`` equals it). Ratio metrics add the denominator's Σy, Σy²
    and Σx·y; CUPED adds the pre-period covariate's Σp, Σp² and Σx·p. Fields that do not apply are None.
    """

    variation: str
    n: int
    sum: float
    sum_squares: float
    denominator_sum: float | None = None
    denominator_sum_squares: float | None = None
    cross_sum: float | None = None
    pre_sum: float | None = None
    pre_sum_squares: float | None = None
    pre_cross_sum: float | None = None

    def __post_init__(self) -> None:
        if self.n < 0:
            raise ValueError(f"variation {self.variation!r}: n must be 0 or more, got {self.n}")
        values = (
            self.sum,
            self.sum_squares,
            self.denominator_sum,
            self.denominator_sum_squares,
            self.cross_sum,
            self.pre_sum,
            self.pre_sum_squares,
            self.pre_cross_sum,
        )
        if any(value is not None and not math.isfinite(value) for value in values):
            raise ValueError(f"variation {self.variation!r}: statistics must be finite numbers")

    @property
    def has_ratio(self) -> bool:
        """Whether the denominator statistics are all given."""
        return None not in (self.denominator_sum, self.denominator_sum_squares, self.cross_sum)

    @property
    def has_pre(self) -> bool:
        """Whether the pre-period (CUPED) statistics are all given."""
        return None not in (self.pre_sum, self.pre_sum_squares, self.pre_cross_sum)


@dataclass(frozen=True, slots=True)
class MetricInput:
    """One metric of an experiment: its statistics per variation, the first arm being the control."""

    name: str
    kind: MetricKind
    arms: tuple[ArmStats, ...]
    role: MetricRole = "primary"
    higher_is_better: bool = True


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """How to analyse an experiment.

    Attributes:
        method: frequentist (fixed horizon), sequential (always-valid) or bayesian.
        alpha: the false-positive rate (frequentist, sequential) or 1 − credibility (bayesian).
        relative: report the relative lift (variation / control − 1, delta method) instead of the difference.
        cuped: adjust for the pre-period covariate with θ pooled over arms (metrics without pre-period
            statistics are analysed unadjusted, with a note).
        correction: multiple-testing correction over the primary metrics × variations.
        sequential_tuning: n*, the total sample size at which the confidence sequence is tightest.
        prior_mean / prior_variance / prior_proper: Gaussian prior on the *relative* lift, as in GrowthBook;
            for absolute effects it is rescaled by |control mean| (mean) and its square (variance). An
            improper (flat) prior by default, as in GrowthBook.
        planned_weights: the planned traffic split, one weight per variation (SRM check); equal if None.
        planned_sample_per_variation: units per variation the experiment was sized for (underpowered warning).
        mde_relative: the minimum detectable effect it was sized for (underpowered warning when the
            interval's half-width is wider).
        peeked: the results were looked at before the planned end (warned unless sequential).
        srm_threshold: p-value below which a sample ratio mismatch is flagged.
    """

    method: Method = Method.FREQUENTIST
    alpha: float = 0.05
    relative: bool = True
    cuped: bool = False
    correction: Correction = Correction.HOLM
    sequential_tuning: float = DEFAULT_SEQUENTIAL_TUNING
    prior_mean: float = 0.0
    prior_variance: float = DEFAULT_PRIOR_VARIANCE
    prior_proper: bool = False
    planned_weights: tuple[float, ...] | None = None
    planned_sample_per_variation: int | None = None
    mde_relative: float | None = None
    peeked: bool = False
    srm_threshold: float = SRM_THRESHOLD

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {self.alpha}")
        if self.sequential_tuning <= 0:
            raise ValueError(f"sequential_tuning must be positive, got {self.sequential_tuning}")
        if self.prior_variance <= 0:
            raise ValueError(f"prior_variance must be positive, got {self.prior_variance}")


@dataclass(frozen=True, slots=True)
class LiftResult:
    """One variation compared with the control on one metric.

    ``lift`` is relative (a fraction: 0.05 = +5 %) or absolute, as asked. Bounds are the confidence
    interval (frequentist), the confidence sequence (sequential) or the credible interval (bayesian).
    Values that cannot be computed (an empty arm, zero variance, a zero control mean for a relative
    lift) are None and ``note`` says why. ``significant`` means the adjusted p-value is below alpha
    (bayesian: the chance to win is above 1 − alpha or below alpha).
    """

    metric: str
    variation: str
    role: MetricRole
    control_mean: float | None
    variation_mean: float | None
    lift: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    adjusted_p_value: float | None
    chance_to_win: float | None
    risk: float | None
    significant: bool
    degrees_of_freedom: float | None
    note: str | None = None
    control_n: int = 0
    variation_n: int = 0
    standard_error: float | None = None
    risk_control: float | None = None
    higher_is_better: bool = True
    cuped_theta: float | None = None


@dataclass(frozen=True, slots=True)
class SrmResult:
    """Pearson χ² test of the observed units per variation against the planned weights."""

    p_value: float
    chi_square: float
    observed: tuple[int, ...]
    expected: tuple[float, ...]
    warn: bool


@dataclass(frozen=True, slots=True)
class ExperimentAnalysis:
    """The analysis of one experiment: results, the SRM check and warnings in plain words."""

    options: AnalysisOptions
    results: list[LiftResult]
    srm: SrmResult | None
    warnings: list[str]


@dataclass(frozen=True, slots=True)
class OverTimePoint:
    """One point of a lift-over-time chart: the analysis of the cumulative statistics up to ``day``."""

    day: date
    metric: str
    variation: str
    lift: float | None
    ci_low: float | None
    ci_high: float | None
