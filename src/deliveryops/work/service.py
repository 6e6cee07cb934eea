"""Use cases for work-item history: preview and import files, read imports and items."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.errors import DomainError, PermissionDeniedError
from deliveryops.teams.models import Team
from deliveryops.teams.service import can_manage_team
from deliveryops.work import workflow as workflows
from deliveryops.work.csv_formats import (
    AmbiguousDateOrderError,
    ImportFileError,
    ImportFormat,
    ImportProblem,
    ParsedFile,
    detect_format,
    parse_file,
    parse_workflow_file,
    read_header,
)
from deliveryops.work.csv_history import stream_full_history
from deliveryops.work.importing import ImportSummary, import_records
from deliveryops.work.models import ImportRun, StatusTransition, WorkItem

__all__ = ["ImportRejectedError", "Preview", "import_file", "item_count", "list_imports", "preview_file"]


class ImportRejectedError(DomainError):
    """A file cannot be imported; ``details["problems"]`` lists each with its line and column."""

    code = "import_rejected"
    status = 422

    def __init__(self, error: ImportFileError) -> None:
        problems = [{"line": p.line, "column": p.column, "message": p.message, "file": p.file} for p in error.problems]
        super().__init__(
            str(error),
            details={
                "problems": problems,
                "omitted": error.omitted_count,
                "needs_date_order": isinstance(error, AmbiguousDateOrderError),
            },
        )
        self.problems = error.problems
        self.needs_date_order = isinstance(error, AmbiguousDateOrderError)


@dataclass
class Preview:
    """What an import would do, shown before anything is written."""

    parsed: ParsedFile
    new_statuses: list[str]
    sample: list[dict[str, Any]]
    existing_items: int
    would_update: int


def _require_manager(session: Session, actor: User | None, team: Team) -> None:
    if actor is not None and not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can import work items.")


def _parse(
    team: Team,
    data: bytes,
    *,
    import_format: str | None,
    date_order: str | None,
    blocked: bytes | None,
    workflow_file: bytes | None,
) -> ParsedFile:
    try:
        workflow = parse_workflow_file(workflow_file) if workflow_file else None
        categories = {s.name: s.category for s in workflow} if workflow else None
        stages = [s.name for s in workflow] if workflow and import_format == ImportFormat.STAGE_DATES else None
        kind = import_format or detect_format(read_header(data)).value
        # Jira exports get the workflow so the estimated start status is placed in it; other formats keep
        # statuses missing from the workflow and list them for mapping instead of rejecting the file.
        parsed = parse_file(
            data,
            zone=team.zone,
            import_format=kind,
            date_order=date_order,
            blocked=blocked,
            categories=categories,
            stages=stages,
            workflow=workflow if kind == ImportFormat.JIRA_EXPORT else None,
        )
    except ImportFileError as error:
        raise ImportRejectedError(error) from None
    if parsed.format is ImportFormat.WORKFLOW:
        message = "this is a workflow file; give it as the workflow next to a data file"
        raise ImportRejectedError(ImportFileError([ImportProblem(None, None, message)]))
    if workflow and parsed.format is not ImportFormat.JIRA_EXPORT:
        parsed = dataclasses.replace(parsed, workflow=list(workflow))
    return parsed


def preview_file(
    *,
    session: Session,
    actor: User | None,
    team: Team,
    data: bytes,
    import_format: str | None = None,
    date_order: str | None = None,
    blocked: bytes | None = None,
    workflow_file: bytes | None = None,
) -> Preview:
    """Parse and validate a file and say what importing it would do, writing nothing.

    Args:
        session: the unit of work (read only here).
        actor: who asks (an admin or the team's delivery manager).
        team: the target team; its time zone reads dates without an offset.
        data: the file.
        import_format: the format, or None to detect it from the header.
        date_order: "day_first" or "month_first" when the file is ambiguous.
        blocked: an optional blocked-periods file (full-history format).
        workflow_file: an optional workflow file (status, category rows).

    Returns:
        The parsed file, the statuses new to the team and a sample of items.
    """
    _require_manager(session, actor, team)
    parsed = _parse(team, data, import_format=import_format, date_order=date_order, blocked=blocked, workflow_file=workflow_file)
    known = {s.name for s in workflows.statuses_of(session, team)}
    if parsed.workflow and not workflows.has_workflow(session, team):
        known |= {s.name for s in parsed.workflow}
    new_statuses = [name for name in parsed.statuses if name not in known]
    keys = [item.external_key for item in parsed.items]
    existing = 0
    for start in range(0, len(keys), 1000):
        existing += (
            session.scalar(
                select(func.count())
                .select_from(WorkItem)
                .where(WorkItem.team_id == team.id, WorkItem.external_key.in_(keys[start : start + 1000]))
            )
            or 0
        )
    sample = [
        {
            "key": item.external_key,
            "type": item.item_type,
            "title": item.title,
            "statuses": " → ".join(t.to_status for t in item.transitions),
            "first": item.transitions[0].at if item.transitions else None,
            "last": item.transitions[-1].at if item.transitions else None,
            "blocked": len(item.blocked_intervals),
        }
        for item in parsed.items[:10]
    ]
    return Preview(
        parsed=parsed,
        new_statuses=new_statuses,
        sample=sample,
        existing_items=len(parsed.items) - existing,
        would_update=existing,
    )


def import_file(
    *,
    session: Session,
    actor: User | None,
    team: Team,
    data: bytes,
    file_name: str = "",
    import_format: str | None = None,
    date_order: str | None = None,
    blocked: bytes | None = None,
    workflow_file: bytes | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Validate a whole file, then import it (nothing is written if any line is bad).

    Args:
        session: the unit of work; the caller commits.
        actor: who imports (an admin or the team's delivery manager); None for the CLI.
        team: the target team.
        data: the file.
        file_name: recorded with the import.
        import_format: the format, or None to detect it.
        date_order: "day_first" or "month_first" for ambiguous numeric dates.
        blocked: an optional blocked-periods file.
        workflow_file: an optional workflow file; it replaces the team's workflow.
        progress: called with the number of items written so far.

    Returns:
        What changed.
    """
    _require_manager(session, actor, team)
    try:
        kind = import_format or detect_format(read_header(data)).value
    except ImportFileError:
        kind = None  # _parse raises the same error, after the workflow file's
    if kind == ImportFormat.FULL_HISTORY:
        # The most common big file: validated whole, then streamed in batches (bounded memory).
        try:
            workflow = parse_workflow_file(workflow_file) if workflow_file else None
            parsed, records = stream_full_history(data, zone=team.zone, date_order=date_order, blocked=blocked)
        except ImportFileError as error:
            raise ImportRejectedError(error) from None
        return import_records(
            session=session,
            actor=actor,
            team=team,
            records=records,
            import_format=parsed.format.value,
            file_name=file_name,
            workflow=list(workflow) if workflow else parsed.workflow,
            replace_workflow=workflow_file is not None,
            notes=parsed.notes,
            progress=progress,
        )
    parsed = _parse(team, data, import_format=import_format, date_order=date_order, blocked=blocked, workflow_file=workflow_file)
    return import_records(
        session=session,
        actor=actor,
        team=team,
        records=parsed.items,
        import_format=parsed.format.value,
        file_name=file_name,
        workflow=parsed.workflow,
        replace_workflow=workflow_file is not None,
        notes=parsed.notes,
        progress=progress,
    )


def list_imports(*, session: Session, team: Team, limit: int = 20) -> list[ImportRun]:
    """The team's latest imports, newest first."""
    return list(
        session.scalars(
            select(ImportRun).where(ImportRun.team_id == team.id).order_by(ImportRun.at.desc(), ImportRun.id.desc()).limit(limit)
        )
    )


def item_count(*, session: Session, team: Team) -> tuple[int, int]:
    """``(items, transitions)`` stored for the team."""
    items = session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.team_id == team.id)) or 0
    transitions = (
        session.scalar(
            select(func.count())
            .select_from(StatusTransition)
            .join(WorkItem, WorkItem.id == StatusTransition.item_id)
            .where(WorkItem.team_id == team.id)
        )
        or 0
    )
    return items, transitions
