"""`deliveryops dependencies risk` agrees with the API on one committed database."""

from __future__ import annotations

import json

from tests.dependencies.test_risk_web import _world
from tests.parity import Parity


def test_cli_risk_matches_the_api(parity: Parity) -> None:
    with parity.seed() as session:
        dependency, world = _world(session, needed_in=3, prefix="Risk CLI ")
        dependency_id, pay_dm = dependency.id, world["pay_dm"]
    headers = parity.sign_in_api(pay_dm)
    api = parity.api.get("/api/v1/dependencies/risk", params={"at_risk": "true", "limit": 1000}, headers=headers).json()
    cli = parity.cli("dependencies", "risk", "--at-risk", "--format", "json")
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)["items"] == api["items"]
    assert [(r["dependency"]["id"], r["chance_needed"], r["at_risk"]) for r in api["items"]] == [(dependency_id, 0.0, True)]
    table = parity.cli("dependencies", "risk", "--team", "Risk CLI App")
    assert table.exit_code == 0, table.output  # a table (its width depends on the terminal)
