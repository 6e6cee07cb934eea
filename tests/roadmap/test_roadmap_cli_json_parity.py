"""`deliveryops roadmap calendar|absence|plan --format json` print what the API answers for the same change,
and refuse bad input with the API's error."""

from __future__ import annotations

import pytest

from deliveryops.accounts.models import Role
from tests.factories import make_group, make_team, make_user
from tests.parity import Parity, api_error, cli_error, cli_json

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def test_calendar_absence_and_plan_print_the_api_answer(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Roadmap JSON", group=make_group(session, name="Roadmap JSON Group"))
        admin = make_user(session, role=Role.ADMIN)
    headers = parity.sign_in_api(admin)

    calendar = cli_json(
        parity, "roadmap", "calendar", "--team", team.slug, "--country", "DE", "--subdivision", "BY", "--format", "json"
    )
    api = parity.api.put(f"/api/v1/teams/{team.id}/calendar", json={"country": "DE", "subdivision": "BY"}, headers=headers)
    assert api.status_code == 200, api.text
    assert calendar == api.json()
    assert (calendar["country"], calendar["subdivision"]) == ("DE", "BY")

    absence = cli_json(
        parity,
        *("roadmap", "absence", "--team", team.slug, "--start", "2030-08-01", "--end", "2030-08-14", "--percent", "40"),
        *("--note", "Summer", "--format", "json"),
    )
    assert (absence["percent"], absence["start"], absence["note"]) == (40, "2030-08-01", "Summer")
    shown = parity.api.get(f"/api/v1/teams/{team.id}/calendar", headers=headers).json()
    assert absence in shown["absences"]

    plan = cli_json(parity, "roadmap", "plan", "--team", team.slug, "--rule", "even", "--format", "json")
    assert plan == parity.api.get(f"/api/v1/teams/{team.id}/roadmap-plan", headers=headers).json()
    assert plan["rule"] == "even"


def test_a_bad_absence_is_refused_as_the_api_refuses_it(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Roadmap JSON Errors", group=make_group(session, name="Roadmap JSON Errors Group"))
        admin = make_user(session, role=Role.ADMIN)
    headers = parity.sign_in_api(admin)
    body = {"start": "2030-08-14", "end": "2030-08-01", "percent": 140}
    api = parity.api.post(f"/api/v1/teams/{team.id}/absences", json=body, headers=headers)
    assert api.status_code == 422, api.text
    cli = parity.cli(
        *("roadmap", "absence", "--team", team.slug, "--start", "2030-08-14", "--end", "2030-08-01", "--percent", "140"),
        *("--format", "json"),
    )
    assert cli_error(cli) == api_error(api)
    long = parity.api.put(f"/api/v1/teams/{team.id}/calendar", json={"country": "X" * 9}, headers=headers)
    assert long.status_code == 422, long.text
    cli = parity.cli("roadmap", "calendar", "--team", team.slug, "--country", "X" * 9, "--format", "json")
    assert cli_error(cli) == api_error(long)
