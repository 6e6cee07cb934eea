"""The documented example files in docs/examples parse to exactly the documented records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from deliveryops.work.csv_formats import (
    JIRA_EXPORT_NOTE,
    JIRA_EXPORT_STARTED_STATUS,
    DateOrder,
    ImportFileError,
    ImportFormat,
    detect_format,
    parse_file,
    parse_full_history,
    parse_jira_export,
    parse_stage_dates,
    parse_workflow_file,
    read_header,
)
from deliveryops.work.records import (
    BlockedIntervalRecord,
    StageCategory,
    TransitionRecord,
    WorkflowStatus,
    WorkItemRecord,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
BERLIN = ZoneInfo("Europe/Berlin")
STARTED = JIRA_EXPORT_STARTED_STATUS


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def steps(item: WorkItemRecord) -> list[tuple[str | None, str, datetime]]:
    return [(step.from_status, step.to_status, step.at) for step in item.transitions]


def test_stage_dates_example() -> None:
    parsed = parse_stage_dates(EXAMPLES / "stage-dates.csv", zone=BERLIN)

    assert parsed.format is ImportFormat.STAGE_DATES
    assert [item.external_key for item in parsed.items] == [f"OPS-10{n}" for n in range(1, 9)]
    assert parsed.statuses == ["Backlog", "Analysis", "Development", "Review", "Done"]
    assert parsed.workflow == [
        WorkflowStatus("Backlog", StageCategory.BACKLOG, 0),
        WorkflowStatus("Analysis", StageCategory.ACTIVE, 1),
        WorkflowStatus("Development", StageCategory.ACTIVE, 2),
        WorkflowStatus("Review", StageCategory.ACTIVE, 3),
        WorkflowStatus("Done", StageCategory.DONE, 4),
    ]
    assert parsed.date_order is DateOrder.DAY_FIRST
    assert parsed.date_order_note == ('Dates read as day-first (DD/MM/YYYY), decided by line 4, column "Review": 17/03/2026')
    assert (parsed.row_count, parsed.item_count, parsed.transition_count) == (8, 8, 31)
    first, second = parsed.items[0], parsed.items[1]
    # 02/03/2026 is 00:00 in Berlin (UTC+1), so 23:00 UTC the day before.
    assert first == WorkItemRecord(
        source="csv",
        external_key="OPS-101",
        item_type="Story",
        title="Export flow data as CSV",
        created_at=utc(3, 1, 23),
        transitions=(
            TransitionRecord("Backlog", utc(3, 1, 23), None),
            TransitionRecord("Analysis", utc(3, 2, 23), "Backlog"),
            TransitionRecord("Development", utc(3, 3, 23), "Analysis"),
            TransitionRecord("Review", utc(3, 8, 23), "Development"),
            TransitionRecord("Done", utc(3, 9, 23), "Review"),
        ),
        labels=("export",),
        url="https://tracker.example/OPS-101",
        extra={"blocked_days": "0"},
    )
    # A skipped stage (Analysis) gives no transition; Review and Done on the same day keep stage order.
    assert steps(second) == [
        (None, "Backlog", utc(3, 1, 23)),
        ("Backlog", "Development", utc(3, 4, 23)),
        ("Development", "Review", utc(3, 5, 23)),
        ("Review", "Done", utc(3, 5, 23)),
    ]
    assert second.labels == ("charts", "time zones")
    assert parsed.items[3].labels == ("import", "jira")
    assert parsed.items[2].extra == {"blocked_days": "2.5"}
    # 30/03/2026 is after the change to summer time (UTC+2).
    assert steps(parsed.items[5])[-1] == ("Analysis", "Development", utc(3, 29, 22))
    assert steps(parsed.items[6]) == [(None, "Backlog", utc(3, 23, 23))]
    assert parsed.items[7].url is None
    assert parsed.items[7].item_type == "Spike"


def test_full_history_example_with_blocked_periods_and_workflow() -> None:
    workflow = parse_workflow_file(EXAMPLES / "workflow.csv")
    parsed = parse_full_history(
        EXAMPLES / "full-history.csv",
        zone=BERLIN,
        blocked=EXAMPLES / "blocked-periods.csv",
        workflow=workflow,
    )

    assert parsed.format is ImportFormat.FULL_HISTORY
    assert [item.external_key for item in parsed.items] == [f"OPS-20{n}" for n in range(1, 7)]
    assert parsed.statuses == ["Backlog", "Development", "Done", "Review", "Discarded"]
    assert parsed.workflow == workflow
    assert parsed.date_order is None
    assert parsed.date_order_note == "Dates read as ISO 8601 (year-month-day), e.g. 2026-03-02T09:15:00+01:00"
    assert parsed.notes == [
        "Times without a UTC offset, and dates without a time (read as 00:00), are in Europe/Berlin.",
        "1 local time(s) do not exist in Europe/Berlin (clocks went forward), e.g. 2026-03-29T02:30: "
        "moved forward by the length of the gap.",
    ]
    assert (parsed.row_count, parsed.item_count, parsed.transition_count) == (20, 6, 20)
    assert parsed.blocked_interval_count == 3
    by_key = {item.external_key: item for item in parsed.items}
    first = by_key["OPS-201"]
    assert first.created_at == utc(3, 2, 8, 15)
    assert (first.item_type, first.title, first.parent_key, first.labels) == (
        "Story",
        "Export flow data as CSV",
        "OPS-200",
        ("export",),
    )
    assert steps(first) == [
        (None, "Backlog", utc(3, 2, 8, 15)),
        ("Backlog", "Development", utc(3, 4, 9)),
        ("Development", "Done", utc(3, 10, 15, 30)),
    ]
    assert first.blocked_intervals == (BlockedIntervalRecord(utc(3, 5, 13), utc(3, 6, 9), "Waiting for data access approval"),)
    # Rows out of time order are sorted; Z times are UTC.
    assert steps(by_key["OPS-202"]) == [
        (None, "Backlog", utc(3, 1, 23)),
        ("Backlog", "Development", utc(3, 5, 8)),
        ("Development", "Done", utc(3, 6, 17, 45)),
    ]
    assert by_key["OPS-202"].labels == ("charts", "time zones")
    assert by_key["OPS-203"].labels == ("forecast", "charts")
    assert [step.to_status for step in by_key["OPS-203"].transitions] == [
        "Backlog",
        "Development",
        "Review",
        "Done",
        "Development",
        "Done",
    ]
    assert by_key["OPS-203"].blocked_intervals == (
        BlockedIntervalRecord(utc(3, 11, 23), utc(3, 15, 23), "Test environment down"),
    )
    # 02:30 on 2026-03-29 does not exist in Berlin: read as 03:30 summer time = 01:30 UTC.
    assert steps(by_key["OPS-204"])[-1] == ("Backlog", "Development", utc(3, 29, 1, 30))
    assert by_key["OPS-205"].blocked_intervals == (BlockedIntervalRecord(utc(3, 31, 7), None, "Needs a decision from product"),)
    assert steps(by_key["OPS-206"])[-1] == ("Review", "Discarded", utc(3, 26, 23))


def test_jira_export_example() -> None:
    parsed = parse_jira_export(EXAMPLES / "jira-export.csv", zone=BERLIN)

    assert parsed.format is ImportFormat.JIRA_EXPORT
    assert [item.external_key for item in parsed.items] == [f"OPS-30{n}" for n in range(7)]
    assert all(item.history_is_estimated for item in parsed.items)
    assert parsed.notes[0] == JIRA_EXPORT_NOTE == "No history: cycle times are estimated from Created and Resolved."
    assert parsed.date_order_note == "Dates read with English month names, e.g. 01/Mar/26 9:00 AM"
    assert parsed.statuses == [STARTED, "In Progress", "Done", "In Review", "To Do", "Won't Do"]
    assert parsed.workflow == [
        WorkflowStatus("To Do", StageCategory.BACKLOG, 0),
        WorkflowStatus(STARTED, StageCategory.ACTIVE, 1),
        WorkflowStatus("In Progress", StageCategory.ACTIVE, 2),
        WorkflowStatus("In Review", StageCategory.ACTIVE, 3),
        WorkflowStatus("Done", StageCategory.DONE, 4),
        WorkflowStatus("Won't Do", StageCategory.DONE, 5),
    ]
    assert (parsed.row_count, parsed.item_count, parsed.transition_count) == (7, 7, 10)
    by_key = {item.external_key: item for item in parsed.items}
    story = by_key["OPS-301"]
    assert story == WorkItemRecord(
        source="csv",
        external_key="OPS-301",
        item_type="Story",
        title="Export flow data as CSV",
        created_at=utc(3, 2, 8, 15),
        transitions=(
            TransitionRecord(STARTED, utc(3, 2, 8, 15), None),
            TransitionRecord("Done", utc(3, 10, 15, 30), STARTED),
        ),
        parent_key="OPS-300",  # Jira writes the parent's issue id, 10300
        labels=("export",),
        estimate=3.0,
        resolution="Done",
        history_is_estimated=True,
        extra={"issue_id": "10301", "priority": "Medium", "sprints": "Sprint 12"},
    )
    assert by_key["OPS-302"].labels == ("charts", "time-zones")
    assert by_key["OPS-303"].extra["sprints"] == "Sprint 12; Sprint 13"
    assert steps(by_key["OPS-303"]) == [(None, "In Review", utc(3, 3, 10))]
    assert steps(by_key["OPS-305"]) == [(None, "To Do", utc(3, 24, 11, 5))]
    # 12:00 AM is midnight.
    assert steps(by_key["OPS-306"]) == [(None, STARTED, utc(3, 9, 23)), (STARTED, "Won't Do", utc(3, 27, 9))]


def test_workflow_example() -> None:
    assert parse_workflow_file(EXAMPLES / "workflow.csv") == [
        WorkflowStatus("Backlog", StageCategory.BACKLOG, 0),
        WorkflowStatus("Analysis", StageCategory.ACTIVE, 1),
        WorkflowStatus("Development", StageCategory.ACTIVE, 2),
        WorkflowStatus("Review", StageCategory.WAITING, 3),
        WorkflowStatus("Done", StageCategory.DONE, 4),
        WorkflowStatus("Discarded", StageCategory.DISCARDED, 5),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("stage-dates.csv", ImportFormat.STAGE_DATES),
        ("full-history.csv", ImportFormat.FULL_HISTORY),
        ("blocked-periods.csv", ImportFormat.BLOCKED_PERIODS),
        ("jira-export.csv", ImportFormat.JIRA_EXPORT),
        ("workflow.csv", ImportFormat.WORKFLOW),
    ],
)
def test_detect_format_of_each_example(name: str, expected: ImportFormat) -> None:
    assert detect_format(read_header(EXAMPLES / name)) is expected


def test_detect_format_ignores_case_spaces_and_underscores() -> None:
    assert detect_format(["KEY", "Status", "Entered At"]) is ImportFormat.FULL_HISTORY
    assert detect_format(["id", "link", "name", "Done"]) is ImportFormat.STAGE_DATES
    assert detect_format(["issue_key", "Summary"]) is ImportFormat.JIRA_EXPORT


def test_detect_format_unknown_header() -> None:
    with pytest.raises(ImportFileError) as caught:
        detect_format(["Ticket", "When"])
    assert str(caught.value) == (
        'line 1: cannot tell the file\'s format from its header (columns found: "Ticket", "When"); '
        "expected one of stage-dates: ID,Link,Name,Backlog,Development,Done,Type,Blocked Days,Labels; "
        "full-history: key,type,title,created_at,status,entered_at,parent,labels; "
        "blocked-periods: key,from,to,reason; "
        "jira-export: Issue key,Issue id,Summary,Issue Type,Status,Created,Resolved,Labels,Labels; "
        "workflow: status,category"
    )


def test_parse_file_detects_each_format() -> None:
    assert parse_file(EXAMPLES / "stage-dates.csv", zone=BERLIN).format is ImportFormat.STAGE_DATES
    assert parse_file(EXAMPLES / "jira-export.csv", zone=BERLIN).item_count == 7
    history = parse_file(EXAMPLES / "full-history.csv", zone=BERLIN, blocked=EXAMPLES / "blocked-periods.csv")
    assert history.blocked_interval_count == 3
    workflow = parse_file(EXAMPLES / "workflow.csv", zone=BERLIN)
    assert (workflow.format, workflow.items, workflow.row_count) == (ImportFormat.WORKFLOW, [], 6)
    assert workflow.statuses == ["Backlog", "Analysis", "Development", "Review", "Done", "Discarded"]


def test_parse_file_refuses_a_blocked_periods_file_alone() -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_file(EXAMPLES / "blocked-periods.csv", zone=BERLIN)
    assert str(caught.value) == ("a blocked-periods file is read together with its full-history file; upload that file first")


def test_parse_file_with_a_given_format_reads_bytes() -> None:
    data = (EXAMPLES / "full-history.csv").read_bytes()
    parsed = parse_file(data, zone=ZoneInfo("UTC"), import_format="full-history")
    assert parsed.items[0].created_at == utc(3, 2, 8, 15)
    assert parsed.items[1].created_at == utc(3, 2)


def test_every_csv_example_in_the_documentation_parses() -> None:
    document = (EXAMPLES.parent / "import-formats.md").read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0] for block in document.split("```csv\n")[1:]]
    assert len(blocks) == 5
    stage_dates, history, blocked, jira, workflow = blocks
    parsed = parse_file(stage_dates, zone=BERLIN)
    assert parsed.date_order_note == ('Dates read as day-first (DD/MM/YYYY), decided by line 4, column "Review": 17/03/2026')
    assert steps(parsed.items[1]) == [
        (None, "Backlog", utc(3, 1, 23)),
        ("Backlog", "Development", utc(3, 4, 23)),
        ("Development", "Review", utc(3, 5, 23)),
        ("Review", "Done", utc(3, 5, 23)),
    ]
    history_items = parse_file(history, zone=BERLIN).items
    assert history_items[0].transitions[1].at == utc(3, 4, 9)
    assert [step.at for step in history_items[1].transitions] == [utc(3, 1, 23), utc(3, 5, 8), utc(3, 6, 17, 45)]
    assert detect_format(read_header(blocked)) is ImportFormat.BLOCKED_PERIODS
    jira_items = parse_file(jira, zone=BERLIN).items
    assert steps(jira_items[1]) == [(None, STARTED, utc(3, 2, 8, 15)), (STARTED, "Done", utc(3, 10, 15, 30))]
    assert jira_items[1].parent_key == "OPS-300"
    assert jira_items[2].labels == ("charts", "time-zones")
    assert parse_file(workflow, zone=BERLIN).statuses == ["Backlog", "Development", "Review", "Done", "Discarded"]
