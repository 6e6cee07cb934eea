"""Each team's workflow: its statuses in board order, each mapped to a stage category."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.teams.models import Team
from deliveryops.teams.service import can_manage_team, get_team_or_raise
from deliveryops.work.models import StatusTransition, WorkflowStatus, WorkItem
from deliveryops.work.records import StageCategory
from deliveryops.work.records import WorkflowStatus as WorkflowStatusRecord

__all__ = [
    "add_unmapped_statuses",
    "has_workflow",
    "mapping",
    "replace_workflow",
    "save_workflow",
    "status_usage",
    "statuses_of",
]


def statuses_of(session: Session, team: Team) -> list[WorkflowStatus]:
    """The team's statuses in board order (unmapped ones included)."""
    return list(
        session.scalars(select(WorkflowStatus).where(WorkflowStatus.team_id == team.id).order_by(WorkflowStatus.position))
    )


def has_workflow(session: Session, team: Team) -> bool:
    """Whether any status of the team is mapped to a category."""
    return (
        session.scalar(
            select(WorkflowStatus.id).where(WorkflowStatus.team_id == team.id, WorkflowStatus.category.is_not(None)).limit(1)
        )
        is not None
    )


def mapping(session: Session, team: Team) -> dict[str, tuple[StageCategory, int]]:
    """``{status: (category, position)}`` for mapped statuses: the input of the flow analytics."""
    return {s.name: (s.category, s.position) for s in statuses_of(session, team) if s.category is not None}


def replace_workflow(*, session: Session, team: Team, statuses: Sequence[WorkflowStatusRecord]) -> None:
    """Make ``statuses`` the team's workflow; statuses not listed are kept after them, unmapped."""
    by_name = {s.name: s for s in statuses_of(session, team)}
    position = 0
    for record in statuses:
        row = by_name.pop(record.name, None)
        if row is None:
            row = WorkflowStatus(team_id=team.id, name=record.name)
            session.add(row)
        row.category, row.position = record.category, position
        position += 1
    for leftover in sorted(by_name.values(), key=lambda s: s.position):
        leftover.category, leftover.position = None, position
        position += 1
    team.data_version = (team.data_version or 0) + 1
    session.flush()


def add_unmapped_statuses(*, session: Session, team: Team, names: Sequence[str]) -> list[str]:
    """Append statuses seen in data but missing from the workflow, unmapped, so none is dropped.

    Returns:
        The names added.
    """
    existing = statuses_of(session, team)
    known = {s.name for s in existing}
    position = max((s.position for s in existing), default=-1) + 1
    added = []
    for name in names:
        if name not in known:
            session.add(WorkflowStatus(team_id=team.id, name=name, category=None, position=position))
            known.add(name)
            added.append(name)
            position += 1
    session.flush()
    return added


def status_usage(session: Session, team: Team) -> dict[str, int]:
    """How many of the team's items are currently in each status."""
    rows = session.execute(
        select(WorkItem.current_status, func.count()).where(WorkItem.team_id == team.id).group_by(WorkItem.current_status)
    )
    return {status: count for status, count in rows if status is not None}


def save_workflow(
    *, session: Session, actor: User, team_id: int, statuses: Sequence[tuple[str, StageCategory | None]]
) -> list[WorkflowStatus]:
    """Reorder and recategorise a team's workflow (admins and the team's delivery manager).

    Args:
        session: the unit of work.
        actor: who saves.
        team_id: the team.
        statuses: every status of the workflow in board order, with its category (None = unmapped).

    Returns:
        The saved workflow.
    """
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    if not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can change the workflow.")
    names = [name for name, _category in statuses]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValidationFailedError(f"Status {duplicates[0]!r} is listed twice.", fields={"statuses": "duplicate"})
    current = {s.name for s in statuses_of(session, team)}
    missing = sorted(current - set(names))
    in_data = _statuses_in_data(session, team)
    dropped = [name for name in missing if name in in_data]
    if dropped:
        raise ValidationFailedError(
            f"Status {dropped[0]!r} appears in the team's work-item history, so it must stay in the workflow "
            "(leave it unmapped if it does not matter).",
            fields={"statuses": "missing"},
        )
    categories = [category for _name, category in statuses]
    if statuses and StageCategory.DONE not in categories:
        raise ValidationFailedError(
            "Map at least one status to Done, or nothing can ever finish.", fields={"statuses": "no done"}
        )
    if statuses and not any(c is not None and c.is_started for c in categories):
        raise ValidationFailedError(
            "Map at least one status to Active or Waiting, or nothing can ever start.", fields={"statuses": "no started"}
        )
    rows = {s.name: s for s in statuses_of(session, team)}
    for index, (name, category) in enumerate(statuses):
        row = rows.pop(name, None)
        if row is None:
            row = WorkflowStatus(team_id=team.id, name=name)
            session.add(row)
        row.category, row.position = category, index
    for unused in rows.values():  # not in the list and not in any item's history
        session.delete(unused)
    team.data_version = (team.data_version or 0) + 1
    session.flush()
    return statuses_of(session, team)


def _statuses_in_data(session: Session, team: Team) -> set[str]:
    return set(
        session.scalars(
            select(StatusTransition.to_status)
            .distinct()
            .join(WorkItem, WorkItem.id == StatusTransition.item_id)
            .where(WorkItem.team_id == team.id)
        )
    )
