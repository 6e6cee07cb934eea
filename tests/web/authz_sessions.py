"""Authorisation expectations for stand-ups, refinements and plannings (see ``authz_roles`` for the contract).

Like retros, only Team A's people (its member and delivery manager) take part, not even admins; the
facilitator (here Team A's delivery manager, who started it) moves the walk, runs the timer, forecasts,
commits the plan and finishes the session.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops.facilitation import service
from deliveryops.facilitation.models import Kind
from tests.web.authz_roles import A_DM, A_PEOPLE, DM_A, Expectations, WorldBase

ITEM = {"key": "WALK-1"}

EXPECTED: Expectations = {
    ("GET", "/api/v1/teams/{team_id}/sessions"): (A_PEOPLE, None),
    ("POST", "/api/v1/teams/{team_id}/sessions"): (A_PEOPLE, {"kind": "standup"}),
    ("GET", "/api/v1/sessions/{session_id}"): (A_PEOPLE, None),
    ("POST", "/api/v1/sessions/{session_id}/focus"): (A_DM, {"step": 1}),
    ("POST", "/api/v1/sessions/{session_id}/timer"): (A_DM, {"minutes": 0}),
    ("POST", "/api/v1/sessions/{session_id}/swarm"): (A_PEOPLE, ITEM),
    ("POST", "/api/v1/sessions/{session_id}/impediments"): (A_PEOPLE, ITEM),
    ("POST", "/api/v1/sessions/{session_id}/escalate"): (A_PEOPLE, ITEM),
    ("POST", "/api/v1/sessions/{session_id}/items"): (A_PEOPLE, {**ITEM, "decision": "ready"}),
    ("POST", "/api/v1/sessions/{session_id}/forecast"): (A_DM, {"by_date": "{future}"}),
    ("POST", "/api/v1/sessions/{session_id}/commit"): (A_DM, {}),
    ("POST", "/api/v1/sessions/{session_id}/actions"): (A_PEOPLE, {"title": "Walk action"}),
    ("POST", "/api/v1/sessions/{session_id}/finish"): (A_DM, {}),
    ("GET", "/teams/{slug}/sessions"): (A_PEOPLE, None),
    ("POST", "/teams/{slug}/sessions"): (A_PEOPLE, {"kind": "standup"}),
    ("GET", "/sessions/{session_id}"): (A_PEOPLE, None),
    ("GET", "/sessions/{session_id}/events"): (A_PEOPLE, None),
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """A planning of Team A, started by its delivery manager (so forecast and commit reach the planning's rules)."""
    live = service.schedule(session=session, actor=world.people[DM_A], team_id=world.team_a.id, kind=Kind.PLANNING)
    return {"session_id": str(live.id)}
