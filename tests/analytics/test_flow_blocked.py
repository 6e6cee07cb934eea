"""Blocked time, blocker clusters and flow efficiency, hand-worked (times in UTC)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from deliveryops.analytics.flow import blocked_time, blocker_clusters, flow_efficiency, item_timeline
from tests.analytics.flow_histories import WORKFLOW, ZONE, blocks, history, utc

NOW = utc(1, 8, 12)

# 1: finished; Dev 2 Jan 08-18 (10 h), Review 18-24 (6 h), Test 3 Jan 00-04 (4 h).
# 2: in progress since 5 Jan 12:00, blocked from 6 Jan 12:00 and never cleared.
# 3: only in the backlog; its block is outside any started period.
# 4: backlog -> done (backfilled start = finish: no time at all).
# 5: Dev 1 Jan 12:00 to Done 2 Jan 12:00 (24 h); blocked from 1 Jan 18:00, flag never cleared.
# 6: Dev 1 Jan 12:00, discarded 2 Jan 12:00; blocked from its start, never cleared.
TRANSITIONS = history(
    (1, "Backlog", utc(1, 1, 12)),
    (1, "Dev", utc(1, 2, 8)),
    (1, "Review", utc(1, 2, 18)),
    (1, "Test", utc(1, 3, 0)),
    (1, "Done", utc(1, 3, 4)),
    (2, "Dev", utc(1, 5, 12)),
    (3, "Backlog", utc(1, 1)),
    (4, "Backlog", utc(1, 1)),
    (4, "Done", utc(1, 4)),
    (5, "Dev", utc(1, 1, 12)),
    (5, "Done", utc(1, 2, 12)),
    (6, "Dev", utc(1, 1, 12)),
    (6, "Dropped", utc(1, 2, 12)),
)
BLOCKED = blocks(
    (1, utc(1, 1, 12), utc(1, 2, 10), "approval"),  # clipped to 08-10 on 2 Jan
    (1, utc(1, 2, 20), utc(1, 2, 22), "env"),  # in Review: already waiting
    (1, utc(1, 2, 9), utc(1, 2, 11), "env"),  # overlaps the first: the item's union is 08-11
    (2, utc(1, 6, 12), None, "env"),  # open: runs to now, 48 h
    (3, utc(1, 1), utc(1, 3), "env"),  # never started
    (5, utc(1, 1, 18), None, "approval"),  # open: clipped at the finish, 18 h
    (5, utc(1, 3), utc(1, 4), "env"),  # after the finish
    (6, utc(1, 1, 12), None, None),  # no reason; clipped at the discard
)


@pytest.fixture
def timeline() -> pl.DataFrame:
    return item_timeline(TRANSITIONS, workflow=WORKFLOW, zone=ZoneInfo("UTC"))


def test_blocked_time_counts_only_the_started_period_and_overlaps_once(timeline: pl.DataFrame) -> None:
    result = blocked_time(BLOCKED, timeline, now=NOW)

    assert result.columns == ["item_id", "blocks", "blocked_hours", "blocked_days"]
    assert result.rows() == [
        (2, 1, 48.0, 2.0),
        (6, 1, 24.0, 1.0),
        (5, 1, 18.0, 0.75),
        (1, 3, 5.0, pytest.approx(5 / 24)),
    ]


def test_blocker_clusters_group_blocked_time_by_reason(timeline: pl.DataFrame) -> None:
    result = blocker_clusters(BLOCKED, timeline, now=NOW)

    assert result.rows() == [
        ("env", 3, 2, 52.0, pytest.approx(52 / 24)),
        ("", 1, 1, 24.0, 1.0),
        ("approval", 2, 2, 20.0, pytest.approx(20 / 24)),
    ]


def test_flow_efficiency_moves_blocked_active_time_to_waiting(timeline: pl.DataFrame) -> None:
    result = flow_efficiency(TRANSITIONS, BLOCKED, workflow=WORKFLOW, timeline=timeline)

    assert result.items.select("item_id", "active_hours", "waiting_hours", "blocked_in_active_hours", "efficiency").rows() == [
        (5, 6.0, 18.0, 18.0, 0.25),
        (1, 11.0, 9.0, 3.0, 0.55),
        (4, 0.0, 0.0, 0.0, None),
    ]
    assert result.active_hours == 17.0
    assert result.waiting_hours == 27.0
    assert result.efficiency == 17 / 44


def test_flow_efficiency_in_a_range_of_finish_dates(timeline: pl.DataFrame) -> None:
    result = flow_efficiency(
        TRANSITIONS,
        BLOCKED,
        workflow=WORKFLOW,
        timeline=timeline,
        start=date(2024, 1, 3),
        end=date(2024, 1, 3),
    )

    assert result.items["item_id"].to_list() == [1]
    assert result.efficiency == 0.55


def test_flow_efficiency_ignores_time_spent_done_before_a_reopening() -> None:
    transitions = history(
        (1, "Dev", utc(1, 1, 0)),
        (1, "Done", utc(1, 1, 10)),
        (1, "Dev", utc(1, 1, 20)),
        (1, "Done", utc(1, 2, 0)),
    )
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)

    result = flow_efficiency(transitions, blocks(), workflow=WORKFLOW, timeline=timeline)

    assert result.items.select("active_hours", "waiting_hours", "efficiency").rows() == [(14.0, 0.0, 1.0)]


def test_flow_efficiency_with_nothing_finished_is_none() -> None:
    transitions = history((1, "Dev", utc(1, 1)))
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)

    result = flow_efficiency(transitions, blocks(), workflow=WORKFLOW, timeline=timeline)

    assert result.items.height == 0
    assert (result.active_hours, result.waiting_hours, result.efficiency) == (0.0, 0.0, None)


def test_blocked_time_without_blocks_is_empty(timeline: pl.DataFrame) -> None:
    assert blocked_time(blocks(), timeline, now=NOW).height == 0
    assert blocker_clusters(blocks(), timeline, now=NOW).height == 0
