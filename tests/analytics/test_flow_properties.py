"""Hypothesis properties of the flow metrics on random histories, against plain-Python references."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from deliveryops.analytics.flow import (
    blocked_time,
    cumulative_flow,
    cycle_time_percentiles,
    flow_efficiency,
    item_timeline,
    net_flow,
    throughput,
    wip,
)
from deliveryops.work.records import StageCategory
from tests.analytics.flow_histories import WORKFLOW, ZONE, blocks, history, utc

BASE = utc(1, 1, 0)
BERLIN = ZONE
STATUSES = [*WORKFLOW, "Unknown"]
PROPERTIES = settings(max_examples=100, deadline=None)


@st.composite
def histories(draw: st.DrawFn) -> pl.DataFrame:
    """Random histories: 0-10 items, 1-8 entries each, gaps of 0 (ties) to 3 days, shuffled."""
    rows: list[tuple[int, str, datetime]] = []
    for item_id in range(1, draw(st.integers(0, 10)) + 1):
        at = BASE + timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))
        for status in draw(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=8)):
            at += timedelta(minutes=draw(st.sampled_from([0, 30, 6 * 60, 23 * 60, 3 * 24 * 60])))
            rows.append((item_id, status, at))
    return history(*draw(st.permutations(rows)))


def reference_timeline(transitions: pl.DataFrame) -> dict[int, dict[str, Any]]:
    """Replay each item's history as a state machine, one entry at a time (input order on ties)."""
    by_item: dict[int, list[tuple[datetime, str]]] = {}
    for item_id, status, at in transitions.rows():
        if status in WORKFLOW:
            by_item.setdefault(item_id, []).append((at, status))
    result: dict[int, dict[str, Any]] = {}
    for item_id, entries in by_item.items():
        started = finished = discarded = None
        for at, status in sorted(entries, key=lambda entry: entry[0]):
            category = WORKFLOW[status][0]
            if category == StageCategory.BACKLOG:
                started = finished = discarded = None
            elif category.is_started:
                started = started or at
                finished = discarded = None
            elif category == StageCategory.DONE:
                finished = finished or at
                discarded = None
            else:
                discarded = discarded or at
                finished = None
        if started is None and finished is not None:
            started = finished
        result[item_id] = {
            "started_at": started,
            "finished_at": finished,
            "discarded_at": discarded,
            "current_status": sorted(entries, key=lambda entry: entry[0])[-1][1],
        }
    return result


def berlin_date(at: datetime | None) -> date | None:
    return None if at is None else at.astimezone(BERLIN).date()


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


START, END = date(2023, 12, 31), date(2024, 2, 15)


@PROPERTIES
@given(histories())
def test_timeline_matches_a_state_machine_replay(transitions: pl.DataFrame) -> None:
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)

    expected = reference_timeline(transitions)
    actual = {
        row["item_id"]: {name: row[name] for name in ("started_at", "finished_at", "discarded_at", "current_status")}
        for row in timeline.to_dicts()
    }
    assert actual == expected
    for row in timeline.filter(pl.col("finished_at").is_not_null()).to_dicts():
        started, finished = berlin_date(row["started_at"]), berlin_date(row["finished_at"])
        assert started is not None
        assert finished is not None
        assert row["cycle_time_days"] == (finished - started).days + 1 >= 1


@PROPERTIES
@given(histories())
def test_throughput_sums_to_the_number_of_finished_items(transitions: pl.DataFrame) -> None:
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)
    finished = timeline["finished_at"].drop_nulls().len()

    daily = throughput(timeline, start=START, end=END, freq="day")
    weekly = throughput(timeline, start=START, end=END, freq="week")

    assert daily["finished"].sum() == finished
    assert weekly["finished"].sum() == finished
    assert daily.height == (END - START).days + 1
    assert weekly["days"].sum() == daily.height
    assert all(monday.isoweekday() == 1 for monday in weekly["period_start"])


@PROPERTIES
@given(histories())
def test_wip_is_started_minus_finished_minus_discarded_by_each_day(transitions: pl.DataFrame) -> None:
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)
    rows = timeline.to_dicts()

    result = wip(timeline, start=START, end=END)

    expected = []
    for day in days(START, END):
        started = [row for row in rows if row["started_date"] is not None and row["started_date"] <= day]
        finished = [row for row in started if row["finished_date"] is not None and row["finished_date"] <= day]
        discarded = [row for row in started if row["discarded_date"] is not None and row["discarded_date"] <= day]
        expected.append(len(started) - len(finished) - len(discarded))
    assert result["wip"].to_list() == expected
    assert min(expected) >= 0


@PROPERTIES
@given(histories(), st.sampled_from(["day", "week"]))
def test_net_flow_sums_to_the_change_in_wip(transitions: pl.DataFrame, freq: str) -> None:
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)

    result = net_flow(timeline, start=START, end=END, freq=freq)  # type: ignore[arg-type]

    levels = wip(timeline, start=START - timedelta(days=1), end=END)["wip"]
    assert result["net"].sum() == levels[-1] - levels[0]


@PROPERTIES
@given(histories())
def test_cycle_time_percentiles_are_monotone(transitions: pl.DataFrame) -> None:
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)

    result = cycle_time_percentiles(timeline, percents=[1, 25, 50, 70, 85, 95, 100])

    values = list(result.values())
    if timeline["finished_at"].drop_nulls().len() == 0:
        assert values == [None] * 7
    else:
        numbers = [value for value in values if value is not None]
        assert numbers == sorted(numbers)
        assert len(numbers) == 7
        assert numbers[-1] == timeline["cycle_time_days"].max()


@PROPERTIES
@given(histories())
def test_cumulative_flow_matches_end_of_day_statuses(transitions: pl.DataFrame) -> None:
    result = cumulative_flow(transitions, workflow=WORKFLOW, zone=ZONE, start=START, end=END)

    shown = [name for name in WORKFLOW if WORKFLOW[name][0] != StageCategory.DISCARDED]
    entries = sorted((row for row in transitions.rows() if row[1] in WORKFLOW), key=lambda row: (row[0], row[2]))
    expected = []
    for day in days(START, END):
        at_end: dict[int, str] = {}
        for item_id, status, at in entries:
            if at.astimezone(BERLIN).date() <= day:
                at_end[item_id] = status
        positions = [WORKFLOW[status][1] for status in at_end.values() if status in shown]
        expected += [sum(position >= WORKFLOW[name][1] for position in positions) for name in shown]
    assert result["items"].to_list() == expected


@PROPERTIES
@given(histories(), st.lists(st.tuples(st.integers(1, 10), st.integers(0, 30 * 24), st.integers(-1, 96))))
def test_blocked_and_efficiency_hours_stay_inside_the_started_period(
    transitions: pl.DataFrame, intervals: list[tuple[int, int, int]]
) -> None:
    now = BASE + timedelta(days=60)
    blocked = blocks(
        *[
            (
                item_id,
                BASE + timedelta(hours=start),
                None if hours < 0 else BASE + timedelta(hours=start + hours),
                "r",
            )
            for item_id, start, hours in intervals
        ]
    )
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)

    efficiency = flow_efficiency(transitions, blocked, workflow=WORKFLOW, timeline=timeline)
    blocked_hours = blocked_time(blocked, timeline, now=now)

    period = timeline.select(
        "item_id",
        "cycle_time_hours",
        limit=(pl.coalesce("finished_at", "discarded_at", pl.lit(now)) - pl.col("started_at")).dt.total_seconds() / 3600,
    )
    checked = efficiency.items.join(period, on="item_id")
    assert checked.height == efficiency.items.height
    for row in checked.to_dicts():
        assert row["active_hours"] >= -1e-9
        assert row["waiting_hours"] >= -1e-9
        assert row["active_hours"] + row["waiting_hours"] <= row["cycle_time_hours"] + 1e-9
        assert row["efficiency"] is None or 0 <= row["efficiency"] <= 1
    for row in blocked_hours.join(period, on="item_id").to_dicts():
        assert 0 < row["blocked_hours"] <= row["limit"] + 1e-9
