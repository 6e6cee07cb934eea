"""`deliveryops actions|health|retros` answer as the API does on one committed database: the same JSON
for the same data, the same error for the same bad input."""

from __future__ import annotations

import json
from typing import Any

from deliveryops.accounts.models import Role, User
from deliveryops.teams.models import TeamRole
from tests.factories import join, make_team, make_user
from tests.parity import Parity, api_error, cli_error, cli_json


def _squad(parity: Parity, name: str, members: int = 3) -> tuple[int, str, User, list[User]]:
    """A team with a delivery manager and ``members`` members: (team id, team name, dm, members)."""
    with parity.seed() as session:
        team = make_team(session, name=name)
        dm = make_user(session, role=Role.DELIVERY_MANAGER)
        join(session, team, dm, TeamRole.DELIVERY_MANAGER)
        people = [make_user(session) for _ in range(members)]
        for person in people:
            join(session, team, person)
        return team.id, team.name, dm, people


def _same_error(parity: Parity, api: Any, *cli_args: str) -> dict[str, Any]:
    """The API refused; the CLI refuses the same input with the same error body."""
    assert api.status_code in (403, 404, 409, 422), api.text
    expected = api_error(api)
    assert cli_error(parity.cli(*cli_args, "--format", "json")) == expected
    return expected


def test_actions_list_show_create_and_status_match_the_api(parity: Parity) -> None:
    team_id, team, dm, _people = _squad(parity, "Actions CLI Pay")
    headers = parity.sign_in_api(dm)
    created = cli_json(
        parity,
        *("actions", "create", "--team", team, "--title", "Pair on reviews", "--target-metric", "cycle_time_p85"),
        *("--due-date", "2027-01-31", "--as", dm.email, "--format", "json"),
    )
    assert (created["title"], created["status"], created["target_metric"]) == ("Pair on reviews", "open", "cycle_time_p85")
    assert created == parity.api.get(f"/api/v1/actions/{created['id']}", headers=headers).json()

    by_api = parity.api.post(f"/api/v1/teams/{team_id}/actions", json={"title": "Limit WIP"}, headers=headers)
    assert by_api.status_code == 201, by_api.text
    api_page = parity.api.get(f"/api/v1/teams/{team_id}/actions", params={"limit": 1, "offset": 1}, headers=headers).json()
    assert cli_json(parity, "actions", "list", "--team", team, "--limit", "1", "--offset", "1", "--format", "json") == api_page
    assert api_page["total"] == 2
    shown = cli_json(parity, "actions", "show", str(by_api.json()["id"]), "--format", "json")
    assert shown == by_api.json()

    done = cli_json(parity, "actions", "update-status", str(created["id"]), "done", "--done-on", "2026-12-01", "--format", "json")
    assert (done["status"], done["done_on"]) == ("done", "2026-12-01")
    assert done == parity.api.get(f"/api/v1/actions/{created['id']}", headers=headers).json()
    doing = parity.api.patch(f"/api/v1/actions/{created['id']}", json={"status": "doing"}, headers=headers)
    assert doing.status_code == 200, doing.text
    assert (doing.json()["status"], doing.json()["done_on"]) == ("doing", None)
    assert doing.json() == cli_json(parity, "actions", "show", str(created["id"]), "--as", dm.email, "--format", "json")


def test_actions_refuse_bad_input_as_the_api_does(parity: Parity) -> None:
    team_id, team, dm, _people = _squad(parity, "Actions CLI Errors")
    headers = parity.sign_in_api(dm)
    create = f"/api/v1/teams/{team_id}/actions"
    no_card = parity.api.post(create, json={"title": "Cheer up", "target_metric": "health_card"}, headers=headers)
    error = _same_error(
        parity, no_card, "actions", "create", "--team", team, "--title", "Cheer up", "--target-metric", "health_card"
    )
    assert "target_card" in error["details"]["fields"]
    bad_date = parity.api.post(create, json={"title": "Soon", "due_date": "next week"}, headers=headers)
    _same_error(parity, bad_date, "actions", "create", "--team", team, "--title", "Soon", "--due-date", "next week")
    bad_metric = parity.api.post(create, json={"title": "Faster", "target_metric": "speed"}, headers=headers)
    _same_error(parity, bad_metric, "actions", "create", "--team", team, "--title", "Faster", "--target-metric", "speed")

    action_id = parity.api.post(create, json={"title": "Demo weekly"}, headers=headers).json()["id"]
    bad_status = parity.api.patch(f"/api/v1/actions/{action_id}", json={"status": "finished"}, headers=headers)
    _same_error(parity, bad_status, "actions", "update-status", str(action_id), "finished")
    missing = parity.api.get("/api/v1/actions/2000000000", headers=headers)
    _same_error(parity, missing, "actions", "show", "2000000000")

    outsider = _squad(parity, "Actions CLI Outsiders", members=1)[3][0]
    forbidden = parity.api.patch(f"/api/v1/actions/{action_id}", json={"status": "done"}, headers=parity.sign_in_api(outsider))
    _same_error(parity, forbidden, "actions", "update-status", str(action_id), "done", "--as", outsider.email)
    table = parity.cli("actions", "list", "--team", team)
    assert table.exit_code == 0, table.output
    assert "Demo weekly" in table.output


def _answers(colour: str) -> dict[str, Any]:
    keys = ["easy_to_release", "suitable_process", "tech_quality", "value", "speed", "mission"]
    return {"answers": [{"card_key": key, "colour": colour, "trend": "same"} for key in keys]}


def test_health_rounds_match_the_api_for_the_person_asking(parity: Parity) -> None:
    team_id, team, dm, members = _squad(parity, "Health CLI Squad")
    dm_headers = parity.sign_in_api(dm)
    opened = cli_json(parity, "health", "open", "--team", team, "--title", "Q4 check", "--as", dm.email, "--format", "json")
    assert (opened["title"], opened["state"], opened["can_manage"]) == ("Q4 check", "open", True)
    round_id = opened["id"]
    assert opened == parity.api.get(f"/api/v1/health/rounds/{round_id}", headers=dm_headers).json()

    keys = [card["key"] for card in opened["cards"]]
    for index, member in enumerate(members):
        body = {"answers": [{"card_key": key, "colour": "green" if index else "red", "trend": "same"} for key in keys]}
        answered = parity.api.post(f"/api/v1/health/rounds/{round_id}/answers", json=body, headers=parity.sign_in_api(member))
        assert answered.status_code == 201, answered.text
    member_headers = parity.sign_in_api(members[0])
    as_member = cli_json(parity, "health", "show", str(round_id), "--as", members[0].email, "--format", "json")
    assert as_member == parity.api.get(f"/api/v1/health/rounds/{round_id}", headers=member_headers).json()
    assert (as_member["answered"], as_member["respondents"], as_member["results"]["shown"]) == (True, 3, False)

    again = parity.api.post(f"/api/v1/teams/{team_id}/health/rounds", json={"title": "Twice"}, headers=dm_headers)
    _same_error(parity, again, "health", "open", "--team", team, "--title", "Twice", "--as", dm.email)

    closed = cli_json(parity, "health", "close", str(round_id), "--as", dm.email, "--format", "json")
    assert closed["state"] == "closed"
    assert closed["results"]["shown"] is True
    assert closed == parity.api.get(f"/api/v1/health/rounds/{round_id}", headers=dm_headers).json()
    rounds = parity.api.get(f"/api/v1/teams/{team_id}/health/rounds", headers=member_headers).json()
    assert cli_json(parity, "health", "rounds", "--team", team, "--as", members[0].email, "--format", "json") == rounds
    assert rounds["total"] == 1
    history = parity.api.get(f"/api/v1/teams/{team_id}/health/history", headers=member_headers).json()
    assert cli_json(parity, "health", "history", "--team", team, "--as", members[0].email, "--format", "json") == history
    assert [(r["round_id"], r["shown"], r["respondents"]) for r in history["rounds"]] == [(round_id, True, 3)]
    table = parity.cli("health", "show", str(round_id), "--as", dm.email)
    assert table.exit_code == 0, table.output
    assert "Overall" in table.output


def test_health_refuses_bad_input_as_the_api_does(parity: Parity) -> None:
    team_id, team, dm, members = _squad(parity, "Health CLI Errors", members=1)
    dm_headers = parity.sign_in_api(dm)
    opens = f"/api/v1/teams/{team_id}/health/rounds"
    past = parity.api.post(opens, json={"closes_at": "2020-01-01T00:00:00Z"}, headers=dm_headers)
    _same_error(parity, past, "health", "open", "--team", team, "--closes-at", "2020-01-01T00:00:00Z", "--as", dm.email)
    naive = parity.api.post(opens, json={"closes_at": "2030-01-01T00:00:00"}, headers=dm_headers)
    _same_error(parity, naive, "health", "open", "--team", team, "--closes-at", "2030-01-01T00:00:00", "--as", dm.email)
    by_member = parity.api.post(opens, json={}, headers=parity.sign_in_api(members[0]))
    _same_error(parity, by_member, "health", "open", "--team", team, "--as", members[0].email)
    missing = parity.api.get("/api/v1/health/rounds/2000000000", headers=dm_headers)
    _same_error(parity, missing, "health", "show", "2000000000", "--as", dm.email)
    other = _squad(parity, "Health CLI Others", members=1)[3][0]
    hidden = parity.api.get(f"/api/v1/teams/{team_id}/health/history", headers=parity.sign_in_api(other))
    _same_error(parity, hidden, "health", "history", "--team", team, "--as", other.email)
    nobody = parity.cli("health", "rounds", "--team", team, "--as", "nobody@example.org")
    assert nobody.exit_code == 1
    assert "Nobody has the e-mail" in nobody.output


def test_retros_list_show_export_and_create_match_the_api(parity: Parity) -> None:
    team_id, team, dm, members = _squad(parity, "Retro CLI Squad", members=2)
    member = members[0]
    headers = parity.sign_in_api(member)
    created = cli_json(
        parity,
        *("retros", "create", "--team", team, "--title", "Sprint 9", "--retro-format", "custom"),
        *("--columns", "Glad, Sad", "--vote-budget", "2", "--as", member.email, "--format", "json"),
    )
    assert (created["title"], created["phase"], created["columns"], created["vote_budget"]) == (
        "Sprint 9",
        "review",
        ["Glad", "Sad"],
        2,
    )
    retro_id = created["id"]
    assert created == parity.api.get(f"/api/v1/retros/{retro_id}", headers=headers).json()

    assert parity.api.post(f"/api/v1/retros/{retro_id}/advance", headers=headers).status_code == 200
    mine = {**headers, "X-Retro-Token": "member-secret"}
    card = parity.api.post(f"/api/v1/retros/{retro_id}/cards", json={"column": "Glad", "text": "Fast CI"}, headers=mine)
    assert card.status_code == 201, card.text
    board = parity.api.get(f"/api/v1/retros/{retro_id}", headers=mine).json()
    assert [(c["text"], c["mine"]) for c in board["cards"]] == [("Fast CI", True)]
    cli_board = cli_json(
        parity, "retros", "show", str(retro_id), "--token", "member-secret", "--as", member.email, "--format", "json"
    )
    assert cli_board == board
    others = cli_json(parity, "retros", "show", str(retro_id), "--as", dm.email, "--format", "json")
    assert (others["cards"], others["hidden_cards"]) == ([], {"Glad": 1})
    assert others == parity.api.get(f"/api/v1/retros/{retro_id}", headers=parity.sign_in_api(dm)).json()

    listed = parity.api.get(f"/api/v1/teams/{team_id}/retros", headers=headers).json()
    assert cli_json(parity, "retros", "list", "--team", team, "--as", member.email, "--format", "json") == listed
    assert [r["title"] for r in listed["items"]] == ["Sprint 9"]

    parity.sign_in_page(member)
    page_export = parity.page.get(f"/retros/{retro_id}/export.md")
    assert page_export.status_code == 200
    cli_export = parity.cli("retros", "export", str(retro_id), "--as", member.email)
    assert cli_export.exit_code == 0, cli_export.output
    assert cli_export.output == page_export.text
    assert "Sprint 9" in cli_export.output


def test_retros_refuse_bad_input_as_the_api_does(parity: Parity) -> None:
    team_id, team, _dm, members = _squad(parity, "Retro CLI Errors", members=1)
    headers = parity.sign_in_api(members[0])
    create = f"/api/v1/teams/{team_id}/retros"
    budget = parity.api.post(create, json={"title": "Too many", "vote_budget": 11}, headers=headers)
    error = _same_error(
        parity, budget, "retros", "create", "--team", team, "--title", "Too many", "--vote-budget", "11", "--as", members[0].email
    )
    assert error["details"]["fields"] == {"vote_budget": "Vote budget must be at most 10."}
    unknown = parity.api.post(create, json={"title": "Odd", "format": "rose-thorn"}, headers=headers)
    _same_error(
        parity,
        unknown,
        "retros",
        "create",
        "--team",
        team,
        "--title",
        "Odd",
        "--retro-format",
        "rose-thorn",
        "--as",
        members[0].email,
    )
    outsider = _squad(parity, "Retro CLI Outsiders", members=1)[3][0]
    forbidden = parity.api.get(create, headers=parity.sign_in_api(outsider))
    assert forbidden.status_code == 403
    cli = parity.cli("retros", "list", "--team", team, "--as", outsider.email, "--format", "json")
    assert cli_error(cli) == api_error(forbidden)
    assert json.loads(cli.output[cli.output.index("{") :])["error"]["code"] == api_error(forbidden)["code"]
