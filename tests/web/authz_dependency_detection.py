"""Authorisation expectations for found dependencies, inbound hooks and the export (see ``authz_roles``).

The walk's proposals are from Team A (requesting) to Team B: Team A's delivery manager, Product Ops and admins
confirm; they and Team B's delivery managers dismiss (Team B has none in the walk); members and leaders read.
Admins map link phrases and aliases and manage inbound hooks; the webhook itself takes a hook's token only.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops.dependencies.models import DependencyAlias, DependencyLinkType, DependencyProposal, InboundHook
from tests.web.authz_dependencies import REQUESTERS_A
from tests.web.authz_roles import ADMINS, NOBODY, OPS_ADMIN, SIGNED_IN, Expectations, WorldBase

CONFIRM = {"needed_by": "2027-02-01"}
INBOUND = {
    "external_id": "walk-1",
    "requester_team": "team-a",
    "provider_team": "team-b",
    "title": "Walk",
    "needed_by": "2027-02-01",
}

EXPECTED: Expectations = {
    ("GET", "/api/v1/dependencies/export"): (SIGNED_IN, None),
    ("GET", "/api/v1/dependency-proposals"): (SIGNED_IN, None),
    ("POST", "/api/v1/dependency-proposals/detect"): (OPS_ADMIN, {}),
    ("POST", "/api/v1/dependency-proposals/{proposal_id}/confirm"): (REQUESTERS_A, CONFIRM),
    ("POST", "/api/v1/dependency-proposals/{proposal_id}/dismiss"): (REQUESTERS_A, {"reason": "Walk"}),
    ("GET", "/api/v1/dependency-link-types"): (SIGNED_IN, None),
    ("POST", "/api/v1/dependency-link-types"): (ADMINS, {"phrase": "walks with", "direction": "needs"}),
    ("DELETE", "/api/v1/dependency-link-types/{link_type_id}"): (ADMINS, None),
    ("GET", "/api/v1/dependency-aliases"): (SIGNED_IN, None),
    ("POST", "/api/v1/dependency-aliases"): (ADMINS, {"alias": "walkers", "team_id": "{team_b_id}"}),
    ("DELETE", "/api/v1/dependency-aliases/{alias_id}"): (ADMINS, None),
    ("GET", "/api/v1/dependency-inbound-hooks"): (ADMINS, None),
    ("POST", "/api/v1/dependency-inbound-hooks"): (ADMINS, {"name": "Walk tool"}),
    ("POST", "/api/v1/dependency-inbound-hooks/{hook_id}/revoke"): (ADMINS, {}),
    ("POST", "/api/v1/webhooks/dependencies"): (NOBODY, INBOUND),
    ("GET", "/dependencies/proposals"): (SIGNED_IN, None),
    ("POST", "/dependencies/proposals/detect"): (OPS_ADMIN, {}),
    ("POST", "/dependencies/proposals/{proposal_id}/confirm"): (REQUESTERS_A, CONFIRM),
    ("POST", "/dependencies/proposals/{proposal_id}/dismiss"): (REQUESTERS_A, {"reason": "Walk"}),
    ("GET", "/dependencies/detection-settings"): (SIGNED_IN, None),
    ("POST", "/dependencies/detection-settings/link-types"): (ADMINS, {"phrase": "walks with", "direction": "needs"}),
    ("POST", "/dependencies/detection-settings/link-types/{link_type_id}/delete"): (ADMINS, {}),
    ("POST", "/dependencies/detection-settings/aliases"): (ADMINS, {"alias": "walkers", "team_id": "{team_b_id}"}),
    ("POST", "/dependencies/detection-settings/aliases/{alias_id}/delete"): (ADMINS, {}),
    ("GET", "/dependencies/inbound-hooks"): (ADMINS, None),
    ("POST", "/dependencies/inbound-hooks"): (ADMINS, {"name": "Walk tool"}),
    ("POST", "/dependencies/inbound-hooks/{hook_id}/revoke"): (ADMINS, {}),
    ("GET", "/dependencies/export.{output_format}"): (SIGNED_IN, None),
}

# Each decision on its own proposal, so the API's confirm does not leave the page's nothing to decide.
PATH_OVERRIDES = {
    ("POST", "/api/v1/dependency-proposals/{proposal_id}/dismiss"): {"proposal_id": "proposal_api_dismiss"},
    ("POST", "/dependencies/proposals/{proposal_id}/confirm"): {"proposal_id": "proposal_page_confirm"},
    ("POST", "/dependencies/proposals/{proposal_id}/dismiss"): {"proposal_id": "proposal_page_dismiss"},
    ("DELETE", "/api/v1/dependency-link-types/{link_type_id}"): {"link_type_id": "link_type_api"},
    ("DELETE", "/api/v1/dependency-aliases/{alias_id}"): {"alias_id": "alias_api"},
    ("POST", "/api/v1/dependency-inbound-hooks/{hook_id}/revoke"): {"hook_id": "hook_api"},
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """Four proposals from Team A to Team B, two mapped phrases, two aliases and two hooks to act upon."""
    proposals = []
    for number in range(4):
        proposal = DependencyProposal(
            signature=f"link:A-{number}>B-{number}",
            source="tracker_link",
            requester_team_id=world.team_a.id,
            provider_team_id=world.team_b.id,
            requester_key=f"A-{number}",
            provider_key=f"B-{number}",
            title=f"Walk {number}",
            evidence=f"A-{number} is blocked by B-{number}.",
            dismiss_reason="",
        )
        session.add(proposal)
        proposals.append(proposal)
    phrases = [DependencyLinkType(phrase=f"walk phrase {n}", direction="needs") for n in range(2)]
    aliases = [DependencyAlias(alias=f"walk alias {n}", team_id=world.team_b.id) for n in range(2)]
    hooks = [InboundHook(name=f"Walk hook {n}", token_encrypted="not a token", prefix="dih_") for n in range(2)]
    session.add_all([*phrases, *aliases, *hooks])
    session.flush()
    return {
        "proposal_id": str(proposals[0].id),
        "proposal_api_dismiss": str(proposals[1].id),
        "proposal_page_confirm": str(proposals[2].id),
        "proposal_page_dismiss": str(proposals[3].id),
        "link_type_id": str(phrases[0].id),
        "link_type_api": str(phrases[1].id),
        "alias_id": str(aliases[0].id),
        "alias_api": str(aliases[1].id),
        "hook_id": str(hooks[0].id),
        "hook_api": str(hooks[1].id),
        "output_format": "csv",
    }
