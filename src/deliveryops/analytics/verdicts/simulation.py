"""Seeded simulation harness: the error rates of the verdict rule on processes whose truth is known.

Each run simulates one team's items day by day (pure numpy, no database):

* items start as a Poisson process of ``rate`` items a week; each takes a lognormal cycle time (median
  ``CT_MEDIAN_DAYS``, log-sd ``CT_SIGMA``: skewed, the 85th percentile about 2.3 × the median); the team
  finishes as many as it starts, so throughput is Poisson too;
* each item has an active share of its cycle time (Beta(2, 4), mean 1/3: flow efficiency) and, with
  probability ``BLOCKED_SHARE``, one blocked interval of 20–60% of its cycle time;
* **weekly seasonality** (optional): holiday weeks (1 in 13) where only 30% of the usual items start and
  70% of the items due to finish slip to the next week, and a two-week sprint rhythm where 40% of the items
  due to finish in a sprint's first week finish in its second week.

From the items come exactly the series an action is judged by: per-item cycle times by finish week, weekly
throughput, weekly mean WIP (daily count of started, unfinished items), weekly flow efficiency (active over
total time of the items finished that week) and weekly blocked days (overlap of blocked intervals with
the week). An action takes effect at the end of the baseline; a **shift** of ``s`` changes the targeted
metric's mechanism, for the items started after the action, in the better direction by ``s``:
cycle time × (1 − s) (cycle time and WIP: Little's law), start rate × (1 + s) (throughput), active share ×
(1 + s) (flow efficiency), blocked durations × (1 − s) (blocked time).

:func:`run_scenario` judges each run with :mod:`~.rule` and counts outcomes and the week each verdict was
made, so the rates come "by week 8 / 13 / 26". Seeds: :data:`TUNING_SEED` is the set the rule was chosen
on; :data:`HELD_OUT_SEED` is a separate, frozen set evaluated once for the published rates.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from deliveryops.analytics.verdicts.rule import (
    BASELINE_WEEKS,
    Direction,
    Outcome,
    RuleSettings,
    VerdictResult,
    judge_items,
    judge_weeks,
)
from deliveryops.analytics.xmr import verdict as xmr_verdict
from deliveryops.analytics.xmr import xmr_chart

__all__ = [
    "HELD_OUT_SEED",
    "METRICS",
    "TUNING_SEED",
    "History",
    "Scenario",
    "ScenarioRates",
    "judge_history",
    "old_xmr_verdict",
    "run_scenario",
    "simulate_history",
]

METRICS: tuple[str, ...] = ("cycle_time_p85", "throughput", "wip", "flow_efficiency", "blocked_days")
BETTER: dict[str, Direction] = {
    "cycle_time_p85": "decrease",
    "throughput": "increase",
    "wip": "decrease",
    "flow_efficiency": "increase",
    "blocked_days": "decrease",
}
TUNING_SEED = 15_001
HELD_OUT_SEED = 15_900_417  # frozen: evaluated once, for the published table
CT_MEDIAN_DAYS = 5.0
CT_SIGMA = 0.8
BLOCKED_SHARE = 0.3
WARMUP_WEEKS = 8
AFTER_WEEKS = 26
HOLIDAY_EVERY = 13


@dataclass(frozen=True, slots=True)
class Scenario:
    """One cell of the rates table."""

    metric: str
    rate: float  # items started (and finished) per week
    shift: float  # 0 for a stable process; else the true change in the better direction
    seasonal: bool = False

    @property
    def key(self) -> str:
        """A stable name (the scenario's part of every run's seed)."""
        return f"{self.metric}|{self.rate:g}|{self.shift:g}|{int(self.seasonal)}"


@dataclass(frozen=True, slots=True)
class History:
    """One simulated team: per metric, the baseline and the weeks after the action."""

    items_before: NDArray[np.float64]
    items_before_by_week: list[NDArray[np.float64]]
    items_after: list[NDArray[np.float64]]
    weeks_before: dict[str, list[float | None]]
    weeks_after: dict[str, list[float | None]]


def _week_of(times: NDArray[np.float64]) -> NDArray[np.int64]:
    return np.floor(times / 7).astype(np.int64)


def simulate_history(
    rng: np.random.Generator,
    *,
    rate: float,
    shift_metric: str | None = None,
    shift: float = 0.0,
    seasonal: bool = False,
    baseline_weeks: int = BASELINE_WEEKS,
    after_weeks: int = AFTER_WEEKS,
) -> History:
    """Simulate one team and return the series an action on any metric is judged by.

    Args:
        rng: the run's generator.
        rate: items a week.
        shift_metric: the metric the action changes (None: nothing changes).
        shift: the size of the change, in the better direction (0.3 = 30%).
        seasonal: add holiday weeks and the sprint rhythm.
        baseline_weeks: weeks before the action.
        after_weeks: weeks after it.

    Returns:
        The :class:`History`.
    """
    total_weeks = WARMUP_WEEKS + baseline_weeks + after_weeks + 4  # 4 spare weeks let late items finish
    action_week = WARMUP_WEEKS + baseline_weeks
    action_day = action_week * 7.0
    week_factor = np.ones(total_weeks)
    holiday = np.zeros(total_weeks, dtype=bool)
    if seasonal:
        holiday = rng.random(total_weeks) < 1 / HOLIDAY_EVERY
        week_factor[holiday] = 0.3
    if shift_metric == "throughput":
        week_factor[action_week:] *= 1 + shift
    counts = rng.poisson(rate * week_factor)
    start = np.repeat(np.arange(total_weeks) * 7.0, counts) + rng.uniform(0, 7, int(counts.sum()))
    n = start.size
    after = start >= action_day
    cycle = CT_MEDIAN_DAYS * np.exp(CT_SIGMA * rng.standard_normal(n))
    if shift_metric in ("cycle_time_p85", "wip"):
        cycle = np.where(after, cycle * (1 - shift), cycle)
    finish = start + cycle
    if seasonal:
        week = _week_of(finish).clip(0, total_weeks - 1)
        slip_holiday = holiday[week] & (rng.random(n) < 0.7)
        finish = np.where(slip_holiday, (week + 1) * 7.0 + rng.uniform(0, 2, n), finish)
        week = _week_of(finish)
        slip_sprint = (week % 2 == 0) & (rng.random(n) < 0.4)
        finish = np.where(slip_sprint, finish + 7.0, finish)
    cycle_days = np.maximum(np.ceil(finish - start), 1.0)
    active_share = rng.beta(2.0, 4.0, n)
    if shift_metric == "flow_efficiency":
        active_share = np.where(after, np.minimum(active_share * (1 + shift), 0.95), active_share)
    has_block = rng.random(n) < BLOCKED_SHARE
    block_length = (finish - start) * rng.uniform(0.2, 0.6, n)
    if shift_metric == "blocked_days":
        block_length = np.where(after, block_length * (1 - shift), block_length)
    block_start = start + rng.uniform(0, 1, n) * ((finish - start) - block_length)
    block_end = block_start + block_length

    first = WARMUP_WEEKS
    last = action_week + after_weeks  # exclusive
    weeks = np.arange(first, last)
    finish_week = _week_of(finish)

    throughput = np.bincount(finish_week.clip(0, total_weeks), minlength=total_weeks + 1)[first:last].astype(float)

    days = np.arange(first * 7, last * 7) + 0.5
    starts_sorted, finishes_sorted = np.sort(start), np.sort(finish)
    wip_daily = np.searchsorted(starts_sorted, days) - np.searchsorted(finishes_sorted, days)
    wip = wip_daily.reshape(-1, 7).mean(axis=1)

    total_time = finish - start
    active_by_week = np.bincount(finish_week.clip(0, total_weeks), weights=active_share * total_time, minlength=total_weeks + 1)
    total_by_week = np.bincount(finish_week.clip(0, total_weeks), weights=total_time, minlength=total_weeks + 1)
    efficiency: list[float | None] = [
        float(100 * active_by_week[w] / total_by_week[w]) if throughput[w - first] > 0 else None for w in weeks
    ]

    b_start, b_end = block_start[has_block], block_end[has_block]
    edges = np.arange(first, last + 1) * 7.0
    # Cumulative blocked time up to each week edge, then per-week differences.
    cumulative = np.clip(edges[:, None] - b_start[None, :], 0, (b_end - b_start)[None, :]).sum(axis=1)
    blocked = np.diff(cumulative)

    ct_week = finish_week
    before_mask = (ct_week >= first) & (ct_week < action_week)
    items_before = cycle_days[before_mask]
    order = np.argsort(ct_week, kind="stable")
    sorted_weeks, sorted_days = ct_week[order], cycle_days[order]
    bounds = np.searchsorted(sorted_weeks, np.arange(first, last + 1))
    by_week = [sorted_days[bounds[i] : bounds[i + 1]] for i in range(last - first)]

    split = action_week - first
    series: dict[str, list[float | None]] = {
        "throughput": [float(v) for v in throughput],
        "wip": [float(v) for v in wip],
        "flow_efficiency": efficiency,
        "blocked_days": [float(v) for v in blocked],
    }
    return History(
        items_before=items_before,
        items_before_by_week=by_week[:split],
        items_after=by_week[split:],
        weeks_before={name: values[:split] for name, values in series.items()},
        weeks_after={name: values[split:] for name, values in series.items()},
    )


def judge_history(history: History, metric: str, settings: RuleSettings | None = None) -> VerdictResult:
    """Judge an action on ``metric`` with all the weeks after it the history has."""
    better = BETTER[metric]
    if metric == "cycle_time_p85":
        return judge_items(history.items_before, history.items_after, better=better, settings=settings)
    return judge_weeks(history.weeks_before[metric], history.weeks_after[metric], better=better, settings=settings)


def old_xmr_verdict(history: History, metric: str, weeks: int) -> str:
    """The verdict the previous rule (weekly values on an XmR chart, any of three signals after the divider,
    the most recent deciding, re-judged every week) shows ``weeks`` weeks after the action."""
    if metric == "cycle_time_p85":
        weekly = [_p85(values) for values in [*history.items_before_by_week, *history.items_after[:weeks]]]
        split = len(history.items_before_by_week)
        before = [v for v in weekly[:split] if v is not None]
        after = [v for v in weekly[split:] if v is not None]
    else:
        before = [v for v in history.weeks_before[metric] if v is not None]
        after = [v for v in history.weeks_after[metric][:weeks] if v is not None]
    chart = xmr_chart([*before, *after], divider_index=len(before))
    return xmr_verdict(chart, expected_direction=BETTER[metric]).outcome.value


def _p85(values: NDArray[np.float64]) -> float | None:
    if values.size == 0:
        return None
    ordered = np.sort(values)
    return float(ordered[max(math.ceil(85 * ordered.size / 100), 1) - 1])


@dataclass
class ScenarioRates:
    """Counts of outcomes over a scenario's runs; ``changes_by`` counts improved/worsened verdicts made by week."""

    scenario: Scenario
    runs: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    improved_by: dict[int, int] = field(default_factory=dict)
    worsened_by: dict[int, int] = field(default_factory=dict)

    def rate(self, outcome: Outcome) -> float:
        """Share of runs ending (by the last week) in ``outcome``."""
        return self.outcomes.get(outcome.value, 0) / self.runs if self.runs else math.nan

    def false_rate(self, week: int) -> float:
        """Stable process: share of runs with an improved or worsened verdict by ``week``."""
        return (self.improved_by.get(week, 0) + self.worsened_by.get(week, 0)) / self.runs if self.runs else math.nan

    def detection(self, week: int) -> float:
        """Shifted process: share of runs with an improved verdict by ``week``."""
        return self.improved_by.get(week, 0) / self.runs if self.runs else math.nan


def run_seed(base: int, scenario: Scenario, run: int) -> np.random.Generator:
    """The generator of one run: the seed set, the scenario and the run number."""
    return np.random.default_rng([base, zlib.crc32(scenario.key.encode()), run])


def run_scenario(
    scenario: Scenario,
    runs: int,
    *,
    seed: int = TUNING_SEED,
    settings: RuleSettings | None = None,
    weeks: Sequence[int] = (8, 13, 26),
) -> ScenarioRates:
    """Simulate ``runs`` teams of a scenario and count the rule's verdicts.

    Args:
        scenario: metric, rate, shift and seasonality.
        runs: how many runs.
        seed: the seed set (:data:`TUNING_SEED` or :data:`HELD_OUT_SEED`).
        settings: the rule's parameters.
        weeks: the weeks after the action at which verdicts made so far are counted.

    Returns:
        The :class:`ScenarioRates`.
    """
    rules = settings or RuleSettings()
    after_weeks = max(*weeks, rules.max_weeks)
    rates = ScenarioRates(scenario)
    for run in range(runs):
        history = simulate_history(
            run_seed(seed, scenario, run),
            rate=scenario.rate,
            shift_metric=scenario.metric if scenario.shift else None,
            shift=scenario.shift,
            seasonal=scenario.seasonal,
            after_weeks=after_weeks,
        )
        result = judge_history(history, scenario.metric, rules)
        rates.runs += 1
        rates.outcomes[result.outcome.value] = rates.outcomes.get(result.outcome.value, 0) + 1
        if result.outcome.is_change and result.decided_at is not None:
            target = rates.improved_by if result.outcome is Outcome.IMPROVED else rates.worsened_by
            for week in weeks:
                if result.decided_at <= week:
                    target[week] = target.get(week, 0) + 1
    return rates
