"""Rollouts of a catalogue entry across chosen teams, and their measured effect: teams' weekly outcome
before and after they adopted, against teams that had not adopted yet (``deliveryops.analytics.rollouts``).

Product Ops and admins plan rollouts (an entry, teams with target dates, an owner, the outcome metric);
Product Ops, leaders and admins read them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.actions.measure import weekly_series
from deliveryops.actions.models import TargetMetric
from deliveryops.analytics.rollouts import PRE_WEEKS, RolloutEffect, align_weeks, estimate_effect
from deliveryops.cockpit.adoption.checks import CheckResult, run_check
from deliveryops.cockpit.adoption.service import current_states
from deliveryops.cockpit.catalogue.service import require_editor
from deliveryops.cockpit.models import AdoptionLevel, AdoptionState, CatalogueEntry, Rollout, RolloutTeam
from deliveryops.db import utcnow
from deliveryops.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.flow.data import load_team_data
from deliveryops.teams.models import Team

__all__ = [
    "CURVE_POINTS",
    "FLOW_METRICS",
    "CurvePoint",
    "RolloutReport",
    "TeamProgress",
    "adopted_since",
    "create_rollout",
    "get_rollout_or_raise",
    "list_rollouts",
    "measure_rollout",
    "report",
    "require_reader",
    "rollout_teams",
]

CURVE_POINTS = 12
DEFAULT_WEEKS = 26
MAX_WEEKS = 104
MAX_ROLLOUT_TEAMS = 200

FLOW_METRICS = (
    TargetMetric.THROUGHPUT,
    TargetMetric.CYCLE_TIME_P85,
    TargetMetric.WIP,
    TargetMetric.FLOW_EFFICIENCY,
    TargetMetric.BLOCKED_DAYS,
)


def adopted_since(session: Session, *, entry_id: int, team_ids: Sequence[int]) -> dict[int, date | None]:
    """Per team, the day its current run of "adopted" began in the declared history (None: not adopted now)."""
    rows = session.scalars(
        select(AdoptionState)
        .where(AdoptionState.entry_id == entry_id, AdoptionState.team_id.in_(list(team_ids)))
        .order_by(AdoptionState.set_at, AdoptionState.id)
    )
    since: dict[int, date | None] = dict.fromkeys(team_ids)
    for row in rows:
        if row.state is not AdoptionLevel.ADOPTED:
            since[row.team_id] = None
        elif since[row.team_id] is None:
            since[row.team_id] = row.set_at.date()
    return since


def measure_rollout(
    session: Session,
    *,
    entry_id: int,
    teams: Sequence[Team],
    today: date,
    metric: TargetMetric = TargetMetric.THROUGHPUT,
    weeks: int = 26,
) -> RolloutEffect:
    """The effect of adopting a catalogue entry on a flow metric across the given teams.

    Args:
        session: the unit of work.
        entry_id: the catalogue entry rolled out.
        teams: the teams of the rollout and the comparison (already authorised by the caller); teams
            not adopted serve as comparison teams.
        today: the last complete week is the one before ``today``'s.
        metric: one of :data:`FLOW_METRICS`.
        weeks: how many complete weeks of history to compare.

    Returns:
        The :class:`deliveryops.analytics.rollouts.RolloutEffect`.
    """
    if metric not in FLOW_METRICS:
        raise ValueError(f"{metric.value} is not a flow metric")
    end = today - timedelta(days=today.weekday() + 1)  # the Sunday closing the last complete week
    start = end - timedelta(weeks=weeks) + timedelta(days=1)
    weekly = {str(team.id): weekly_series(load_team_data(session, team), metric, start=start, end=end) for team in teams}
    since = adopted_since(session, entry_id=entry_id, team_ids=[team.id for team in teams])
    return estimate_effect(align_weeks(weekly, {str(key): day for key, day in since.items()}))


# Stored rollouts.


def require_reader(actor: User | None) -> None:
    """Rollouts compare teams across the organisation: Product Ops, leaders and admins (None: trusted callers)."""
    if actor is not None and not actor.role.sees_all_teams:
        raise PermissionDeniedError("Rollouts are for Product Ops, leaders and admins.")


def create_rollout(
    *,
    session: Session,
    actor: User | None,
    entry_id: int,
    title: str,
    metric: str,
    starts_on: date,
    teams: Sequence[tuple[int, date]],
    owner_id: int | None = None,
    notes: str = "",
) -> Rollout:
    """Plan a rollout of a catalogue entry across teams, each with the day it should have adopted by.

    Args:
        session: the unit of work.
        actor: Product Ops or an admin (None for trusted callers such as the demo).
        entry_id: the tool or practice rolled out.
        title: a short name, at most 200 characters.
        metric: the outcome it should move, one of :data:`FLOW_METRICS`.
        starts_on: the day the rollout starts.
        teams: (team id, target day) pairs, at least one, each target on or after ``starts_on``.
        owner_id: the person who drives it (default: the actor).
        notes: what the rollout is for.

    Returns:
        The rollout.
    """
    require_editor(actor)
    errors: dict[str, str] = {}
    entry = session.get(CatalogueEntry, entry_id)
    if entry is None:
        errors["entry_id"] = "Choose a tool or practice from the catalogue."
    title = " ".join(title.split())
    if not title:
        errors["title"] = "Enter a title."
    elif len(title) > 200:
        errors["title"] = "Use at most 200 characters."
    if metric not in {m.value for m in FLOW_METRICS}:
        errors["metric"] = "Choose a flow metric: " + ", ".join(m.value for m in FLOW_METRICS) + "."
    owner = owner_id if owner_id is not None else (actor.id if actor else None)
    if owner is not None and session.get(User, owner) is None:
        errors["owner_id"] = "Choose an existing person."
    chosen = dict(teams)
    if not chosen:
        errors["teams"] = "Choose at least one team."
    elif len(chosen) > MAX_ROLLOUT_TEAMS:
        errors["teams"] = f"Choose at most {MAX_ROLLOUT_TEAMS} teams."
    elif len(set(session.scalars(select(Team.id).where(Team.id.in_(list(chosen)))))) != len(chosen):
        errors["teams"] = "Choose existing teams."
    elif any(target < starts_on for target in chosen.values()):
        errors["teams"] = "Each team's target date must be on or after the start."
    if len(notes) > 5000:
        errors["notes"] = "Keep the notes under 5,000 characters."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    rollout = Rollout(
        entry_id=entry_id,
        title=title,
        owner_id=owner,
        metric=metric,
        starts_on=starts_on,
        notes=notes.strip(),
        created_by_id=actor.id if actor else None,
    )
    session.add(rollout)
    session.flush()
    session.add_all(RolloutTeam(rollout_id=rollout.id, team_id=team_id, target_on=day) for team_id, day in chosen.items())
    session.flush()
    return rollout


def list_rollouts(*, session: Session, entry_id: int | None = None) -> list[Rollout]:
    """Rollouts, newest start first (the caller has checked :func:`require_reader`)."""
    statement = select(Rollout).order_by(Rollout.starts_on.desc(), Rollout.id.desc())
    if entry_id is not None:
        statement = statement.where(Rollout.entry_id == entry_id)
    return list(session.scalars(statement))


def get_rollout_or_raise(*, session: Session, rollout_id: int) -> Rollout:
    """One rollout (the caller has checked :func:`require_reader`)."""
    rollout = session.get(Rollout, rollout_id)
    if rollout is None:
        raise NotFoundError(f"No rollout with id {rollout_id}.")
    return rollout


def rollout_teams(session: Session, rollout: Rollout) -> list[tuple[Team, date]]:
    """The rollout's teams by name, each with its target day."""
    rows = session.execute(
        select(Team, RolloutTeam.target_on)
        .join(RolloutTeam, RolloutTeam.team_id == Team.id)
        .where(RolloutTeam.rollout_id == rollout.id)
        .order_by(Team.name)
    )
    return [(team, target) for team, target in rows]


@dataclass(frozen=True)
class TeamProgress:
    """Where one team of a rollout stands: declared, what its data check says, and against its target."""

    team: Team
    target_on: date
    declared: AdoptionLevel
    adopted_on: date | None
    check: CheckResult | None

    @property
    def on_time(self) -> bool | None:
        """Adopted by the target day (None: not adopted yet and the target still ahead is judged later)."""
        if self.adopted_on is not None:
            return self.adopted_on <= self.target_on
        return None


@dataclass(frozen=True)
class CurvePoint:
    """The adoption curve at the end of one day: teams declared adopted, and teams the data check confirms."""

    day: date
    declared: int
    confirmed: int | None
    teams: int


@dataclass(frozen=True)
class RolloutReport:
    """A rollout's progress and measured effect."""

    rollout: Rollout
    entry: CatalogueEntry
    teams: list[TeamProgress]
    curve: list[CurvePoint]
    effect: RolloutEffect
    comparison_teams: int


def _curve_days(start: date, today: date) -> list[date]:
    """Up to :data:`CURVE_POINTS` days from the start, a whole number of weeks apart, and today."""
    if today <= start:
        return [today]
    step = max(1, math.ceil((today - start).days / (7 * (CURVE_POINTS - 1))))
    days = []
    day = start
    while day < today:
        days.append(day)
        day += timedelta(weeks=step)
    return [*days, today]


def _curve(session: Session, entry: CatalogueEntry, teams: Sequence[Team], days: Sequence[date]) -> list[CurvePoint]:
    out = []
    check = entry.data_check if entry.data_check is not None and entry.data_check.observable else None
    for day in days:
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
        states = current_states(session, team_ids=[t.id for t in teams], at=end)
        declared = sum(
            1 for t in teams if (row := states.get((t.id, entry.id))) is not None and row.state is AdoptionLevel.ADOPTED
        )
        confirmed = None
        if check is not None:
            now = min(end, utcnow())
            confirmed = sum(1 for t in teams if run_check(session, t, check, now=now, entry_id=entry.id).confirmed is True)
        out.append(CurvePoint(day=day, declared=declared, confirmed=confirmed, teams=len(teams)))
    return out


def report(session: Session, rollout: Rollout, *, today: date | None = None) -> RolloutReport:
    """The rollout's progress per team, its adoption curve and the measured effect on its outcome metric.

    The effect compares the rollout's teams, before and after each declared its adoption, with every
    other team of the organisation that had not adopted yet (:func:`measure_rollout`), over the complete
    weeks from 8 weeks before the rollout's start (at least 26, at most 104 weeks).

    Args:
        session: the unit of work.
        rollout: the rollout (the caller has checked :func:`require_reader`).
        today: the clock (UTC date).

    Returns:
        The report.
    """
    today = today or utcnow().date()
    entry = session.get(CatalogueEntry, rollout.entry_id)
    assert entry is not None  # the foreign key cascades
    targets = rollout_teams(session, rollout)
    teams = [team for team, _ in targets]
    since = adopted_since(session, entry_id=entry.id, team_ids=[t.id for t in teams])
    states = current_states(session, team_ids=[t.id for t in teams])
    check = entry.data_check
    progress = [
        TeamProgress(
            team=team,
            target_on=target,
            declared=row.state if (row := states.get((team.id, entry.id))) is not None else AdoptionLevel.NOT_STARTED,
            adopted_on=since.get(team.id),
            check=run_check(session, team, check, entry_id=entry.id) if check is not None else None,
        )
        for team, target in targets
    ]
    others = list(session.scalars(select(Team).where(Team.id.not_in([t.id for t in teams])).order_by(Team.name)))
    # The weeks compared reach back far enough to hold the pre-window of a team adopting at the start.
    weeks = min(MAX_WEEKS, max(DEFAULT_WEEKS, (today - rollout.starts_on).days // 7 + PRE_WEEKS + 1))
    effect = measure_rollout(
        session, entry_id=entry.id, teams=[*teams, *others], today=today, metric=TargetMetric(rollout.metric), weeks=weeks
    )
    return RolloutReport(
        rollout=rollout,
        entry=entry,
        teams=progress,
        curve=_curve(session, entry, teams, _curve_days(rollout.starts_on, today)),
        effect=effect,
        comparison_teams=len(others),
    )
