"""Use cases for impediments: raise, work, escalate and de-escalate, resolve; queues and service levels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from deliveryops.accounts.models import Role, User
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.impediments.jobs import request_cluster_proposals
from deliveryops.impediments.models import (
    AffectedItem,
    Category,
    Event,
    Impediment,
    Level,
    ServiceLevel,
    Severity,
    Status,
)
from deliveryops.notify import service as notify
from deliveryops.teams.models import Membership, Team, TeamRole
from deliveryops.teams.service import can_view_team, get_team_or_raise, team_ids_of
from deliveryops.work.models import WorkItem

__all__ = [
    "QueueEntry",
    "categories",
    "comment",
    "de_escalate",
    "escalate",
    "get_or_raise",
    "list_team",
    "queue",
    "raise_",
    "resolve",
    "service_levels",
    "set_status",
    "working_days_at_level",
]

# Who may act at each level: the team's people, its delivery managers, Product Ops, leaders (admins everywhere).
LEVEL_ROLES = {
    Level.TEAM: None,  # anyone in the team
    Level.DELIVERY_MANAGER: {Role.DELIVERY_MANAGER},
    Level.PRODUCT_OPS: {Role.PRODUCT_OPS},
    Level.LEADERSHIP: {Role.LEADER},
}


def categories(session: Session, *, active_only: bool = True) -> list[Category]:
    """The taxonomy in order."""
    statement = select(Category).order_by(Category.position, Category.name)
    if active_only:
        statement = statement.where(Category.active.is_(True))
    return list(session.scalars(statement))


def service_levels(session: Session) -> dict[tuple[Level, Severity], int]:
    """Working days allowed per (level, severity)."""
    return {(row.level, row.severity): row.working_days for row in session.scalars(select(ServiceLevel))}


def working_days_at_level(impediment: Impediment, *, now: datetime) -> int:
    """Working days (Monday to Friday) since the impediment reached its current level."""
    start = impediment.level_entered_at.date()
    end = now.date()
    return int(np.busday_count(start, end)) if end > start else 0


def is_overdue(impediment: Impediment, levels: dict[tuple[Level, Severity], int], *, now: datetime) -> bool:
    """Whether an open impediment has stayed at its level longer than its service level."""
    if impediment.status.is_closed:
        return False
    allowed = levels.get((impediment.level, impediment.severity))
    return allowed is not None and working_days_at_level(impediment, now=now) > allowed


def _is_team_member(session: Session, user: User, team_id: int) -> bool:
    return team_id in team_ids_of(session, user)


def _is_team_dm(session: Session, user: User, team_id: int) -> bool:
    return (
        session.scalar(
            select(Membership.id).where(
                Membership.team_id == team_id, Membership.user_id == user.id, Membership.team_role == TeamRole.DELIVERY_MANAGER
            )
        )
        is not None
    )


def can_see(session: Session, user: User, impediment: Impediment) -> bool:
    """Team people see their team's impediments; Product Ops, leaders and admins see every one."""
    team = session.get(Team, impediment.team_id)
    return team is not None and can_view_team(session, user, team)


def can_act(session: Session, user: User, impediment: Impediment) -> bool:
    """Whether ``user`` may work the impediment at its current level."""
    if user.role is Role.ADMIN:
        return True
    if impediment.level is Level.TEAM:
        return _is_team_member(session, user, impediment.team_id)
    if impediment.level is Level.DELIVERY_MANAGER:
        return _is_team_dm(session, user, impediment.team_id)
    allowed = LEVEL_ROLES[impediment.level] or set()
    return user.role in allowed


def get_or_raise(*, session: Session, actor: User, impediment_id: int) -> Impediment:
    """One impediment, if the actor may see it."""
    impediment = session.get(Impediment, impediment_id)
    if impediment is None:
        raise NotFoundError(f"No impediment with id {impediment_id}.")
    if not can_see(session, actor, impediment):
        raise PermissionDeniedError("This impediment belongs to a team you are not in.")
    return impediment


def _load(session: Session, actor: User | None, impediment_id: int) -> Impediment:
    # actor None is a trusted local caller (the CLI, the demo): no team scope to check.
    if actor is not None:
        impediment = get_or_raise(session=session, actor=actor, impediment_id=impediment_id)
        _require_act(session, actor, impediment)
        return impediment
    found = session.get(Impediment, impediment_id)
    if found is None:
        raise NotFoundError(f"No impediment with id {impediment_id}.")
    return found


def _event(
    impediment: Impediment,
    actor: User | None,
    kind: str,
    *,
    note: str = "",
    from_value: str | None = None,
    to_value: str | None = None,
    at: datetime | None = None,
) -> None:
    impediment.events.append(
        Event(
            actor_id=actor.id if actor else None,
            kind=kind,
            note=note,
            from_value=from_value,
            to_value=to_value,
            at=at or utcnow(),
        )
    )


def raise_(
    *,
    session: Session,
    actor: User | None,
    team_id: int,
    title: str,
    description: str = "",
    category_id: int | None = None,
    severity: Severity = Severity.MEDIUM,
    needed_by: date | None = None,
    work_item_keys: list[str] | None = None,
    now: datetime | None = None,
) -> Impediment:
    """Raise an impediment for a team (anyone in the team, its delivery manager, or an admin).

    Args:
        session: the unit of work.
        actor: who raises it (None for trusted callers: the demo, the CLI).
        team_id: the team it blocks.
        title: short and specific.
        description: what happens and what it blocks.
        category_id: a category of the taxonomy.
        severity: low, medium, high or critical.
        needed_by: when it must be gone.
        work_item_keys: keys of the team's work items it blocks.
        now: the time (tests and the demo pass it).

    Returns:
        The new impediment.
    """
    team = session.get(Team, team_id)
    if team is None:
        raise ValidationFailedError(f"No team with id {team_id}.", fields={"team_id": "Choose an existing team."})
    if actor is not None and actor.role is not Role.ADMIN and not _is_team_member(session, actor, team_id):
        raise PermissionDeniedError("Only people in the team can raise its impediments.")
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Give the impediment a title."
    elif len(title.strip()) > 200:
        errors["title"] = "Use at most 200 characters."
    if category_id is not None and session.get(Category, category_id) is None:
        errors["category_id"] = "Choose a category from the list."
    items: list[WorkItem] = []
    if work_item_keys:
        wanted = [key.strip() for key in work_item_keys if key.strip()]
        items = list(session.scalars(select(WorkItem).where(WorkItem.team_id == team_id, WorkItem.external_key.in_(wanted))))
        missing = sorted(set(wanted) - {item.external_key for item in items})
        if missing:
            errors["work_items"] = f"Not items of {team.name}: {', '.join(missing[:5])}."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    moment = now or utcnow()
    impediment = Impediment(
        team_id=team_id,
        title=title.strip(),
        description=description.strip(),
        category_id=category_id,
        severity=severity,
        needed_by=needed_by,
        raised_by_id=actor.id if actor else None,
        created_at=moment,
        level_entered_at=moment,
    )
    impediment.items = [AffectedItem(work_item_id=item.id) for item in items]
    session.add(impediment)
    _event(impediment, actor, "raised", to_value=Level.TEAM.value, at=moment)
    session.flush()
    request_cluster_proposals(session, requested_by=actor.email if actor else None)
    return impediment


def _require_act(session: Session, actor: User, impediment: Impediment) -> None:
    if not can_act(session, actor, impediment):
        raise PermissionDeniedError(
            f"At the {impediment.level.label} level, only "
            f"{'the team' if impediment.level is Level.TEAM else impediment.level.label} can change this impediment."
        )


def _require_open(impediment: Impediment) -> None:
    if impediment.status.is_closed:
        raise ValidationFailedError(f"This impediment is {impediment.status.label} already.", fields={"status": "closed"})


def set_status(
    *, session: Session, actor: User | None, impediment_id: int, status: Status, note: str = "", now: datetime | None = None
) -> Impediment:
    """Move between open and in progress (escalating and resolving have their own steps)."""
    impediment = _load(session, actor, impediment_id)
    _require_open(impediment)
    if status not in (Status.OPEN, Status.IN_PROGRESS):
        raise ValidationFailedError("Use escalate or resolve for that.", fields={"status": "Choose open or in progress."})
    if status is not impediment.status:
        _event(impediment, actor, "status", from_value=impediment.status.value, to_value=status.value, note=note, at=now)
        impediment.status = status
    session.flush()
    return impediment


def escalate(
    *,
    session: Session,
    actor: User | None,
    impediment_id: int,
    tried: str,
    needed: str,
    to: Level | None = None,
    now: datetime | None = None,
) -> Impediment:
    """Move the impediment up the ladder, saying what was tried and what is needed.

    ``to`` is the level it goes to (any level above, in one step: a delivery manager who holds it at the team's
    level can send it straight to Product Ops); by default the next one up.
    """
    impediment = _load(session, actor, impediment_id)
    _require_open(impediment)
    errors = {}
    if not tried.strip():
        errors["tried"] = "Say what the team tried already."
    if not needed.strip():
        errors["needed"] = "Say what is needed from the next level."
    if errors:
        raise ValidationFailedError("An escalation needs what was tried and what is needed.", fields=errors)
    above = impediment.level.next() if to is None else to
    if above is None:
        raise ValidationFailedError("Leadership is the top of the ladder.", fields={"level": "top"})
    if above not in impediment.level.above():
        raise ValidationFailedError(
            f"It is with {impediment.level.label} now: escalate to a level above.",
            fields={"to": f"Choose one of: {', '.join(level.label for level in impediment.level.above()) or 'none'}."},
        )
    _event(
        impediment,
        actor,
        "escalated",
        from_value=impediment.level.value,
        to_value=above.value,
        note=f"Tried: {tried.strip()}\nNeeded: {needed.strip()}",
        at=now,
    )
    impediment.level = above
    impediment.level_entered_at = now or utcnow()
    impediment.status = Status.ESCALATED
    session.flush()
    notify.announce(
        session,
        team_id=impediment.team_id,
        event="impediment_escalated",
        title=f"Impediment escalated to {above.label}: {impediment.title}",
        lines=[f"Tried: {tried.strip()}", f"Needed: {needed.strip()}"],
        link=f"/impediments/{impediment.id}",
    )
    return impediment


def last_tried(impediment: Impediment) -> str:
    """What the last escalation said was tried, to start the next escalation from (empty if never escalated)."""
    for event in reversed(impediment.events):
        if event.kind == "escalated" and event.note.startswith("Tried: "):
            return event.note.removeprefix("Tried: ").split("\nNeeded: ", 1)[0]
    return ""


def de_escalate(
    *, session: Session, actor: User | None, impediment_id: int, reason: str, now: datetime | None = None
) -> Impediment:
    """Hand the impediment back one level down, with a reason."""
    impediment = _load(session, actor, impediment_id)
    _require_open(impediment)
    if not reason.strip():
        raise ValidationFailedError("Say why it goes back.", fields={"reason": "Say why it goes back."})
    below = impediment.level.previous()
    if below is None:
        raise ValidationFailedError("The impediment is with the team already.", fields={"level": "bottom"})
    _event(impediment, actor, "handed_back", from_value=impediment.level.value, to_value=below.value, note=reason.strip(), at=now)
    impediment.level = below
    impediment.level_entered_at = now or utcnow()
    impediment.status = Status.ESCALATED if below is not Level.TEAM else Status.IN_PROGRESS
    session.flush()
    return impediment


def resolve(
    *,
    session: Session,
    actor: User | None,
    impediment_id: int,
    note: str,
    wont_fix: bool = False,
    now: datetime | None = None,
    via_cluster: bool = False,
) -> Impediment:
    """Resolve (or close as won't fix) with a note; members of a confirmed cluster resolve with it."""
    impediment = _load(session, actor, impediment_id)
    _require_open(impediment)
    if impediment.cluster_id is not None and not via_cluster:
        raise ValidationFailedError(
            "This impediment is part of a confirmed cross-team cluster: resolve the cluster, which resolves all of "
            "its teams' impediments.",
            fields={"cluster": "resolve the cluster"},
        )
    if not note.strip():
        raise ValidationFailedError("Say how it was resolved.", fields={"note": "Say how it was resolved."})
    status = Status.WONT_FIX if wont_fix else Status.RESOLVED
    _event(impediment, actor, "resolved", from_value=impediment.status.value, to_value=status.value, note=note.strip(), at=now)
    impediment.status = status
    impediment.resolution_note = note.strip()
    impediment.resolved_at = now or utcnow()
    session.flush()
    return impediment


def comment(*, session: Session, actor: User, impediment_id: int, text: str, now: datetime | None = None) -> Impediment:
    """Add a comment to the timeline (anyone who can see the impediment)."""
    impediment = get_or_raise(session=session, actor=actor, impediment_id=impediment_id)
    if not text.strip():
        raise ValidationFailedError("Write a comment.", fields={"text": "Write a comment."})
    _event(impediment, actor, "comment", note=text.strip(), at=now)
    session.flush()
    return impediment


def list_team(*, session: Session, actor: User | None, team_id: int, include_closed: bool = True) -> list[Impediment]:
    """The team's impediments, open ones first, newest first (``actor`` None: the trusted local caller)."""
    if actor is not None:
        team_id = get_team_or_raise(session=session, actor=actor, team_id=team_id).id
    statement = (
        select(Impediment)
        .where(Impediment.team_id == team_id)
        .options(selectinload(Impediment.category), selectinload(Impediment.items))
        .order_by(Impediment.created_at.desc(), Impediment.id.desc())
    )
    rows = list(session.scalars(statement))
    if not include_closed:
        rows = [row for row in rows if not row.status.is_closed]
    return sorted(rows, key=lambda row: row.status.is_closed)


@dataclass
class QueueEntry:
    """An impediment in a queue with what makes it urgent."""

    impediment: Impediment
    team: Team
    blocked_days: float
    working_days: int
    overdue: bool
    impact: float


SEVERITY_WEIGHT = {Severity.LOW: 1.0, Severity.MEDIUM: 2.0, Severity.HIGH: 4.0, Severity.CRITICAL: 8.0}


def queue(
    *, session: Session, actor: User, level: Level, now: datetime | None = None, blocked_days: dict[int, float] | None = None
) -> list[QueueEntry]:
    """Open impediments at a level across teams, ordered by impact.

    Impact = severity weight × (1 + blocked days of the linked items) × (1 + working days at the level ÷ 5),
    so what blocks most work for longest comes first.
    """
    if actor.role not in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN) and level in (Level.PRODUCT_OPS, Level.LEADERSHIP):
        raise PermissionDeniedError("The cross-team queues are for Product Ops and leaders.")
    moment = now or utcnow()
    levels = service_levels(session)
    rows = session.scalars(select(Impediment).where(Impediment.level == level).options(selectinload(Impediment.category)))
    entries = []
    for row in rows:
        if row.status.is_closed or not can_see(session, actor, row):
            continue
        team = session.get(Team, row.team_id)
        assert team is not None
        blocked = (blocked_days or {}).get(row.id, 0.0)
        days = working_days_at_level(row, now=moment)
        impact = SEVERITY_WEIGHT[row.severity] * (1 + blocked) * (1 + days / 5)
        entries.append(QueueEntry(row, team, blocked, days, is_overdue(row, levels, now=moment), round(impact, 2)))
    return sorted(entries, key=lambda entry: -entry.impact)
