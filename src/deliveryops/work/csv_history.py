"""The full-history format (one row per status entry) and its optional blocked-periods file."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from deliveryops.work.csv_common import (
    DateOrder,
    ImportFileError,
    ImportFormat,
    ParsedFile,
    ProblemLog,
    garbage_collection_paused,
)
from deliveryops.work.csv_dates import DATE_EXAMPLES, DateReader
from deliveryops.work.csv_table import Source, no_rows_problem, open_table, parse_number, split_labels
from deliveryops.work.records import BlockedIntervalRecord, TransitionRecord, WorkflowStatus, WorkItemRecord

HISTORY_HEADER = "key,type,title,created_at,status,entered_at,parent,labels"
BLOCKED_HEADER = "key,from,to,reason"
BLOCKED_FILE = "blocked-periods file"
EMPTY_DATE = f"expected a date like {DATE_EXAMPLES}, got an empty value"

_USED_COLUMNS = {
    "key", "type", "item type", "issue type", "title", "summary", "created at", "created", "status",
    "entered at", "entered", "parent", "parent key", "epic", "labels", "label", "estimate",
    "story points", "resolution", "url", "link",
}  # fmt: skip


class _Columns(NamedTuple):
    """Indexes of the item-level columns (None: the optional column is absent)."""

    type: int
    title: int
    created: int
    parent: int | None
    estimate: int | None
    resolution: int | None
    url: int | None
    labels: list[int]


class _Item:
    """What the rows of one key say, before dates are converted."""

    __slots__ = (
        "created",
        "created_line",
        "entries",
        "estimate",
        "incomplete",
        "labels",
        "line",
        "parent",
        "resolution",
        "title",
        "type",
        "url",
    )

    def __init__(self, line: int) -> None:
        self.line = line
        self.type = self.title = self.parent = self.estimate = self.resolution = self.url = ""
        self.created: str | None = None
        self.created_line = line
        self.labels: list[str] = []
        self.entries: list[tuple[str, str, int]] = []  # (entered_at text, status, line)
        self.incomplete = True

    def fill(self, row: list[str], line: int, columns: _Columns) -> str | None:
        """Take the item-level values still missing from ``row``; ``incomplete`` says if some still are.

        Returns:
            The created_at text when this row provided it.
        """
        created = None
        if self.created is None and row[columns.created].strip():
            self.created = created = row[columns.created]
            self.created_line = line
        if not self.type:
            self.type = row[columns.type].strip()
        if not self.title:
            self.title = row[columns.title].strip()
        complete = bool(self.created and self.type and self.title)
        for name in ("parent", "estimate", "resolution", "url"):
            index = getattr(columns, name)
            if index is not None and not getattr(self, name):
                value = row[index].strip()
                setattr(self, name, value)
                complete = complete and bool(value)
        if columns.labels and not self.labels:
            cells = [row[index] for index in columns.labels]
            if any(cell.strip() for cell in cells):
                self.labels = cells
            else:
                complete = False
        self.incomplete = not complete
        return created


@garbage_collection_paused
def parse_full_history(
    data: Source,
    *,
    tz: str | ZoneInfo,
    blocked: Source | None = None,
    date_order: DateOrder | str | None = None,
    workflow: Sequence[WorkflowStatus] | None = None,
    source: str = "csv",
) -> ParsedFile:
    """Read a full-history file: one row per entry of an item into a status.

    Rows are grouped by ``key``; an item's type, title, created_at, parent, labels, estimate, resolution
    and url are the first non-empty value among its rows, so later rows may leave them empty.

    Args:
        data: the history file's bytes, its text, or its path.
        tz: the team's time zone: dates without a time are 00:00 there, times without offset are local.
        blocked: an optional blocked-periods file (``key, from, to, reason``).
        date_order: force day-first or month-first numeric dates; None decides from both files together.
        workflow: the team's workflow, if known: a status not in it is an error.
        source: the ``source`` of the records.

    Returns:
        The items with their transitions sorted by time (``from_status`` filled) and blocked intervals,
        and the statuses in order of first appearance in the file.

    Raises:
        ImportFileError: every problem in the files; :class:`AmbiguousDateOrderError` when numeric
            dates could be either order.
    """
    table = open_table(data, expected_header=HISTORY_HEADER)
    log = ProblemLog()
    key_column = table.require(log, "key", "key")
    type_column = table.require(log, "type", "type", "item type", "issue type")
    title_column = table.require(log, "title", "title", "summary")
    created_column = table.require(log, "created_at", "created at", "created")
    status_column = table.require(log, "status", "status")
    entered_column = table.require(log, "entered_at", "entered at", "entered")
    parent_column = table.optional(log, "parent", "parent key", "epic")
    estimate_column = table.optional(log, "estimate", "story points")
    resolution_column = table.optional(log, "resolution")
    url_column = table.optional(log, "url", "link")
    log.raise_if_any()
    # The log raised if a required column was missing: these narrow the types for mypy.
    assert key_column is not None
    assert type_column is not None
    assert title_column is not None
    assert created_column is not None
    assert status_column is not None
    assert entered_column is not None

    columns = _Columns(
        type_column,
        title_column,
        created_column,
        parent_column,
        estimate_column,
        resolution_column,
        url_column,
        table.columns("labels", "label"),
    )
    reader = DateReader(tz, date_order)
    values = reader.values
    header = table.header
    key_header, status_header = header[key_column], header[status_column]
    created_header, entered_header = header[created_column], header[entered_column]
    known_statuses = {status.name for status in workflow} if workflow is not None else None
    statuses: dict[str, None] = {}
    items: dict[str, _Item] = {}
    for line, row in table.rows(log):
        key = row[key_column].strip()
        if not key:
            log.add(line, key_header, "expected a key, got an empty value")
            continue
        item = items.get(key)
        if item is None:
            item = items[key] = _Item(line)
        if item.incomplete:
            created = item.fill(row, line, columns)
            if created is not None and created not in values:
                reader.see(created, line, created_header)
        status = row[status_column].strip()
        if not status:
            log.add(line, status_header, "expected a status, got an empty value")
        elif status not in statuses:
            statuses[status] = None
            if known_statuses is not None and status not in known_statuses:
                log.add(
                    line,
                    status_header,
                    f'expected a status of the workflow ({", ".join(sorted(known_statuses))}), got "{status}"',
                )
        entered = row[entered_column]
        if entered not in values:
            if not entered.strip():
                log.add(line, entered_header, EMPTY_DATE)
                continue
            reader.see(entered, line, entered_header)
        item.entries.append((entered, status, line))
    if not table.row_count and not log:
        raise ImportFileError([no_rows_problem(table)])

    blocked_log = ProblemLog(BLOCKED_FILE)
    pending = _read_blocked(blocked, items, reader, blocked_log) if blocked is not None else []
    reader.decide(log, blocked_log)
    blocked_intervals = _blocked_intervals(pending, reader, blocked_log)

    records = []
    transition_count = blocked_count = 0
    estimate_header = header[estimate_column] if estimate_column is not None else ""
    resolved = reader.resolved
    for key, item in items.items():
        if not item.type:
            log.add(item.line, header[type_column], "expected a type such as Story or Bug, got an empty value")
        if item.created is None:
            log.add(item.line, created_header, EMPTY_DATE)
            continue
        created_at = resolved[item.created]
        if isinstance(created_at, str):
            log.add(item.created_line, created_header, created_at)
            continue
        timed = []
        for text, status, line in item.entries:
            at = resolved[text]
            if isinstance(at, str):
                log.add(line, entered_header, at)
            else:
                timed.append((at, status))
        timed.sort(key=itemgetter(0))  # stable: entries at the same time keep their file order
        transitions = []
        from_status = None
        for at, status in timed:
            transitions.append(TransitionRecord(status, at, from_status))
            from_status = status
        transition_count += len(transitions)
        estimate = None
        if item.estimate:
            estimate = parse_number(item.estimate)
            if estimate is None:
                log.add(item.line, estimate_header, f'expected a number like 3 or 2.5, got "{item.estimate}"')
        intervals = blocked_intervals.get(key, [])
        blocked_count += len(intervals)
        records.append(
            WorkItemRecord(
                source=source,
                external_key=key,
                item_type=item.type,
                title=item.title,
                created_at=created_at,
                transitions=tuple(transitions),
                blocked_intervals=tuple(sorted(intervals, key=lambda interval: interval.start)),
                parent_key=item.parent or None,
                labels=split_labels(item.labels),
                estimate=estimate,
                resolution=item.resolution or None,
                url=item.url or None,
            )
        )
    log.raise_if_any(blocked_log)
    notes = reader.zone_notes()
    unused = [name for name, key in zip(table.header, table.keys, strict=True) if key not in _USED_COLUMNS]
    if unused:
        notes.append("Columns not used: " + ", ".join(f'"{name}"' for name in unused) + ".")
    return ParsedFile(
        format=ImportFormat.FULL_HISTORY,
        items=records,
        statuses=list(statuses),
        workflow=list(workflow) if workflow is not None else None,
        date_order=reader.order,
        date_order_note=reader.order_note(),
        notes=notes,
        row_count=table.row_count,
        item_count=len(records),
        transition_count=transition_count,
        blocked_interval_count=blocked_count,
    )


class _PendingInterval(NamedTuple):
    """A blocked-periods row whose dates are not converted yet."""

    key: str
    start: str
    end: str
    reason: str
    line: int
    start_column: str
    end_column: str


def _read_blocked(data: Source, items: dict[str, _Item], reader: DateReader, log: ProblemLog) -> list[_PendingInterval]:
    """First pass over the blocked-periods file: check the keys and see every date text."""
    table = open_table(data, expected_header=BLOCKED_HEADER, file=BLOCKED_FILE)
    key_column = table.require(log, "key", "key")
    from_column = table.require(log, "from", "from", "start")
    to_column = table.require(log, "to", "to", "end")
    reason_column = table.optional(log, "reason")
    if log:
        return []
    assert key_column is not None
    assert from_column is not None
    assert to_column is not None
    header = table.header
    pending = []
    for line, row in table.rows(log):
        key = row[key_column].strip()
        if not key:
            log.add(line, header[key_column], "expected a key, got an empty value")
        elif key not in items:
            log.add(line, header[key_column], f'expected a key of the history file, got "{key}"')
        start, end = row[from_column], row[to_column]
        if not start.strip():
            log.add(line, header[from_column], EMPTY_DATE)
            continue
        for text, column in ((start, from_column), (end, to_column)):
            if text.strip() and text not in reader.values:
                reader.see(text, line, header[column], BLOCKED_FILE)
        reason = row[reason_column].strip() if reason_column is not None else ""
        pending.append(_PendingInterval(key, start, end, reason, line, header[from_column], header[to_column]))
    if not table.row_count and not log:
        log.add(None, None, no_rows_problem(table).message)
    return pending


def _blocked_intervals(
    pending: list[_PendingInterval], reader: DateReader, log: ProblemLog
) -> dict[str, list[BlockedIntervalRecord]]:
    """Second pass over the blocked-periods file: convert dates; no period may end before it starts."""
    intervals: dict[str, list[BlockedIntervalRecord]] = {}
    for row in pending:
        start = reader.get(row.start)
        end = reader.get(row.end) if row.end.strip() else None
        if isinstance(start, str):
            log.add(row.line, row.start_column, start)
        if isinstance(end, str):
            log.add(row.line, row.end_column, end)
        if isinstance(start, str) or isinstance(end, str):
            continue
        if end is not None and end < start:
            log.add(
                row.line,
                row.end_column,
                f'expected a date on or after "{row.start.strip()}" (column "{row.start_column}"), got "{row.end.strip()}"',
            )
            continue
        intervals.setdefault(row.key, []).append(BlockedIntervalRecord(start, end, row.reason))
    return intervals
