"""Authorisation expectations for enablement (see ``authz_roles`` for the contract).

Organisation-level actions, playbooks, templates and communities are read by everyone signed in; Product Ops
and admins write them (a playbook also by its owner, here Product Ops). Team A's checklist is read by whoever
reads Team A and ticked by its delivery manager, Product Ops and admins (a person's own checklist: see
``tests/enablement``). Anyone joins or leaves a community; its members (Product Ops,
who started it), Product Ops and admins record its meetings.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops.enablement import communities, onboarding, org_actions, playbooks
from deliveryops.enablement.models import OnboardingKind
from deliveryops.enablement.schemas import CommunityCreate, OrgActionCreate, PlaybookCreate
from tests.web.authz_roles import A_VIEWERS, ADMIN, DM_A, OPS, OPS_ADMIN, SIGNED_IN, Expectations, WorldBase

A_TICKERS = frozenset({DM_A, OPS, ADMIN})
_ACTION = {"title": "Walk org action", "team_ids": "{team_id}"}
_PLAYBOOK = {"title": "Walk playbook", "body": "# Walk"}
_TEMPLATE = {"title": "Walk template", "items": "Walk step"}
_CHECKLIST = {"kind": "member", "team_id": "{team_id}", "user_id": "{outsider}"}
_MEETING = {"title": "Walk meeting", "held_on": "2026-12-01"}

EXPECTED: Expectations = {
    ("GET", "/api/v1/org-actions"): (SIGNED_IN, None),
    ("POST", "/api/v1/org-actions"): (OPS_ADMIN, _ACTION),
    ("GET", "/api/v1/org-actions/{org_action_id}"): (SIGNED_IN, None),
    ("PATCH", "/api/v1/org-actions/{org_action_id}"): (OPS_ADMIN, {"status": "doing"}),
    ("GET", "/api/v1/playbooks"): (SIGNED_IN, None),
    ("POST", "/api/v1/playbooks"): (OPS_ADMIN, _PLAYBOOK),
    ("GET", "/api/v1/playbooks/{playbook_id}"): (SIGNED_IN, None),
    ("GET", "/api/v1/playbooks/{playbook_id}/versions"): (SIGNED_IN, None),
    ("POST", "/api/v1/playbooks/{playbook_id}/versions"): (OPS_ADMIN, {"body": "# Walk 2"}),
    ("GET", "/api/v1/onboarding/templates"): (SIGNED_IN, None),
    ("PUT", "/api/v1/onboarding/templates/{kind}"): (OPS_ADMIN, _TEMPLATE),
    ("GET", "/api/v1/onboarding/checklists"): (SIGNED_IN, None),
    ("POST", "/api/v1/onboarding/checklists"): (A_TICKERS, _CHECKLIST),
    ("GET", "/api/v1/onboarding/checklists/{checklist_id}"): (A_VIEWERS, None),
    ("PUT", "/api/v1/onboarding/checklists/{checklist_id}/steps/{step_id}"): (A_TICKERS, {"done": True}),
    ("GET", "/api/v1/communities"): (SIGNED_IN, None),
    ("POST", "/api/v1/communities"): (OPS_ADMIN, {"name": "Walk community"}),
    ("GET", "/api/v1/communities/{community_id}"): (SIGNED_IN, None),
    ("GET", "/api/v1/communities/{community_id}/meetings"): (SIGNED_IN, None),
    ("POST", "/api/v1/communities/{community_id}/meetings"): (OPS_ADMIN, _MEETING),
    ("GET", "/api/v1/communities/{community_id}/feed"): (SIGNED_IN, None),
    ("POST", "/api/v1/communities/{community_id}/join"): (SIGNED_IN, None),
    ("POST", "/api/v1/communities/{community_id}/leave"): (SIGNED_IN, None),
    ("GET", "/enablement"): (SIGNED_IN, None),
    ("GET", "/org-actions"): (SIGNED_IN, None),
    ("POST", "/org-actions"): (OPS_ADMIN, _ACTION),
    ("GET", "/org-actions/{org_action_id}"): (SIGNED_IN, None),
    ("POST", "/org-actions/{org_action_id}/status"): (OPS_ADMIN, {"status": "doing"}),
    ("GET", "/playbooks"): (SIGNED_IN, None),
    ("POST", "/playbooks"): (OPS_ADMIN, _PLAYBOOK),
    ("GET", "/playbooks/for-entry/{entry_id}"): (SIGNED_IN, None),
    ("GET", "/playbooks/for-practice/{practice_key}"): (SIGNED_IN, None),
    ("GET", "/playbooks/{playbook_id}"): (SIGNED_IN, None),
    ("GET", "/playbooks/{playbook_id}/versions/{number}"): (SIGNED_IN, None),
    ("POST", "/playbooks/{playbook_id}/versions"): (OPS_ADMIN, {"body": "# Walk 2"}),
    ("GET", "/onboarding"): (SIGNED_IN, None),
    ("POST", "/onboarding/templates/{kind}"): (OPS_ADMIN, _TEMPLATE),
    ("POST", "/onboarding/checklists"): (A_TICKERS, _CHECKLIST),
    ("GET", "/onboarding/checklists/{checklist_id}"): (A_VIEWERS, None),
    ("POST", "/onboarding/checklists/{checklist_id}/steps/{step_id}"): (A_TICKERS, {"done": "true"}),
    ("GET", "/communities"): (SIGNED_IN, None),
    ("POST", "/communities"): (OPS_ADMIN, {"name": "Walk page community"}),
    ("GET", "/communities/{community_id}"): (SIGNED_IN, None),
    ("POST", "/communities/{community_id}/meetings"): (OPS_ADMIN, _MEETING),
    ("POST", "/communities/{community_id}/join"): (SIGNED_IN, {}),
    ("POST", "/communities/{community_id}/leave"): (SIGNED_IN, {}),
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """An action on Team A, a playbook owned by Product Ops, the templates, Team A's checklist, a community."""
    ops = world.people[OPS]
    action = org_actions.create(
        session=session,
        actor=None,
        body=OrgActionCreate(title="World org action", team_ids=[world.team_a.id]),
        today=world.team_a.created_at.date(),
    )
    playbook = playbooks.create(session=session, actor=ops, body=PlaybookCreate(title="World playbook", body="# World"))
    for kind, body in onboarding.STANDARD_TEMPLATES.items():
        onboarding.write_template(session=session, actor=None, kind=kind, body=body)
    checklist = onboarding.checklist_of(session, OnboardingKind.TEAM, world.team_a.id)  # given with the template
    assert checklist is not None
    step = onboarding.read(session, checklist).steps[0]
    community = communities.create(session=session, actor=ops, body=CommunityCreate(name="World community"))
    return {
        "org_action_id": str(action.id),
        "playbook_id": str(playbook.id),
        "number": "1",
        "practice_key": "wip_limits",
        "kind": OnboardingKind.MEMBER.value,
        "checklist_id": str(checklist.id),
        "step_id": str(step.item_id),
        "community_id": str(community.id),
    }
