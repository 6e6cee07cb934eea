"""Authorisation expectations for cross-team dependencies (see ``authz_roles`` for the contract).

The walk's dependency is Team A's request to the Legal function: Team A's people and the cross-team roles
read it; only Product Ops and admins answer for a function without an owner; Team A's delivery manager
requests for Team A.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.dependencies import service
from deliveryops.dependencies.models import DependencyFunction
from deliveryops.dependencies.schemas import DependencyCreate
from tests.web.authz_roles import A_VIEWERS, ADMINS, DM_A, OPS, OPS_ADMIN, SIGNED_IN, Expectations, WorldBase

REQUESTERS_A = frozenset({DM_A, OPS}) | ADMINS
NEW = {"requester_team_id": "{team_id}", "provider_team_id": "{team_b_id}", "title": "Walk", "needed_by": "2027-01-15"}
ACCEPT = {"action": "accept", "committed_on": "2027-01-10"}

EXPECTED: Expectations = {
    ("GET", "/api/v1/dependencies"): (SIGNED_IN, None),
    ("POST", "/api/v1/dependencies"): (REQUESTERS_A, NEW),
    ("GET", "/api/v1/dependencies/matrix"): (SIGNED_IN, None),
    ("GET", "/api/v1/dependencies/{dependency_id}"): (A_VIEWERS, None),
    ("POST", "/api/v1/dependencies/{dependency_id}/transitions"): (OPS_ADMIN, ACCEPT),
    ("GET", "/api/v1/dependency-functions"): (SIGNED_IN, None),
    ("POST", "/api/v1/dependency-functions"): (ADMINS, {"name": "Finance"}),
    ("GET", "/dependencies"): (SIGNED_IN, None),
    ("GET", "/dependencies/new"): (SIGNED_IN, None),
    ("POST", "/dependencies/new"): (REQUESTERS_A, NEW),
    ("GET", "/dependencies/matrix"): (SIGNED_IN, None),
    ("GET", "/dependencies/functions"): (SIGNED_IN, None),
    ("POST", "/dependencies/functions"): (ADMINS, {"name": "Procurement"}),
    ("GET", "/dependencies/{dependency_id}"): (A_VIEWERS, None),
    ("POST", "/dependencies/{dependency_id}/transitions"): (OPS_ADMIN, ACCEPT),
    ("GET", "/teams/{slug}/dependencies"): (A_VIEWERS, None),
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """Team A's request to Legal; the dependency's id and Team B's id."""
    legal = session.scalar(select(DependencyFunction).where(DependencyFunction.name == "Legal"))
    assert legal is not None
    body = DependencyCreate(
        requester_team_id=world.team_a.id, provider_function_id=legal.id, title="Terms", needed_by=date(2027, 1, 20)
    )
    dependency = service.create(session=session, actor=None, body=body)
    return {"dependency_id": str(dependency.id), "team_b_id": str(world.team_b.id)}
