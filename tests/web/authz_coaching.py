"""Authorisation expectations for the coaching routes (see ``authz_roles`` for the contract)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops.coaching import notes
from deliveryops.coaching.models import Insight
from deliveryops.db import utcnow
from tests.web.authz_roles import A_DM, A_MANAGERS, A_VIEWERS, CROSS_TEAM, DM_A, Expectations, WorldBase

# Insights: the team's viewers read them; its delivery manager (and admins) act on them.
# Notes: only the team's delivery managers write them; only the author changes them; admins never read
# a private note (the walk's notes are DM A's private notes, so only DM A passes).
EXPECTED: Expectations = {
    ("GET", "/teams/{slug}/coaching"): (A_VIEWERS, None),
    ("POST", "/teams/{slug}/coaching/insights/{insight_id}/dismiss"): (A_MANAGERS, {"reason": "Walk"}),
    ("POST", "/teams/{slug}/coaching/insights/{insight_id}/action"): (A_MANAGERS, {"title": "Walk"}),
    ("POST", "/teams/{slug}/coaching/notes"): (A_DM, {"text": "Walk note"}),
    ("POST", "/coaching/notes/{note_id}/share"): (A_DM, {"shared_with_team": "on"}),
    ("POST", "/coaching/notes/{note_id}/delete"): (A_DM, {}),
    ("GET", "/coaching"): (CROSS_TEAM, None),
    ("GET", "/api/v1/teams/{team_id}/coaching/insights"): (A_VIEWERS, None),
    ("POST", "/api/v1/coaching/insights/{insight_id}/dismiss"): (A_MANAGERS, {"reason": "Walk"}),
    ("POST", "/api/v1/coaching/insights/{insight_id}/action"): (A_MANAGERS, {}),
    ("GET", "/api/v1/coaching/counts"): (CROSS_TEAM, None),
    ("GET", "/api/v1/teams/{team_id}/coaching/notes"): (A_VIEWERS, None),
    ("POST", "/api/v1/teams/{team_id}/coaching/notes"): (A_DM, {"text": "Walk note"}),
    ("PATCH", "/api/v1/coaching/notes/{note_id}"): (A_DM, {"shared_with_team": False}),
    ("DELETE", "/api/v1/coaching/notes/{note_id}"): (A_DM, None),
}
# The page deletes one note and the API (after changing it) another.
PATH_OVERRIDES = {("POST", "/coaching/notes/{note_id}/delete"): {"note_id": "coaching_note_2_id"}}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """Create the coaching objects the walk acts upon; return their path placeholders."""
    now = utcnow()
    insight = Insight(
        team_id=world.team_a.id,
        kind="impediments_overdue",
        subject="team",
        severity="warning",
        magnitude=1.0,
        payload={
            "title": "Walk insight",
            "observed": "",
            "why": "",
            "practice": "impediment_escalation",
            "evidence": [],
            "target_metric": "blocked_days",
            "action_title": "Walk action",
        },
        first_seen_at=now,
        last_seen_at=now,
    )
    session.add(insight)
    dm = world.people[DM_A]
    first = notes.create(session=session, actor=dm, team_id=world.team_a.id, text="Walk private note")
    second = notes.create(session=session, actor=dm, team_id=world.team_a.id, text="Another private note")
    session.flush()
    return {"insight_id": str(insight.id), "note_id": str(first.id), "coaching_note_2_id": str(second.id)}
