"""Weekly series of a team metric and the process behaviour chart that judges an action by it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from deliveryops.actions.models import ImprovementAction, TargetMetric
from deliveryops.analytics.dora import DoraTables
from deliveryops.analytics.flow import flow_efficiency, wip
from deliveryops.analytics.percentiles import nearest_rank
from deliveryops.analytics.verdicts.effects import Effect
from deliveryops.analytics.verdicts.reliability import Reliability, reliability, sentence
from deliveryops.analytics.verdicts.rule import (
    BASELINE_WEEKS,
    Direction,
    Outcome,
    VerdictResult,
    judge_items,
    judge_weeks,
    settings_for,
)
from deliveryops.analytics.verdicts.simulation import HEALTH_ATTENDANCE
from deliveryops.flow.data import TeamData
from deliveryops.flow.timeline import timeline_of

__all__ = [
    "BASELINE_WEEKS",
    "OUTCOME_LABELS",
    "ActionVerdict",
    "Measurement",
    "OtherSources",
    "Outcome",
    "dora_events",
    "dora_weekly",
    "effect_text",
    "health_weekly",
    "item_cycle_times",
    "measure",
    "unit_of",
    "weekly_series",
]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_series(
    data: TeamData, metric: TargetMetric, *, start: date, end: date, timeline: pl.DataFrame | None = None
) -> list[tuple[date, float]]:
    """One value per ISO week (Monday label) from ``start``'s week to ``end``'s week.

    Weeks where the metric is undefined (no finished item for cycle time or flow efficiency) are
    left out rather than counted as zero.

    Args:
        data: the team's history (already restricted to the item types that count).
        metric: what to measure.
        start: a day in the first week.
        end: a day in the last week (complete weeks only are meaningful; the caller decides).
        timeline: the per-item timeline of ``data`` when the caller has it (``flow.timeline``); else built here.

    Returns:
        ``(monday, value)`` pairs in order.
    """
    first, last = _monday(start), _monday(end)
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    timeline = timeline_of(data) if timeline is None else timeline
    finished = timeline.filter(pl.col("finished_date").is_not_null()).with_columns(
        (pl.col("finished_date") - pl.duration(days=pl.col("finished_date").dt.weekday() - 1)).alias("week")
    )
    out: list[tuple[date, float]] = []
    if metric is TargetMetric.THROUGHPUT:
        counts = dict(finished.group_by("week").len().iter_rows())
        return [(week, float(counts.get(week, 0))) for week in weeks]
    if metric is TargetMetric.CYCLE_TIME_P85:
        by_week: dict[date, list[int]] = {}
        for week, days in finished.select("week", "cycle_time_days").iter_rows():
            by_week.setdefault(week, []).append(days)
        for week in weeks:
            value = nearest_rank(by_week.get(week, []), 85)
            if value is not None:
                out.append((week, value))
        return out
    if metric is TargetMetric.WIP:
        daily = wip(timeline, start=first, end=last + timedelta(days=6))
        means = dict(
            daily.with_columns((pl.col("date") - pl.duration(days=pl.col("date").dt.weekday() - 1)).alias("week"))
            .group_by("week")
            .agg(pl.col("wip").mean())
            .iter_rows()
        )
        return [(week, round(float(means[week]), 3)) for week in weeks if week in means]
    if metric is TargetMetric.FLOW_EFFICIENCY:
        for week in weeks:
            result = flow_efficiency(
                data.transitions,
                data.blocked,
                workflow=data.workflow,
                timeline=timeline,
                start=week,
                end=week + timedelta(days=6),
            )
            if result.efficiency is not None and not result.items.is_empty():
                out.append((week, round(result.efficiency * 100, 2)))
        return out
    # Blocked days: the blocked intervals' overlap with each week, in 24-hour days.
    intervals = [(s, e) for s, e in data.blocked.select("start", "end").iter_rows()]
    for week in weeks:
        week_start = datetime(week.year, week.month, week.day, tzinfo=UTC)
        week_end = week_start + timedelta(days=7)
        total = 0.0
        for start_at, end_at in intervals:
            stop = min(end_at or week_end, week_end)
            begin = max(start_at, week_start)
            if stop > begin:
                total += (stop - begin).total_seconds() / 86400
        out.append((week, round(total, 2)))
    return out


def item_cycle_times(data: TeamData, *, start: date, end: date, timeline: pl.DataFrame | None = None) -> list[tuple[date, float]]:
    """``(finished date, cycle time in days)`` of every item finished from ``start`` to ``end``, by finish
    (``timeline``: the per-item timeline of ``data`` when the caller has it)."""
    timeline = timeline_of(data) if timeline is None else timeline
    finished = timeline.filter(
        pl.col("finished_date").is_not_null() & (pl.col("finished_date") >= start) & (pl.col("finished_date") <= end)
    ).sort("finished_date")
    return [(day, float(days)) for day, days in finished.select("finished_date", "cycle_time_days").iter_rows()]


@dataclass(frozen=True)
class OtherSources:
    """What an action on a DORA key or a health-check card is judged by (work items give the flow metrics).

    ``dora``: the team's linked DORA tables (None when the team has none); ``health``: the target card's
    results in the team's closed rounds with enough respondents, as ``(closed on, score 0..100, answers)``.
    """

    dora: DoraTables | None = None
    health: tuple[tuple[date, float, int], ...] = ()


def _in_period(frame: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    return frame.filter(pl.col("local_date").is_between(start, end))


def dora_events(tables: DoraTables, metric: TargetMetric, *, start: date, end: date) -> list[tuple[date, float]]:
    """``(day, hours)`` per event from ``start`` to ``end``, by day: each deployed change's lead time
    (``LEAD_TIME``) or each failed production deployment's time to restore (``TIME_TO_RESTORE``; failures not
    yet restored are left out). Days are in the team's zone, as on the DORA page."""
    if metric is TargetMetric.LEAD_TIME:
        frame = _in_period(tables.changes, start, end).filter(
            pl.col("deployed_at").is_not_null() & pl.col("lead_time_minutes").is_not_null()
        )
        column = "lead_time_minutes"
    elif metric is TargetMetric.TIME_TO_RESTORE:
        frame = _in_period(tables.deployments, start, end).filter(
            pl.col("counted") & pl.col("failed_change") & pl.col("recovery_minutes").is_not_null()
        )
        column = "recovery_minutes"
    else:
        raise ValueError(f"{metric.value} is not a per-event DORA key")
    rows = frame.sort("local_date").select("local_date", column).iter_rows()
    return [(day, round(float(minutes) / 60, 4)) for day, minutes in rows]


def dora_weekly(tables: DoraTables | None, metric: TargetMetric, *, start: date, end: date) -> list[tuple[date, float]]:
    """One value per ISO week (Monday label) from ``start``'s week to ``end``'s week.

    * ``DEPLOYMENT_FREQUENCY``: counted production deployments finished in the week;
    * ``CHANGE_FAILURE_RATE``: the share (%) of them that failed (weeks without deployments have no value);
    * ``LEAD_TIME`` / ``TIME_TO_RESTORE``: the week's median in hours, for the chart only (the verdict uses
      every event).

    Weeks before the team's first recorded production deployment have no value: its delivery data did not
    reach DeliveryOps yet, which is not the same as deploying nothing.
    """
    if tables is None:
        return []
    first, last = _monday(start), _monday(end)
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    counted = tables.deployments.filter(pl.col("counted"))
    if counted.is_empty():
        return []
    known_from = _monday(counted.get_column("local_date").min())  # type: ignore[arg-type]
    if metric.per_event:
        by_week: dict[date, list[float]] = {}
        for day, hours in dora_events(tables, metric, start=first, end=last + timedelta(days=6)):
            by_week.setdefault(_monday(day), []).append(hours)
        return [(week, round(float(np.median(by_week[week])), 4)) for week in weeks if week in by_week]
    per_week: dict[date, list[bool]] = {}
    for day, failed in _in_period(counted, first, last + timedelta(days=6)).select("local_date", "failed_change").iter_rows():
        per_week.setdefault(_monday(day), []).append(bool(failed))
    out: list[tuple[date, float]] = []
    for week in weeks:
        if week < known_from:
            continue
        flags = per_week.get(week, [])
        if metric is TargetMetric.DEPLOYMENT_FREQUENCY:
            out.append((week, float(len(flags))))
        elif flags:
            out.append((week, round(100 * sum(flags) / len(flags), 2)))
    return out


def health_weekly(results: Sequence[tuple[date, float, int]], *, start: date, end: date) -> list[tuple[date, float]]:
    """The card's score (0..100) in the weeks a round closed (two rounds in one week: their mean)."""
    first, last = _monday(start), _monday(end)
    by_week: dict[date, list[float]] = {}
    for day, score, _answers in results:
        week = _monday(day)
        if first <= week <= last:
            by_week.setdefault(week, []).append(score)
    return [(week, round(sum(scores) / len(scores), 2)) for week, scores in sorted(by_week.items())]


@dataclass
class ActionVerdict:
    """The verdict on an action, in words, with the numbers behind it."""

    outcome: Outcome
    explanation: str
    effect_text: str | None
    reliability_text: str | None
    needed_text: str | None
    result: VerdictResult
    reliability: Reliability | None

    @property
    def label(self) -> str:
        """The outcome for people."""
        return OUTCOME_LABELS[self.outcome]


OUTCOME_LABELS = {
    Outcome.IMPROVED: "improved",
    Outcome.WORSENED: "worsened",
    Outcome.NO_CHANGE: "no change",
    Outcome.NOT_ENOUGH_EVIDENCE: "not enough evidence",
    Outcome.MEASURING: "measuring",
}


@dataclass
class Measurement:
    """An action's weekly values, its items (cycle time), the before/after effect and the verdict."""

    metric: TargetMetric
    weeks: list[date]
    values: list[float]
    divider_index: int | None
    evaluated_weeks: int  # weeks after the divider the verdict used (its window)
    items: list[tuple[date, float]]  # per-event metrics only: the event's date and value
    verdict: ActionVerdict
    direction: str
    items_per_week: float
    first_week: date  # the Monday of the baseline's first week
    divider_week: date  # the Monday of the week the action took effect


def unit_of(metric: TargetMetric) -> str:
    """The unit the metric's effect is given in."""
    return {
        TargetMetric.CYCLE_TIME_P85: "days",
        TargetMetric.THROUGHPUT: "items a week",
        TargetMetric.WIP: "items",
        TargetMetric.FLOW_EFFICIENCY: "percentage points",
        TargetMetric.BLOCKED_DAYS: "days a week",
        TargetMetric.DEPLOYMENT_FREQUENCY: "deployments a week",
        TargetMetric.LEAD_TIME: "hours",
        TargetMetric.CHANGE_FAILURE_RATE: "percentage points",
        TargetMetric.TIME_TO_RESTORE: "hours",
        TargetMetric.HEALTH_CARD: "points (of 100)",
    }[metric]


def _events(metric: TargetMetric) -> str:
    """What one value of a per-event metric is, or one value of a weekly one."""
    return {
        TargetMetric.CYCLE_TIME_P85: "finished items",
        TargetMetric.LEAD_TIME: "deployed changes",
        TargetMetric.TIME_TO_RESTORE: "restored failed deployments",
        TargetMetric.HEALTH_CARD: "closed rounds with enough respondents",
    }.get(metric, "weeks with a value")


def _name(metric: TargetMetric) -> str:
    return {
        TargetMetric.CYCLE_TIME_P85: "cycle time 85th percentile",
        TargetMetric.THROUGHPUT: "throughput",
        TargetMetric.WIP: "average WIP",
        TargetMetric.FLOW_EFFICIENCY: "flow efficiency",
        TargetMetric.BLOCKED_DAYS: "blocked time",
        TargetMetric.DEPLOYMENT_FREQUENCY: "deployment frequency",
        TargetMetric.LEAD_TIME: "lead time for changes (85th percentile)",
        TargetMetric.CHANGE_FAILURE_RATE: "change failure rate",
        TargetMetric.TIME_TO_RESTORE: "time to restore (85th percentile)",
        TargetMetric.HEALTH_CARD: "health card score",
    }[metric]


def _number(value: float) -> str:
    text = f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"
    text = text.removesuffix(".0")
    return text.replace("-", "\u2212")


def effect_text(metric: TargetMetric, effect: Effect) -> str:
    """E.g. "cycle time 85th percentile 14 → 10 days, 95% interval −6 to −1 days"."""
    level = f"{effect.level:.0%}" if round(effect.level * 100, 1) == round(effect.level * 100) else f"{effect.level:.1%}"
    unit = unit_of(metric)
    relative = ""
    if effect.relative is not None:
        relative = f" ({_number(100 * effect.relative)}%)" if effect.relative < 0 else f" (+{_number(100 * effect.relative)}%)"
    return (
        f"{_name(metric)} {_number(effect.before)} \u2192 {_number(effect.after)} {unit}{relative}, "
        f"{level} interval of the change {_number(effect.low)} to {_number(effect.high)} {unit}"
    )


def _explain(
    metric: TargetMetric, result: VerdictResult, direction: str, per_week: float, pace_unit: str = "items a week"
) -> tuple[str, str | None]:
    rules = result.settings
    share = f"{rules.min_change:.0%}"
    name = _name(metric)
    if result.outcome is Outcome.MEASURING:
        return (
            f"Measuring: {result.weeks_after} of {rules.eval_weeks} weeks after the action are complete. The verdict "
            f"comes after week {rules.eval_weeks}; one week alone is routine variation, not evidence.",
            None,
        )
    if result.outcome.is_change:
        hoped = "as hoped" if result.outcome is Outcome.IMPROVED else f"the opposite of the hoped-for {direction}"
        return (
            f"{result.outcome.value.capitalize()}: over the {result.decided_at} weeks after the action, {name} moved "
            f"{hoped}; the interval of the change excludes zero and both halves of the window moved the same way. "
            "The verdict is frozen at that week.",
            None,
        )
    if result.outcome is Outcome.NO_CHANGE:
        return (
            f"No change: over the {result.decided_at} weeks after the action the interval of the change rules out a "
            f"change of {share} or more in {name}, either way. The verdict is frozen at that week.",
            None,
        )
    if result.reason == "baseline":
        what = _events(metric)
        if metric.per_event:
            needed = (
                f"The baseline (the {BASELINE_WEEKS} weeks before the action) needs at least {result.needed_items or 0:g} {what}."
            )
        else:
            missing = result.needed_weeks or 0
            needed = (
                f"The baseline (the {BASELINE_WEEKS} weeks before the action) needs {missing:g} more {what} "
                f"(at least {rules.min_baseline_weeks})."
            )
        return f"Not enough evidence: too little history before the action to compare with. {needed}", needed
    needed_text: str | None = None
    if result.needed_weeks is not None and math.isfinite(result.needed_weeks):
        more = max(int(result.needed_weeks) - result.weeks_after, 0)
        items = ""
        if result.needed_items is not None and math.isfinite(result.needed_items):
            items = f" (about {int(result.needed_items)} {_events(metric)})"
        needed_text = (
            f"To tell a {share} change from routine variation, the data needs about {int(result.needed_weeks)} weeks "
            f"after the action{items}: {more} more week{'s' if more != 1 else ''}."
        )
        if result.needed_weeks > rules.max_weeks:
            needed_text += f" That is beyond the {rules.max_weeks}-week window, so this verdict stays."
    else:
        needed_text = (
            f"At this team's pace (about {_number(per_week)} {pace_unit}) and variation, even {rules.max_weeks} weeks "
            f"after the action would not tell a {share} change from routine variation; judge this action by "
            "other evidence, or target a metric with more data."
        )
    state = "so far" if not result.final else "and the verdict is final"
    return (
        f"Not enough evidence {state}: the interval of the change is too wide to say whether {name} moved by "
        f"{share} or not. {needed_text}",
        needed_text,
    )


def _pace(
    metric: TargetMetric,
    data: TeamData,
    sources: OtherSources,
    *,
    start: date,
    divider_week: date,
    timeline: pl.DataFrame | None = None,
) -> tuple[float, str]:
    """The team's pace before the action, in the unit the published rates are indexed by."""
    before_end = divider_week - timedelta(days=1)
    if metric.source == "dora":
        tables = sources.dora
        if tables is None:
            return 0.0, "deployments a week"
        counted = _in_period(tables.deployments.filter(pl.col("counted")), start, before_end).height
        return counted / BASELINE_WEEKS, "deployments a week"
    if metric.source == "health":
        # The simulated paces are team sizes of which HEALTH_ATTENDANCE answer: the team's size estimated likewise.
        answers = [n for day, _score, n in sources.health if start <= day <= before_end]
        return (float(np.median(answers)) / HEALTH_ATTENDANCE if answers else 0.0), "people in the team"
    return len(item_cycle_times(data, start=start, end=before_end, timeline=timeline)) / BASELINE_WEEKS, "items a week"


def measure(
    action: ImprovementAction,
    data: TeamData,
    *,
    today: date,
    sources: OtherSources | None = None,
    timeline: pl.DataFrame | None = None,
) -> Measurement | None:
    """Judge an action by its target metric with the verdict rule (``deliveryops.analytics.verdicts``).

    Baseline: the ``BASELINE_WEEKS`` complete weeks before the week the action took effect. After: the
    complete weeks from that week on (the current week is left out), up to the rule's ``max_weeks``.
    Per-event metrics (cycle time, lead time for changes, time to restore) are judged on every event;
    the others on one value per week (a health card: one per closed round, in the week it closed).
    ``timeline`` is the per-item timeline of ``data`` when the caller has it (``flow.timeline``); else it is
    built from ``data``. Returns None for an action without a target metric.
    """
    if action.target_metric is None:
        return None
    metric = action.target_metric
    other = sources or OtherSources()
    if timeline is None and metric.source not in ("dora", "health"):
        timeline = timeline_of(data)  # built once for the series, the events and the pace below
    rules = settings_for(metric.value)
    direction = action.expected_direction or metric.better
    better: Direction = "increase" if direction == "increase" else "decrease"
    divider_week = _monday(action.started_on)
    start = divider_week - timedelta(weeks=BASELINE_WEEKS)
    last_complete = _monday(today) - timedelta(days=1)
    end = min(last_complete, divider_week + timedelta(weeks=rules.max_weeks) - timedelta(days=1))
    after_count = max((_monday(end) - divider_week).days // 7 + 1, 0) if end >= divider_week else 0
    all_weeks = [start + timedelta(weeks=i) for i in range(BASELINE_WEEKS + after_count)]
    series: dict[date, float] = {}
    if end >= start:
        if metric.source == "dora":
            series = dict(dora_weekly(other.dora, metric, start=start, end=end))
        elif metric.source == "health":
            series = dict(health_weekly(other.health, start=start, end=end))
        else:
            series = dict(weekly_series(data, metric, start=start, end=end, timeline=timeline))
    weeks = [week for week in all_weeks if week in series]
    values = [series[week] for week in weeks]
    divider = next((index for index, week in enumerate(weeks) if week >= divider_week), len(weeks))
    items: list[tuple[date, float]] = []
    if metric.per_event:
        if end >= start:
            if metric is TargetMetric.CYCLE_TIME_P85:
                items = item_cycle_times(data, start=start, end=end, timeline=timeline)
            elif other.dora is not None:
                items = dora_events(other.dora, metric, start=start, end=end)
        before_items = [value for day, value in items if day < divider_week]
        before_by_week: list[list[float]] = [[] for _ in range(BASELINE_WEEKS)]
        after_by_week: list[list[float]] = [[] for _ in range(after_count)]
        for day, value in items:
            if day >= divider_week:
                after_by_week[(day - divider_week).days // 7].append(value)
            elif day >= start:
                before_by_week[(day - start).days // 7].append(value)
        result = judge_items(before_items, after_by_week, better=better, settings=rules, before_by_week=before_by_week)
    else:
        before = [series.get(week) for week in all_weeks[:BASELINE_WEEKS]]
        after = [series.get(week) for week in all_weeks[BASELINE_WEEKS:]]
        result = judge_weeks(before, after, better=better, settings=rules)
    per_week, pace_unit = _pace(metric, data, other, start=start, divider_week=divider_week, timeline=timeline)
    explanation, needed_text = _explain(metric, result, direction, per_week, pace_unit)
    measured = reliability(metric.value, per_week)
    judged = ActionVerdict(
        outcome=result.outcome,
        explanation=explanation,
        effect_text=effect_text(metric, result.effect) if result.effect is not None else None,
        reliability_text=sentence(measured, pace_unit) if measured is not None else None,
        needed_text=needed_text,
        result=result,
        reliability=measured,
    )
    evaluated = result.decided_at or result.weeks_after
    return Measurement(
        metric=metric,
        weeks=weeks,
        values=values,
        divider_index=divider,
        evaluated_weeks=evaluated,
        items=items,
        verdict=judged,
        direction=direction,
        items_per_week=per_week,
        first_week=start,
        divider_week=divider_week,
    )
