"""CSV import formats: the public API of the pure parsers (docs/import-formats.md).

Each parser reads a whole file, validates all of it, and either returns a :class:`ParsedFile` of canonical
records or raises one :class:`ImportFileError` listing every problem (up to 50) with its line and column.

- :func:`parse_stage_dates`: ActionableAgile-compatible stage dates (``ID, Link, Name, <stages>...``);
- :func:`parse_full_history`: one row per status entry, plus an optional blocked-periods file;
- :func:`parse_jira_export`: Jira's CSV export, current state only (history estimated);
- :func:`parse_workflow_file`: ``status, category`` rows in board order.

:func:`detect_format` tells which format a header belongs to; :func:`parse_file` detects and parses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from deliveryops.work.csv_common import (
    MAX_PROBLEMS,
    AmbiguousDateOrderError,
    DateOrder,
    ImportFileError,
    ImportFormat,
    ImportProblem,
    ParsedFile,
)
from deliveryops.work.csv_history import BLOCKED_FILE, BLOCKED_HEADER, HISTORY_HEADER, parse_full_history
from deliveryops.work.csv_jira import (
    JIRA_EXPORT_NOTE,
    JIRA_EXPORT_OPEN_NOTE,
    JIRA_EXPORT_STARTED_STATUS,
    JIRA_HEADER,
    parse_jira_export,
)
from deliveryops.work.csv_stage_dates import (
    DEFAULT_ITEM_TYPE,
    KNOWN_ATTRIBUTES,
    STAGE_DATES_HEADER,
    parse_stage_dates,
)
from deliveryops.work.csv_table import Source, normalize_name, open_table
from deliveryops.work.csv_workflow import WORKFLOW_HEADER, parse_workflow_file, propose_workflow
from deliveryops.work.records import StageCategory, WorkflowStatus

__all__ = [
    "BLOCKED_FILE",
    "DEFAULT_ITEM_TYPE",
    "JIRA_EXPORT_NOTE",
    "JIRA_EXPORT_OPEN_NOTE",
    "JIRA_EXPORT_STARTED_STATUS",
    "KNOWN_ATTRIBUTES",
    "MAX_PROBLEMS",
    "AmbiguousDateOrderError",
    "DateOrder",
    "ImportFileError",
    "ImportFormat",
    "ImportProblem",
    "ParsedFile",
    "Source",
    "detect_format",
    "parse_file",
    "parse_full_history",
    "parse_jira_export",
    "parse_stage_dates",
    "parse_workflow_file",
    "propose_workflow",
    "read_header",
]

_EXAMPLE_HEADERS = {
    ImportFormat.STAGE_DATES: STAGE_DATES_HEADER,
    ImportFormat.FULL_HISTORY: HISTORY_HEADER,
    ImportFormat.BLOCKED_PERIODS: BLOCKED_HEADER,
    ImportFormat.JIRA_EXPORT: JIRA_HEADER,
    ImportFormat.WORKFLOW: WORKFLOW_HEADER,
}


def read_header(data: Source) -> list[str]:
    """The header row of a file (its first non-blank line), as written, for :func:`detect_format`.

    Args:
        data: the file's bytes, its text, or its path.

    Returns:
        The column names, stripped.

    Raises:
        ImportFileError: the file cannot be decoded or is empty.
    """
    return open_table(data, expected_header=HISTORY_HEADER).header


def detect_format(header: Sequence[str]) -> ImportFormat:
    """Which import format a header row belongs to (case, spaces and underscores do not matter).

    Jira export: has "Issue key". Full history: has key, status and entered_at. Blocked periods: has key
    and from. Workflow: has status and category. Stage dates: starts with ID, Link, Name.

    Args:
        header: the column names, e.g. from :func:`read_header`.

    Returns:
        The format; its parser then checks the other columns and names any that are missing.

    Raises:
        ImportFileError: the header matches no format; the message shows each format's header.
    """
    names = [normalize_name(name) for name in header]
    present = set(names)
    if "issue key" in present:
        return ImportFormat.JIRA_EXPORT
    if {"key", "status"} <= present and present & {"entered at", "entered"}:
        return ImportFormat.FULL_HISTORY
    if {"key", "from"} <= present:
        return ImportFormat.BLOCKED_PERIODS
    if {"status", "category"} <= present:
        return ImportFormat.WORKFLOW
    if names[:3] == ["id", "link", "name"]:
        return ImportFormat.STAGE_DATES
    found = ", ".join(f'"{name}"' for name in header) if header else "none"
    expected = "; ".join(f"{kind.value}: {example}" for kind, example in _EXAMPLE_HEADERS.items())
    message = f"cannot tell the file's format from its header (columns found: {found}); expected one of {expected}"
    raise ImportFileError([ImportProblem(1, None, message)])


def parse_file(
    data: Source,
    *,
    zone: ZoneInfo,
    import_format: ImportFormat | str | None = None,
    date_order: DateOrder | str | None = None,
    stages: Sequence[str] | None = None,
    categories: Mapping[str, StageCategory | str] | None = None,
    workflow: Sequence[WorkflowStatus] | None = None,
    blocked: Source | None = None,
    source: str = "csv",
) -> ParsedFile:
    """Parse a file in any import format, detected from its header unless ``import_format`` is given.

    Args:
        data: the file's bytes, its text, or its path.
        zone: the team's time zone, for dates without a time and times without an offset.
        import_format: the format; None detects it with :func:`detect_format`.
        date_order: force day-first or month-first numeric dates; None decides from the whole file.
        stages: stage-dates only: the stage column names in board order (None infers them).
        categories: stage-dates only: stage categories chosen by the user, by stage name.
        workflow: full-history and Jira export: the team's workflow; a status not in it is an error.
        blocked: full-history only: the blocked-periods file.
        source: the ``source`` of the records.

    Returns:
        The parsed file. A workflow file gives no items and its statuses as ``workflow``.

    Raises:
        ImportFileError: every problem in the file; a blocked-periods file on its own is an error
            (it is read together with its full-history file).
    """
    kind = ImportFormat(import_format) if import_format is not None else detect_format(read_header(data))
    if kind is ImportFormat.STAGE_DATES:
        return parse_stage_dates(data, zone=zone, stages=stages, categories=categories, date_order=date_order, source=source)
    if kind is ImportFormat.FULL_HISTORY:
        return parse_full_history(data, zone=zone, blocked=blocked, date_order=date_order, workflow=workflow, source=source)
    if kind is ImportFormat.JIRA_EXPORT:
        return parse_jira_export(data, zone=zone, date_order=date_order, workflow=workflow, source=source)
    if kind is ImportFormat.WORKFLOW:
        statuses = parse_workflow_file(data)
        return ParsedFile(
            format=kind,
            items=[],
            statuses=[status.name for status in statuses],
            workflow=statuses,
            date_order=None,
            date_order_note="",
            row_count=len(statuses),
        )
    message = "a blocked-periods file is read together with its full-history file; upload that file first"
    raise ImportFileError([ImportProblem(None, None, message)])
