"""Jira's own CSV export ("Export > CSV"): the current state of each issue, without its history.

With no status history, the transitions are estimated (``history_is_estimated=True``):

- a resolved issue enters :data:`JIRA_EXPORT_STARTED_STATUS` (a started status) at Created, then its
  current status at Resolved, so its cycle time is Created to Resolved;
- an unresolved issue enters its current status at Created: an issue in a backlog status is not
  started, an issue in a started status counts as started on the day it was created.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

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
from deliveryops.work.csv_table import Source, no_rows_problem, open_table, parse_number, split_labels
from deliveryops.work.records import StageCategory, TransitionRecord, WorkflowStatus, WorkItemRecord

JIRA_EXPORT_STARTED_STATUS = "Created (estimated start)"
"""The synthetic started status a resolved issue enters at its Created date."""
JIRA_EXPORT_NOTE = "No history: cycle times are estimated from Created and Resolved."
JIRA_EXPORT_OPEN_NOTE = "Unresolved issues are placed in their current status from the day they were created."
JIRA_HEADER = "Issue key,Issue id,Summary,Issue Type,Status,Created,Resolved,Labels,Labels"

_STATUS_CATEGORIES = {
    "to do": StageCategory.BACKLOG,
    "in progress": StageCategory.ACTIVE,
    "done": StageCategory.DONE,
}
_CATEGORY_ORDER = list(StageCategory)


@garbage_collection_paused
def parse_jira_export(
    data: Source,
    *,
    zone: ZoneInfo,
    date_order: DateOrder | str | None = None,
    workflow: Sequence[WorkflowStatus] | None = None,
    source: str = "csv",
) -> ParsedFile:
    """Read Jira's CSV export (current state only; transitions are estimated, see the module docstring).

    Repeated columns (Jira writes one ``Labels`` or ``Sprint`` column per value) are all read.

    Args:
        data: the file's bytes, its text, or its path.
        zone: the team's time zone (Jira exports local times without offset).
        date_order: force day-first or month-first numeric dates; None decides from the whole file.
        workflow: the team's workflow, if known: a status not in it is an error.
        source: the ``source`` of the records.

    Returns:
        The items (``history_is_estimated=True``), the statuses in order of first appearance (the
        synthetic started status first), a workflow (the caller's with the synthetic status added,
        or one proposed from a "Status Category" column, else None) and the estimate notes.

    Raises:
        ImportFileError: every problem in the file; :class:`AmbiguousDateOrderError` when numeric dates
            could be either order.
    """
    table = open_table(data, expected_header=JIRA_HEADER)
    log = ProblemLog()
    key_column = table.require(log, "Issue key", "issue key")
    summary_column = table.require(log, "Summary", "summary")
    type_column = table.require(log, "Issue Type", "issue type")
    status_column = table.require(log, "Status", "status")
    created_column = table.require(log, "Created", "created")
    resolved_column = table.optional(log, "resolved")
    id_column = table.optional(log, "issue id")
    parent_column = table.optional(log, "parent key", "parent")
    epic_column = table.optional(log, "custom field (epic link)")
    resolution_column = table.optional(log, "resolution")
    priority_column = table.optional(log, "priority")
    category_column = table.optional(log, "status category")
    estimate_column = table.optional(log, "custom field (story points)", "custom field (story point estimate)")
    label_columns = table.columns("labels")
    sprint_columns = table.columns("sprint")
    log.raise_if_any()
    # The log raised if a required column was missing: these narrow the types for mypy.
    assert key_column is not None
    assert summary_column is not None
    assert type_column is not None
    assert status_column is not None
    assert created_column is not None

    header = table.header
    reader = DateReader(zone, date_order)
    rows = list(table.rows(log))
    first_lines: dict[str, int] = {}
    keys_by_id: dict[str, str] = {}
    statuses: dict[str, StageCategory | None] = {}
    known_statuses = {status.name for status in workflow} if workflow is not None else None
    for line, row in rows:
        key = row[key_column].strip()
        if not key:
            log.add(line, header[key_column], "expected an issue key, got an empty value")
        elif key in first_lines:
            log.add(line, header[key_column], f'duplicate issue key "{key}" (first on line {first_lines[key]})')
        else:
            first_lines[key] = line
            if id_column is not None and row[id_column].strip():
                keys_by_id[row[id_column].strip()] = key
        if not row[type_column].strip():
            log.add(line, header[type_column], "expected an issue type such as Story or Bug, got an empty value")
        status = row[status_column].strip()
        if not status:
            log.add(line, header[status_column], "expected a status, got an empty value")
        elif status not in statuses:
            category_text = row[category_column].strip().lower() if category_column is not None else ""
            statuses[status] = _STATUS_CATEGORIES.get(category_text)
            if known_statuses is not None and status not in known_statuses:
                known = ", ".join(sorted(known_statuses))
                log.add(
                    line,
                    header[status_column],
                    f'expected a status of the workflow ({known}), got "{status}"',
                )
        for column in (created_column, resolved_column):
            if column is None:
                continue
            text = row[column]
            if not text.strip():
                if column == created_column:
                    log.add(line, header[column], f"expected a date like {DATE_EXAMPLES}, got an empty value")
            elif text not in reader.values:
                reader.see(text, line, header[column])
    if not rows and not log:
        raise ImportFileError([no_rows_problem(table)])
    reader.decide(log)

    items = []
    any_resolved = False
    for line, row in rows:
        check_title(log, line, header[summary_column], row[summary_column].strip())
        created_at = reader.get(row[created_column]) if row[created_column].strip() else None
        resolved_text = row[resolved_column].strip() if resolved_column is not None else ""
        resolved_at = reader.get(row[resolved_column]) if resolved_column is not None and resolved_text else None
        if isinstance(created_at, str):
            log.add(line, header[created_column], created_at)
        if isinstance(resolved_at, str):
            assert resolved_column is not None
            log.add(line, header[resolved_column], resolved_at)
        if created_at is None or isinstance(created_at, str) or isinstance(resolved_at, str):
            continue
        status = row[status_column].strip()
        if resolved_at is None:
            transitions: tuple[TransitionRecord, ...] = (TransitionRecord(status, created_at),)
        elif resolved_at < created_at:
            assert resolved_column is not None
            created_text = row[created_column].strip()
            log.add(
                line,
                header[resolved_column],
                f'expected a date on or after "{created_text}" (column "{header[created_column]}"), got "{resolved_text}"',
            )
            continue
        else:
            any_resolved = True
            transitions = (
                TransitionRecord(JIRA_EXPORT_STARTED_STATUS, created_at),
                TransitionRecord(status, resolved_at, JIRA_EXPORT_STARTED_STATUS),
            )
        estimate = None
        if estimate_column is not None and (estimate_text := row[estimate_column].strip()):
            estimate = parse_number(estimate_text)
            if estimate is None:
                log.add(line, header[estimate_column], f'expected a number like 3 or 2.5, got "{estimate_text}"')
        extra = {}
        if id_column is not None and row[id_column].strip():
            extra["issue_id"] = row[id_column].strip()
        if priority_column is not None and row[priority_column].strip():
            extra["priority"] = row[priority_column].strip()
        sprints = [row[index].strip() for index in sprint_columns if row[index].strip()]
        if sprints:
            extra["sprints"] = "; ".join(sprints)
        parent = row[parent_column].strip() if parent_column is not None else ""
        # Jira Cloud writes the parent's issue id in "Parent": map it to its key if the parent is in the file.
        parent = keys_by_id.get(parent, parent)
        if not parent and epic_column is not None:
            parent = row[epic_column].strip()
        items.append(
            WorkItemRecord(
                source=source,
                external_key=row[key_column].strip(),
                item_type=row[type_column].strip(),
                title=row[summary_column].strip(),
                created_at=created_at,
                transitions=transitions,
                parent_key=parent or None,
                labels=split_labels(row[index] for index in label_columns),
                estimate=estimate,
                resolution=(row[resolution_column].strip() or None) if resolution_column is not None else None,
                history_is_estimated=True,
                extra=extra,
            )
        )
    log.raise_if_any()
    status_names = ([JIRA_EXPORT_STARTED_STATUS] if any_resolved else []) + list(statuses)
    return ParsedFile(
        format=ImportFormat.JIRA_EXPORT,
        items=items,
        statuses=status_names,
        workflow=_workflow(workflow, statuses, category_column is not None),
        date_order=reader.order,
        date_order_note=reader.order_note(),
        notes=[JIRA_EXPORT_NOTE, JIRA_EXPORT_OPEN_NOTE, *reader.zone_notes()],
        row_count=len(rows),
        item_count=len(items),
        transition_count=sum(len(item.transitions) for item in items),
    )


def _workflow(
    given: Sequence[WorkflowStatus] | None,
    statuses: dict[str, StageCategory | None],
    has_categories: bool,
) -> list[WorkflowStatus] | None:
    """The caller's workflow or one proposed from Jira's status categories, with the synthetic status.

    The synthetic started status goes just before the first started status (or before the first
    done status when none is started); positions are renumbered 0, 1, 2, ...
    """
    if given is not None:
        ordered = [(status.name, status.category) for status in sorted(given, key=lambda s: s.position)]
    elif has_categories and all(category is not None for category in statuses.values()):
        ordered = sorted(
            ((name, category) for name, category in statuses.items() if category is not None),
            key=lambda pair: _CATEGORY_ORDER.index(pair[1]),
        )
    else:
        return None
    names = [name for name, _ in ordered]
    if JIRA_EXPORT_STARTED_STATUS not in names:
        position = next(
            (index for index, (_, category) in enumerate(ordered) if category.is_started),
            next(
                (index for index, (_, category) in enumerate(ordered) if category is StageCategory.DONE),
                len(ordered),
            ),
        )
        ordered.insert(position, (JIRA_EXPORT_STARTED_STATUS, StageCategory.ACTIVE))
    return [WorkflowStatus(name=name, category=category, position=position) for position, (name, category) in enumerate(ordered)]
