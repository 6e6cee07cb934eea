"""Before/after effect sizes with their uncertainty, for improvement-action verdicts.

Two comparisons, one per kind of data an action can target:

* **per item** (cycle time): each finished item is one value. Cycle times are skewed, so they are compared
  on the log scale: the effect is the ratio of geometric means, ``exp(mean(log after) - mean(log before))``,
  with a Welch t interval on the logs. A change that scales every cycle time by ``r`` moves every percentile
  (the 85th too) by the same ``r``, so the interval of the 85th percentile's change is the baseline 85th
  percentile times ``(r - 1)`` at each end of the ratio's interval.
* **per week** (throughput, WIP, flow efficiency, blocked time): one value per week. The effect is the
  difference of the weekly means, with a Welch t interval whose variances are inflated for the
  autocorrelation of weekly series (WIP this week is mostly WIP last week): the lag-1 autocorrelation
  ``rho`` of the weeks around their own period's mean, corrected for its small-sample bias and kept in
  ``[0, RHO_MAX]``, multiplies each variance of a mean by ``(1 + rho) / (1 - rho)`` (the AR(1) factor).

Both return an :class:`Effect`; :mod:`deliveryops.analytics.verdicts.rule` turns effects into verdicts.
Values are plain sequences of floats so the module stays free of any storage.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

__all__ = [
    "LOG_FLOOR_DAYS",
    "RHO_MAX",
    "Effect",
    "Values",
    "compare_items",
    "compare_weeks",
    "lag1_autocorrelation",
    "week_clustering",
]

LOG_FLOOR_DAYS = 0.5  # a cycle time of 0 days (finished the day it started) counts as half a day on the log scale
RHO_MAX = 0.8
Values = Sequence[float] | NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Effect:
    """A before/after comparison.

    ``before`` and ``after`` are the levels in the metric's unit (per item: the 85th percentile of the
    baseline and the baseline's 85th percentile scaled by the estimated ratio; per week: the weekly means).
    ``change`` is ``after - before`` with its interval ``low``..``high``; ``relative``, ``relative_low``
    and ``relative_high`` are the same as fractions of ``before`` (per item: ``ratio - 1``).
    ``standard_error`` is on the scale the test works on (log ratio per item, the metric's unit per week),
    ``scale`` the per-observation spread on that scale, ``degrees_of_freedom`` the t distribution's.
    """

    kind: str  # "items" or "weeks"
    before: float
    after: float
    change: float
    low: float
    high: float
    relative: float | None
    relative_low: float | None
    relative_high: float | None
    level: float
    n_before: int
    n_after: int
    standard_error: float
    degrees_of_freedom: float
    inflation: float  # variance inflation for autocorrelation (1 per item)

    @property
    def excludes_zero(self) -> bool:
        """The interval lies wholly on one side of "no change"."""
        return self.low > 0 or self.high < 0


def _welch(var_b: float, n_b: float, var_a: float, n_a: float) -> tuple[float, float]:
    """Standard error of a difference of means and its Welch–Satterthwaite degrees of freedom."""
    term_b, term_a = var_b / n_b, var_a / n_a
    se2 = term_b + term_a
    if se2 <= 0:
        return 0.0, max(n_b + n_a - 2, 1.0)
    denominator = (term_b**2 / max(n_b - 1, 1)) + (term_a**2 / max(n_a - 1, 1))
    df = se2**2 / denominator if denominator > 0 else max(n_b + n_a - 2, 1.0)
    return math.sqrt(se2), max(df, 1.0)


def _nearest_rank_85(values: NDArray[np.float64]) -> float:
    ordered = np.sort(values)
    rank = max(math.ceil(85 * ordered.size / 100), 1)
    return float(ordered[rank - 1])


def compare_items(before: Values, after: Values, *, level: float = 0.95, inflation: float = 1.0) -> Effect:
    """Compare per-item values (cycle times in days) on the log scale.

    Args:
        before: the baseline items' values (at least 2).
        after: the items finished after the change (at least 2).
        level: the two-sided confidence level of the interval.
        inflation: the variance inflation for items that come in clusters (:func:`week_clustering`; 1 for
            independent items).

    Returns:
        The :class:`Effect` of the 85th percentile (scaled by the ratio of geometric means).

    Raises:
        ValueError: for fewer than 2 values on a side, a negative or non-finite value, or a level outside (0, 1).

    Example (hand-worked in tests): before 4, 8, 16 days and after 2, 4, 8 days have logs whose means
    differ by exactly ``log 2``: the ratio is 0.5 and the 85th percentile 16 becomes 8.
    """
    b, a = _checked(before, "before"), _checked(after, "after")
    _check_level(level)
    if b.size < 2 or a.size < 2:
        raise ValueError("compare_items needs at least 2 values before and 2 after")
    log_b, log_a = np.log(np.maximum(b, LOG_FLOOR_DAYS)), np.log(np.maximum(a, LOG_FLOOR_DAYS))
    diff = float(log_a.mean() - log_b.mean())
    se, df = _welch(float(log_b.var(ddof=1)), b.size, float(log_a.var(ddof=1)), a.size)
    se *= math.sqrt(max(inflation, 1.0))
    t = float(stats.t.ppf(0.5 + level / 2, df))
    ratio, ratio_low, ratio_high = math.exp(diff), math.exp(diff - t * se), math.exp(diff + t * se)
    p85 = _nearest_rank_85(b)
    return Effect(
        kind="items",
        before=p85,
        after=p85 * ratio,
        change=p85 * (ratio - 1),
        low=p85 * (ratio_low - 1),
        high=p85 * (ratio_high - 1),
        relative=ratio - 1,
        relative_low=ratio_low - 1,
        relative_high=ratio_high - 1,
        level=level,
        n_before=int(b.size),
        n_after=int(a.size),
        standard_error=se,
        degrees_of_freedom=df,
        inflation=max(inflation, 1.0),
    )


def week_clustering(*periods: Sequence[Values]) -> float:
    """The design effect of per-event values that share their week's conditions (a holiday, a release train).

    Each period (before, after) is a list of weeks, each a list of the week's values; on the log scale
    (floor :data:`LOG_FLOOR_DAYS`), a one-way analysis of variance with weeks as groups, around each
    period's own mean, estimates the intra-week correlation ``icc = (MSB - MSW) / (MSB + (n0 - 1) MSW)``
    (kept in ``[0, 0.99]``); the variance of a mean is inflated by ``1 + (m - 1) icc`` with ``m`` the
    size-weighted mean events per week (``sum n^2 / sum n``). 1 when there is too little data to tell.

    Example (hand-worked in tests): weeks [1, 1], [4, 4] in one period have logs 0, 0 and log 4, log 4:
    MSW = 0, so icc = 1 (kept at 0.99) and m = 2: the inflation is 1.99.
    """
    between = within = 0.0
    df_between = df_within = 0
    sizes: list[int] = []
    for weeks in periods:
        groups = [np.log(np.maximum(np.asarray(week, dtype=np.float64), LOG_FLOOR_DAYS)) for week in weeks]
        groups = [group for group in groups if group.size]
        if len(groups) < 2:
            continue
        centre = float(np.concatenate(groups).mean())
        for group in groups:
            between += group.size * (float(group.mean()) - centre) ** 2
            within += float(((group - group.mean()) ** 2).sum())
            sizes.append(int(group.size))
        df_between += len(groups) - 1
        df_within += sum(int(group.size) for group in groups) - len(groups)
    total = sum(sizes)
    if df_between < 1 or df_within < 1 or total == 0:
        return 1.0
    msb, msw = between / df_between, within / df_within
    n0 = (total - sum(n * n for n in sizes) / total) / max(len(sizes) - 1, 1)
    denominator = msb + (n0 - 1) * msw
    icc = min(max((msb - msw) / denominator, 0.0), 0.99) if denominator > 0 else 0.0
    weighted = sum(n * n for n in sizes) / total
    return 1.0 + max(weighted - 1.0, 0.0) * icc


def lag1_autocorrelation(*segments: Values) -> float:
    """Pooled lag-1 autocorrelation of series segments, each around its own mean, with the usual
    small-sample bias correction ``(rho + 1/n) * n / (n - 3)`` (never above 0.99, nan when undefined).

    Example (hand-worked in tests): the segments 1, 2, 3, 4 and 4, 3, 2, 1, each around its mean 2.5, have
    lag products 0.75 - 0.25 + 0.75 = 1.25 and squares 5 each: rho = 2.5 / 10 = 0.25 before the correction
    and (0.25 + 1/8) * 8 / 5 = 0.6 after it.
    """
    products = 0.0
    squares = 0.0
    count = 0
    for segment in segments:
        values = np.asarray(segment, dtype=np.float64)
        if values.size < 2:
            continue
        deviations = values - values.mean()
        products += float(np.dot(deviations[1:], deviations[:-1]))
        squares += float(np.dot(deviations, deviations))
        count += int(values.size)
    if squares <= 0 or count < 5:
        return math.nan
    raw = products / squares
    return min((raw + 1 / count) * count / (count - 3), 0.99)


def compare_weeks(
    before: Values,
    after: Values,
    *,
    level: float = 0.95,
    rho: float | None = None,
) -> Effect:
    """Compare weekly values: difference of means, Welch interval inflated for autocorrelation.

    Args:
        before: the baseline weeks' values (at least 2).
        after: the weeks after the change (at least 2).
        level: the two-sided confidence level.
        rho: the lag-1 autocorrelation to assume; None estimates it from both segments
            (:func:`lag1_autocorrelation`, kept in ``[0, RHO_MAX]``).

    Returns:
        The :class:`Effect` of the weekly mean.

    Raises:
        ValueError: for fewer than 2 values on a side, a non-finite value or a level outside (0, 1).

    Example (hand-worked in tests, ``rho=0``): before 4, 6, 4, 6 (mean 5, variance 4/3) and after 7, 9, 7, 9
    (mean 8, variance 4/3): change 3, standard error sqrt(2/3) = 0.816, 6 degrees of freedom, t = 2.447,
    interval 1.00 to 5.00.
    """
    b, a = _checked(before, "before", non_negative=False), _checked(after, "after", non_negative=False)
    _check_level(level)
    if b.size < 2 or a.size < 2:
        raise ValueError("compare_weeks needs at least 2 weeks before and 2 after")
    if rho is None:
        estimated = lag1_autocorrelation(b, a)
        rho = 0.0 if math.isnan(estimated) else estimated
    rho = min(max(rho, 0.0), RHO_MAX)
    inflation = (1 + rho) / (1 - rho)
    var_b, var_a = float(b.var(ddof=1)), float(a.var(ddof=1))
    # Weekly counts that happen to be constant still vary: never trust a zero variance.
    floor = 1e-9
    se, df = _welch(max(var_b, floor) * inflation, b.size, max(var_a, floor) * inflation, a.size)
    # Fewer effective weeks, fewer degrees of freedom.
    df = max(df / inflation, 1.0)
    t = float(stats.t.ppf(0.5 + level / 2, df))
    mean_b, mean_a = float(b.mean()), float(a.mean())
    change = mean_a - mean_b
    low, high = change - t * se, change + t * se
    relative = relative_low = relative_high = None
    if mean_b > 0:
        relative, relative_low, relative_high = change / mean_b, low / mean_b, high / mean_b
    return Effect(
        kind="weeks",
        before=mean_b,
        after=mean_a,
        change=change,
        low=low,
        high=high,
        relative=relative,
        relative_low=relative_low,
        relative_high=relative_high,
        level=level,
        n_before=int(b.size),
        n_after=int(a.size),
        standard_error=se,
        degrees_of_freedom=df,
        inflation=inflation,
    )


def _checked(values: Values, name: str, *, non_negative: bool = True) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence of numbers")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains a value that is not a finite number")
    if non_negative and np.any(array < 0):
        raise ValueError(f"{name} contains a negative value")
    return array


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
