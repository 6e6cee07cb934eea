"""`deliveryops roadmap` agrees with the API on one committed database; its what-if stores nothing."""

from __future__ import annotations

import json

import pytest

from deliveryops.accounts.models import Role
from deliveryops.db import utcnow
from tests.factories import make_user
from tests.parity import Parity
from tests.roadmap.helpers import small_group


@pytest.mark.slow
def test_cli_show_matches_the_api_and_what_if(parity: Parity) -> None:
    with parity.seed() as session:
        org = small_group(session, utcnow().date())
        ops = make_user(session, role=Role.PRODUCT_OPS)
        group_id, group_slug, berlin = org.group.id, org.group.slug, org.berlin.slug
    shown = parity.cli("roadmap", "show", "--group", group_slug, "--format", "json")
    assert shown.exit_code == 0, shown.output
    cli = json.loads(shown.output)
    api = parity.api.get(f"/api/v1/groups/{group_id}/roadmap", headers=parity.sign_in_api(ops)).json()
    assert cli == api
    changed = parity.cli(
        "roadmap",
        "show",
        "--group",
        group_slug,
        "--format",
        "json",
        "--what-if-team",
        berlin,
        "--order",
        "B-2,B-1",
        "--absence",
        "2030-01-01:2030-01-02:50",
    )
    assert changed.exit_code == 0, changed.output
    lanes = json.loads(changed.output)["what_if"]
    assert [e["key"] for lane in lanes if lane["team_slug"] == berlin for e in lane["epics"]] == ["B-2", "B-1"]
    again = parity.cli("roadmap", "show", "--group", group_slug, "--format", "json")
    assert json.loads(again.output) == cli  # nothing was stored
    bad = parity.cli("roadmap", "show", "--group", group_slug, "--order", "B-1")
    assert bad.exit_code != 0
    assert "--what-if-team" in bad.output
    calendar = parity.cli("roadmap", "calendar", "--team", berlin, "--country", "DE", "--subdivision", "BY")
    assert calendar.exit_code == 0, calendar.output
