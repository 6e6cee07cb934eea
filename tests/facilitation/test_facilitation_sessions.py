"""Stand-up, refinement and planning sessions on the demo organisation's data (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.actions.models import ImprovementAction
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.facilitation import service
from deliveryops.facilitation.models import Kind, LiveSession
from deliveryops.teams.models import Membership, Team, TeamRole
from tests.conftest import DEMO_NOW as NOW
from tests.factories import make_user


def state(session: Session, live: LiveSession) -> dict[str, Any]:
    """The session as the API answers it (its JSON), at the demo's now."""
    return service.state(session, live, now=NOW).model_dump(mode="json")


def people(session: Session, team_name: str = "Search") -> tuple[Team, User, User]:
    team = session.scalars(select(Team).where(Team.name == team_name)).one()
    members = session.scalars(select(Membership).where(Membership.team_id == team.id)).all()
    dm = next(m for m in members if m.team_role is TeamRole.DELIVERY_MANAGER)
    member = next(m for m in members if m.team_role is not TeamRole.DELIVERY_MANAGER)
    return team, session.get(User, dm.user_id), session.get(User, member.user_id)  # type: ignore[return-value]


def test_standup_walks_the_board_right_to_left_and_records_swarm_impediment_escalation(demo_session: Session) -> None:
    session = demo_session
    team, dm, member = people(session)
    live = service.schedule(session=session, actor=dm, team_id=team.id, kind=Kind.STANDUP, now=NOW)
    seen = state(session, live)
    items = seen["items"]
    assert items, "the demo team has work in progress"
    assert seen["sle_days"]
    assert seen["focus"] == 0
    # Right to left: stage positions never increase along the walk; within a stage blocked first, then oldest.
    board = {r["key"]: r for r in service.team_board(session, team, now=NOW).wip}
    walk = [(board[i["key"]]["position"], not i["blocked"], -i["age_days"]) for i in items]
    assert [w[0] for w in walk] == sorted((w[0] for w in walk), reverse=True)
    assert walk == sorted(walk, key=lambda w: (-w[0], w[1], w[2]))
    assert set(seen["since_yesterday"]) == {"since", "weekday", "moved", "finished", "newly_blocked"}
    key = items[0]["key"]
    service.swarm(session=session, actor=member, session_id=live.id, key=key)
    impediment = service.raise_impediment(session=session, actor=member, session_id=live.id, key=key, now=NOW)
    assert impediment.title.startswith(f"{key} blocked")
    service.escalate(session=session, actor=dm, session_id=live.id, key=key, now=NOW)
    first = state(session, live)["items"][0]
    assert first["helpers"] == [member.name]
    assert first["impediment"]["id"] == impediment.id
    assert first["impediment"]["level"] != "team"
    assert first["escalated"] is True
    # Only the facilitator moves the walk along.
    with pytest.raises(PermissionDeniedError):
        service.move_focus(session=session, actor=member, session_id=live.id)
    assert service.move_focus(session=session, actor=dm, session_id=live.id).focus == 1
    action = service.add_action(session=session, actor=member, session_id=live.id, title="Pair on the oldest item")
    assert (action.source, action.session_id) == ("standup", live.id)
    service.finish(session=session, actor=dm, session_id=live.id, now=NOW)
    assert live.outcome.startswith(f"{len(items)} items walked; 1 swarmed; 1 impediments raised; 1 escalated")
    with pytest.raises(ValidationFailedError, match="finished"):
        service.swarm(session=session, actor=member, session_id=live.id, key=key)


def test_refinement_judges_candidates_against_the_right_size(demo_session: Session) -> None:
    session = demo_session
    team, dm, member = people(session)
    live = service.schedule(session=session, actor=dm, team_id=team.id, kind=Kind.REFINEMENT, now=NOW)
    items = state(session, live)["items"]
    assert items, "the demo team has items not started"
    assert all(i["right_size"]["verdict"] in ("split", "fits", "unknown") for i in items)
    key = items[0]["key"]
    service.note_item(
        session=session,
        actor=member,
        session_id=live.id,
        key=key,
        acceptance_criteria="Refund shows",
        estimate=13.0,
        decision="split",
    )
    noted = state(session, live)["items"][0]
    assert (noted["acceptance_criteria"], noted["estimate"], noted["decision"]) == ("Refund shows", 13.0, "split")
    with pytest.raises(ValidationFailedError):
        service.note_item(session=session, actor=member, session_id=live.id, key=key, decision="maybe")


def test_planning_forecast_commits_as_the_teams_plan_and_lists_dependencies(demo_session: Session) -> None:
    session = demo_session
    team, dm, member = people(session)
    live = service.schedule(session=session, actor=dm, team_id=team.id, kind=Kind.PLANNING, now=NOW)
    assert live.by_date is not None
    service.forecast(session=session, actor=dm, session_id=live.id, by_date=live.by_date, now=NOW)
    key = live.agenda[0]
    service.note_item(session=session, actor=member, session_id=live.id, key=key, decision="planned")
    planning = state(session, live)["planning"]
    assert planning["guide"]["counts"]
    assert planning["guide"]["committed"] is False
    assert planning["planned"] == [key]
    assert all("needed_by" in d for d in planning["dependencies"])
    service.commit_plan(session=session, actor=dm, session_id=live.id, now=NOW)
    assert state(session, live)["planning"]["guide"]["committed"] is True


def test_only_the_team_takes_part(demo_session: Session) -> None:
    session = demo_session
    team, dm, _member = people(session)
    live = service.schedule(session=session, actor=dm, team_id=team.id, kind=Kind.STANDUP, now=NOW)
    for role in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN):
        with pytest.raises(PermissionDeniedError, match="visible only to the team"):
            service.get_or_raise(session=session, actor=make_user(session, role=role), session_id=live.id)
    assert session.scalars(select(ImprovementAction).where(ImprovementAction.session_id == live.id)).all() == []


def test_demo_shows_one_session_of_each_kind(demo_session: Session) -> None:
    session = demo_session
    team = session.scalars(select(Team).where(Team.name == "Search")).one()
    shown = {s.kind: s for s in session.scalars(select(LiveSession).where(LiveSession.team_id == team.id))}
    assert set(shown) == set(Kind)
    standup = state(session, shown[Kind.STANDUP])
    assert standup["finished"]
    assert "1 swarmed" in standup["outcome"]
    assert [a["title"] for a in standup["actions"]] == ["Swarm on the oldest item before starting new work"]
    refinement = state(session, shown[Kind.REFINEMENT])
    assert [i["decision"] for i in refinement["items"][:3]] == ["ready", "split", "ready"]
    planning = state(session, shown[Kind.PLANNING])
    assert planning["planning"]["guide"]["counts"]
    assert len(planning["planning"]["planned"]) == 4
