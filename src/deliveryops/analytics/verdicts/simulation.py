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
    settings_for,
)
from deliveryops.analytics.xmr import verdict as xmr_verdict
from deliveryops.analytics.xmr import xmr_chart

__all__ = [
    "DORA_METRICS",
    "FLOW_METRICS",
    "HEALTH_METRICS",
    "HELD_OUT_SEED",
    "METRICS",
    "PACES",
    "TUNING_SEED",
    "History",
    "Scenario",
    "ScenarioRates",
    "judge_history",
    "old_xmr_verdict",
    "run_scenario",
    "simulate",
    "simulate_delivery",
    "simulate_health",
    "simulate_history",
]

FLOW_METRICS: tuple[str, ...] = ("cycle_time_p85", "throughput", "wip", "flow_efficiency", "blocked_days")
DORA_METRICS: tuple[str, ...] = ("deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore")
HEALTH_METRICS: tuple[str, ...] = ("health_card",)
METRICS: tuple[str, ...] = (*FLOW_METRICS, *DORA_METRICS, *HEALTH_METRICS)
PER_EVENT: frozenset[str] = frozenset({"cycle_time_p85", "lead_time", "time_to_restore"})
BETTER: dict[str, Direction] = {
    "cycle_time_p85": "decrease",
    "throughput": "increase",
    "wip": "decrease",
    "flow_efficiency": "increase",
    "blocked_days": "decrease",
    "deployment_frequency": "increase",
    "lead_time": "decrease",
    "change_failure_rate": "decrease",
    "time_to_restore": "decrease",
    "health_card": "increase",
}
# The paces simulated per metric: items a week (flow), production deployments a week (DORA), respondents a
# health-check round (health cards).
PACES: dict[str, tuple[float, ...]] = {
    **dict.fromkeys(FLOW_METRICS, (2.0, 4.0, 10.0)),
    **dict.fromkeys(DORA_METRICS, (2.0, 4.0, 10.0)),
    **dict.fromkeys(HEALTH_METRICS, (4.0, 6.0, 10.0)),
}
# Delivery (DORA) processes: each production deployment fails with FAILURE_SHARE; a failure is restored in a
# lognormal time (median RESTORE_MEDIAN_HOURS); a deployment ships 1 + Poisson(1) changes, each with a
# lognormal lead time (median LEAD_MEDIAN_HOURS).
FAILURE_SHARE = 0.15
RESTORE_MEDIAN_HOURS = 4.0
RESTORE_SIGMA = 1.2
LEAD_MEDIAN_HOURS = 30.0
LEAD_SIGMA = 1.0
# Health checks: a round every HEALTH_EVERY_WEEKS weeks; each respondent answers a card green (2 points),
# amber (1) or red (0) as Binomial(2, level); the level is HEALTH_LEVEL plus a round's shared mood
# N(0, HEALTH_ROUND_SD); 85% of the team answers; a round with fewer than HEALTH_MIN_RESPONDENTS is hidden.
HEALTH_EVERY_WEEKS = 2
HEALTH_LEVEL = 0.55
HEALTH_ROUND_SD = 0.06
HEALTH_ATTENDANCE = 0.85
HEALTH_MIN_RESPONDENTS = 3
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
    rate: float  # items a week (flow), production deployments a week (DORA), team size (health card)
    shift: float  # 0 for a stable process; else the true change in the better direction
    seasonal: bool = False

    @property
    def key(self) -> str:
        """A stable name (the scenario's part of every run's seed)."""
        return f"{self.metric}|{self.rate:g}|{self.shift:g}|{int(self.seasonal)}"


@dataclass(frozen=True, slots=True)
class History:
    """One simulated team: per metric, the baseline and the weeks after the action.

    ``items_*`` are the work items' cycle times; ``events_*`` the other per-event metrics' values (lead time
    per change, time to restore per failed deployment), before the action and per week after it.
    """

    items_before: NDArray[np.float64]
    items_before_by_week: list[NDArray[np.float64]]
    items_after: list[NDArray[np.float64]]
    weeks_before: dict[str, list[float | None]]
    weeks_after: dict[str, list[float | None]]
    events_before: dict[str, list[NDArray[np.float64]]] = field(default_factory=dict)
    events_after: dict[str, list[NDArray[np.float64]]] = field(default_factory=dict)


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


def _by_week(weeks: NDArray[np.int64], values: NDArray[np.float64], first: int, last: int) -> list[NDArray[np.float64]]:
    """Values grouped by week index ``first``..``last - 1``."""
    order = np.argsort(weeks, kind="stable")
    sorted_weeks, sorted_values = weeks[order], values[order]
    bounds = np.searchsorted(sorted_weeks, np.arange(first, last + 1))
    return [sorted_values[bounds[i] : bounds[i + 1]] for i in range(last - first)]


def _holidays(rng: np.random.Generator, total_weeks: int, seasonal: bool) -> NDArray[np.bool_]:
    if not seasonal:
        return np.zeros(total_weeks, dtype=bool)
    return rng.random(total_weeks) < 1 / HOLIDAY_EVERY


def simulate_delivery(
    rng: np.random.Generator,
    *,
    rate: float,
    shift_metric: str | None = None,
    shift: float = 0.0,
    seasonal: bool = False,
    baseline_weeks: int = BASELINE_WEEKS,
    after_weeks: int = AFTER_WEEKS,
) -> History:
    """Simulate one team's production deployments, their changes and failures (the DORA keys).

    Deployments arrive as a Poisson process of ``rate`` a week on working days; each fails with
    :data:`FAILURE_SHARE` and is restored in a lognormal time; each ships 1 + Poisson(1) changes with a
    lognormal lead time. With ``seasonal``: holiday weeks (1 in 13) with 30% of the deployments, failures in
    them restored 3 × slower, the changes shipped the week after one waiting up to 5 days longer, and a
    two-week release rhythm (40% of a sprint's first-week deployments wait to its second week). A shift of
    ``s`` in the better direction, for deployments after the action: rate × (1 + s) (frequency), failure
    share × (1 − s), restore time × (1 − s), lead time × (1 − s).

    Weekly values: deployments in the week (frequency) and the failed share in % (change failure rate; no
    value without deployments). Per event, by the deployment's week: each change's lead time and each
    failure's time to restore, in hours.
    """
    total_weeks = WARMUP_WEEKS + baseline_weeks + after_weeks + 1
    action_week = WARMUP_WEEKS + baseline_weeks
    holiday = _holidays(rng, total_weeks, seasonal)
    week_factor = np.where(holiday, 0.3, 1.0)
    if shift_metric == "deployment_frequency":
        week_factor[action_week:] *= 1 + shift
    counts = rng.poisson(rate * week_factor)
    at = np.repeat(np.arange(total_weeks) * 7.0, counts) + rng.uniform(0, 5, int(counts.sum()))
    n = at.size
    if seasonal:
        first_of_sprint = (_week_of(at) % 2 == 0) & (rng.random(n) < 0.4)
        at = np.where(first_of_sprint, at + 7.0, at)
    week = _week_of(at)
    after = week >= action_week
    failure_share = np.full(n, FAILURE_SHARE)
    if shift_metric == "change_failure_rate":
        failure_share = np.where(after, FAILURE_SHARE * (1 - shift), failure_share)
    failed = rng.random(n) < failure_share
    restore = RESTORE_MEDIAN_HOURS * np.exp(RESTORE_SIGMA * rng.standard_normal(n))
    if seasonal:
        restore = np.where(holiday[week.clip(0, total_weeks - 1)], restore * 3, restore)
    if shift_metric == "time_to_restore":
        restore = np.where(after, restore * (1 - shift), restore)
    shipped = 1 + rng.poisson(1.0, n)
    change_week = np.repeat(week, shipped)
    lead = LEAD_MEDIAN_HOURS * np.exp(LEAD_SIGMA * rng.standard_normal(change_week.size))
    if seasonal:
        after_holiday = holiday[(change_week - 1).clip(0, total_weeks - 1)] & (change_week > 0)
        lead = np.where(after_holiday, lead + rng.uniform(0, 5 * 24, change_week.size), lead)
    if shift_metric == "lead_time":
        lead = np.where(change_week >= action_week, lead * (1 - shift), lead)

    first, last = WARMUP_WEEKS, action_week + after_weeks
    deployments = np.bincount(week.clip(0, total_weeks), minlength=total_weeks + 1)[first:last]
    failures = np.bincount(week.clip(0, total_weeks), weights=failed.astype(float), minlength=total_weeks + 1)[first:last]
    frequency: list[float | None] = [float(v) for v in deployments]
    failure_rate: list[float | None] = [float(100 * f / d) if d > 0 else None for f, d in zip(failures, deployments, strict=True)]
    lead_weeks = _by_week(change_week, lead, first, last)
    restore_weeks = _by_week(week[failed], restore[failed], first, last)
    split = action_week - first
    series = {"deployment_frequency": frequency, "change_failure_rate": failure_rate}
    events = {"lead_time": lead_weeks, "time_to_restore": restore_weeks}
    empty = np.zeros(0)
    return History(
        items_before=empty,
        items_before_by_week=[],
        items_after=[],
        weeks_before={name: values[:split] for name, values in series.items()},
        weeks_after={name: values[split:] for name, values in series.items()},
        events_before={name: weeks[:split] for name, weeks in events.items()},
        events_after={name: weeks[split:] for name, weeks in events.items()},
    )


def simulate_health(
    rng: np.random.Generator,
    *,
    rate: float,
    shift_metric: str | None = None,
    shift: float = 0.0,
    seasonal: bool = False,
    baseline_weeks: int = BASELINE_WEEKS,
    after_weeks: int = AFTER_WEEKS,
) -> History:
    """Simulate one card of a team's health checks: a round every :data:`HEALTH_EVERY_WEEKS` weeks.

    ``rate`` is the team's size: each person answers with probability :data:`HEALTH_ATTENDANCE`; a round
    with fewer than :data:`HEALTH_MIN_RESPONDENTS` answers is hidden (no value, as in the product). The
    card's score (0..100) is the mean of the answers' points (green 2, amber 1, red 0) over 2. With
    ``seasonal`` a round due in a holiday week (1 in 13) is skipped. A shift of ``s`` raises the card's
    level × (1 + s) from the action on. Weeks without a round have no value.
    """
    total_weeks = WARMUP_WEEKS + baseline_weeks + after_weeks
    action_week = WARMUP_WEEKS + baseline_weeks
    holiday = _holidays(rng, total_weeks, seasonal)
    scores: list[float | None] = []
    offset = int(rng.integers(HEALTH_EVERY_WEEKS))
    for week in range(WARMUP_WEEKS, total_weeks):
        mood = HEALTH_LEVEL + HEALTH_ROUND_SD * rng.standard_normal()
        answers = rng.binomial(int(rate), HEALTH_ATTENDANCE)
        if (week + offset) % HEALTH_EVERY_WEEKS or holiday[week] or answers < HEALTH_MIN_RESPONDENTS:
            scores.append(None)
            continue
        level = mood * (1 + shift) if shift_metric == "health_card" and week >= action_week else mood
        points = rng.binomial(2, float(np.clip(level, 0.01, 0.99)), answers)
        scores.append(float(100 * points.mean() / 2))
    split = action_week - WARMUP_WEEKS
    empty = np.zeros(0)
    return History(
        items_before=empty,
        items_before_by_week=[],
        items_after=[],
        weeks_before={"health_card": scores[:split]},
        weeks_after={"health_card": scores[split:]},
    )


def simulate(
    rng: np.random.Generator,
    metric: str,
    *,
    rate: float,
    shift: float = 0.0,
    seasonal: bool = False,
    after_weeks: int = AFTER_WEEKS,
) -> History:
    """The history an action on ``metric`` is judged by (flow, delivery or health simulation)."""
    simulator = simulate_history
    if metric in DORA_METRICS:
        simulator = simulate_delivery
    elif metric in HEALTH_METRICS:
        simulator = simulate_health
    return simulator(
        rng, rate=rate, shift_metric=metric if shift else None, shift=shift, seasonal=seasonal, after_weeks=after_weeks
    )


def judge_history(history: History, metric: str, settings: RuleSettings | None = None) -> VerdictResult:
    """Judge an action on ``metric`` with all the weeks after it the history has."""
    better = BETTER[metric]
    if metric == "cycle_time_p85":
        return judge_items(history.items_before, history.items_after, better=better, settings=settings)
    if metric in PER_EVENT:
        by_week = history.events_before[metric]
        before = np.concatenate(by_week) if by_week else np.zeros(0)
        return judge_items(before, history.events_after[metric], better=better, settings=settings, before_by_week=by_week)
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
    rules = settings or settings_for(scenario.metric)
    after_weeks = max(*weeks, rules.max_weeks)
    rates = ScenarioRates(scenario)
    for run in range(runs):
        history = simulate(
            run_seed(seed, scenario, run),
            scenario.metric,
            rate=scenario.rate,
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
