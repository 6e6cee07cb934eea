"""Authorisation expectations for the experiments routes (see ``authz_roles`` for the contract)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.web.authz_roles import Expectations, WorldBase

EXPECTED: Expectations = {}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """Create the experiments objects the walk acts upon; return their path placeholders."""
    return {}
