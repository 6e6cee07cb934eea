"""Every kind of bad import file gets one error naming the line, the column and what was expected."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from deliveryops.work.csv_dates import zone_named
from deliveryops.work.csv_formats import (
    ImportFileError,
    ImportProblem,
    ParsedFile,
    parse_full_history,
    parse_jira_export,
    parse_stage_dates,
    parse_workflow_file,
)
from deliveryops.work.records import StageCategory, WorkflowStatus

HEADER = "key,type,title,created_at,status,entered_at\n"
ROW = "A,Story,Title,2026-03-01,Backlog,2026-03-01\n"


def message_of(parse: Callable[[], object]) -> str:
    with pytest.raises(ImportFileError) as caught:
        parse()
    return str(caught.value)


def history(text: str | bytes, **options: object) -> ParsedFile:
    return parse_full_history(text, zone=ZoneInfo("UTC"), **options)  # type: ignore[arg-type]


def test_bad_date_names_line_column_and_the_expected_form() -> None:
    text = HEADER + ROW * 5 + "A,Story,Title,2026-03-01,Done,yesterday\n"
    with pytest.raises(ImportFileError) as caught:
        history(text)
    assert str(caught.value) == (
        'line 7, column "entered_at": expected a date like 2026-03-01 or 2026-03-01T09:30:00+01:00, got "yesterday"'
    )
    assert caught.value.problems == [
        ImportProblem(7, "entered_at", 'expected a date like 2026-03-01 or 2026-03-01T09:30:00+01:00, got "yesterday"')
    ]


def test_missing_column_lists_the_columns_found() -> None:
    assert message_of(lambda: history("key,type,title,created_at,status\n" + "A,S,T,2026-03-01,B\n")) == (
        'line 1: missing required column "entered_at"; columns found: "key", "type", "title", "created_at", "status"'
    )


def test_repeated_required_column() -> None:
    text = "key,type,title,created_at,status,entered_at,Status\n" + ROW
    assert message_of(lambda: history(text)) == (
        'line 1, column "status": the column appears 2 times (columns E and G); keep one'
    )


@pytest.mark.parametrize("text", ["", "\n\n", b"", b"\xef\xbb\xbf"])
def test_empty_file(text: str | bytes) -> None:
    assert message_of(lambda: history(text)) == (
        "the file is empty; expected a header row such as: key,type,title,created_at,status,entered_at,parent,labels"
    )


@pytest.mark.parametrize("text", [HEADER, HEADER + "\n,,,,,\n\n"])
def test_header_without_data_rows(text: str) -> None:
    assert message_of(lambda: history(text)) == "the file has a header but no data rows"


def test_empty_key() -> None:
    assert message_of(lambda: history(HEADER + ROW + " ,Story,T,2026-03-01,Backlog,2026-03-01\n")) == (
        'line 3, column "key": expected a key, got an empty value'
    )


def test_empty_status_type_and_dates() -> None:
    text = HEADER + "A,,T,,,\n"
    assert message_of(lambda: history(text)) == (
        "4 problems in the file:\n"
        '- line 2, column "status": expected a status, got an empty value\n'
        '- line 2, column "entered_at": expected a date like 2026-03-01 or 2026-03-01T09:30:00+01:00, '
        "got an empty value\n"
        '- line 2, column "type": expected a type such as Story or Bug, got an empty value\n'
        '- line 2, column "created_at": expected a date like 2026-03-01 or 2026-03-01T09:30:00+01:00, '
        "got an empty value"
    )


def test_status_outside_the_given_workflow() -> None:
    workflow = [WorkflowStatus("Backlog", StageCategory.BACKLOG, 0), WorkflowStatus("Done", StageCategory.DONE, 1)]
    text = HEADER + ROW + "A,Story,Title,2026-03-01,QA,2026-03-02\n"
    assert message_of(lambda: history(text, workflow=workflow)) == (
        'line 3, column "status": expected a status of the workflow (Backlog, Done), got "QA"'
    )


def test_not_utf8() -> None:
    data = (HEADER + ROW + "B,Story,Café,2026-03-01,Backlog,2026-03-01\n").encode("cp1252")
    assert message_of(lambda: history(data)) == (
        'line 3: the file is not UTF-8 text: byte 0xe9 cannot be read; save it as "CSV UTF-8" and try again'
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_accepted_encodings(encoding: str) -> None:
    parsed = history((HEADER + "A,Story,Café,2026-03-01,Backlog,2026-03-01\n").encode(encoding))
    assert parsed.items[0].title == "Café"


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_delimiter_is_detected(delimiter: str) -> None:
    text = (HEADER + 'A,Story,"Title, with comma",2026-03-01,Backlog,2026-03-01 09:30\n').replace(",", delimiter)
    if delimiter != ",":
        text = text.replace(f'"Title{delimiter} with comma"', '"Title, with comma"')
    parsed = history(text)
    assert parsed.items[0].title == "Title, with comma"
    assert parsed.items[0].transitions[0].at.hour == 9


def test_spaces_after_the_delimiter_are_ignored() -> None:
    parsed = history("key, type, title, created_at, status, entered_at\nA, Story, T, 2026-03-01, Backlog, 2026-03-02\n")
    assert parsed.items[0].transitions[0].to_status == "Backlog"


def test_too_many_values_names_the_delimiter() -> None:
    text = HEADER.replace(",", ";") + "A;Story;T;2026-03-01;Backlog;2026-03-01;oops\n"
    assert message_of(lambda: history(text)) == (
        "line 2: found 7 values but the header has 6 columns (columns are separated by semicolons; "
        "quote values that contain the separator)"
    )


def test_trailing_empty_cells_and_short_rows_are_accepted() -> None:
    parsed = history(HEADER + "A,Story,T,2026-03-01,Backlog,2026-03-01,,\nA,Story,T,2026-03-01,Done,2026-03-02\n")
    assert len(parsed.items[0].transitions) == 2


def test_line_numbers_count_lines_inside_quoted_values() -> None:
    text = HEADER + 'A,Story,"two\nlines",2026-03-01,Backlog,2026-03-01\n\nB,Story,T,2026-03-01,Backlog,nope\n'
    assert message_of(lambda: history(text)) == (
        'line 5, column "entered_at": expected a date like 2026-03-01 or 2026-03-01T09:30:00+01:00, got "nope"'
    )


def test_all_problems_are_collected_sorted_by_line_and_capped_at_50() -> None:
    rows = "".join(f"K{n},Story,T,2026-03-01,Backlog,bad{n}\n" for n in range(60))
    with pytest.raises(ImportFileError) as caught:
        history(HEADER + rows + ",Story,T,2026-03-01,Backlog,2026-03-01\n")
    error = caught.value
    assert len(error.problems) == 50
    assert error.omitted_count == 11
    assert [problem.line for problem in error.problems] == list(range(2, 52))
    text = str(error)
    assert text.startswith('61 problems in the file:\n- line 2, column "entered_at": ')
    assert text.endswith("\n- and 11 more")


def test_unknown_time_zone() -> None:
    assert message_of(lambda: zone_named("Europe/Berlim")) == (
        'unknown time zone "Europe/Berlim"; expected an IANA name such as Europe/Berlin or UTC'
    )


def test_blocked_file_problems_name_the_file() -> None:
    blocked = (
        "key,from,to,reason\n"
        "B,2026-03-01,,unknown key\n"
        "A,2026-03-05,2026-03-01,ends before it starts\n"
        ",2026-03-05,,no key\n"
        "A,,,no start\n"
        "A,2026-03-05,soon,bad end\n"
    )
    assert message_of(lambda: history(HEADER + ROW, blocked=blocked)) == (
        "5 problems in the file:\n"
        '- blocked-periods file, line 2, column "key": expected a key of the history file, got "B"\n'
        '- blocked-periods file, line 3, column "to": expected a date on or after "2026-03-05" '
        '(column "from"), got "2026-03-01"\n'
        '- blocked-periods file, line 4, column "key": expected a key, got an empty value\n'
        '- blocked-periods file, line 5, column "from": expected a date like 2026-03-01 or '
        "2026-03-01T09:30:00+01:00, got an empty value\n"
        '- blocked-periods file, line 6, column "to": expected a date like 2026-03-01 or '
        '2026-03-01T09:30:00+01:00, got "soon"'
    )


def test_blocked_file_problems_come_after_the_history_file_problems() -> None:
    text = HEADER + ROW + "B,Story,T,2026-03-01,Backlog,nope\n"
    assert message_of(lambda: history(text, blocked="key,from\nA,2026-03-01\n")) == (
        "2 problems in the file:\n"
        '- line 3, column "entered_at": expected a date like 2026-03-01 or 2026-03-01T09:30:00+01:00, '
        'got "nope"\n'
        '- blocked-periods file, line 1: missing required column "to"; columns found: "key", "from"'
    )


def test_empty_blocked_file() -> None:
    assert message_of(lambda: history(HEADER + ROW, blocked="key,from,to\n")) == (
        "blocked-periods file: the file has a header but no data rows"
    )


def test_stage_dates_duplicate_and_empty_id() -> None:
    text = "ID,Link,Name,Backlog,Done\nA,,x,2026-03-01,\nB,,y,2026-03-01,\nA,,z,2026-03-02,\n,,w,2026-03-02,\n"
    assert message_of(lambda: parse_stage_dates(text, zone=ZoneInfo("UTC"))) == (
        "2 problems in the file:\n"
        '- line 4, column "ID": duplicate ID "A" (first on line 2)\n'
        '- line 5, column "ID": expected an ID, got an empty value'
    )


def test_stage_dates_going_backwards() -> None:
    text = "ID,Link,Name,Backlog,Dev,Done\nA,,x,05/03/2026,,01/03/2026\n"
    assert message_of(lambda: parse_stage_dates(text, zone=ZoneInfo("UTC"), date_order="day_first")) == (
        'line 2, column "Done": expected a date on or after "05/03/2026" (column "Backlog"), got '
        '"01/03/2026": stage dates must not go backwards'
    )


def test_stage_dates_row_without_any_date() -> None:
    text = "ID,Link,Name,Backlog,Done\nA,,x,2026-03-01,\nB,,y,,\n"
    assert message_of(lambda: parse_stage_dates(text, zone=ZoneInfo("UTC"))) == (
        "line 3: expected the date the item entered at least one stage, found no stage date"
    )


def test_stage_dates_wrong_first_columns() -> None:
    assert message_of(lambda: parse_stage_dates("Key,Title,Backlog\nA,x,2026-03-01\n", zone=ZoneInfo("UTC"))) == (
        'line 1: expected the first three columns to be "ID", "Link", "Name" (ActionableAgile\'s stage-dates '
        'format); columns found: "Key", "Title", "Backlog"'
    )


def test_stage_dates_without_stage_columns() -> None:
    assert message_of(lambda: parse_stage_dates("ID,Link,Name,Type\nA,,x,Story\n", zone=ZoneInfo("UTC"))) == (
        'line 1: expected stage columns after "Name", one per workflow stage, holding the date each item '
        'entered it; columns found: "ID", "Link", "Name", "Type"'
    )


def test_stage_dates_missing_chosen_stage() -> None:
    text = "ID,Link,Name,Backlog,Done\nA,,x,2026-03-01,\n"
    assert message_of(lambda: parse_stage_dates(text, zone=ZoneInfo("UTC"), stages=["Backlog", "QA", "Done"])) == (
        'line 1: missing stage column "QA"; columns found: "ID", "Link", "Name", "Backlog", "Done"'
    )


def test_stage_dates_bad_attributes() -> None:
    text = "ID,Link,Name,Backlog,Done,Estimate,Blocked Days\nA,,x,2026-03-01,,big,-1\n"
    assert message_of(lambda: parse_stage_dates(text, zone=ZoneInfo("UTC"))) == (
        "2 problems in the file:\n"
        '- line 2, column "Estimate": expected a number like 3 or 2.5, got "big"\n'
        '- line 2, column "Blocked Days": expected a number of days like 0 or 2.5, got "-1"'
    )


def test_stage_dates_repeated_attribute_column() -> None:
    text = "ID,Link,Name,Backlog,Type,Type\nA,,x,2026-03-01,Story,Bug\n"
    assert message_of(lambda: parse_stage_dates(text, zone=ZoneInfo("UTC"))) == (
        'line 1, column "Type": the column appears 2 times (columns E and F); keep one'
    )


def test_stage_dates_bad_date_in_a_stage_column() -> None:
    text = "ID,Link,Name,Backlog,Done\nA,,x,2026-03-01,2026-03-04\nB,,y,2026-03-02,tomorrow\nC,,z,2026-03-02,\n"
    assert message_of(lambda: parse_stage_dates(text, zone=ZoneInfo("UTC"))) == (
        'line 3, column "Done": expected a date like 2026-03-01 or 2026-03-01T09:30:00+01:00, got "tomorrow"'
    )


def test_workflow_unknown_category_lists_the_allowed_ones() -> None:
    text = "status,category\nBacklog,backlog\nDoing,doing\nbacklog,done\n,active\nDone,\n"
    assert message_of(lambda: parse_workflow_file(text)) == (
        "4 problems in the file:\n"
        '- line 3, column "category": expected a category (one of backlog, active, waiting, done, '
        'discarded), got "doing"\n'
        '- line 4, column "status": duplicate status "backlog" (first on line 2)\n'
        '- line 5, column "status": expected a status name, got an empty value\n'
        '- line 6, column "category": expected a category (one of backlog, active, waiting, done, '
        "discarded), got an empty value"
    )


def test_workflow_missing_columns_and_no_rows() -> None:
    assert message_of(lambda: parse_workflow_file("status\nBacklog\n")) == (
        'line 1: missing required column "category"; columns found: "status"'
    )
    assert message_of(lambda: parse_workflow_file("status,category\n")) == "the file has a header but no data rows"


def test_jira_problems() -> None:
    text = (
        "Issue key,Summary,Issue Type,Status,Created,Resolved\n"
        "A-1,x,Bug,Done,02/Mar/26 9:15 AM,01/Mar/26 9:15 AM\n"
        "A-2,y,,To Do,,\n"
        "A-1,z,Bug,,02/Mar/26 9:15 AM,someday\n"
        ",w,Bug,Done,02/Mar/26 9:15 AM,\n"
    )
    assert message_of(lambda: parse_jira_export(text, zone=ZoneInfo("UTC"))) == (
        "7 problems in the file:\n"
        '- line 2, column "Resolved": expected a date on or after "02/Mar/26 9:15 AM" (column "Created"), '
        'got "01/Mar/26 9:15 AM"\n'
        '- line 3, column "Issue Type": expected an issue type such as Story or Bug, got an empty value\n'
        '- line 3, column "Created": expected a date like 2026-03-01 or 2026-03-01T09:30:00+01:00, '
        "got an empty value\n"
        '- line 4, column "Issue key": duplicate issue key "A-1" (first on line 2)\n'
        '- line 4, column "Status": expected a status, got an empty value\n'
        '- line 4, column "Resolved": expected a date like 2026-03-01 or 2026-03-01T09:30:00+01:00, '
        'got "someday"\n'
        '- line 5, column "Issue key": expected an issue key, got an empty value'
    )


def test_jira_missing_columns() -> None:
    assert message_of(lambda: parse_jira_export("Issue key,Summary,Status\nA-1,x,Done\n", zone=ZoneInfo("UTC"))) == (
        "2 problems in the file:\n"
        '- line 1: missing required column "Issue Type"; columns found: "Issue key", "Summary", "Status"\n'
        '- line 1: missing required column "Created"; columns found: "Issue key", "Summary", "Status"'
    )
