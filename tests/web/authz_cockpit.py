"""Authorisation expectations for the cockpit routes (see ``authz_roles`` for the contract)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.leadership import service as leadership
from deliveryops.cockpit.rollouts import service as rollouts
from tests.web.authz_roles import (
    A_VIEWERS,
    ADMIN,
    CROSS_TEAM,
    DM_A,
    LEADER,
    MEMBER_A,
    OPS,
    OPS_ADMIN,
    SIGNED_IN,
    Expectations,
    WorldBase,
)

# Tools and practices: the matrix for cross-team roles and a team's delivery manager; states set by the
# team's delivery manager, Product Ops and admins; an impediment's tool named by its team, Product Ops, admins.
_MATRIX = CROSS_TEAM | {DM_A}
_SETTERS = frozenset({DM_A, OPS, ADMIN})
_LINKERS = frozenset({MEMBER_A, DM_A, OPS, ADMIN})
_YESTERDAY = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()  # a valid day to record a held session
_ENTRY = {"kind": "practice", "name": "World practice", "category": "flow", "active": "on"}
_CUSTOM = {"signal": "retros_held", "threshold": 1, "window_days": 28}
# Nested values are not filled in: a team id that may not exist is refused (422) only after authorisation.
_ROLLOUT = {
    "entry_id": "{entry_id}",
    "title": "Walk rollout",
    "starts_on": _YESTERDAY,
    "teams": [{"team_id": 1, "target_on": _YESTERDAY}],
}
_ROLLOUT_FORM = {
    "entry_id": "{entry_id}",
    "title": "Walk page rollout",
    "starts_on": _YESTERDAY,
    "teams.0.team_id": "{team_id}",
    "teams.0.target_on": _YESTERDAY,
}
_CATALOGUE: Expectations = {
    ("GET", "/cockpit/catalogue"): (SIGNED_IN, None),
    ("POST", "/cockpit/catalogue"): (OPS_ADMIN, {"kind": "tool", "name": "Walk tool", "category": "tracker"}),
    ("GET", "/cockpit/catalogue/{entry_id}"): (SIGNED_IN, None),
    ("GET", "/cockpit/catalogue/{entry_id}/edit"): (OPS_ADMIN, None),
    ("POST", "/cockpit/catalogue/{entry_id}"): (OPS_ADMIN, _ENTRY),
    ("GET", "/cockpit/adoption"): (_MATRIX, None),
    ("GET", "/teams/{slug}/practices"): (A_VIEWERS, None),
    ("POST", "/teams/{slug}/practices"): (_SETTERS, {"entry_id": "{entry_id}", "state": "trying"}),
    ("POST", "/teams/{slug}/practices/wip-limit"): (_SETTERS, {"wip_limit": "3"}),
    ("POST", "/teams/{slug}/practices/held"): (_SETTERS, {"kind": "health_check", "held_on": _YESTERDAY}),
    ("POST", "/impediments/{impediment_id}/tool"): (_LINKERS, {"entry_id": "{entry_id}"}),
    ("GET", "/api/v1/cockpit/catalogue"): (SIGNED_IN, None),
    ("POST", "/api/v1/cockpit/catalogue"): (OPS_ADMIN, {"kind": "tool", "name": "Walk API tool", "category": "tracker"}),
    ("GET", "/api/v1/cockpit/catalogue/{entry_id}"): (SIGNED_IN, None),
    ("PATCH", "/api/v1/cockpit/catalogue/{entry_id}"): (OPS_ADMIN, {"guide": "Changed by the walk."}),
    ("GET", "/api/v1/cockpit/adoption"): (_MATRIX, None),
    ("GET", "/api/v1/cockpit/catalogue/{entry_id}/rollout-effect"): (_MATRIX, None),
    ("GET", "/api/v1/cockpit/adoption/trend"): (_MATRIX, None),
    ("GET", "/api/v1/teams/{team_id}/practices"): (A_VIEWERS, None),
    ("POST", "/api/v1/teams/{team_id}/practices"): (_SETTERS, {"entry_id": "{entry_id}", "state": "adopted"}),
    ("PUT", "/api/v1/teams/{team_id}/practices/wip-limit"): (_SETTERS, {"wip_limit": 4}),
    ("GET", "/api/v1/cockpit/catalogue/checks"): (_MATRIX, None),
    ("GET", "/api/v1/teams/{team_id}/practices/held"): (A_VIEWERS, None),
    ("POST", "/api/v1/teams/{team_id}/practices/held"): (_SETTERS, {"kind": "retro", "held_on": _YESTERDAY}),
    ("PUT", "/api/v1/impediments/{impediment_id}/tool"): (_LINKERS, {"entry_id": "{entry_id}"}),
    ("GET", "/cockpit/rollouts"): (CROSS_TEAM, None),
    ("POST", "/cockpit/rollouts"): (OPS_ADMIN, _ROLLOUT_FORM),
    ("GET", "/cockpit/rollouts/{rollout_id}"): (CROSS_TEAM, None),
    ("POST", "/cockpit/catalogue/{entry_id}/custom-check"): (
        OPS_ADMIN,
        {"signal": "retros_held", "threshold": "1", "window_days": "28"},
    ),
    ("GET", "/api/v1/cockpit/catalogue/signals"): (SIGNED_IN, None),
    ("PUT", "/api/v1/cockpit/catalogue/{entry_id}/custom-check"): (OPS_ADMIN, _CUSTOM),
    ("GET", "/api/v1/cockpit/custom-checks"): (SIGNED_IN, None),
    ("DELETE", "/api/v1/cockpit/catalogue/{entry_id}/custom-check"): (OPS_ADMIN, None),
    ("GET", "/api/v1/cockpit/rollouts"): (CROSS_TEAM, None),
    ("POST", "/api/v1/cockpit/rollouts"): (OPS_ADMIN, _ROLLOUT),
    ("GET", "/api/v1/cockpit/rollouts/{rollout_id}"): (CROSS_TEAM, None),
}

# Portfolio and leadership pack: cross-team roles only; questions added by Product Ops and admins, decided by
# any cross-team role. The digest: delivery managers, Product Ops, leaders and admins (members get none).
_DIGEST = frozenset({DM_A, OPS, LEADER, ADMIN})
_PORTFOLIO: Expectations = {
    ("GET", "/cockpit"): (CROSS_TEAM, None),
    ("GET", "/cockpit/leadership"): (CROSS_TEAM, None),
    ("GET", "/cockpit/leadership.pdf"): (CROSS_TEAM, None),
    ("POST", "/cockpit/leadership/questions"): (OPS_ADMIN, {"period": "2026-Q4", "text": "Walk question?"}),
    ("POST", "/cockpit/leadership/epics/commit"): (CROSS_TEAM, {"period": "2026-Q4"}),
    ("POST", "/cockpit/leadership/questions/{question_id}/decide"): (CROSS_TEAM, {"decision": "Decided by the walk."}),
    ("GET", "/digest"): (_DIGEST, None),
    ("POST", "/digest/subscription"): (_DIGEST, {"subscribed": "no"}),
    ("GET", "/api/v1/cockpit/portfolio"): (CROSS_TEAM, None),
    ("GET", "/api/v1/cockpit/leadership"): (CROSS_TEAM, None),
    ("GET", "/api/v1/digest"): (_DIGEST, None),
}

EXPECTED: Expectations = {**_CATALOGUE, **_PORTFOLIO}
# The delete acts on an entry of its own, whose admin-defined check the world defines.
PATH_OVERRIDES = {("DELETE", "/api/v1/cockpit/catalogue/{entry_id}/custom-check"): {"entry_id": "custom_entry_id"}}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """Create the cockpit objects the walk acts upon; return their path placeholders."""
    return {**_catalogue_world(session, world), **_portfolio_world(session, world)}


def _catalogue_world(session: Session, world: WorldBase) -> dict[str, str]:
    """A practice in the catalogue for the tools and practices routes."""
    entry = catalogue.create(
        session=session, actor=None, kind="practice", name="World practice", category="flow", data_check="wip_limits"
    )
    rollout = rollouts.create_rollout(
        session=session,
        actor=None,
        entry_id=entry.id,
        title="World rollout",
        metric="throughput",
        starts_on=world.team_a.created_at.date(),
        teams=[(world.team_a.id, world.team_a.created_at.date())],
    )
    custom = catalogue.create(session=session, actor=None, kind="practice", name="World custom", category="flow")
    catalogue.set_custom_check(session=session, actor=None, entry_id=custom.id, signal="retros_held", threshold=1, window_days=28)
    return {"entry_id": str(entry.id), "rollout_id": str(rollout.id), "custom_entry_id": str(custom.id)}


def _portfolio_world(session: Session, world: WorldBase) -> dict[str, str]:
    """A question for leadership on Group A's pack, for the decide route."""
    question = leadership.add_question(
        session=session, actor=None, period="2026-Q4", text="World question?", group_id=world.group_a.id
    )
    return {"question_id": str(question.id)}
