"""Authorisation expectations for the health routes (see ``authz_roles`` for the contract)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops.health import catalog, service
from deliveryops.health.catalog import CardIn
from tests.web.authz_roles import (
    A_MANAGERS,
    A_VIEWERS,
    ADMIN,
    CROSS_TEAM,
    DM_A,
    MEMBER_A,
    SIGNED_IN,
    Expectations,
    WorldBase,
)

EDITORS = frozenset({DM_A, ADMIN})  # admins and delivery managers write templates
HEATMAP = CROSS_TEAM | {DM_A}  # Product Ops, leaders, admins; a delivery manager for their teams
ANSWERERS = frozenset({MEMBER_A})  # the team's members only: not its DM, not admins
_CARD = {"key": "speed", "title": "Speed", "awesome": "Fast", "crappy": "Slow"}

EXPECTED: Expectations = {
    ("GET", "/api/v1/health/templates"): (SIGNED_IN, None),
    ("POST", "/api/v1/health/templates"): (EDITORS, {"name": "Walk template", "cards": [_CARD]}),
    ("GET", "/api/v1/health/templates/{health_template_id}"): (SIGNED_IN, None),
    ("PUT", "/api/v1/health/templates/{health_template_id}"): (EDITORS, {"name": "Walk template 2", "cards": [_CARD]}),
    ("GET", "/api/v1/teams/{team_id}/health/rounds"): (A_VIEWERS, None),
    ("POST", "/api/v1/teams/{team_id}/health/rounds"): (A_MANAGERS, {}),  # 409: one is open already
    ("GET", "/api/v1/health/rounds/{health_round_id}"): (A_VIEWERS, None),
    ("POST", "/api/v1/health/rounds/{health_round_id}/answers"): (ANSWERERS, {"answers": []}),
    ("GET", "/api/v1/teams/{team_id}/health/history"): (A_VIEWERS, None),
    ("GET", "/api/v1/health/heatmap"): (HEATMAP, None),
    ("GET", "/teams/{slug}/health"): (A_VIEWERS, None),
    ("POST", "/teams/{slug}/health/rounds"): (A_MANAGERS, {}),
    ("GET", "/teams/{slug}/health/export.csv"): (A_VIEWERS, None),
    ("GET", "/health/rounds/{health_round_id}"): (A_VIEWERS, None),
    ("POST", "/health/rounds/{health_round_id}/answers"): (ANSWERERS, {}),
    ("GET", "/health"): (HEATMAP, None),
    ("GET", "/health/definitions"): (SIGNED_IN, None),
    ("GET", "/health/templates"): (EDITORS, None),
    ("POST", "/health/templates"): (EDITORS, {"name": "Walk page template", "cards": "speed | Speed | Fast | Slow"}),
    ("GET", "/health/templates/{health_template_id}"): (EDITORS, None),
    ("POST", "/health/templates/{health_template_id}"): (
        EDITORS,
        {"name": "Walk page 2", "cards": "speed | Speed | Fast | Slow"},
    ),
    # Last: they close the round the entries above use.
    ("POST", "/api/v1/health/rounds/{health_round_id}/close"): (A_MANAGERS, None),
    ("POST", "/health/rounds/{health_round_id}/close"): (A_MANAGERS, {}),
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """Create the health objects the walk acts upon; return their path placeholders."""
    dm = world.people[DM_A]
    template = catalog.create_template(
        session=session, actor=dm, name="World template", cards=[CardIn("speed", "Speed", "Fast", "Slow")]
    )
    health_round = service.open_round(session=session, actor=dm, team_id=world.team_a.id)
    return {"health_template_id": str(template.id), "health_round_id": str(health_round.id)}
