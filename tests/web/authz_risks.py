"""Authorisation expectations for the ROAM risk register (see ``authz_roles`` for the contract).

The walk's risk belongs to Team A: Team A's people and the cross-team roles read it; Team A's delivery manager,
Product Ops and admins raise and edit Team A's risks.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops.risks import service
from deliveryops.risks.schemas import RiskWrite
from tests.web.authz_roles import A_VIEWERS, ADMINS, DM_A, OPS, SIGNED_IN, Expectations, WorldBase

EDITORS_A = frozenset({DM_A, OPS}) | ADMINS
BODY = {"title": "Walk risk", "team_id": "{team_id}", "impact": "high"}

EXPECTED: Expectations = {
    ("GET", "/api/v1/risks"): (SIGNED_IN, None),
    ("POST", "/api/v1/risks"): (EDITORS_A, BODY),
    ("GET", "/api/v1/risks/{risk_id}"): (A_VIEWERS, None),
    ("PUT", "/api/v1/risks/{risk_id}"): (EDITORS_A, BODY),
    ("GET", "/risks"): (SIGNED_IN, None),
    ("GET", "/risks/new"): (SIGNED_IN, None),
    ("POST", "/risks/new"): (EDITORS_A, BODY),
    ("GET", "/risks/{risk_id}"): (A_VIEWERS, None),
    ("GET", "/risks/{risk_id}/edit"): (EDITORS_A, None),
    ("POST", "/risks/{risk_id}/edit"): (EDITORS_A, BODY),
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """A risk of Team A."""
    risk = service.create(session=session, actor=None, body=RiskWrite(title="Team A risk", team_id=world.team_a.id))
    return {"risk_id": str(risk.id)}
