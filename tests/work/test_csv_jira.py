"""Jira's CSV export: repeated columns, estimated transitions, parents and the workflow."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from deliveryops.work.csv_formats import JIRA_EXPORT_STARTED_STATUS, parse_jira_export
from deliveryops.work.records import StageCategory, TransitionRecord, WorkflowStatus

STARTED = JIRA_EXPORT_STARTED_STATUS


def utc(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_repeated_labels_and_sprint_columns_are_all_read() -> None:
    text = (
        "Issue key,Summary,Issue Type,Status,Created,Labels,Sprint,Labels,Sprint,Labels\n"
        "A-1,x,Story,To Do,2026-03-01 09:00,backend,S1,api,S2,\n"
        "A-2,y,Story,To Do,2026-03-01 09:00,,,,,\n"
    )
    first, second = parse_jira_export(text, zone=ZoneInfo("UTC")).items
    assert first.labels == ("backend", "api")
    assert first.extra == {"sprints": "S1; S2"}
    assert (second.labels, second.extra) == ((), {})


def test_transitions_are_estimated_from_created_and_resolved() -> None:
    text = (
        "Issue key,Summary,Issue Type,Status,Created,Resolved\n"
        "A-1,x,Story,Done,01/Mar/26 9:15 AM,04/Mar/26 5:30 PM\n"
        "A-2,y,Bug,In Progress,02/Mar/26 10:00 AM,\n"
    )
    parsed = parse_jira_export(text, zone=ZoneInfo("UTC"))
    resolved, open_item = parsed.items
    assert resolved.transitions == (
        TransitionRecord(STARTED, utc(1, 9, 15), None),
        TransitionRecord("Done", utc(4, 17, 30), STARTED),
    )
    assert open_item.transitions == (TransitionRecord("In Progress", utc(2, 10), None),)
    assert resolved.history_is_estimated
    assert open_item.history_is_estimated
    assert parsed.workflow is None  # no "Status Category" column
    assert parsed.statuses == [STARTED, "Done", "In Progress"]
    assert parsed.notes == [
        "No history: cycle times are estimated from Created and Resolved.",
        "Unresolved issues are placed in their current status from the day they were created.",
        "Times without a UTC offset, and dates without a time (read as 00:00), are in UTC.",
    ]


def test_without_resolved_items_there_is_no_started_status() -> None:
    text = "Issue key,Summary,Issue Type,Status,Created\nA-1,x,Story,To Do,2026-03-01\n"
    assert parse_jira_export(text, zone=ZoneInfo("UTC")).statuses == ["To Do"]


def test_parent_id_epic_link_and_story_point_estimate() -> None:
    text = (
        "Issue key,Issue id,Summary,Issue Type,Status,Created,Parent,Custom field (Epic Link),"
        "Custom field (Story point estimate)\n"
        "A-1,100,Epic,Epic,To Do,2026-03-01,,,\n"
        "A-2,101,x,Story,To Do,2026-03-01,100,,5\n"
        "A-3,102,y,Story,To Do,2026-03-01,999,,\n"
        "A-4,103,z,Story,To Do,2026-03-01,,A-1,0.5\n"
        "A-5,104,w,Story,To Do,2026-03-01,OTHER-7,,\n"
    )
    items = parse_jira_export(text, zone=ZoneInfo("UTC")).items
    assert [item.parent_key for item in items] == [None, "A-1", "999", "A-1", "OTHER-7"]
    assert [item.estimate for item in items] == [None, 5.0, None, 0.5, None]


def test_given_workflow_gets_the_started_status_before_the_first_started_status() -> None:
    workflow = [
        WorkflowStatus("To Do", StageCategory.BACKLOG, 10),
        WorkflowStatus("Doing", StageCategory.ACTIVE, 20),
        WorkflowStatus("Done", StageCategory.DONE, 30),
    ]
    text = "Issue key,Summary,Issue Type,Status,Created,Resolved\nA-1,x,Story,Done,2026-03-01,2026-03-02\n"
    assert parse_jira_export(text, zone=ZoneInfo("UTC"), workflow=workflow).workflow == [
        WorkflowStatus("To Do", StageCategory.BACKLOG, 0),
        WorkflowStatus(STARTED, StageCategory.ACTIVE, 1),
        WorkflowStatus("Doing", StageCategory.ACTIVE, 2),
        WorkflowStatus("Done", StageCategory.DONE, 3),
    ]


def test_given_workflow_without_started_statuses() -> None:
    workflow = [WorkflowStatus("Open", StageCategory.BACKLOG, 0), WorkflowStatus("Closed", StageCategory.DONE, 1)]
    text = "Issue key,Summary,Issue Type,Status,Created,Resolved\nA-1,x,Story,Closed,2026-03-01,2026-03-02\n"
    assert [status.name for status in parse_jira_export(text, zone=ZoneInfo("UTC"), workflow=workflow).workflow or []] == [
        "Open",
        STARTED,
        "Closed",
    ]


def test_local_times_use_the_team_time_zone() -> None:
    text = "Issue key,Summary,Issue Type,Status,Created,Resolved\nA-1,x,Story,Done,28/Mar/26 11:30 PM,29/Mar/26 11:30 PM\n"
    item = parse_jira_export(text, zone=ZoneInfo("Europe/Berlin")).items[0]
    assert [step.at for step in item.transitions] == [utc(28, 22, 30), utc(29, 21, 30)]
