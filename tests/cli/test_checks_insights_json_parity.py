"""`catalogue checks` and `coaching refresh` under `--format json` print the API's own answer."""

from __future__ import annotations

import json

import pytest
from typer.testing import Result

from deliveryops.accounts.models import Role
from deliveryops.cli.main import app as cli_app
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.teams.models import Team
from tests.factories import make_team, make_user
from tests.parity import Parity, cli_error, cli_json

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


@pytest.fixture(scope="module")
def world(parity: Parity) -> tuple[Team, dict[str, str]]:
    with parity.seed() as session:
        team = make_team(session, name="Checked")
        make_team(session, name="Other checked")
        admin = make_user(session, role=Role.ADMIN, email="checks.admin@example.com")
        pipelines = catalogue.create(
            session=session, actor=None, kind="tool", name="Pipelines", category="CI/CD", data_check="deployments"
        )
        catalogue.create(session=session, actor=None, kind="tool", name="Chat", category="chat", data_check="not_observable")
        adoption.set_state(session=session, actor=None, team_id=team.id, entry_id=pipelines.id, state="adopted")
    return team, parity.sign_in_api(admin)


def test_catalogue_checks(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    team, headers = world
    every = cli_json(parity, "catalogue", "checks", "--format", "json")
    assert every == parity.api.get("/api/v1/cockpit/catalogue/checks", headers=headers).json()
    assert every["total"] == 4  # two entries with a check × two teams
    one = cli_json(parity, "catalogue", "checks", "--team", team.slug, "--entry", "Pipelines", "--format", "json")
    entry_id = one["items"][0]["entry_id"]
    api = parity.api.get(f"/api/v1/cockpit/catalogue/checks?team_id={team.id}&entry_id={entry_id}", headers=headers)
    assert one == api.json()
    assert [(row["state"], row["mismatch"]) for row in one["items"]] == [("adopted", True)]
    paged = cli_json(parity, "catalogue", "checks", "--limit", "1", "--offset", "1", "--format", "json")
    assert paged == parity.api.get("/api/v1/cockpit/catalogue/checks?limit=1&offset=1", headers=headers).json()
    unknown = cli_error(parity.cli("catalogue", "checks", "--team", "nope", "--format", "json"))
    assert unknown["message"].startswith("No team named 'nope'")


def test_coaching_refresh(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    team, headers = world
    refreshed = cli_json(parity, "coaching", "refresh", "--team", team.slug, "--format", "json")
    assert refreshed == parity.api.get(f"/api/v1/teams/{team.id}/coaching/insights", headers=headers).json()
    every = cli_json(parity, "coaching", "refresh", "--format", "json")
    assert every["total"] >= refreshed["total"]


def _power(parity: Parity, *args: str) -> Result:
    return parity.runner.invoke(cli_app, ["experiments", "power", *args])  # no database


def test_experiments_power(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    _team, headers = world
    args = ["--metric", "proportion", "--baseline", "0.1", "--mde", "0.1", "--variations", "3", "--daily-traffic", "4000"]
    planned = json.loads(_power(parity, *args, "--format", "json").output)
    query = "kind=proportion&baseline=0.1&mde=0.1&variations=3&daily_traffic=4000"
    assert planned == parity.api.get(f"/api/v1/experiments/power?{query}", headers=headers).json()
    assert json.loads(_power(parity, *args, "--json").output) == planned  # the old spelling still works
    bad = _power(parity, "--metric", "proportion", "--baseline", "1.5", "--mde", "0.1", "--format", "json")
    api = parity.api.get("/api/v1/experiments/power?kind=proportion&baseline=1.5&mde=0.1", headers=headers)
    assert cli_error(bad) == api.json()["error"]
