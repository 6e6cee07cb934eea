"""Cumulative flow, aging WIP and the one-call flow summary, hand-worked."""

from __future__ import annotations

from datetime import date

import polars as pl

from deliveryops.analytics.flow import (
    aging_wip,
    cumulative_flow,
    cycle_times,
    flow_summary,
    item_timeline,
    throughput,
    wip,
)
from tests.analytics.flow_histories import WORKFLOW, ZONE, blocks, history, utc


def jan(day: int) -> date:
    return date(2024, 1, day)


def test_cumulative_flow_counts_items_at_or_beyond_each_status_at_end_of_day() -> None:
    transitions = history(
        (1, "Backlog", utc(1, 1)),
        (1, "Dev", utc(1, 2)),
        (1, "Done", utc(1, 3)),
        (2, "Dev", utc(1, 2, 9)),
        (2, "Review", utc(1, 2, 15)),  # ends 2 January in Review
        (2, "Dev", utc(1, 4)),  # moves back
        (3, "Backlog", utc(1, 1)),
        (3, "Dropped", utc(1, 3)),  # leaves the diagram
        (4, "Backlog", utc(12, 30, year=2023)),  # before the range
        (4, "Test", utc(1, 3, 23, 30)),  # 4 January in Berlin
        (5, "Archived", utc(1, 1)),  # not in the workflow
    )

    result = cumulative_flow(transitions, workflow=WORKFLOW, zone=ZONE, start=jan(1), end=jan(4))

    statuses = ["Backlog", "Dev", "Review", "Test", "Done", "Released"]
    assert result.columns == ["date", "status", "category", "position", "items"]
    assert result["status"].to_list() == statuses * 4
    assert result["category"].to_list()[:6] == ["backlog", "active", "waiting", "active", "done", "done"]
    counts = result["items"].to_list()
    assert [counts[index : index + 6] for index in range(0, 24, 6)] == [
        [3, 0, 0, 0, 0, 0],
        [4, 2, 1, 0, 0, 0],
        [3, 2, 2, 1, 1, 0],
        [3, 3, 2, 2, 1, 0],
    ]


def test_cumulative_flow_of_an_empty_history_is_all_zeros() -> None:
    result = cumulative_flow(history(), workflow=WORKFLOW, zone=ZONE, start=jan(1), end=jan(2))

    assert result.height == 12
    assert result["items"].sum() == 0


# History for aging: items 1-3 finished, 4-7 in progress on 20 January.
#   1: Dev 2 Jan, Review 4 Jan, Test 5 Jan, Done 8 Jan: left Dev aged 3, Review 4, Test 7 (7 days)
#   2: Dev 10, Review 10, Test 12, Dev 13, Test 14, Done 15 Jan: last left Dev aged 5, Review 3,
#      Test 6 (6 days)
#   3: Backlog 1 Jan, Done 9 Jan (backfilled: no started stage, 1 day)
#   SLE = 85th percentile of [1, 6, 7] = 7 days
AGING = history(
    (1, "Dev", utc(1, 2)),
    (1, "Review", utc(1, 4)),
    (1, "Test", utc(1, 5)),
    (1, "Done", utc(1, 8)),
    (2, "Dev", utc(1, 10, 9)),
    (2, "Review", utc(1, 10, 15)),
    (2, "Test", utc(1, 12)),
    (2, "Dev", utc(1, 13)),
    (2, "Test", utc(1, 14)),
    (2, "Done", utc(1, 15)),
    (3, "Backlog", utc(1, 1)),
    (3, "Done", utc(1, 9)),
    (4, "Dev", utc(1, 18)),
    (5, "Dev", utc(1, 12)),
    (5, "Review", utc(1, 13)),
    (6, "Dev", utc(1, 1)),
    (7, "Dev", utc(1, 15)),
)


def test_aging_wip_bands_items_against_the_sle_and_gives_stage_exit_percentiles() -> None:
    timeline = item_timeline(AGING, workflow=WORKFLOW, zone=ZONE)

    result = aging_wip(timeline, AGING, workflow=WORKFLOW, zone=ZONE, today=jan(20), window_days=30)

    assert result.sle_days == 7
    assert result.items.select("item_id", "current_status", "age_days", "band").rows() == [
        (6, "Dev", 20, "red"),
        (5, "Review", 9, "red"),
        (7, "Dev", 6, "amber"),
        (4, "Dev", 3, "green"),
    ]
    assert result.stages.rows() == [
        ("Dev", "active", 1, 2, 3, 5, 5, 5),
        ("Review", "waiting", 2, 2, 3, 4, 4, 4),
        ("Test", "active", 3, 2, 6, 7, 7, 7),
    ]
    assert result.stages.columns == [
        "status",
        "category",
        "position",
        "samples",
        "p50_days",
        "p70_days",
        "p85_days",
        "p95_days",
    ]


def test_aging_wip_with_a_hand_set_sle() -> None:
    timeline = item_timeline(AGING, workflow=WORKFLOW, zone=ZONE)

    result = aging_wip(timeline, AGING, workflow=WORKFLOW, zone=ZONE, today=jan(20), sle_days=10)

    assert result.sle_days == 10
    assert result.items["band"].to_list() == ["red", "amber", "amber", "green"]


def test_aging_wip_without_history_has_no_band_and_empty_stages() -> None:
    transitions = history((1, "Dev", utc(1, 18)))
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)

    result = aging_wip(timeline, transitions, workflow=WORKFLOW, zone=ZONE, today=jan(20))

    assert result.sle_days is None
    assert result.items.select("item_id", "age_days", "band").rows() == [(1, 3, None)]
    assert result.stages.select("status", "samples", "p85_days").rows() == [
        ("Dev", 0, None),
        ("Review", 0, None),
        ("Test", 0, None),
    ]


def test_aging_wip_history_is_limited_to_the_window() -> None:
    timeline = item_timeline(AGING, workflow=WORKFLOW, zone=ZONE)

    # The 7-day window 14-20 January holds only item 2.
    result = aging_wip(timeline, AGING, workflow=WORKFLOW, zone=ZONE, today=jan(20), window_days=7)

    assert result.sle_days == 6
    assert result.stages.select("status", "samples", "p50_days").rows() == [
        ("Dev", 1, 5),
        ("Review", 1, 3),
        ("Test", 1, 6),
    ]


def test_flow_summary_matches_the_individual_metrics() -> None:
    items = pl.DataFrame(
        {
            "item_id": [1, 2],
            "key": ["OPS-1", "OPS-2"],
            "title": ["One", "Two"],
            "item_type": ["Story", "Bug"],
            "created_at": [utc(1, 1), utc(1, 1)],
        }
    )
    blocked = blocks((1, utc(1, 3), utc(1, 4), "approval"))
    now = utc(1, 19, 23, 30)  # 20 January in Berlin

    summary = flow_summary(
        AGING, items, blocked, workflow=WORKFLOW, zone=ZONE, start=jan(1), end=jan(20), now=now, window_days=30
    )

    timeline = item_timeline(AGING, workflow=WORKFLOW, zone=ZONE, items=items)
    assert summary.today == jan(20)
    assert summary.timeline.equals(timeline)
    assert summary.cycle_times.equals(cycle_times(timeline, start=jan(1), end=jan(20)))
    assert summary.cycle_time_percentiles == {50: 6, 70: 7, 85: 7, 95: 7}
    assert summary.sle_days == 7
    assert summary.throughput.equals(throughput(timeline, start=jan(1), end=jan(20), freq="week"))
    assert summary.wip.equals(wip(timeline, start=jan(1), end=jan(20)))
    assert summary.aging.items["key"].to_list() == [None, None, None, None]
    assert summary.flow_efficiency.items["key"].to_list() == ["OPS-1", None, "OPS-2"]
    assert summary.blocked_time.select("key", "blocked_hours").rows() == [("OPS-1", 24.0)]
    assert summary.blocker_clusters.select("reason", "blocks").rows() == [("approval", 1)]
    assert summary.unknown_statuses.height == 0
    assert summary.discarded.height == 0
    assert summary.littles_law.days == 20
    assert summary.cumulative_flow.height == 20 * 6
