"""The enablement commands: `--format json` prints the API's page for the same question, and a new action
started from the command line is the API's too."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deliveryops.accounts.models import Role
from deliveryops.enablement import communities, onboarding, playbooks
from deliveryops.enablement.schemas import CommunityCreate, PlaybookCreate
from deliveryops.teams.models import TeamRole
from tests.factories import join, make_team, make_user
from tests.parity import Parity

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def _cli_json(parity: Parity, *args: str) -> Any:
    result = parity.cli(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_enablement_listings_print_the_apis_pages(parity: Parity) -> None:
    with parity.seed() as session:
        admin = make_user(session, role=Role.ADMIN, email="enable.admin@example.com")
        for kind, body in onboarding.STANDARD_TEMPLATES.items():
            onboarding.write_template(session=session, actor=admin, kind=kind, body=body)
        team = make_team(session, name="Enabled team")
        join(session, team, make_user(session), TeamRole.DELIVERY_MANAGER)
        playbooks.create(session=session, actor=admin, body=PlaybookCreate(title="Enabled playbook", body="# Go"))
        community = communities.create(session=session, actor=admin, body=CommunityCreate(name="Enabled community"))
        community_id, slug = community.id, team.slug
    headers = parity.sign_in_api(admin)
    added = _cli_json(parity, "org-actions", "add", "--title", "Enabled action", "--teams", slug, "--format", "json")
    assert added["team_ids"] == [team.id]
    for args, path in (
        (("org-actions", "list"), "/api/v1/org-actions"),
        (("playbooks", "list"), "/api/v1/playbooks"),
        (("onboarding", "checklists"), "/api/v1/onboarding/checklists"),
        (
            ("onboarding", "checklists", "--team", slug, "--limit", "1"),
            f"/api/v1/onboarding/checklists?team_id={team.id}&limit=1",
        ),
        (("communities", "list"), "/api/v1/communities"),
        (("communities", "feed", str(community_id)), f"/api/v1/communities/{community_id}/feed"),
    ):
        assert _cli_json(parity, *args, "--format", "json") == parity.api.get(path, headers=headers).json(), args
    checklists = _cli_json(parity, "onboarding", "checklists", "--team", slug, "--format", "json")
    assert [c["kind"] for c in checklists["items"]] == ["team", "delivery_manager"]  # given when the team and its DM came
    shown = parity.cli("playbooks", "show", str(added["id"] + 10_000))
    assert shown.exit_code != 0
    assert "No playbook with id" in shown.output
