"""`deliveryops dependencies` agrees with the API and the pages on one committed database."""

from __future__ import annotations

import json

from deliveryops.accounts.models import Role
from deliveryops.teams.models import TeamRole
from tests.factories import join, make_team, make_user
from tests.parity import Parity, api_error, cli_error, page_errors


def test_cli_requests_lists_and_responds_like_the_api(parity: Parity) -> None:
    with parity.seed() as session:
        app, payments = make_team(session, name="CLI App"), make_team(session, name="CLI Payments")
        app_dm, pay_dm = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session, role=Role.DELIVERY_MANAGER)
        join(session, app, app_dm, TeamRole.DELIVERY_MANAGER)
        join(session, payments, pay_dm, TeamRole.DELIVERY_MANAGER)
    added = parity.cli(
        "dependencies",
        "add",
        "--requester",
        "CLI App",
        "--provider-team",
        "cli-payments",
        "--title",
        "Refund API",
        "--needed-by",
        "2027-02-01",
        "--items",
        "APP-1,APP-2",
        "--as",
        app_dm.email,
        "--format",
        "json",
    )
    assert added.exit_code == 0, added.output
    dep = json.loads(added.output)
    assert (dep["state"], dep["requester_keys"], dep["provider"]) == ("requested", ["APP-1", "APP-2"], "CLI Payments")

    headers = parity.sign_in_api(pay_dm)
    api_list = parity.api.get("/api/v1/dependencies", params={"team_id": app.id}, headers=headers).json()
    cli_list = json.loads(parity.cli("dependencies", "list", "--team", "CLI App", "--format", "json").output)
    assert cli_list == api_list
    assert cli_list["total"] == 1

    # The same missing date reads the same through the three entrances.
    api = parity.api.post(f"/api/v1/dependencies/{dep['id']}/transitions", json={"action": "accept"}, headers=headers)
    token = parity.sign_in_page(pay_dm)
    page = parity.page.post(
        f"/dependencies/{dep['id']}/transitions", data={"action": "accept", "committed_on": "", "csrf_token": token}
    )
    cli = parity.cli("dependencies", "respond", str(dep["id"]), "--action", "accept", "--as", pay_dm.email, "--format", "json")
    assert api_error(api)["details"]["fields"] == page_errors(page.text) == cli_error(cli)["details"]["fields"]
    assert list(cli_error(cli)["details"]["fields"]) == ["committed_on"]

    wrong_side = parity.cli(
        "dependencies",
        "respond",
        str(dep["id"]),
        "--action",
        "accept",
        "--committed-on",
        "2027-01-30",
        "--as",
        app_dm.email,
        "--format",
        "json",
    )
    assert cli_error(wrong_side)["code"] == "permission_denied"
    done = parity.cli(
        "dependencies",
        "respond",
        str(dep["id"]),
        "--action",
        "accept",
        "--committed-on",
        "2027-01-30",
        "--as",
        pay_dm.email,
        "--format",
        "json",
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["committed_on"] == "2027-01-30"
    conflict = parity.cli(
        "dependencies",
        "respond",
        str(dep["id"]),
        "--action",
        "counter",
        "--countered-on",
        "2027-03-01",
        "--format",
        "json",
    )
    assert cli_error(conflict)["code"] == "conflict"
    accepted = json.loads(parity.cli("dependencies", "list", "--state", "accepted", "--format", "json").output)
    assert [d["id"] for d in accepted["items"]] == [dep["id"]]
    assert "No dependencies" in parity.cli("dependencies", "list", "--state", "declined").output
