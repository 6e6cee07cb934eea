"""The full-history format: grouping rows into items, ordering transitions, blocked periods."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from deliveryops.work.csv_formats import parse_full_history
from deliveryops.work.records import BlockedIntervalRecord, TransitionRecord


def utc(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_item_fields_come_from_the_first_non_empty_value_of_its_rows() -> None:
    text = (
        "key,type,title,created_at,status,entered_at,parent,labels\n"
        "A,,,,Backlog,2026-03-02,,\n"
        "B,Bug,Bee,2026-03-01,Backlog,2026-03-01,,x\n"
        "A,Story,First,2026-03-01,Dev,2026-03-03,EPIC-1,a|b\n"
        "A,Task,Second,2026-02-01,Done,2026-03-04,EPIC-2,c\n"
    )
    parsed = parse_full_history(text, zone=ZoneInfo("UTC"))
    first, second = parsed.items
    assert (first.external_key, first.item_type, first.title, first.created_at) == ("A", "Story", "First", utc(1))
    assert (first.parent_key, first.labels) == ("EPIC-1", ("a", "b"))
    assert second.external_key == "B"
    assert parsed.statuses == ["Backlog", "Dev", "Done"]


def test_transitions_are_sorted_by_time_and_ties_keep_file_order() -> None:
    text = (
        "key,type,title,created_at,status,entered_at\n"
        "A,Story,T,2026-03-01,Done,2026-03-05\n"
        "A,Story,T,2026-03-01,Backlog,2026-03-01\n"
        "A,Story,T,2026-03-01,Dev,2026-03-03T10:00\n"
        "A,Story,T,2026-03-01,Review,2026-03-03T10:00\n"
    )
    assert parse_full_history(text, zone=ZoneInfo("UTC")).items[0].transitions == (
        TransitionRecord("Backlog", utc(1), None),
        TransitionRecord("Dev", utc(3, 10), "Backlog"),
        TransitionRecord("Review", utc(3, 10), "Dev"),
        TransitionRecord("Done", utc(5), "Review"),
    )


def test_optional_columns_and_unused_columns_note() -> None:
    text = (
        "Key,Type,Summary,Created,Status,Entered,Estimate,Resolution,URL,Assignee,Sprint\n"
        "A,Story,T,2026-03-01,Done,2026-03-02,3,Done,https://x/A,someone,S1\n"
    )
    parsed = parse_full_history(text, zone=ZoneInfo("UTC"))
    item = parsed.items[0]
    assert (item.title, item.estimate, item.resolution, item.url) == ("T", 3.0, "Done", "https://x/A")
    assert parsed.notes == [
        "Times without a UTC offset, and dates without a time (read as 00:00), are in UTC.",
        'Columns not used: "Assignee", "Sprint".',
    ]


def test_blocked_intervals_are_sorted_and_reason_is_optional() -> None:
    text = "key,type,title,created_at,status,entered_at\nA,Story,T,2026-03-01,Dev,2026-03-01\n"
    blocked = "key,from,to\nA,2026-03-09,\nA,2026-03-02 10:00,2026-03-03\n"
    parsed = parse_full_history(text, zone=ZoneInfo("UTC"), blocked=blocked)
    assert parsed.items[0].blocked_intervals == (
        BlockedIntervalRecord(utc(2, 10), utc(3), ""),
        BlockedIntervalRecord(utc(9), None, ""),
    )
    assert parsed.blocked_interval_count == 2


def test_many_rows_with_repeated_dates() -> None:
    rows = "".join(
        f"K{n},Story,T,2026-03-01,{status},2026-03-0{day}\n"
        for n in range(500)
        for day, status in ((1, "Backlog"), (2, "Dev"), (3, "Done"))
    )
    parsed = parse_full_history("key,type,title,created_at,status,entered_at\n" + rows, zone=ZoneInfo("UTC"))
    assert (parsed.row_count, parsed.item_count, parsed.transition_count) == (1500, 500, 1500)
    assert parsed.items[499].transitions[-1] == TransitionRecord("Done", utc(3), "Dev")


def test_preferred_column_name_wins_over_an_alias() -> None:
    text = "key,type,title,created_at,status,entered_at,epic,parent\nA,Story,T,2026-03-01,Backlog,2026-03-01,E-1,P-1\n"
    assert parse_full_history(text, zone=ZoneInfo("UTC")).items[0].parent_key == "P-1"
