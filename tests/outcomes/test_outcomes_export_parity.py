"""`deliveryops outcomes export --format json` is the API's page of objectives for the same period."""

from __future__ import annotations

import pytest

from deliveryops.accounts.models import Role
from tests.factories import make_team, make_user
from tests.parity import Parity, cli_json

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def test_the_json_export_is_the_api_page(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Export Parity")
        admin = make_user(session, role=Role.ADMIN)
    headers = parity.sign_in_api(admin)
    for period, title in (("2026-Q3", "Ship faster"), ("2026-Q4", "Ship safer"), ("2026-Q4", "Ship calmer")):
        body = {"title": title, "team_id": team.id, "period": period}
        assert parity.api.post("/api/v1/objectives", json=body, headers=headers).status_code == 201

    for query, options in (
        ({}, ()),
        ({"period": "2026-Q4"}, ("--period", "2026-Q4")),
        ({"limit": 1, "offset": 1}, ("--limit", "1", "--offset", "1")),
    ):
        api = parity.api.get("/api/v1/objectives", params=query, headers=headers)
        assert api.status_code == 200, api.text
        assert cli_json(parity, "outcomes", "export", *options, "--format", "json") == api.json()
    q4 = cli_json(parity, "outcomes", "export", "--period", "2026-Q4", "--format", "json")
    assert sorted(o["title"] for o in q4["items"]) == ["Ship calmer", "Ship safer"]
    csv = parity.cli("outcomes", "export", "--period", "2026-Q4")
    assert csv.exit_code == 0, csv.output
    assert ("Ship calmer" in csv.output, csv.output.lstrip().startswith("{")) == (True, False)
