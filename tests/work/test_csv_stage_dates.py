"""The stage-dates format: which columns are stages, attributes, and the proposed workflow."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from deliveryops.work.csv_formats import DEFAULT_ITEM_TYPE, parse_stage_dates, propose_workflow
from deliveryops.work.records import StageCategory, WorkflowStatus


def utc(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def test_stages_end_at_a_known_attribute_even_if_it_holds_dates() -> None:
    text = "ID,Link,Name,To Do,Doing,Done,Parent,Release\nA,,x,2026-03-01,2026-03-02,,2026-03-09,2026-03-10\n"
    parsed = parse_stage_dates(text, zone=ZoneInfo("UTC"))
    assert parsed.statuses == ["To Do", "Doing", "Done"]  # Done is empty but still a stage
    item = parsed.items[0]
    assert item.parent_key == "2026-03-09"
    assert item.extra == {"Release": "2026-03-10"}


def test_stages_end_at_a_column_that_is_mostly_not_dates() -> None:
    text = (
        "ID,Link,Name,To Do,Done,Team Notes,Class of Service\n"
        "A,,x,2026-03-01,2026-03-05,needs review,Expedite\n"
        "B,,y,2026-03-02,,2026-03-03,Standard\n"
        "C,,z,2026-03-02,,see A,Standard\n"
    )
    parsed = parse_stage_dates(text, zone=ZoneInfo("UTC"))
    assert parsed.statuses == ["To Do", "Done"]
    assert [item.extra for item in parsed.items] == [
        {"class_of_service": "Expedite", "Team Notes": "needs review"},
        {"class_of_service": "Standard", "Team Notes": "2026-03-03"},
        {"class_of_service": "Standard", "Team Notes": "see A"},
    ]


def test_attributes_map_to_record_fields() -> None:
    text = (
        "ID,Link,Name,Backlog,Done,Type,Labels,Labels,Parent,Estimate,Resolution\n"
        'A,https://x/A,Title A,2026-03-01,2026-03-03,,a;b,c|a,EPIC-1,"2,5",Fixed\n'
        "B,,Title B,2026-03-01,,Bug,,,,,\n"
    )
    first, second = parse_stage_dates(text, zone=ZoneInfo("UTC")).items
    assert (first.item_type, first.labels, first.parent_key, first.estimate, first.resolution, first.url) == (
        DEFAULT_ITEM_TYPE,
        ("a", "b", "c"),
        "EPIC-1",
        2.5,
        "Fixed",
        "https://x/A",
    )
    assert (second.item_type, second.labels, second.parent_key, second.estimate, second.resolution) == (
        "Bug",
        (),
        None,
        None,
        None,
    )
    assert second.extra == {}


def test_chosen_stages_and_categories() -> None:
    text = "ID,Link,Name,Backlog,Dev,Wait,Done,Gone\nA,,x,2026-03-01,2026-03-02,2026-03-03,2026-03-04,\n"
    parsed = parse_stage_dates(
        text,
        zone=ZoneInfo("UTC"),
        stages=["backlog", "Dev", "Wait", "Done", "Gone"],
        categories={"Wait": StageCategory.WAITING, "Gone": "discarded", "Done": "done"},
    )
    assert parsed.statuses == ["Backlog", "Dev", "Wait", "Done", "Gone"]
    assert parsed.workflow == [
        WorkflowStatus("Backlog", StageCategory.BACKLOG, 0),
        WorkflowStatus("Dev", StageCategory.ACTIVE, 1),
        WorkflowStatus("Wait", StageCategory.WAITING, 2),
        WorkflowStatus("Done", StageCategory.DONE, 3),
        WorkflowStatus("Gone", StageCategory.DISCARDED, 4),
    ]
    assert [step.to_status for step in parsed.items[0].transitions] == ["Backlog", "Dev", "Wait", "Done"]


def test_chosen_stages_leave_other_columns_as_attributes() -> None:
    text = "ID,Link,Name,Backlog,Done,Reviewed\nA,,x,2026-03-01,2026-03-04,2026-03-03\n"
    parsed = parse_stage_dates(text, zone=ZoneInfo("UTC"), stages=["Backlog", "Done"])
    assert parsed.items[0].extra == {"Reviewed": "2026-03-03"}
    assert parsed.transition_count == 2


def test_propose_workflow_defaults() -> None:
    assert propose_workflow(["Done"]) == [WorkflowStatus("Done", StageCategory.DONE, 0)]
    assert propose_workflow(["Open", "Closed"]) == [
        WorkflowStatus("Open", StageCategory.BACKLOG, 0),
        WorkflowStatus("Closed", StageCategory.DONE, 1),
    ]


def test_semicolon_file_with_times_in_the_team_time_zone() -> None:
    text = "ID;Link;Name;Backlog;Done\nA;;x;28.03.2026 23:30;29.03.2026 03:15\n"
    parsed = parse_stage_dates(text, zone=ZoneInfo("Europe/Berlin"), date_order="day_first")
    assert [step.at for step in parsed.items[0].transitions] == [
        datetime(2026, 3, 28, 22, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 15, tzinfo=UTC),
    ]
    assert parsed.items[0].created_at == datetime(2026, 3, 28, 22, 30, tzinfo=UTC)


def test_counts_and_source() -> None:
    text = "ID,Link,Name,Backlog,Done\nA,,x,2026-03-01,2026-03-02\n\nB,,y,2026-03-01,\n"
    parsed = parse_stage_dates(text, zone=ZoneInfo("UTC"), source="actionable-agile")
    assert (parsed.row_count, parsed.item_count, parsed.transition_count) == (2, 2, 3)
    assert {item.source for item in parsed.items} == {"actionable-agile"}
    assert parsed.items[1].transitions[0].at == utc(3, 1)


def test_two_differently_named_columns_for_one_field_use_the_first() -> None:
    text = "ID,Link,Name,Backlog,Parent,Epic,Story Points,Estimate\nA,,x,2026-03-01,P-1,E-1,3,5\n"
    item = parse_stage_dates(text, zone=ZoneInfo("UTC")).items[0]
    assert (item.parent_key, item.estimate, item.extra) == ("P-1", 3.0, {"Epic": "E-1", "Estimate": "5"})
