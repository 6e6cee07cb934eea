"""item_timeline and unknown_statuses on tiny hand-worked histories (DESIGN.md, Flow)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import polars as pl

from deliveryops.analytics.flow import TIMELINE_SCHEMA, item_timeline, unknown_statuses
from tests.analytics.flow_histories import WORKFLOW, ZONE, history, row, utc


def timeline_of(transitions: pl.DataFrame, zone: ZoneInfo = ZONE) -> pl.DataFrame:
    return item_timeline(transitions, workflow=WORKFLOW, zone=zone)


def test_same_day_finish_takes_one_day() -> None:
    transitions = history(
        (1, "Backlog", utc(1, 1, 9)),
        (1, "Dev", utc(1, 3, 9)),
        (1, "Done", utc(1, 3, 17)),
    )

    item = row(timeline_of(transitions), 1)

    assert item["started_at"] == utc(1, 3, 9)
    assert item["finished_at"] == utc(1, 3, 17)
    assert item["started_date"] == date(2024, 1, 3)
    assert item["finished_date"] == date(2024, 1, 3)
    assert item["cycle_time_days"] == 1
    assert item["cycle_time_hours"] == 8.0
    assert item["current_status"] == "Done"
    assert item["current_category"] == "done"
    assert item["current_position"] == 4


def test_move_back_to_backlog_then_restart_starts_at_the_restart() -> None:
    transitions = history(
        (1, "Backlog", utc(1, 1)),
        (1, "Dev", utc(1, 2)),
        (1, "Review", utc(1, 3)),
        (1, "Backlog", utc(1, 4)),
        (1, "Dev", utc(1, 8)),
        (1, "Done", utc(1, 10)),
    )

    item = row(timeline_of(transitions), 1)

    assert item["started_at"] == utc(1, 8)
    assert item["cycle_time_days"] == 3
    assert item["cycle_time_hours"] == 48.0


def test_item_back_in_backlog_is_not_started() -> None:
    transitions = history((1, "Dev", utc(1, 2)), (1, "Backlog", utc(1, 4)))

    item = row(timeline_of(transitions), 1)

    assert item["started_at"] is None
    assert item["finished_at"] is None
    assert item["current_category"] == "backlog"


def test_skipped_stages_start_at_the_first_started_stage_entered() -> None:
    transitions = history((1, "Backlog", utc(1, 1)), (1, "Test", utc(1, 5)), (1, "Done", utc(1, 6)))

    item = row(timeline_of(transitions), 1)

    assert item["started_at"] == utc(1, 5)
    assert item["cycle_time_days"] == 2


def test_done_straight_from_backlog_is_backfilled_to_start_at_its_finish() -> None:
    transitions = history((1, "Backlog", utc(1, 1)), (1, "Done", utc(1, 5, 15)))

    item = row(timeline_of(transitions), 1)

    assert item["started_at"] == utc(1, 5, 15)
    assert item["finished_at"] == utc(1, 5, 15)
    assert item["cycle_time_days"] == 1
    assert item["cycle_time_hours"] == 0.0


def test_done_then_backlog_then_done_is_backfilled_to_the_last_done() -> None:
    transitions = history(
        (1, "Dev", utc(1, 1)),
        (1, "Done", utc(1, 2)),
        (1, "Backlog", utc(1, 3)),
        (1, "Done", utc(1, 9)),
    )

    item = row(timeline_of(transitions), 1)

    assert (item["started_at"], item["finished_at"]) == (utc(1, 9), utc(1, 9))


def test_reopened_item_is_wip_again_until_it_finishes_again() -> None:
    reopened = history((1, "Dev", utc(1, 2)), (1, "Done", utc(1, 5)), (1, "Test", utc(1, 7)))
    finished_again = pl.concat([reopened, history((1, "Done", utc(1, 9)))])

    open_item = row(timeline_of(reopened), 1)
    closed_item = row(timeline_of(finished_again), 1)

    assert open_item["started_at"] == utc(1, 2)
    assert open_item["finished_at"] is None
    assert open_item["cycle_time_days"] is None
    assert closed_item["finished_at"] == utc(1, 9)
    assert closed_item["cycle_time_days"] == 8


def test_moving_between_done_statuses_is_not_a_reopening() -> None:
    transitions = history((1, "Dev", utc(1, 2)), (1, "Done", utc(1, 4)), (1, "Released", utc(1, 6)))

    item = row(timeline_of(transitions), 1)

    assert item["finished_at"] == utc(1, 4)
    assert item["current_status"] == "Released"
    assert item["current_status_since"] == utc(1, 6)


def test_discarded_after_start_has_no_finish_and_no_cycle_time() -> None:
    transitions = history((1, "Backlog", utc(1, 1)), (1, "Dev", utc(1, 2)), (1, "Dropped", utc(1, 6)))

    item = row(timeline_of(transitions), 1)

    assert item["started_at"] == utc(1, 2)
    assert item["discarded_at"] == utc(1, 6)
    assert item["discarded_date"] == date(2024, 1, 6)
    assert item["finished_at"] is None
    assert item["cycle_time_days"] is None
    assert item["cycle_time_hours"] is None


def test_done_then_discarded_counts_as_discarded_only() -> None:
    transitions = history((1, "Dev", utc(1, 2)), (1, "Done", utc(1, 4)), (1, "Dropped", utc(1, 5)))

    item = row(timeline_of(transitions), 1)

    assert item["finished_at"] is None
    assert item["discarded_at"] == utc(1, 5)


def test_discarded_from_backlog_is_never_started() -> None:
    transitions = history((1, "Backlog", utc(1, 1)), (1, "Dropped", utc(1, 3)))

    item = row(timeline_of(transitions), 1)

    assert item["started_at"] is None
    assert item["discarded_at"] == utc(1, 3)


def test_dates_are_in_the_team_time_zone() -> None:
    # 23:30 UTC on 2 January is 00:30 on 3 January in Berlin (UTC+1 in winter);
    # 22:30 UTC on 2 July is 00:30 on 3 July in Berlin (UTC+2 in summer).
    transitions = history(
        (1, "Dev", utc(1, 1, 10)),
        (1, "Done", utc(1, 2, 23, 30)),
        (2, "Dev", utc(7, 1, 10)),
        (2, "Done", utc(7, 2, 22, 30)),
    )

    berlin = timeline_of(transitions)
    in_utc = timeline_of(transitions, zone=ZoneInfo("UTC"))

    assert row(berlin, 1)["finished_date"] == date(2024, 1, 3)
    assert row(berlin, 1)["cycle_time_days"] == 3
    assert row(in_utc, 1)["finished_date"] == date(2024, 1, 2)
    assert row(in_utc, 1)["cycle_time_days"] == 2
    assert row(berlin, 2)["finished_date"] == date(2024, 7, 3)
    assert row(berlin, 1)["cycle_time_hours"] == row(in_utc, 1)["cycle_time_hours"] == 37.5


def test_input_order_does_not_matter() -> None:
    transitions = history(
        (2, "Done", utc(1, 9)),
        (1, "Done", utc(1, 5)),
        (2, "Dev", utc(1, 3)),
        (1, "Dev", utc(1, 2)),
        (2, "Backlog", utc(1, 1)),
    )

    timeline = timeline_of(transitions)

    assert timeline["item_id"].to_list() == [1, 2]
    assert timeline["cycle_time_days"].to_list() == [4, 7]


def test_entries_at_the_same_instant_keep_their_input_order() -> None:
    transitions = history((1, "Dev", utc(1, 2)), (1, "Done", utc(1, 4)), (1, "Test", utc(1, 4)))

    item = row(timeline_of(transitions), 1)

    assert item["current_status"] == "Test"
    assert item["finished_at"] is None


def test_unknown_statuses_are_ignored_and_counted() -> None:
    transitions = history(
        (1, "Dev", utc(1, 2)),
        (1, "Blocked?", utc(1, 3)),
        (1, "Done", utc(1, 4)),
        (2, "Blocked?", utc(1, 3)),
        (3, "Archived", utc(1, 3)),
    )

    timeline = timeline_of(transitions)

    assert timeline["item_id"].to_list() == [1]
    assert row(timeline, 1)["cycle_time_days"] == 3
    assert unknown_statuses(transitions, workflow=WORKFLOW).to_dicts() == [
        {"status": "Blocked?", "transitions": 2, "items": 2},
        {"status": "Archived", "transitions": 1, "items": 1},
    ]


def test_empty_history_gives_an_empty_timeline_with_the_full_schema() -> None:
    timeline = timeline_of(history())

    assert timeline.height == 0
    assert dict(timeline.schema) == TIMELINE_SCHEMA


def test_naive_and_other_zone_datetimes_are_read_as_utc() -> None:
    naive = pl.DataFrame({"item_id": [1, 1], "status": ["Dev", "Done"], "at": [utc(1, 2).replace(tzinfo=None), utc(1, 4)]})
    berlin = history((1, "Dev", utc(1, 2)), (1, "Done", utc(1, 4))).with_columns(pl.col("at").dt.convert_time_zone(ZONE.key))

    assert row(timeline_of(naive), 1)["started_at"] == utc(1, 2)
    assert row(timeline_of(berlin), 1)["started_at"] == utc(1, 2)


def test_items_add_key_title_and_type() -> None:
    items = pl.DataFrame(
        {
            "item_id": [1, 2],
            "key": ["OPS-1", "OPS-2"],
            "title": ["Fix login", "Unused"],
            "item_type": ["Bug", "Story"],
            "created_at": [utc(1, 1), utc(1, 1)],
        }
    )

    timeline = item_timeline(history((1, "Dev", utc(1, 2))), workflow=WORKFLOW, zone=ZONE, items=items)

    assert timeline.select("item_id", "key", "title", "item_type").to_dicts() == [
        {"item_id": 1, "key": "OPS-1", "title": "Fix login", "item_type": "Bug"}
    ]
