"""Authorisation expectations for the chance of delivery and the timeline of dependencies.

The walk's dependency is Team A's request to the Legal function (made by ``authz_dependencies``): Team A's people
and the cross-team roles read its chance; only the requesting side (Team A's delivery manager, Product Ops,
admins) sets its threshold.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.web.authz_roles import A_VIEWERS, ADMINS, DM_A, OPS, SIGNED_IN, Expectations, WorldBase

REQUESTERS_A = frozenset({DM_A, OPS}) | ADMINS

EXPECTED: Expectations = {
    ("GET", "/api/v1/dependencies/risk"): (SIGNED_IN, None),
    ("GET", "/api/v1/dependencies/{dependency_id}/chance"): (A_VIEWERS, None),
    ("PUT", "/api/v1/dependencies/{dependency_id}/threshold"): (REQUESTERS_A, {"threshold": 60}),
    ("GET", "/dependencies/timeline"): (SIGNED_IN, None),
    ("POST", "/dependencies/{dependency_id}/threshold"): (REQUESTERS_A, {"threshold": "60"}),
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """Nothing of its own: the routes use the dependency of ``authz_dependencies``."""
    del session, world
    return {}
