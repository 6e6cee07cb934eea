"""DORA reports through the API and the CLI, as of a past day: the same JSON and the same errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deliveryops.accounts.models import Role
from tests.factories import make_user
from tests.parity import Parity, api_error, cli_error

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.fixture(scope="module")
def shop(parity: Parity) -> tuple[int, dict[str, str]]:
    assert parity.cli("teams", "create", "Shop").exit_code == 0
    for kind in ("changes", "deployments", "incidents"):
        imported = parity.cli("dora", "import", kind, str(EXAMPLES / f"dora-{kind}.csv"), "--team", "shop")
        assert imported.exit_code == 0, imported.output
    with parity.seed() as session:
        admin = make_user(session, role=Role.ADMIN)
    team_id = next(team["id"] for team in json.loads(parity.cli("teams", "list", "--format", "json").output)["items"])
    return team_id, parity.sign_in_api(admin)


def test_a_report_as_of_the_end_of_the_history_is_the_api_report(parity: Parity, shop: tuple[int, dict[str, str]]) -> None:
    team_id, headers = shop
    api = parity.api.get(f"/api/v1/teams/{team_id}/dora?as_of=2026-03-15", headers=headers)
    assert api.status_code == 200, api.text
    cli = parity.cli("dora", "report", "--team", "shop", "--as-of", "2026-03-15", "--format", "json")
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output) == api.json()
    assert (api.json()["start"], api.json()["end"]) == ("2025-12-16", "2026-03-15")  # 90 days ending as_of
    assert api.json()["keys"]["deployments"] == 7


def test_as_of_outside_the_history_names_the_field(parity: Parity, shop: tuple[int, dict[str, str]]) -> None:
    team_id, headers = shop
    for day, says in (("2099-01-01", "in the future"), ("2026-02-01", "before the history starts: it starts on 2026-03-02")):
        api = parity.api.get(f"/api/v1/teams/{team_id}/dora?as_of={day}", headers=headers)
        assert api.status_code == 422
        message = api_error(api)["details"]["fields"]["as_of"]
        assert says in message
        cli = parity.cli("dora", "report", "--team", "shop", "--as-of", day)  # json by default: the API's error body
        assert cli_error(cli) == api_error(api)
        text = parity.cli("dora", "report", "--team", "shop", "--as-of", day, "--format", "csv")
        assert text.exit_code == 1
        assert message in " ".join(text.output.split())
    late = parity.api.get(f"/api/v1/teams/{team_id}/dora?as_of=2026-03-15&end=2026-03-20", headers=headers)
    assert api_error(late)["details"]["fields"] == {"end": "The end is after as_of: choose an end on or before it."}
