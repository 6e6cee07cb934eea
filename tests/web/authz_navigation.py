"""Authorisation expectations for the navigation's own pages (see ``authz_roles`` for the contract).

Forecasts and Retros lead to the person's team's page (or a choice of team); anyone signed in may open them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.web.authz_roles import SIGNED_IN, Expectations, WorldBase

EXPECTED: Expectations = {
    ("GET", "/forecasts"): (SIGNED_IN, None),
    ("GET", "/retros"): (SIGNED_IN, None),
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """Nothing of its own: the pages list the walk's teams."""
    return {}
