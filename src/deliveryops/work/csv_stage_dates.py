"""The stage-dates format, compatible with ActionableAgile's CSV.

``ID, Link, Name``, then one column per workflow stage in board order holding the date the item entered
that stage (empty: the stage was skipped), then optional attribute columns (Type, Blocked Days, Labels...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from deliveryops.schemas import is_web_url
from deliveryops.work.csv_common import (
    DateOrder,
    ImportFileError,
    ImportFormat,
    ImportProblem,
    ParsedFile,
    ProblemLog,
    check_title,
    garbage_collection_paused,
)
from deliveryops.work.csv_dates import DateReader
from deliveryops.work.csv_table import (
    Source,
    Table,
    no_rows_problem,
    normalize_name,
    open_table,
    parse_number,
    split_labels,
)
from deliveryops.work.csv_workflow import propose_workflow
from deliveryops.work.records import StageCategory, TransitionRecord, WorkItemRecord

STAGE_DATES_HEADER = "ID,Link,Name,Backlog,Development,Done,Type,Blocked Days,Labels"
DEFAULT_ITEM_TYPE = "Item"
"""The type of an item whose file has no Type column, or whose Type cell is empty."""

# Attribute columns we map to record fields; any other attribute column is kept in ``extra``.
_ATTRIBUTE_FIELDS = {
    "type": "type",
    "item type": "type",
    "issue type": "type",
    "work item type": "type",
    "labels": "labels",
    "label": "labels",
    "tags": "labels",
    "parent": "parent",
    "parent key": "parent",
    "epic": "parent",
    "epic link": "parent",
    "estimate": "estimate",
    "story points": "estimate",
    "points": "estimate",
    "resolution": "resolution",
    "blocked days": "blocked_days",
    "class of service": "class_of_service",
}
KNOWN_ATTRIBUTES = frozenset({*_ATTRIBUTE_FIELDS, "priority", "team", "size", "component", "components", "sprint", "release"})
"""Normalized names that end the stage columns when the stages are inferred."""


def _infer_stage_columns(table: Table, rows: list[tuple[int, list[str]]]) -> list[int]:
    """The stage columns: consecutive columns after Name, up to a known attribute or a non-date column.

    A column is a stage column when it is empty or when at least half of its non-empty cells are dates; its
    other cells are then reported as bad dates rather than silently ending the stages.
    """
    probe = DateReader(ZoneInfo("UTC"))
    stage_columns = []
    for index in range(3, table.width):
        if table.keys[index] in KNOWN_ATTRIBUTES:
            break
        dates = texts = 0
        for line, row in rows:
            text = row[index]
            if text.strip():
                texts += 1
                if text not in probe.values:
                    probe.see(text, line, table.header[index])
                if not isinstance(probe.values[text], str):
                    dates += 1
        if dates * 2 < texts:
            break
        stage_columns.append(index)
    return stage_columns


def _attribute_fields(table: Table, attributes: list[int], log: ProblemLog) -> dict[str, list[int]]:
    """The attribute columns by record field ("" for those kept in ``extra``).

    A field read from two differently named columns (Parent and Epic) uses the first; the other is kept
    in ``extra``. The same name twice is an error, except for labels (Jira repeats its Labels column).
    """
    fields: dict[str, list[int]] = {}
    for index in attributes:
        field = _ATTRIBUTE_FIELDS.get(table.keys[index], "")
        others = fields.get(field, [])
        if field not in ("", "labels") and others and table.keys[others[0]] != table.keys[index]:
            field = ""
        fields.setdefault(field, []).append(index)
    for field, indexes in fields.items():
        if field not in ("", "labels"):
            table.single(log, indexes)
    return fields


def _chosen_stage_columns(table: Table, stages: Sequence[str], log: ProblemLog) -> list[int]:
    columns = []
    for stage in stages:
        indexes = [index for index in table.columns(normalize_name(stage)) if index >= 3]
        if not indexes:
            log.add(
                table.header_line,
                None,
                f'missing stage column "{stage}"; columns found: {table.found_columns()}',
            )
        elif table.single(log, indexes):
            columns.append(indexes[0])
    return columns


@garbage_collection_paused
def parse_stage_dates(
    data: Source,
    *,
    zone: ZoneInfo,
    stages: Sequence[str] | None = None,
    categories: Mapping[str, StageCategory | str] | None = None,
    date_order: DateOrder | str | None = None,
    source: str = "csv",
) -> ParsedFile:
    """Read a stage-dates file (ActionableAgile's CSV format).

    Args:
        data: the file's bytes, its text, or its path.
        zone: the team's time zone: dates without a time are 00:00 there, times without offset are local.
        stages: the stage column names in board order (e.g. from the team's workflow); None infers them.
        categories: stage categories chosen by the user, by stage name, replacing the proposal's defaults.
        date_order: force day-first or month-first numeric dates; None decides from the whole file.
        source: the ``source`` of the records.

    Returns:
        The items (one transition per stage with a date, in stage order), the stage names and a proposed
        workflow (first stage backlog, last done, the others active, unless ``categories`` says otherwise).

    Raises:
        ImportFileError: every problem in the file; :class:`AmbiguousDateOrderError` when numeric dates
            could be either order.
    """
    table = open_table(data, expected_header=STAGE_DATES_HEADER)
    log = ProblemLog()
    if table.keys[:3] != ["id", "link", "name"]:
        message = (
            'expected the first three columns to be "ID", "Link", "Name" (ActionableAgile\'s '
            f"stage-dates format); columns found: {table.found_columns()}"
        )
        raise ImportFileError([ImportProblem(table.header_line, None, message)])
    rows = list(table.rows(log))
    if stages is not None:
        stage_columns = _chosen_stage_columns(table, stages, log)
    else:
        stage_columns = _infer_stage_columns(table, rows)
        if not stage_columns:
            log.add(
                table.header_line,
                None,
                'expected stage columns after "Name", one per workflow stage, holding the date each '
                f"item entered it; columns found: {table.found_columns()}",
            )
    attributes = [index for index in range(3, table.width) if index not in stage_columns]
    fields = _attribute_fields(table, attributes, log)
    log.raise_if_any()
    if not rows:
        raise ImportFileError([no_rows_problem(table)])

    header = table.header
    reader = DateReader(zone, date_order)
    first_lines: dict[str, int] = {}
    for line, row in rows:
        key = row[0].strip()
        if not key:
            log.add(line, header[0], "expected an ID, got an empty value")
        elif key in first_lines:
            log.add(line, header[0], f'duplicate ID "{key}" (first on line {first_lines[key]})')
        else:
            first_lines[key] = line
        for index in stage_columns:
            text = row[index]
            if text.strip() and text not in reader.values:
                reader.see(text, line, header[index])
    reader.decide(log)

    stage_names = [header[index] for index in stage_columns]
    items = []
    for line, row in rows:
        check_title(log, line, header[2], row[2].strip())
        transitions = _transitions(row, line, stage_columns=stage_columns, header=header, reader=reader, log=log)
        attributes_of_row = _attributes(row, line, fields, header, log)
        if not transitions:
            continue
        item_type, labels, parent, estimate, resolution, extra = attributes_of_row
        url = row[1].strip() or None
        if url is not None and not is_web_url(url):
            log.add(line, header[1], f"expected a web address starting with http:// or https://, got {url[:40]!r}")
            url = None
        items.append(
            WorkItemRecord(
                source=source,
                external_key=row[0].strip(),
                item_type=item_type,
                title=row[2].strip(),
                created_at=transitions[0].at,
                transitions=tuple(transitions),
                parent_key=parent,
                labels=labels,
                estimate=estimate,
                resolution=resolution,
                url=url,
                extra=extra,
            )
        )
    log.raise_if_any()
    notes = reader.zone_notes()
    if fields.get("blocked_days"):
        notes.append(
            "Blocked Days is kept as an attribute: blocked time metrics need blocked periods "
            "(the full-history format's blocked-periods file)."
        )
    return ParsedFile(
        format=ImportFormat.STAGE_DATES,
        items=items,
        statuses=stage_names,
        workflow=propose_workflow(stage_names, categories),
        date_order=reader.order,
        date_order_note=reader.order_note(),
        notes=notes,
        row_count=len(rows),
        item_count=len(items),
        transition_count=sum(len(item.transitions) for item in items),
    )


def _transitions(
    row: list[str],
    line: int,
    *,
    stage_columns: list[int],
    header: list[str],
    reader: DateReader,
    log: ProblemLog,
) -> list[TransitionRecord]:
    """One transition per stage with a date; logs bad dates, dates going backwards and rows without dates."""
    transitions: list[TransitionRecord] = []
    previous: tuple[datetime, int] | None = None
    bad = False
    for index in stage_columns:
        text = row[index]
        if not text.strip():
            continue
        value = reader.get(text)
        if isinstance(value, str):
            log.add(line, header[index], value)
            bad = True
            continue
        if previous is not None and value < previous[0]:
            earlier = row[previous[1]].strip()
            log.add(
                line,
                header[index],
                f'expected a date on or after "{earlier}" (column "{header[previous[1]]}"), '
                f'got "{text.strip()}": stage dates must not go backwards',
            )
            bad = True
        from_status = transitions[-1].to_status if transitions else None
        transitions.append(TransitionRecord(to_status=header[index], at=value, from_status=from_status))
        previous = (value, index)
    if not transitions and not bad:
        log.add(line, None, "expected the date the item entered at least one stage, found no stage date")
    return [] if bad else transitions


def _attributes(
    row: list[str], line: int, fields: dict[str, list[int]], header: list[str], log: ProblemLog
) -> tuple[str, tuple[str, ...], str | None, float | None, str | None, dict[str, str]]:
    """Type, labels, parent, estimate, resolution and the other attributes of one row."""

    def first(name: str) -> str:
        indexes = fields.get(name)
        return row[indexes[0]].strip() if indexes else ""

    estimate = None
    if estimate_text := first("estimate"):
        estimate = parse_number(estimate_text)
        if estimate is None:
            column = header[fields["estimate"][0]]
            log.add(line, column, f'expected a number like 3 or 2.5, got "{estimate_text}"')
    extra = {}
    if blocked_days := first("blocked_days"):
        number = parse_number(blocked_days)
        if number is None or number < 0:
            column = header[fields["blocked_days"][0]]
            log.add(line, column, f'expected a number of days like 0 or 2.5, got "{blocked_days}"')
        extra["blocked_days"] = blocked_days
    if class_of_service := first("class_of_service"):
        extra["class_of_service"] = class_of_service
    for index in fields.get("", []):
        if value := row[index].strip():
            extra[header[index]] = value
    labels = split_labels(row[index] for index in fields.get("labels", []))
    item_type = first("type") or DEFAULT_ITEM_TYPE
    return item_type, labels, first("parent") or None, estimate, first("resolution") or None, extra
