"""One stand-up, one refinement and one planning of the Search team, run today on its data."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.facilitation import service
from deliveryops.facilitation.models import Kind
from deliveryops.teams.models import Membership, Team, TeamRole

TEAM = "Search"


def build_sessions(session: Session, *, now: datetime, seed: int) -> int:
    """The three sessions: a finished stand-up (a swarm and an action), a finished refinement (criteria,
    an estimate and a decision on the first candidates) and an open planning with its what-if forecast."""
    del seed  # the sessions follow the team's data, which the seed already chose
    team = session.scalars(select(Team).where(Team.name == TEAM)).one()
    members = session.scalars(select(Membership).where(Membership.team_id == team.id).order_by(Membership.id)).all()
    dm = session.get(User, next(m.user_id for m in members if m.team_role is TeamRole.DELIVERY_MANAGER))
    helper = session.get(User, next(m.user_id for m in members if m.team_role is not TeamRole.DELIVERY_MANAGER))
    assert dm is not None
    assert helper is not None
    standup = service.schedule(session=session, actor=dm, team_id=team.id, kind=Kind.STANDUP, title="Daily stand-up", now=now)
    if standup.agenda:
        service.swarm(session=session, actor=helper, session_id=standup.id, key=standup.agenda[0])
        service.add_action(
            session=session, actor=dm, session_id=standup.id, title="Swarm on the oldest item before starting new work"
        )
    for _ in standup.agenda[1:3]:
        service.move_focus(session=session, actor=dm, session_id=standup.id)
    service.finish(session=session, actor=dm, session_id=standup.id, now=now)
    refinement = service.schedule(
        session=session, actor=dm, team_id=team.id, kind=Kind.REFINEMENT, title="Backlog refinement", now=now
    )
    for key, decision in zip(refinement.agenda[:3], ("ready", "split", "ready"), strict=False):
        service.note_item(
            session=session,
            actor=helper,
            session_id=refinement.id,
            key=key,
            acceptance_criteria="Given a search, the results show it" if decision == "ready" else None,
            decision=decision,
        )
    service.finish(session=session, actor=dm, session_id=refinement.id, now=now)
    planning = service.schedule(
        session=session,
        actor=dm,
        team_id=team.id,
        kind=Kind.PLANNING,
        title="Two-week planning",
        by_date=(now + timedelta(days=14)).date(),
        now=now,
    )
    if planning.by_date is not None:
        service.forecast(session=session, actor=dm, session_id=planning.id, by_date=planning.by_date, now=now)
    for key in planning.agenda[:4]:
        service.note_item(session=session, actor=helper, session_id=planning.id, key=key, decision="planned")
    return 3
