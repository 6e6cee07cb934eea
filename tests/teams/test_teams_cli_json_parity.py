"""Teams, groups and people through the API and the CLI: what a create prints under `--format json` is the
API's model, lists are the API's pages, and a refused create reads as the API's error."""

from __future__ import annotations

import pytest

from deliveryops.accounts.models import Role
from tests.factories import make_group, make_team, make_user
from tests.parity import Parity, api_error, cli_error, cli_json

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def test_teams_and_groups_created_and_listed_are_the_api_answers(parity: Parity) -> None:
    with parity.seed() as session:
        admin = make_user(session, role=Role.ADMIN)
        make_team(session, name="Listed Team", group=make_group(session, name="Listed Group"))
    headers = parity.sign_in_api(admin)

    group = cli_json(parity, "groups", "create", "CLI Tribe", "--description", "Payments", "--format", "json")
    assert group == parity.api.get(f"/api/v1/groups/{group['id']}", headers=headers).json()
    assert (group["name"], group["description"]) == ("CLI Tribe", "Payments")
    team = cli_json(
        parity, "teams", "create", "CLI Squad", "--group", "cli-tribe", "--time-zone", "Europe/Berlin", "--format", "json"
    )
    assert team == parity.api.get(f"/api/v1/teams/{team['id']}", headers=headers).json()
    assert (team["group_id"], team["time_zone"]) == (group["id"], "Europe/Berlin")

    for what in ("teams", "groups"):
        for limit, offset in (("50", "0"), ("1", "1")):
            api = parity.api.get(f"/api/v1/{what}", params={"limit": limit, "offset": offset}, headers=headers)
            assert api.status_code == 200, api.text
            assert cli_json(parity, what, "list", "--limit", limit, "--offset", offset, "--format", "json") == api.json()
            assert api.json()["total"] >= 2


def test_a_taken_name_is_refused_as_the_api_refuses_it(parity: Parity) -> None:
    with parity.seed() as session:
        admin = make_user(session, role=Role.ADMIN)
        make_team(session, name="Taken Team")
        make_group(session, name="Taken Group")
    headers = parity.sign_in_api(admin)
    for what, body in (("teams", {"name": "Taken Team", "time_zone": "UTC"}), ("groups", {"name": "Taken Group"})):
        api = parity.api.post(f"/api/v1/{what}", json=body, headers=headers)
        assert api.status_code == 409, api.text
        assert cli_error(parity.cli(what, "create", body["name"], "--format", "json")) == api_error(api)
    long = parity.api.post("/api/v1/groups", json={"name": "G" * 101}, headers=headers)
    assert long.status_code == 422, long.text
    assert cli_error(parity.cli("groups", "create", "G" * 101, "--format", "json")) == api_error(long)
    assert api_error(long)["details"]["fields"] == {"name": "Name has at most 100 characters."}
    zone = parity.api.post("/api/v1/teams", json={"name": "Zoneless", "time_zone": "Mars/Base"}, headers=headers)
    assert zone.status_code == 422
    assert cli_error(parity.cli("teams", "create", "Zoneless", "--time-zone", "Mars/Base", "--format", "json")) == api_error(zone)


def test_a_person_created_is_the_api_answer_and_a_taken_email_its_error(parity: Parity) -> None:
    with parity.seed() as session:
        admin = make_user(session, role=Role.ADMIN)
    headers = parity.sign_in_api(admin)
    args = ("users", "create", "--email", "cli.parity@example.com", "--role", "delivery_manager", "--name", "Cli Parity")
    created = cli_json(parity, *args, "--password", "a-long-password-1", "--format", "json")
    assert created == parity.api.get(f"/api/v1/users/{created['id']}", headers=headers).json()
    assert (created["email"], created["role"], created["name"]) == ("cli.parity@example.com", "delivery_manager", "Cli Parity")

    body = {"email": "cli.parity@example.com", "name": "Again", "role": "member", "password": "a-long-password-1"}
    api = parity.api.post("/api/v1/users", json=body, headers=headers)
    assert api.status_code == 409, api.text
    assert cli_error(parity.cli(*args, "--password", "a-long-password-1", "--format", "json")) == api_error(api)
    short = parity.api.post("/api/v1/users", json={**body, "email": "short@example.com", "password": "short"}, headers=headers)
    assert short.status_code == 422, short.text
    refused = parity.cli(
        "users", "create", "--email", "short@example.com", "--name", "Again", "--password", "short", "--format", "json"
    )
    assert cli_error(refused)["message"] == api_error(short)["message"]
