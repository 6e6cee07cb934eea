"""The full-history format (one row per status entry) and its optional blocked-periods file.

Two entry points share one reader:

- :func:`parse_full_history` returns every item in memory (previews, tests, small files);
- :func:`stream_full_history` validates the whole file first, then yields the items again in bounded
  memory, for :func:`deliveryops.work.importing.import_records` to write batch by batch.

How the file is read (bounded memory apart from the file's text and one small entry per key):

1. Scan: the rows are streamed once in file order; every row-level problem is logged, every date
   cell an item uses is parsed once to decide the day/month order over the whole file, and only the
   set of keys (for the blocked-periods file and to tell whether rows are grouped) and the set of keys
   whose created_at was found are kept. The cache of parsed dates is emptied whenever it holds
   :data:`_DATE_CACHE` texts: it only saves re-parsing repeated texts. Then the blocked-periods file is
   read and the date order decided, as before.
2. Items: the rows are streamed again, grouped by key, and each batch of :data:`_BATCH_ITEMS` items
   is converted (its dates with a fresh date reader forced to the decided order) and checked: this
   logs the item-level problems (empty type or created_at, bad dates, estimates). A full-history
   export lists an item's rows together; such a file is cut into items where the key changes. When
   some key comes back after other keys (scattered rows), the rows are first partitioned by a hash of
   the key into temporary bucket files of about :data:`_BUCKET_CHARS` characters each, and each bucket
   is grouped in memory in turn; the in-memory parse groups them in a dict instead, as before.
3. Import (streaming only): once no problem was found, step 2 runs again and yields the records;
   nothing is written before the whole file has been read and found valid.

The problems and notes are those of the former one-pass reader: row-level problems are logged in
file order and item-level ones in item order. Items come in order of first appearance, except in a
streamed file with scattered rows (bucket order); with more than 1,000 problems the ones kept for the
message may then differ. Local times moved by a daylight-saving change are counted once per distinct
(stripped) text.
"""

from __future__ import annotations

import csv
import tempfile
import zlib
from collections.abc import Container, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from deliveryops.schemas import is_web_url
from deliveryops.work.csv_common import (
    DateOrder,
    ImportFileError,
    ImportFormat,
    ParsedFile,
    ProblemLog,
    check_title,
    garbage_collection_paused,
)
from deliveryops.work.csv_dates import DATE_EXAMPLES, DateReader
from deliveryops.work.csv_table import Source, Table, decode, no_rows_problem, parse_number, split_labels
from deliveryops.work.records import BlockedIntervalRecord, TransitionRecord, WorkflowStatus, WorkItemRecord

HISTORY_HEADER = "key,type,title,created_at,status,entered_at,parent,labels"
BLOCKED_HEADER = "key,from,to,reason"
BLOCKED_FILE = "blocked-periods file"
EMPTY_DATE = f"expected a date like {DATE_EXAMPLES}, got an empty value"

_DATE_CACHE = 50_000
"""The scan empties its cache of parsed date texts when it holds this many."""
_BATCH_ITEMS = 1_000
"""Items whose rows are held and whose dates are converted together."""
_BUCKET_CHARS = 4 * 2**20
"""A file with scattered rows is partitioned into buckets of about this many characters."""
_MAX_BUCKETS = 512

_Rows = list[tuple[int, list[str]]]

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


class _ClockChanges:
    """Local times moved by a daylight-saving change, each distinct text once, shared by the readers of one file."""

    __slots__ = ("gap", "repeated")

    def __init__(self) -> None:
        self.gap: dict[str, None] = {}
        self.repeated: dict[str, None] = {}


class _Reader(DateReader):
    """A :class:`DateReader` whose notes count each moved local time once, across cache resets and readers."""

    def __init__(self, zone: ZoneInfo, date_order: DateOrder | str | None, changes: _ClockChanges) -> None:
        super().__init__(zone, date_order)
        self._changes = changes

    def _utc(self, parsed: datetime, text: str) -> datetime:
        value = super()._utc(parsed, text)
        if self._gap:
            self._changes.gap.update(dict.fromkeys(self._gap))
            self._gap.clear()
        if self._repeated:
            self._changes.repeated.update(dict.fromkeys(self._repeated))
            self._repeated.clear()
        return value

    def zone_notes(self) -> list[str]:
        self._gap, self._repeated = list(self._changes.gap), list(self._changes.repeated)
        try:
            return super().zone_notes()
        finally:
            self._gap, self._repeated = [], []


@garbage_collection_paused
def _paused_list(records: Iterator[WorkItemRecord]) -> list[WorkItemRecord]:
    return list(records)


class _Scan(NamedTuple):
    """What the first pass over the rows keeps."""

    keys: set[str]
    grouped: bool
    statuses: list[str]
    row_count: int


class _History:
    """One full-history file (and its blocked-periods file) being read; see the module docstring."""

    def __init__(
        self,
        data: Source,
        *,
        zone: ZoneInfo,
        blocked: Source | None,
        date_order: DateOrder | str | None,
        workflow: Sequence[WorkflowStatus] | None,
        source: str,
    ) -> None:
        self.text = decode(data)
        table = Table(self.text, expected_header=HISTORY_HEADER)
        log = self.log = ProblemLog()
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
        self.table = table
        self.key_column, self.status_column, self.entered_column = key_column, status_column, entered_column
        self.columns = _Columns(
            type_column,
            title_column,
            created_column,
            parent_column,
            estimate_column,
            resolution_column,
            url_column,
            table.columns("labels", "label"),
        )
        header = table.header
        self.type_header, self.created_header, self.entered_header = (
            header[type_column],
            header[created_column],
            header[entered_column],
        )
        self.estimate_header = header[estimate_column] if estimate_column is not None else ""
        self.url_header = header[url_column] if url_column is not None else ""
        self.title_header = header[title_column]
        self.zone = zone
        self.source = source
        self.workflow = workflow
        self.changes = _ClockChanges()
        self.reader = _Reader(zone, date_order, self.changes)
        self.scan = self._scan(workflow)
        self.blocked_log = ProblemLog(BLOCKED_FILE)
        reader = self.reader
        pending = _read_blocked(blocked, self.scan.keys, reader, self.blocked_log) if blocked is not None else []
        reader.decide(log, self.blocked_log)
        self.blocked_intervals = _blocked_intervals(pending, reader, self.blocked_log)
        self.transition_count = self.blocked_count = self.item_count = 0

    def _scan(self, workflow: Sequence[WorkflowStatus] | None) -> _Scan:
        """Pass 1: log the row-level problems and see every date an item uses, keeping only the keys."""
        table, log, reader = self.table, self.log, self.reader
        values = reader.values
        header = table.header
        key_column, status_column, entered_column = self.key_column, self.status_column, self.entered_column
        created_column = self.columns.created
        key_header, status_header = header[key_column], header[status_column]
        created_header, entered_header = self.created_header, self.entered_header
        known_statuses = {status.name for status in workflow} if workflow is not None else None
        statuses: dict[str, None] = {}
        keys: set[str] = set()
        with_created: set[str] = set()  # keys whose created_at was found (the first non-empty one counts)
        grouped = True
        current = None
        for line, row in table.rows(log):
            key = row[key_column].strip()
            if not key:
                log.add(line, key_header, "expected a key, got an empty value")
                continue
            if key != current:
                if key in keys:
                    grouped = False
                keys.add(key)
                current = key
            if len(values) >= _DATE_CACHE:
                values.clear()
            if key not in with_created:
                created = row[created_column]
                if created.strip():
                    with_created.add(key)
                    if created not in values:
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
        if not table.row_count and not log:
            raise ImportFileError([no_rows_problem(table)])
        return _Scan(keys, grouped, list(statuses), table.row_count)

    def _rows(self) -> Iterator[tuple[str, int, list[str]]]:
        """The rows with a key, as ``(key, line, cells)``, read again (their problems were logged by the scan)."""
        table = Table(self.text, expected_header=HISTORY_HEADER)
        key_column = self.key_column
        for line, row in table.rows(ProblemLog()):
            key = row[key_column].strip()
            if key:
                yield key, line, row

    def groups(self, *, in_memory: bool) -> Iterator[tuple[str, _Rows]]:
        """The rows of each item, in file order, as ``(key, [(line, cells), ...])``.

        Args:
            in_memory: group scattered rows in a dict (item order: first appearance) instead of bucket files.

        Yields:
            One pair per key.
        """
        if self.scan.grouped:
            current = ""
            rows: _Rows = []
            for key, line, row in self._rows():
                if key != current:
                    if rows:
                        yield current, rows
                    current, rows = key, []
                rows.append((line, row))
            if rows:
                yield current, rows
        elif in_memory:
            items: dict[str, _Rows] = {}
            for key, line, row in self._rows():
                items.setdefault(key, []).append((line, row))
            yield from items.items()
        else:
            yield from self._bucket_groups()

    def _bucket_groups(self) -> Iterator[tuple[str, _Rows]]:
        """Scattered rows: partition them into bucket files by a hash of the key, then group each bucket."""
        count = max(2, min(_MAX_BUCKETS, len(self.text) // _BUCKET_CHARS + 1))
        with tempfile.TemporaryDirectory(prefix="deliveryops-import-") as directory:
            paths = [Path(directory) / f"bucket-{number}.csv" for number in range(count)]
            handles = [path.open("w", encoding="utf-8", newline="") for path in paths]
            try:
                writers = [csv.writer(handle) for handle in handles]
                for key, line, row in self._rows():
                    writers[zlib.crc32(key.encode()) % count].writerow([line, *row])
            finally:
                for handle in handles:
                    handle.close()
            key_column = self.key_column
            for path in paths:
                items: dict[str, _Rows] = {}
                with path.open(encoding="utf-8", newline="") as handle:
                    for cells in csv.reader(handle):
                        row = cells[1:]
                        items.setdefault(row[key_column].strip(), []).append((int(cells[0]), row))
                path.unlink()
                yield from items.items()
                del items

    def records(self, groups: Iterable[tuple[str, _Rows]], log: ProblemLog) -> Iterator[WorkItemRecord]:
        """Passes 2 and 3: convert the items batch by batch, logging item-level problems.

        Args:
            groups: the rows of each item (see :meth:`groups`).
            log: where problems go.

        Yields:
            The valid items; :attr:`item_count`, :attr:`transition_count` and :attr:`blocked_count` count them.
        """
        self.transition_count = self.blocked_count = self.item_count = 0
        iterator = iter(groups)
        while batch := list(islice(iterator, _BATCH_ITEMS)):
            # Converted with the cyclic collector paused (see garbage_collection_paused), one batch at a time.
            yield from _paused_list(self._batch_records(batch, log))

    def _batch_records(self, batch: list[tuple[str, _Rows]], log: ProblemLog) -> Iterator[WorkItemRecord]:
        columns = self.columns
        status_column, entered_column = self.status_column, self.entered_column
        created_header, entered_header = self.created_header, self.entered_header
        reader = _Reader(self.zone, self.reader.order, self.changes)
        values = reader.values
        items = []
        for key, rows in batch:
            item = _Item(rows[0][0])
            for line, row in rows:
                if item.incomplete:
                    created = item.fill(row, line, columns)
                    if created is not None and created not in values:
                        reader.see(created, line, created_header)
                entered = row[entered_column]
                if entered not in values:
                    if not entered.strip():
                        continue
                    reader.see(entered, line, entered_header)
                item.entries.append((entered, row[status_column].strip(), line))
            items.append((key, item))
        del batch
        reader.decide()
        resolved = reader.resolved
        blocked_intervals = self.blocked_intervals
        for key, item in items:
            if not item.type:
                log.add(item.line, self.type_header, "expected a type such as Story or Bug, got an empty value")
            check_title(log, item.line, self.title_header, item.title)
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
            self.transition_count += len(transitions)
            estimate = None
            if item.estimate:
                estimate = parse_number(item.estimate)
                if estimate is None:
                    log.add(item.line, self.estimate_header, f'expected a number like 3 or 2.5, got "{item.estimate}"')
            url = item.url or None
            if url is not None and not is_web_url(url):
                log.add(item.line, self.url_header, f"expected a web address starting with http:// or https://, got {url[:40]!r}")
                url = None
            intervals = blocked_intervals.get(key, [])
            self.blocked_count += len(intervals)
            self.item_count += 1
            yield WorkItemRecord(
                source=self.source,
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
                url=url,
            )

    def parsed(self, items: list[WorkItemRecord]) -> ParsedFile:
        """The file's description once every item was read (``items``: empty when they are streamed)."""
        reader, table = self.reader, self.table
        notes = reader.zone_notes()
        unused = [name for name, key in zip(table.header, table.keys, strict=True) if key not in _USED_COLUMNS]
        if unused:
            notes.append("Columns not used: " + ", ".join(f'"{name}"' for name in unused) + ".")
        return ParsedFile(
            format=ImportFormat.FULL_HISTORY,
            items=items,
            statuses=self.scan.statuses,
            workflow=list(self.workflow) if self.workflow is not None else None,
            date_order=reader.order,
            date_order_note=reader.order_note(),
            notes=notes,
            row_count=self.scan.row_count,
            item_count=self.item_count,
            transition_count=self.transition_count,
            blocked_interval_count=self.blocked_count,
        )


@garbage_collection_paused
def parse_full_history(
    data: Source,
    *,
    zone: ZoneInfo,
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
        zone: the team's time zone: dates without a time are 00:00 there, times without offset are local.
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
    history = _History(data, zone=zone, blocked=blocked, date_order=date_order, workflow=workflow, source=source)
    records = list(history.records(history.groups(in_memory=True), history.log))
    history.log.raise_if_any(history.blocked_log)
    return history.parsed(records)


class HistoryStream(NamedTuple):
    """A validated full-history file: its description (``parsed.items`` is empty) and its items, streamed."""

    parsed: ParsedFile
    records: Iterable[WorkItemRecord]


class _StreamedRecords:
    """The items of a validated file, read again from its text each time they are iterated."""

    def __init__(self, history: _History) -> None:
        self._history = history

    def __iter__(self) -> Iterator[WorkItemRecord]:
        history = self._history
        return history.records(history.groups(in_memory=False), ProblemLog())


@garbage_collection_paused
def stream_full_history(
    data: Source,
    *,
    zone: ZoneInfo,
    blocked: Source | None = None,
    date_order: DateOrder | str | None = None,
    workflow: Sequence[WorkflowStatus] | None = None,
    source: str = "csv",
) -> HistoryStream:
    """Validate a whole full-history file, then give its items as a stream, in bounded memory.

    Same arguments, problems and description as :func:`parse_full_history`, but the items are not kept:
    ``records`` reads them again, batch by batch, each time it is iterated (see the module docstring).

    Args:
        data: the history file's bytes, its text, or its path.
        zone: the team's time zone.
        blocked: an optional blocked-periods file.
        date_order: force day-first or month-first numeric dates; None decides from both files together.
        workflow: the team's workflow, if known: a status not in it is an error.
        source: the ``source`` of the records.

    Returns:
        The description (counts, statuses, notes; no items) and the re-iterable items.

    Raises:
        ImportFileError: every problem in the files, before any item is given.
    """
    history = _History(data, zone=zone, blocked=blocked, date_order=date_order, workflow=workflow, source=source)
    for _ in history.records(history.groups(in_memory=False), history.log):
        pass
    history.log.raise_if_any(history.blocked_log)
    return HistoryStream(history.parsed([]), _StreamedRecords(history))


class _PendingInterval(NamedTuple):
    """A blocked-periods row whose dates are not converted yet."""

    key: str
    start: str
    end: str
    reason: str
    line: int
    start_column: str
    end_column: str


def _read_blocked(data: Source, items: Container[str], reader: DateReader, log: ProblemLog) -> list[_PendingInterval]:
    """First pass over the blocked-periods file: check the keys and see every date text."""
    table = Table(decode(data, file=BLOCKED_FILE), expected_header=BLOCKED_HEADER, file=BLOCKED_FILE)
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
