"""Imports take what the API takes: no NUL characters, titles of at most 500 characters; bad dates name their line."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from deliveryops.work.csv_common import MAX_TITLE_LENGTH, ImportFileError
from deliveryops.work.csv_formats import parse_file

STAGES = "ID,Link,Name,Backlog,Development,Done,Type,Blocked Days,Labels\n"
HISTORY = "key,type,title,created_at,status,entered_at,parent,labels\n"
JIRA = "Issue key,Issue id,Summary,Issue Type,Status,Created,Resolved,Labels,Labels\n"
LONG = "x" * 100_000


def _problems(text: str) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(ImportFileError) as refused:
        parse_file(text.encode(), zone=ZoneInfo("UTC"))
    return [(p.line, p.column, p.message) for p in refused.value.problems]


@pytest.mark.parametrize(
    ("text", "column"),
    [
        (
            STAGES
            + f"A-1,,One,2026-01-01,2026-01-02,2026-01-03,Story,0,\nA-2,,{LONG},2026-01-01,2026-01-02,2026-01-03,Story,0,\n",
            "Name",
        ),
        (HISTORY + f"A-1,Story,One,2026-01-01,Todo,2026-01-01,,\nA-2,Story,{LONG},2026-01-01,Todo,2026-01-01,,\n", "title"),
        (JIRA + f"A-1,1,One,Story,Done,2026-01-01,2026-01-03,,\nA-2,2,{LONG},Story,Done,2026-01-01,2026-01-03,,\n", "Summary"),
    ],
)
def test_a_title_over_the_limit_is_refused_on_its_line(text: str, column: str) -> None:
    assert _problems(text) == [(3, column, f"a title is at most {MAX_TITLE_LENGTH} characters, got 100,000")]


def test_a_title_at_the_limit_is_taken() -> None:
    title = "y" * MAX_TITLE_LENGTH
    parsed = parse_file((STAGES + f"A-1,,{title},2026-01-01,2026-01-02,2026-01-03,Story,0,\n").encode(), zone=ZoneInfo("UTC"))
    assert [record.title for record in parsed.items] == [title]


def test_nul_characters_are_refused_with_their_line() -> None:
    text = STAGES + "A-1,,One,2026-01-01,2026-01-02,2026-01-03,Story,0,\nA-2,,T\x00wo,2026-01-01,2026-01-02,2026-01-03,Story,0,\n"
    text += "A-3,,Th\x00r\x00ee,2026-01-01,2026-01-02,2026-01-03,Story,0,\nA-4,,F\x00,2026-01-01,2026-01-02,2026-01-03,Story,0,\n"
    [(line, column, message)] = _problems(text)
    assert (line, column) == (3, None)
    assert message.startswith("the file contains a NUL character (byte 0x00), which is not text (and 2 more lines)")


def test_a_date_valid_in_neither_order_is_reported_on_its_line() -> None:
    text = STAGES + "A-1,,One,01/02/2026,03/02/2026,05/02/2026,Story,0,\nA-2,,Two,01/02/2026,31/31/2026,05/02/2026,Story,0,\n"
    problems = _problems(text)
    assert (3, "Development", 'expected a date like 2026-03-01 or 2026-03-01T09:30:00+01:00, got "31/31/2026"') in problems
