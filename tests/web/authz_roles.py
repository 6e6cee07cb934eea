"""Roles and role sets of the authorisation walk, shared by the per-capability expectation modules.

Each capability with routes has a module ``tests/web/authz_<name>.py`` defining ``EXPECTED`` (same shape
as in ``test_authorization.py``), optionally ``PATH_OVERRIDES``, and ``world_values(session, world)``, which
creates that capability's objects in the walk's world and returns the path placeholders they fill.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deliveryops.accounts.models import User
from deliveryops.teams.models import Group, Team

ANON = "anonymous"
MEMBER_A = "member of A"
MEMBER_B = "member of B"
DM_A = "delivery manager of A"
OPS = "product ops"
LEADER = "leader"
ADMIN = "admin"
ROLES = [ANON, MEMBER_A, MEMBER_B, DM_A, OPS, LEADER, ADMIN]
SIGNED_IN = frozenset(ROLES) - {ANON}
PUBLIC = frozenset(ROLES)
A_VIEWERS = frozenset({MEMBER_A, DM_A, OPS, LEADER, ADMIN})
A_MANAGERS = frozenset({DM_A, ADMIN})
ADMINS = frozenset({ADMIN})
NOBODY: frozenset[str] = frozenset()
A_RAISERS = frozenset({MEMBER_A, DM_A, ADMIN})
OPS_ADMIN = frozenset({OPS, ADMIN})
A_PEOPLE = frozenset({MEMBER_A, DM_A})  # retros: the team and its delivery manager only, not even admins
A_DM = frozenset({DM_A})
CROSS_TEAM = frozenset({OPS, LEADER, ADMIN})
FILE = "__file__"  # a body key naming an example file to upload as multipart "file"
EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"

Expectations = dict[tuple[str, str], tuple[frozenset[str], dict[str, Any] | None]]


@dataclass
class WorldBase:
    """What the walk's world holds before each capability adds its own objects.

    ``people`` maps each role name above (except ANON) to its user; member of A and the delivery
    manager of A are in Team A (Group A), member of B in Team B (Group B); ``outsider`` is in no team.
    """

    team_a: Team
    team_b: Team
    group_a: Group
    group_b: Group
    people: dict[str, User]
    outsider: User
