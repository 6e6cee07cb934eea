"""Demo data for coaching: insights for every team, a few notes by the delivery managers, one dismissal, one action."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.coaching import notes, service
from deliveryops.coaching.models import Insight
from deliveryops.teams.models import Membership, Team, TeamRole

__all__ = ["build_coaching"]

# team, note, shared with the team
NOTES: list[tuple[str, str, bool]] = [
    (
        "Search",
        "WIP has crept up since spring and nobody says no to new work. Bring the WIP chart to the next "
        "retro and ask what the team would stop starting.",
        False,
    ),
    ("Search", "Agreed in the retro: we look at the oldest items first in every daily.", True),
    (
        "Data Platform",
        "Most blocked days are data-access waits. Talk to Product Ops about a standing access "
        "request process; it hits Growth too.",
        False,
    ),
    ("Checkout", "The WIP limit of 5 is holding and cycle time has come down. Celebrate it in the next review.", True),
    ("Payments", "Splitting stories below three days worked: keep the size check in refinement, not only in planning.", False),
]
# Preferred (team, kind) to dismiss with a reason, and to turn into an improvement action; the first present wins.
DISMISS = [
    (
        "Mobile",
        "action_without_effect",
        "The weekly release train started only two months ago; look again at the quarterly review.",
    )
]
TO_ACTION = [("Search", "wip_above_littles_law"), ("Data Platform", "blocked_reason_concentrated")]


def _dm_of(session: Session, team: Team) -> User | None:
    return session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team.id, Membership.team_role == TeamRole.DELIVERY_MANAGER)
        .order_by(User.id)
        .limit(1)
    )


def _find(session: Session, teams: dict[str, Team], team_name: str, kind: str) -> tuple[Insight, User] | None:
    team = teams.get(team_name)
    if team is None:
        return None
    insight = session.scalar(
        select(Insight)
        .where(Insight.team_id == team.id, Insight.kind == kind, Insight.resolved_at.is_(None))
        .order_by(Insight.id)
        .limit(1)
    )
    dm = _dm_of(session, team)
    return (insight, dm) if insight is not None and dm is not None else None


def build_coaching(session: Session, *, now: datetime, seed: int) -> int:
    """Add coaching data to the demo organisation; returns how many records it made.

    Runs last: the insights read everything the other demo steps made.
    """
    teams = {team.name: team for team in session.scalars(select(Team).order_by(Team.name))}
    made = 0
    for team in teams.values():
        made += len(service.refresh(session, team_id=team.id, now=now))
    for team_name, text, shared in NOTES:
        noted = teams.get(team_name)
        dm = _dm_of(session, noted) if noted else None
        if noted is None or dm is None:
            continue
        note = notes.create(session=session, actor=dm, team_id=noted.id, text=text, shared_with_team=shared)
        note.created_at = note.updated_at = now
        made += 1
    for team_name, kind, reason in DISMISS:
        found = _find(session, teams, team_name, kind)
        if found is not None:
            service.dismiss(session=session, actor=found[1], insight_id=found[0].id, reason=reason, now=now)
            made += 1
            break
    for team_name, kind in TO_ACTION:
        found = _find(session, teams, team_name, kind)
        if found is not None:
            service.to_action(session=session, actor=found[1], insight_id=found[0].id, now=now)
            made += 1
            break
    session.flush()
    return made
