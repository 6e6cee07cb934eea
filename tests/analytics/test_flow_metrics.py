"""Cycle time, throughput, WIP, net flow, age, SLE, discards and Little's Law, hand-worked."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from deliveryops.analytics.flow import (
    cycle_time_percentiles,
    cycle_times,
    discarded_after_start,
    item_timeline,
    littles_law_check,
    net_flow,
    sle,
    throughput,
    wip,
    work_item_age,
)
from tests.analytics.flow_histories import WORKFLOW, ZONE, history, utc


def jan(day: int) -> date:
    return date(2024, 1, day)


# The period is 3-9 January 2024 (Wednesday to Tuesday); all times are noon UTC.
#   1: started before the period (1 Jan), finished 4 Jan        -> 4 days
#   2: started and finished 3 Jan                               -> 1 day
#   3: started 5 Jan, discarded 7 Jan                           -> leaves WIP on 7 Jan
#   4: backlog 2 Jan, started 6 Jan, still in progress
#   5: backlog 1 Jan, done 8 Jan without starting               -> backfilled, 1 day
#   6: started 20 Dec 2023, finished 12 Jan, after the period
#   7: backlog 2 Jan, discarded 4 Jan without starting          -> never WIP
PERIOD = history(
    (1, "Dev", utc(1, 1)),
    (1, "Done", utc(1, 4)),
    (2, "Dev", utc(1, 3, 9)),
    (2, "Done", utc(1, 3, 15)),
    (3, "Dev", utc(1, 5)),
    (3, "Dropped", utc(1, 7)),
    (4, "Backlog", utc(1, 2)),
    (4, "Dev", utc(1, 6)),
    (5, "Backlog", utc(1, 1)),
    (5, "Done", utc(1, 8)),
    (6, "Dev", utc(12, 20, year=2023)),
    (6, "Done", utc(1, 12)),
    (7, "Backlog", utc(1, 2)),
    (7, "Dropped", utc(1, 4)),
)


@pytest.fixture
def timeline() -> pl.DataFrame:
    return item_timeline(PERIOD, workflow=WORKFLOW, zone=ZONE)


def test_cycle_times_lists_items_finished_in_the_range_in_order_of_finish(timeline: pl.DataFrame) -> None:
    result = cycle_times(timeline, start=jan(3), end=jan(9))

    assert result.select("item_id", "cycle_time_days", "cycle_time_hours").rows() == [
        (2, 1, 6.0),
        (1, 4, 72.0),
        (5, 1, 0.0),
    ]


def test_cycle_times_without_bounds_lists_every_finished_item(timeline: pl.DataFrame) -> None:
    assert cycle_times(timeline)["item_id"].to_list() == [2, 1, 5, 6]


def test_cycle_time_percentiles_are_nearest_rank() -> None:
    # Item i starts 1 January and finishes i January: cycle times 1..10 days.
    transitions = pl.concat([history((i, "Dev", utc(1, 1)), (i, "Done", utc(1, i))) for i in range(1, 11)])
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)

    assert cycle_time_percentiles(timeline) == {50: 5, 70: 7, 85: 9, 95: 10}
    assert cycle_time_percentiles(timeline, start=jan(9)) == {50: 9, 70: 10, 85: 10, 95: 10}
    assert cycle_time_percentiles(timeline, end=date(2023, 12, 31)) == {
        50: None,
        70: None,
        85: None,
        95: None,
    }
    assert cycle_time_percentiles(timeline, percents=[100]) == {100: 10}


def test_daily_throughput_includes_zero_days(timeline: pl.DataFrame) -> None:
    result = throughput(timeline, start=jan(3), end=jan(9))

    assert result.rows() == [
        (jan(3), 1, 1),
        (jan(4), 1, 1),
        (jan(5), 1, 0),
        (jan(6), 1, 0),
        (jan(7), 1, 0),
        (jan(8), 1, 1),
        (jan(9), 1, 0),
    ]
    assert result.columns == ["period_start", "days", "finished"]


def test_weekly_throughput_uses_iso_weeks_labelled_by_monday_across_a_year_boundary() -> None:
    transitions = history(
        (1, "Dev", utc(12, 20, year=2024)),
        (1, "Done", utc(12, 24, year=2024)),  # Tuesday, before the range
        (2, "Dev", utc(12, 20, year=2024)),
        (2, "Done", utc(12, 29, year=2024)),  # Sunday of the week of Monday 23 December
        (3, "Dev", utc(12, 20, year=2024)),
        (3, "Done", utc(12, 31, year=2024)),  # Tuesday of ISO week 1 of 2025 (Monday 30 December)
        (4, "Dev", utc(12, 20, year=2024)),
        (4, "Done", utc(1, 1, year=2025)),
        (5, "Dev", utc(12, 20, year=2024)),
        (5, "Done", utc(1, 5, 23, 30, year=2025)),  # Sunday 23:30 UTC is Monday 6 January in Berlin
    )
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)

    result = throughput(timeline, start=date(2024, 12, 25), end=date(2025, 1, 8), freq="week")

    assert result.rows() == [
        (date(2024, 12, 23), 5, 1),
        (date(2024, 12, 30), 7, 2),
        (date(2025, 1, 6), 3, 1),
    ]


def test_throughput_rejects_an_unknown_frequency(timeline: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match='freq must be "day" or "week", got \'month\''):
        throughput(timeline, start=jan(3), end=jan(9), freq="month")  # type: ignore[arg-type]


def test_wip_counts_items_started_and_not_finished_or_discarded_at_end_of_day(
    timeline: pl.DataFrame,
) -> None:
    result = wip(timeline, start=jan(3), end=jan(9))

    assert result["date"].to_list() == [jan(day) for day in range(3, 10)]
    assert result["wip"].to_list() == [2, 1, 2, 3, 2, 2, 2]


def test_net_flow_per_day_sums_to_the_change_in_wip(timeline: pl.DataFrame) -> None:
    result = net_flow(timeline, start=jan(3), end=jan(9), freq="day")

    assert result.select("arrivals", "departures", "discarded", "net").rows() == [
        (1, 1, 0, 0),
        (0, 1, 0, -1),
        (1, 0, 0, 1),
        (1, 0, 0, 1),
        (0, 0, 1, -1),
        (1, 1, 0, 0),
        (0, 0, 0, 0),
    ]
    before = wip(timeline, start=jan(2), end=jan(2))["wip"][0]
    after = wip(timeline, start=jan(9), end=jan(9))["wip"][0]
    assert result["net"].sum() == after - before


def test_net_flow_per_week(timeline: pl.DataFrame) -> None:
    result = net_flow(timeline, start=jan(3), end=jan(9), freq="week")

    assert result.rows() == [(jan(1), 5, 3, 2, 1, 0), (jan(8), 2, 1, 1, 0, 0)]


def test_work_item_age_counts_the_start_day_and_lists_the_oldest_first() -> None:
    transitions = history(
        (1, "Dev", utc(1, 6)),
        (2, "Dev", utc(12, 20, year=2023)),
        (2, "Review", utc(1, 8)),
        (3, "Dev", utc(1, 9, 23, 30)),  # 10 January in Berlin
        (4, "Dev", utc(1, 2)),
        (4, "Done", utc(1, 3)),
    )
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)

    result = work_item_age(timeline, today=jan(9))

    assert result.select("item_id", "age_days", "current_status", "current_category").rows() == [
        (2, 21, "Review", "waiting"),
        (1, 4, "Dev", "active"),
    ]


def test_work_item_age_of_an_item_started_today_is_one_day(timeline: pl.DataFrame) -> None:
    assert work_item_age(timeline, today=jan(6)).select("item_id", "age_days").rows() == [(4, 1)]


def test_discarded_after_start_lists_only_items_that_had_started(timeline: pl.DataFrame) -> None:
    result = discarded_after_start(timeline, start=jan(3), end=jan(9))

    assert result.select("item_id", "age_at_discard_days", "discarded_date").rows() == [(3, 3, jan(7))]
    assert discarded_after_start(timeline, end=jan(6)).height == 0


def test_sle_is_the_85th_percentile_over_the_window_ending_today() -> None:
    # Finished in the 10-day window 11-20 January: 2, 3, 4, 5 days; item 5 finished before it.
    transitions = history(
        (1, "Dev", utc(1, 10)),
        (1, "Done", utc(1, 11)),
        (2, "Dev", utc(1, 12)),
        (2, "Done", utc(1, 14)),
        (3, "Dev", utc(1, 15)),
        (3, "Done", utc(1, 18)),
        (4, "Dev", utc(1, 16)),
        (4, "Done", utc(1, 20)),
        (5, "Dev", utc(1, 1)),
        (5, "Done", utc(1, 10)),
    )
    timeline = item_timeline(transitions, workflow=WORKFLOW, zone=ZONE)

    assert sle(timeline, today=jan(20), window_days=10) == 5
    assert sle(timeline, today=jan(20), window_days=11) == 10
    assert sle(timeline, today=jan(30), window_days=10) is None
    with pytest.raises(ValueError, match="window_days must be at least 1, got 0"):
        sle(timeline, today=jan(20), window_days=0)


def test_littles_law_check_reports_each_broken_assumption(timeline: pl.DataFrame) -> None:
    check = littles_law_check(timeline, start=jan(3), end=jan(9))

    assert check.days == 7
    assert check.average_wip == 2.0
    assert check.average_throughput_per_day == 3 / 7
    assert check.average_arrival_rate_per_day == 4 / 7
    assert check.average_cycle_time_days == 2.0
    assert check.predicted_cycle_time_days == pytest.approx(2.0 / (3 / 7) + 1)
    assert (check.wip_at_start, check.wip_at_end) == (2, 2)
    assert (check.discarded_after_start, check.aging_beyond_period) == (1, 1)
    assert check.violations == (
        "average arrival rate (0.57/day) differs from departure rate (0.43/day) by more than 10%",
        "1 item was discarded after starting",
        "1 item is aging older than the period (7 days)",
    )


def test_littles_law_check_in_a_steady_period_has_no_violation() -> None:
    # One item a day starts at 09:00 and finishes the next day: WIP 1 at every day's end,
    # throughput 1/day, cycle time 2 days = 1 / 1 + 1.
    rows = []
    for day in range(1, 12):
        rows += [(day, "Dev", utc(1, day, 9)), (day, "Done", utc(1, day + 1, 8))]
    timeline = item_timeline(history(*rows), workflow=WORKFLOW, zone=ZONE)

    check = littles_law_check(timeline, start=jan(3), end=jan(9))

    assert check.average_wip == 1.0
    assert check.average_throughput_per_day == 1.0
    assert check.average_cycle_time_days == 2.0
    assert check.predicted_cycle_time_days == 2.0
    assert check.violations == ()


def test_littles_law_check_with_nothing_finished_says_so() -> None:
    timeline = item_timeline(history((1, "Dev", utc(1, 4)), (2, "Dev", utc(1, 5))), workflow=WORKFLOW, zone=ZONE)

    check = littles_law_check(timeline, start=jan(3), end=jan(9))

    assert check.predicted_cycle_time_days is None
    assert check.average_cycle_time_days is None
    assert check.violations == (
        "average arrival rate (0.29/day) differs from departure rate (0.00/day) by more than 10%",
        "WIP at the end (2) differs from WIP at the start (0) by 2 items",
        "no item finished in the period, so no cycle time can be predicted",
    )


def test_metrics_on_an_empty_timeline_are_empty_or_zero() -> None:
    timeline = item_timeline(history(), workflow=WORKFLOW, zone=ZONE)

    assert throughput(timeline, start=jan(1), end=jan(2))["finished"].to_list() == [0, 0]
    assert wip(timeline, start=jan(1), end=jan(2))["wip"].to_list() == [0, 0]
    assert work_item_age(timeline, today=jan(2)).height == 0
    assert sle(timeline, today=jan(2)) is None
    assert cycle_times(timeline).height == 0
