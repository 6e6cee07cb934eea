"""Is a change between two periods a signal, or within normal variation?

The leadership pack, the portfolio and the digests compare a number with its value in the previous
period. A difference is called a **signal** only when it exceeds what the process's own week-to-week
variation produces; otherwise it is **within normal variation** and shown without arrow or colour.

* **Weekly series** (:func:`judge_weekly`; items finished): the week-to-week variation is estimated as in
  an XmR chart, σ̂ = mean moving range / 1.128, from the moving ranges *within* each period (a shift
  between the periods does not inflate it). The totals differ by a signal when
  ``|total − previous total| > K × σ̂ × sqrt(weeks + previous weeks)`` with :data:`WEEKLY_K` = 3 (the
  natural process limit factor applied to the difference of two sums of weeks).
* **Counts without a series** (:func:`judge_counts`; deployments, impediments, experiments): the two
  counts are compared as Poisson counts over their lengths of time with the exact conditional binomial
  test; a signal when the two-sided p-value is below :data:`COUNT_ALPHA` = 0.01.
* **A percentile of item durations** (:func:`judge_percentile`; 85th percentile cycle time): a seeded
  bootstrap of the difference of the two nearest-rank percentiles; a signal when its 99% interval
  excludes zero.
* **A proportion** (:func:`judge_proportion`; change failure rate): Fisher's exact test, p < 0.01.

Too little data (fewer than :data:`MIN_WEEKS` complete weeks per period, fewer than
:data:`MIN_ITEMS` items per period) gives "not enough data", never a direction. The false-signal rate of
each test on stable simulated processes is measured by :func:`simulate_false_signals`
(``benchmarks/change_bench.py``) and published beside the definition.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy.stats import binomtest, fisher_exact

from deliveryops.analytics.percentiles import nearest_rank
from deliveryops.analytics.xmr import Side, SignalRule, xmr_chart

__all__ = [
    "COUNT_ALPHA",
    "MIN_ITEMS",
    "MIN_WEEKS",
    "WEEKLY_K",
    "Change",
    "ChangeOutcome",
    "judge_counts",
    "judge_latest",
    "judge_percentile",
    "judge_proportion",
    "judge_weekly",
    "simulate_false_signals",
    "weekly_blocks",
]

WEEKLY_K = 3.0
D2 = 1.128  # the bias-correction constant of moving ranges of two points
COUNT_ALPHA = 0.01
PERCENTILE_CONFIDENCE = 0.99
BOOTSTRAP_RESAMPLES = 2_000
MIN_WEEKS = 3
MIN_ITEMS = 10


class ChangeOutcome(enum.StrEnum):
    """What a change between two periods is."""

    UP = "signal_up"
    DOWN = "signal_down"
    NORMAL = "within_normal_variation"
    NOT_ENOUGH = "not_enough_data"
    NOT_JUDGED = "not_judged"  # no test fits the number (e.g. a median of team medians)


@dataclass(frozen=True, slots=True)
class Change:
    """A judged change: the outcome, the test used and a sentence to show."""

    outcome: ChangeOutcome
    method: str
    detail: str

    @property
    def is_signal(self) -> bool:
        """True for a signal up or down."""
        return self.outcome in (ChangeOutcome.UP, ChangeOutcome.DOWN)


def _direction(difference: float) -> ChangeOutcome:
    return ChangeOutcome.UP if difference > 0 else ChangeOutcome.DOWN


def weekly_blocks(daily: Sequence[int]) -> list[int]:
    """Sum a daily series into complete 7-day blocks from its first day (a partial last block is dropped)."""
    return [int(sum(daily[i : i + 7])) for i in range(0, len(daily) - 6, 7)]


def _sigma(*series: Sequence[float]) -> float | None:
    ranges = [abs(b - a) for values in series for a, b in pairwise(values)]
    if not ranges:
        return None
    return (sum(ranges) / len(ranges)) / D2


def judge_weekly(
    current_weeks: Sequence[float],
    previous_weeks: Sequence[float],
    *,
    current_total: float | None = None,
    previous_total: float | None = None,
) -> Change:
    """Judge the change of a total between two periods against the week-to-week variation.

    Args:
        current_weeks: the period's complete weeks (values per week).
        previous_weeks: the previous period's complete weeks.
        current_total: the period's total (default: the sum of its weeks; pass it when the period has a
            partial week).
        previous_total: the same for the previous period.

    Returns:
        The judged :class:`Change`.
    """
    now = float(sum(current_weeks) if current_total is None else current_total)
    before = float(sum(previous_weeks) if previous_total is None else previous_total)
    method = "week-to-week variation (XmR)"
    if len(current_weeks) < MIN_WEEKS or len(previous_weeks) < MIN_WEEKS:
        return Change(ChangeOutcome.NOT_ENOUGH, method, f"fewer than {MIN_WEEKS} complete weeks in a period")
    sigma = _sigma(current_weeks, previous_weeks) or 0.0
    limit = WEEKLY_K * sigma * math.sqrt(len(current_weeks) + len(previous_weeks))
    difference = now - before
    detail = f"difference {difference:+g}; natural variation ±{limit:.1f}"
    if sigma == 0.0:
        if difference == 0:
            return Change(ChangeOutcome.NORMAL, method, detail)
        return Change(_direction(difference), method, detail)
    if abs(difference) > limit:
        return Change(_direction(difference), method, detail)
    return Change(ChangeOutcome.NORMAL, method, detail)


def judge_latest(values: Sequence[float]) -> Change:
    """Judge the latest value of a series (e.g. last week's throughput) against the natural process limits
    of the values before it (an XmR chart; a signal only when it falls outside them).

    Needs at least :data:`deliveryops.analytics.xmr.MIN_BASELINE` values before the latest.
    """
    method = "natural process limits of the weeks before (XmR)"
    if len(values) < 2:
        return Change(ChangeOutcome.NOT_ENOUGH, method, "no weeks before the latest")
    chart = xmr_chart(values, divider_index=len(values) - 1)
    if not chart.enough_data:
        return Change(ChangeOutcome.NOT_ENOUGH, method, chart.message or "too few weeks before the latest")
    upper = chart.upper_limit
    lower = chart.lower_limit
    bounds = f"{lower:.1f}" if lower is not None else "0"
    detail = f"latest {values[-1]:g}; natural range {bounds} to {upper:.1f}" if upper is not None else ""
    outside = [signal for signal in chart.signals if signal.rule is SignalRule.OUTSIDE_LIMITS]
    if outside:
        return Change(ChangeOutcome.UP if outside[0].side is Side.ABOVE else ChangeOutcome.DOWN, method, detail)
    return Change(ChangeOutcome.NORMAL, method, detail)


def judge_counts(current: int, previous: int, *, current_days: int = 1, previous_days: int = 1) -> Change:
    """Judge two Poisson counts over periods of the given lengths (exact conditional binomial test)."""
    method = "Poisson counts (exact test)"
    total = current + previous
    if total == 0:
        return Change(ChangeOutcome.NORMAL, method, "none in either period")
    share = current_days / (current_days + previous_days)
    p_value = float(binomtest(current, total, share).pvalue)
    detail = f"p = {p_value:.3f}"
    expected_current = total * share
    if p_value < COUNT_ALPHA:
        return Change(_direction(current - expected_current), method, detail)
    return Change(ChangeOutcome.NORMAL, method, detail)


def judge_percentile(current: Sequence[float], previous: Sequence[float], *, percent: float = 85, seed: int = 0) -> Change:
    """Judge the change of a nearest-rank percentile with a seeded bootstrap of its difference."""
    method = f"bootstrap of the {percent:g}th percentile"
    if len(current) < MIN_ITEMS or len(previous) < MIN_ITEMS:
        return Change(ChangeOutcome.NOT_ENOUGH, method, f"fewer than {MIN_ITEMS} items in a period")
    rng = np.random.default_rng(seed)
    now, before = np.asarray(current, dtype=np.float64), np.asarray(previous, dtype=np.float64)
    rank_now = math.ceil(percent / 100 * now.size) - 1
    rank_before = math.ceil(percent / 100 * before.size) - 1
    draws_now = np.sort(now[rng.integers(0, now.size, size=(BOOTSTRAP_RESAMPLES, now.size))], axis=1)[:, rank_now]
    draws_before = np.sort(before[rng.integers(0, before.size, size=(BOOTSTRAP_RESAMPLES, before.size))], axis=1)[:, rank_before]
    differences = draws_now - draws_before
    tail = (1 - PERCENTILE_CONFIDENCE) / 2 * 100
    low, high = (float(v) for v in np.percentile(differences, [tail, 100 - tail]))
    observed = (nearest_rank(now, percent) or 0.0) - (nearest_rank(before, percent) or 0.0)
    detail = f"difference {observed:+g}; 99% interval {low:+g} to {high:+g}"
    if low > 0 or high < 0:
        return Change(_direction(observed if observed else low + high), method, detail)
    return Change(ChangeOutcome.NORMAL, method, detail)


def judge_proportion(current: tuple[int, int], previous: tuple[int, int]) -> Change:
    """Judge two proportions, each (events, trials), with Fisher's exact test."""
    method = "proportions (Fisher's exact test)"
    (a, n), (b, m) = current, previous
    if n < MIN_ITEMS or m < MIN_ITEMS:
        return Change(ChangeOutcome.NOT_ENOUGH, method, f"fewer than {MIN_ITEMS} in a period")
    p_value = float(fisher_exact([[a, n - a], [b, m - b]]).pvalue)
    detail = f"p = {p_value:.3f}"
    if p_value < COUNT_ALPHA:
        return Change(_direction(a / n - b / m), method, detail)
    return Change(ChangeOutcome.NORMAL, method, detail)


def simulate_false_signals(
    *,
    test: str,
    mean_per_week: float,
    weeks: int,
    runs: int,
    seed: int,
    seasonal: bool = False,
    shift: float = 0.0,
) -> float:
    """The share of runs a test calls a signal on two periods of a simulated process.

    ``shift = 0`` gives the false-signal rate of a stable process; a shift (e.g. 0.3 for +30% in the
    current period) gives the detection rate.

    Args:
        test: "weekly" (:func:`judge_weekly` on Poisson weekly counts), "latest" (:func:`judge_latest`: week
            ``weeks + 1`` against the ``weeks`` before it; ``shift`` applies to it) or "counts" (:func:`judge_counts` on the
            same counts' totals) or "percentile" (:func:`judge_percentile` on lognormal cycle times, about
            ``mean_per_week`` items a week, median 5 days, σ = 0.8).
        mean_per_week: the stable rate.
        weeks: the length of each period in weeks.
        runs: number of simulated pairs of periods.
        seed: the seed.
        seasonal: multiply the rate by 1 ± 30% on a 4-week cycle, as the weekly rhythm of real teams.
        shift: the relative change of the current period.

    Returns:
        The share of runs with a signal.
    """
    rng = np.random.default_rng(seed)
    signals = 0
    cycle = 1 + 0.3 * np.sin(2 * np.pi * np.arange(2 * weeks) / 4) if seasonal else np.ones(2 * weeks)
    for run in range(runs):
        rates = mean_per_week * cycle
        rates[weeks:] *= 1 + shift
        counts = rng.poisson(rates)
        before, now = counts[:weeks], counts[weeks:]
        if test == "weekly":
            change = judge_weekly(now.tolist(), before.tolist())
        elif test == "latest":
            change = judge_latest(counts[: weeks + 1].tolist())
        elif test == "counts":
            change = judge_counts(int(now.sum()), int(before.sum()))
        elif test == "percentile":
            scale_now = 1 + shift
            durations_before = np.ceil(rng.lognormal(math.log(5), 0.8, size=int(before.sum())))
            durations_now = np.ceil(rng.lognormal(math.log(5 * scale_now), 0.8, size=int(now.sum())))
            change = judge_percentile(durations_now.tolist(), durations_before.tolist(), seed=run)
        else:
            raise ValueError(f"test must be weekly, latest, counts or percentile, got {test!r}")
        signals += change.is_signal
    return signals / runs
