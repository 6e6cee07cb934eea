"""Authorisation expectations for multi-team retros and the retro of retros (see ``authz_roles``).

The walk's multi-team retro spans Team A and Team B and is facilitated by Product Ops, who created it.
The people of both teams and the facilitator take part; Product Ops and admins also see the synthesis;
only the facilitator runs it. Breakouts are ordinary retros of their team (their routes are walked with
the retros'). Recurring themes across teams are a cross-team roll-up: Product Ops, leaders and admins.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops.retros import multi
from tests.web.authz_roles import (
    ADMIN,
    CROSS_TEAM,
    DM_A,
    MEMBER_A,
    MEMBER_B,
    OPS,
    OPS_ADMIN,
    SIGNED_IN,
    Expectations,
    WorldBase,
)

TAKING_PART = frozenset({MEMBER_A, MEMBER_B, DM_A, OPS})
VIEWERS = TAKING_PART | {ADMIN}
FACILITATOR = frozenset({OPS})
CREATE = {"title": "Walk multi-team retro", "team_ids": "{multi_team_ids}"}

EXPECTED: Expectations = {
    ("GET", "/api/v1/multi-retros"): (SIGNED_IN, None),
    ("POST", "/api/v1/multi-retros"): (OPS_ADMIN, CREATE),
    ("GET", "/api/v1/multi-retros/{multi_id}"): (VIEWERS, None),
    ("POST", "/api/v1/multi-retros/{multi_id}/breakouts/advance"): (FACILITATOR, {}),
    ("POST", "/api/v1/multi-retros/{multi_id}/advance"): (FACILITATOR, {}),
    ("POST", "/api/v1/multi-retros/{multi_id}/themes/{theme_id}/merge"): (FACILITATOR, {"into_id": 1}),
    ("POST", "/api/v1/multi-retros/{multi_id}/themes/{theme_id}/rename"): (FACILITATOR, {"title": "Walk rename"}),
    ("POST", "/api/v1/multi-retros/{multi_id}/votes"): (TAKING_PART, {"theme_id": 1}),
    ("POST", "/api/v1/multi-retros/{multi_id}/actions"): (TAKING_PART, {"title": "Walk action", "team_id": "{team_id}"}),
    ("GET", "/api/v1/retro-themes"): (CROSS_TEAM, None),
    ("GET", "/multi-retros"): (SIGNED_IN, None),
    ("POST", "/multi-retros"): (OPS_ADMIN, CREATE),
    ("GET", "/multi-retros/{multi_id}"): (VIEWERS, None),
    ("GET", "/multi-retros/{multi_id}/events"): (VIEWERS, None),
    ("GET", "/retro-themes"): (CROSS_TEAM, None),
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """A multi-team retro across Team A and Team B, created (so facilitated) by Product Ops."""
    found = multi.create(
        session=session, actor=world.people[OPS], title="World multi-team retro", team_ids=[world.team_a.id, world.team_b.id]
    )
    return {"multi_id": str(found.id), "multi_team_ids": f"{world.team_a.id},{world.team_b.id}"}
