"""Teams' adoption of the catalogue's tools and practices: declared states, their history, the matrix.

States are append-only (:class:`~deliveryops.cockpit.models.AdoptionState`); a team that never
declared a state for an entry counts as "not started". Setting a state is for the team's delivery
manager, Product Ops and admins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.cockpit.adoption.checks import CheckResult, run_check
from deliveryops.cockpit.catalogue.service import list_entries
from deliveryops.cockpit.models import (
    AdoptionLevel,
    AdoptionState,
    CatalogueEntry,
    HeldKind,
    HeldSession,
    TeamPracticeSetting,
)
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.teams.models import Membership, Team, TeamRole
from deliveryops.teams.service import can_manage_team, get_team_or_raise

__all__ = [
    "AdoptionChange",
    "AdoptionMatrix",
    "AdoptionTrend",
    "Mismatch",
    "adopted_share",
    "can_set",
    "changes",
    "current_states",
    "held_sessions",
    "history",
    "matrix",
    "matrix_team_ids",
    "mismatches",
    "record_held",
    "set_state",
    "set_wip_limit",
    "trend",
]

MAX_WIP_LIMIT = 1000


def adopted_share(states: Iterable[AdoptionLevel], *, min_group_size: int = 1) -> float | None:
    """Share of the teams for which an entry applies that adopted it.

    Args:
        states: each team's state for the entry ("not applicable" teams do not count).
        min_group_size: fewer applicable teams than this give no share (roll-ups hide small groups).

    Returns:
        The share (0..1), or None when too few teams apply.
    """
    applicable = [state for state in states if state is not AdoptionLevel.NOT_APPLICABLE]
    if not applicable or len(applicable) < min_group_size:
        return None
    return sum(1 for state in applicable if state is AdoptionLevel.ADOPTED) / len(applicable)


def can_set(session: Session, actor: User, team: Team) -> bool:
    """Whether ``actor`` may declare the team's adoption: its delivery manager, Product Ops, admins."""
    return actor.role is Role.PRODUCT_OPS or can_manage_team(session, actor, team)


def matrix_team_ids(session: Session, actor: User) -> list[int] | None:
    """The teams whose rows ``actor`` sees in the adoption matrix.

    Product Ops, leaders and admins see every team (None); a delivery manager sees the teams they
    manage; anyone else is refused.
    """
    if actor.role.sees_all_teams:
        return None
    managed = sorted(
        session.scalars(
            select(Membership.team_id).where(Membership.user_id == actor.id, Membership.team_role == TeamRole.DELIVERY_MANAGER)
        )
    )
    if not managed:
        raise PermissionDeniedError(
            "The adoption matrix is for Product Ops, leaders, admins and delivery managers (their teams' rows)."
        )
    return managed


def _rows(session: Session, team_ids: Sequence[int] | None, *, before: datetime | None = None) -> list[AdoptionState]:
    statement = select(AdoptionState).order_by(AdoptionState.set_at, AdoptionState.id)
    if team_ids is not None:
        statement = statement.where(AdoptionState.team_id.in_(list(team_ids)))
    if before is not None:
        statement = statement.where(AdoptionState.set_at < before)
    return list(session.scalars(statement))


def current_states(
    session: Session, *, team_ids: Sequence[int] | None = None, at: datetime | None = None
) -> dict[tuple[int, int], AdoptionState]:
    """The latest declared state per (team id, entry id), as of ``at`` (default: now).

    Args:
        session: the unit of work.
        team_ids: only these teams (None: all).
        at: states set before this moment count.

    Returns:
        (team id, entry id) → the latest row.
    """
    latest: dict[tuple[int, int], AdoptionState] = {}
    for row in _rows(session, team_ids, before=at):
        latest[(row.team_id, row.entry_id)] = row
    return latest


def set_state(
    *,
    session: Session,
    actor: User | None,
    team_id: int,
    entry_id: int,
    state: str,
    note: str = "",
    set_at: datetime | None = None,
) -> AdoptionState:
    """Declare where a team stands with a tool or practice (a new history row).

    Setting the current state again without a note changes nothing and returns the current row.

    Args:
        session: the unit of work.
        actor: the team's delivery manager, Product Ops or an admin (None for trusted callers).
        team_id: the team.
        entry_id: the catalogue entry.
        state: "not_started", "trying", "adopted" or "not_applicable".
        note: why, or what the team learnt.
        set_at: when (default now; the demo writes a history).

    Returns:
        The new (or unchanged current) state row.
    """
    if actor is None:
        team = session.get(Team, team_id)
        if team is None:
            raise NotFoundError(f"No team with id {team_id}.")
    else:
        team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
        if not can_set(session, actor, team):
            raise PermissionDeniedError(
                "Only the team's delivery manager, Product Ops and admins can set its adoption of tools and practices."
            )
    errors: dict[str, str] = {}
    entry = session.get(CatalogueEntry, entry_id)
    if entry is None or not entry.active:
        errors["entry_id"] = "Choose an active tool or practice from the catalogue."
    try:
        level = AdoptionLevel(state)
    except ValueError:
        errors["state"] = "Choose not started, trying, adopted or not applicable."
        level = AdoptionLevel.NOT_STARTED
    note = note.strip()
    if len(note) > 2000:
        errors["note"] = "Keep the note under 2,000 characters."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    current = current_states(session, team_ids=[team.id]).get((team.id, entry_id))
    if current is not None and current.state is level and not note and set_at is None:
        return current
    row = AdoptionState(
        team_id=team.id,
        entry_id=entry_id,
        state=level,
        note=note,
        set_by_id=actor.id if actor else None,
        set_at=set_at or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def set_wip_limit(*, session: Session, actor: User | None, team_id: int, wip_limit: int | None) -> TeamPracticeSetting:
    """Set (or clear, with None) the team's WIP limit, which the WIP limits check compares against.

    Args:
        session: the unit of work.
        actor: the team's delivery manager, Product Ops or an admin (None for trusted callers).
        team_id: the team.
        wip_limit: items in progress at most, 1 to 1000; None clears it.

    Returns:
        The team's settings row.
    """
    team = session.get(Team, team_id) if actor is None else get_team_or_raise(session=session, actor=actor, team_id=team_id)
    if team is None:
        raise NotFoundError(f"No team with id {team_id}.")
    if actor is not None and not can_set(session, actor, team):
        raise PermissionDeniedError("Only the team's delivery manager, Product Ops and admins can set its WIP limit.")
    if wip_limit is not None and not 1 <= wip_limit <= MAX_WIP_LIMIT:
        raise ValidationFailedError(
            "Please correct the marked fields.",
            fields={"wip_limit": f"Enter a whole number from 1 to {MAX_WIP_LIMIT}, or leave it empty for no limit."},
        )
    setting = session.scalar(select(TeamPracticeSetting).where(TeamPracticeSetting.team_id == team.id))
    if setting is None:
        setting = TeamPracticeSetting(team_id=team.id)
        session.add(setting)
    setting.wip_limit, setting.updated_at = wip_limit, utcnow()
    session.flush()
    return setting


HELD_MAX_AGE_DAYS = 366


def record_held(
    *, session: Session, actor: User | None, team_id: int, kind: str, held_on: date, note: str = "", today: date | None = None
) -> HeldSession:
    """Record that the team held a retro or health check outside DeliveryOps on a day (the checks count it).

    Args:
        session: the unit of work.
        actor: the team's delivery manager, Product Ops or an admin (None for trusted callers).
        team_id: the team.
        kind: "retro" or "health_check".
        held_on: the day it was held: not in the future, at most a year ago.
        note: a line about it (optional, at most 500 characters).
        today: the clock (UTC date).

    Returns:
        The new record.
    """
    team = session.get(Team, team_id) if actor is None else get_team_or_raise(session=session, actor=actor, team_id=team_id)
    if team is None:
        raise NotFoundError(f"No team with id {team_id}.")
    if actor is not None and not can_set(session, actor, team):
        raise PermissionDeniedError("Only the team's delivery manager, Product Ops and admins can record a held session.")
    today = today or utcnow().date()
    errors: dict[str, str] = {}
    try:
        held_kind = HeldKind(kind)
    except ValueError:
        errors["kind"] = "Choose retro or health_check."
        held_kind = HeldKind.RETRO
    if held_on > today:
        errors["held_on"] = "The day it was held cannot be in the future."
    elif (today - held_on).days > HELD_MAX_AGE_DAYS:
        errors["held_on"] = "Record sessions held in the last year only."
    if len(note) > 500:
        errors["note"] = "Keep the note under 500 characters."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    row = HeldSession(
        team_id=team.id, kind=held_kind, held_on=held_on, note=note.strip(), recorded_by_id=actor.id if actor else None
    )
    session.add(row)
    session.flush()
    return row


def held_sessions(*, session: Session, team_id: int) -> list[HeldSession]:
    """The team's sessions recorded as held outside DeliveryOps, newest first (the caller has authorised the team)."""
    statement = select(HeldSession).where(HeldSession.team_id == team_id)
    return list(session.scalars(statement.order_by(HeldSession.held_on.desc(), HeldSession.id.desc())))


def history(*, session: Session, team_id: int, entry_id: int | None = None) -> list[AdoptionState]:
    """A team's declared states, newest first (the caller has authorised the team)."""
    statement = select(AdoptionState).where(AdoptionState.team_id == team_id)
    if entry_id is not None:
        statement = statement.where(AdoptionState.entry_id == entry_id)
    return list(session.scalars(statement.order_by(AdoptionState.set_at.desc(), AdoptionState.id.desc())))


@dataclass
class AdoptionMatrix:
    """Teams × active catalogue entries: the declared state and, for practices with a check, the data's view."""

    entries: list[CatalogueEntry]
    teams: list[Team]
    states: dict[tuple[int, int], AdoptionState] = field(default_factory=dict)
    checks: dict[tuple[int, int], CheckResult] = field(default_factory=dict)

    def state(self, team_id: int, entry_id: int) -> AdoptionLevel:
        """The declared state; a team that never declared one has not started."""
        row = self.states.get((team_id, entry_id))
        return row.state if row is not None else AdoptionLevel.NOT_STARTED

    def check(self, team_id: int, entry_id: int) -> CheckResult | None:
        """The data check's result, where the entry has one."""
        return self.checks.get((team_id, entry_id))

    def mismatch(self, team_id: int, entry_id: int) -> bool:
        """Declared adopted, but the data says the practice is not followed."""
        result = self.checks.get((team_id, entry_id))
        return self.state(team_id, entry_id) is AdoptionLevel.ADOPTED and result is not None and result.confirmed is False

    def adopted_share(self, entry_id: int) -> float | None:
        """Share of teams (not counting "not applicable") that adopted the entry; None when none apply."""
        return adopted_share(self.state(team.id, entry_id) for team in self.teams)


def matrix(session: Session, *, team_ids: Sequence[int] | None = None, now: datetime | None = None) -> AdoptionMatrix:
    """The adoption matrix: active entries (tools, then practices), teams by name, states and data checks.

    The caller decides who may see which teams (see :func:`matrix_team_ids`).

    Args:
        session: the unit of work.
        team_ids: only these teams (None: every team).
        now: the clock of the data checks.

    Returns:
        The matrix.
    """
    entries = list_entries(session=session, active_only=True)
    statement = select(Team).order_by(Team.name)
    if team_ids is not None:
        statement = statement.where(Team.id.in_(list(team_ids)))
    teams = list(session.scalars(statement))
    result = AdoptionMatrix(entries=entries, teams=teams, states=current_states(session, team_ids=[t.id for t in teams]))
    for team in teams:
        for entry in entries:
            if entry.data_check is not None:
                result.checks[(team.id, entry.id)] = run_check(session, team, entry.data_check, now=now, entry_id=entry.id)
    return result


@dataclass(frozen=True)
class Mismatch:
    """A practice a team declared adopted while its data check says it is not followed."""

    team: Team
    entry: CatalogueEntry
    result: CheckResult


def mismatches(session: Session, *, team_ids: Sequence[int] | None = None, now: datetime | None = None) -> list[Mismatch]:
    """The matrix's mismatches (see :meth:`AdoptionMatrix.mismatch`), teams by name then entries in matrix order.

    Runs the data check only where a practice is declared adopted: the same answer as :func:`matrix` at a
    fraction of its cost, for the Product Ops home.
    """
    entries = [entry for entry in list_entries(session=session, active_only=True) if entry.data_check is not None]
    statement = select(Team).order_by(Team.name)
    if team_ids is not None:
        statement = statement.where(Team.id.in_(list(team_ids)))
    teams = list(session.scalars(statement))
    states = current_states(session, team_ids=[t.id for t in teams])
    found = []
    for team in teams:
        for entry in entries:
            row = states.get((team.id, entry.id))
            if row is None or row.state is not AdoptionLevel.ADOPTED or entry.data_check is None:
                continue
            result = run_check(session, team, entry.data_check, now=now, entry_id=entry.id)
            if result.confirmed is False:
                found.append(Mismatch(team, entry, result))
    return found


@dataclass(frozen=True)
class AdoptionChange:
    """A team moved from one declared state to another."""

    team_id: int
    team_name: str
    entry_name: str
    from_state: AdoptionLevel | None  # None: the first declaration
    to_state: AdoptionLevel
    at: datetime
    entry_id: int = 0


def changes(session: Session, *, team_ids: Sequence[int] | None, start: datetime, end: datetime) -> list[AdoptionChange]:
    """State changes with ``start <= at < end``, oldest first (re-declaring the same state is not a change).

    Args:
        session: the unit of work.
        team_ids: only these teams (None: all).
        start: from this moment.
        end: up to, not including, this moment.

    Returns:
        The changes.
    """
    names = {row[0]: row[1] for row in session.execute(select(Team.id, Team.name))}
    entries = {row[0]: row[1] for row in session.execute(select(CatalogueEntry.id, CatalogueEntry.name))}
    before: dict[tuple[int, int], AdoptionLevel] = {}
    out: list[AdoptionChange] = []
    for row in _rows(session, team_ids, before=end):
        key = (row.team_id, row.entry_id)
        previous = before.get(key)
        before[key] = row.state
        if row.set_at >= start and previous is not row.state:
            out.append(
                AdoptionChange(
                    team_id=row.team_id,
                    team_name=names.get(row.team_id, ""),
                    entry_name=entries.get(row.entry_id, ""),
                    from_state=previous,
                    to_state=row.state,
                    at=row.set_at,
                    entry_id=row.entry_id,
                )
            )
    return out


@dataclass
class AdoptionTrend:
    """Share of applicable teams that adopted each entry, at the end of each month."""

    months: list[date]  # the first day of each month, for labels
    shares: dict[int, list[float | None]]  # entry id → one share (0..1) per month; None: too few teams
    teams: int
    min_group_size: int


def _month_starts(end: date, months: int) -> list[date]:
    year, month = end.year, end.month
    out = []
    for _ in range(months):
        out.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def trend(
    session: Session,
    *,
    team_ids: Sequence[int] | None = None,
    months: int = 12,
    now: datetime | None = None,
    min_group_size: int = 3,
) -> AdoptionTrend:
    """Adoption over time: per active entry and month, adopted teams ÷ teams for which it applies.

    A team's state at the end of a month is its latest declaration before the month ends (the current
    month: before ``now``); a team with no declaration counts as not started. A month in which fewer
    than ``min_group_size`` teams apply shows no share (roll-ups hide small groups).

    Args:
        session: the unit of work.
        team_ids: only these teams (None: all).
        months: how many months, ending with the current one.
        now: the clock.
        min_group_size: the smallest number of teams whose share is shown.

    Returns:
        The trend.
    """
    now = now or utcnow()
    starts = _month_starts(now.astimezone(UTC).date(), months)
    all_teams = list(session.scalars(select(Team.id) if team_ids is None else select(Team.id).where(Team.id.in_(list(team_ids)))))
    entries = list_entries(session=session, active_only=True)
    rows = _rows(session, all_teams, before=now)
    shares: dict[int, list[float | None]] = {entry.id: [] for entry in entries}
    for start in starts:
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        month_end = min(datetime(following.year, following.month, 1, tzinfo=UTC), now)
        latest: dict[tuple[int, int], AdoptionLevel] = {}
        for row in rows:
            if row.set_at < month_end:
                latest[(row.team_id, row.entry_id)] = row.state
        for entry in entries:
            states = [latest.get((team_id, entry.id), AdoptionLevel.NOT_STARTED) for team_id in all_teams]
            shares[entry.id].append(adopted_share(states, min_group_size=min_group_size))
    return AdoptionTrend(months=starts, shares=shares, teams=len(all_teams), min_group_size=min_group_size)
