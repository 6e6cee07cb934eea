"""Weekly series of a team metric and the process behaviour chart that judges an action by it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import polars as pl

from deliveryops.actions.models import ImprovementAction, TargetMetric
from deliveryops.analytics.flow import flow_efficiency, item_timeline, wip
from deliveryops.analytics.percentiles import nearest_rank
from deliveryops.analytics.xmr import Verdict, VerdictOutcome, XmRChart, verdict, xmr_chart
from deliveryops.flow.data import TeamData

__all__ = ["BASELINE_WEEKS", "Measurement", "VerdictOutcome", "measure", "weekly_series"]

BASELINE_WEEKS = 20  # up to this many weeks before the action form its baseline
MAX_AFTER_WEEKS = 26


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_series(data: TeamData, metric: TargetMetric, *, start: date, end: date) -> list[tuple[date, float]]:
    """One value per ISO week (Monday label) from ``start``'s week to ``end``'s week.

    Weeks where the metric is undefined (no finished item for cycle time or flow efficiency) are
    left out rather than counted as zero.

    Args:
        data: the team's history (already restricted to the item types that count).
        metric: what to measure.
        start: a day in the first week.
        end: a day in the last week (complete weeks only are meaningful; the caller decides).

    Returns:
        ``(monday, value)`` pairs in order.
    """
    first, last = _monday(start), _monday(end)
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    timeline = item_timeline(data.transitions, workflow=data.workflow, tz=data.tz, items=data.items)
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


@dataclass
class Measurement:
    """An action's chart and verdict."""

    weeks: list[date]
    values: list[float]
    divider_index: int | None
    chart: XmRChart
    verdict: Verdict
    direction: str


def measure(action: ImprovementAction, data: TeamData, *, today: date) -> Measurement | None:
    """Judge an action by its target metric: limits from the weeks before it, signals after it.

    Only complete weeks are used (the current week is left out). Returns None for an action without
    a target metric.
    """
    if action.target_metric is None:
        return None
    metric = action.target_metric
    direction = action.expected_direction or metric.better
    start = _monday(action.started_on) - timedelta(weeks=BASELINE_WEEKS)
    end = min(_monday(today) - timedelta(days=1), _monday(action.started_on) + timedelta(weeks=MAX_AFTER_WEEKS))
    series = weekly_series(data, metric, start=start, end=end) if end >= start else []
    weeks = [week for week, _value in series]
    values = [value for _week, value in series]
    # The week the action started belongs to "after": its effect can begin that week.
    divider = next((index for index, week in enumerate(weeks) if week >= _monday(action.started_on)), len(weeks))
    chart = xmr_chart(values, divider_index=divider)
    judged = verdict(chart, expected_direction="increase" if direction == "increase" else "decrease")
    return Measurement(weeks=weeks, values=values, divider_index=divider, chart=chart, verdict=judged, direction=direction)
