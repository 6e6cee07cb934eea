"""Listing commands under `--format json` print the API's own answer: people, connections, impediments."""

from __future__ import annotations

import json

import pytest

from deliveryops.accounts.models import Role
from deliveryops.teams.models import Team
from tests.factories import join, make_team, make_user
from tests.parity import Parity, cli_json

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


@pytest.fixture(scope="module")
def world(parity: Parity) -> tuple[Team, dict[str, str]]:
    with parity.seed() as session:
        team = make_team(session, name="Listings")
        admin = make_user(session, role=Role.ADMIN, email="lists.admin@example.com")
    return team, parity.sign_in_api(admin)


def test_users_list(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    _team, headers = world
    assert cli_json(parity, "users", "list", "--format", "json") == parity.api.get("/api/v1/users", headers=headers).json()
    found = cli_json(parity, "users", "list", "--query", "lists.admin", "--format", "json")
    assert found == parity.api.get("/api/v1/users?q=lists.admin", headers=headers).json()
    assert [user["email"] for user in found["items"]] == ["lists.admin@example.com"]


def test_connectors_list(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    team, headers = world
    body = {
        "name": "Listed",
        "kind": "github",
        "team_id": team.id,
        "settings": {"base_url": "http://127.0.0.1:1", "repositories": ["a/b"]},
        "secret": "t0ken",
    }
    assert parity.api.post("/api/v1/connections", json=body, headers=headers).status_code == 201
    listed = cli_json(parity, "connectors", "list", "--format", "json")
    assert listed == parity.api.get("/api/v1/connections", headers=headers).json()
    assert [connection["name"] for connection in listed["items"]] == ["Listed"]


def test_impediments_list(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    team, headers = world
    raised = parity.cli("impediments", "raise", "--team", team.slug, "--title", "No test environment")
    assert raised.exit_code == 0, raised.output
    listed = cli_json(parity, "impediments", "list", "--team", team.slug, "--format", "json")
    assert listed == parity.api.get(f"/api/v1/teams/{team.id}/impediments", headers=headers).json()
    assert [row["title"] for row in listed["items"]] == ["No test environment"]
    assert cli_json(parity, "impediments", "list", "--format", "json") == listed  # every team: here only this one


def test_notify_lists(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    team, headers = world
    body = {"kind": "slack", "name": "#listed", "url": "https://hooks.slack.com/services/T/B/listed", "events": ["digest"]}
    assert parity.api.post(f"/api/v1/teams/{team.id}/webhooks", json=body, headers=headers).status_code == 201
    listed = cli_json(parity, "notify", "webhooks", team.slug, "--format", "json")
    assert listed == parity.api.get(f"/api/v1/teams/{team.id}/webhooks", headers=headers).json()
    assert [(hook["name"], hook["url_hint"]) for hook in listed["items"]] == [("#listed", "https://hooks.slack.com/\u2026sted")]
    hook_id = listed["items"][0]["id"]
    assert parity.api.post(f"/api/v1/webhooks/{hook_id}/test", headers=headers).status_code == 202
    sent = cli_json(parity, "notify", "deliveries", team.slug, "--format", "json")
    assert sent == parity.api.get(f"/api/v1/teams/{team.id}/webhook-deliveries", headers=headers).json()
    assert [row["event"] for row in sent["items"]] == ["test"]


def test_sessions_list_and_show(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    team, _headers = world
    with parity.seed() as session:
        member = make_user(session, email="lists.member@example.com")
        join(session, session.get(Team, team.id), member)  # type: ignore[arg-type]
    headers = parity.sign_in_api(member)
    created = parity.api.post(f"/api/v1/teams/{team.id}/sessions", json={"kind": "standup", "title": "Parity"}, headers=headers)
    assert created.status_code == 201, created.text
    listed = cli_json(parity, "sessions", "list", "--team", team.slug, "--format", "json")
    assert listed == parity.api.get(f"/api/v1/teams/{team.id}/sessions", headers=headers).json()
    assert [row["title"] for row in listed["items"]] == ["Parity"]
    shown = cli_json(parity, "sessions", "show", str(created.json()["id"]), "--format", "json")
    assert shown == parity.api.get(f"/api/v1/sessions/{created.json()['id']}", headers=headers).json()


def test_connectors_add(parity: Parity, world: tuple[Team, dict[str, str]]) -> None:
    team, headers = world
    added = cli_json(
        parity,
        *("connectors", "add", "--name", "Added by the CLI", "--kind", "github", "--team", team.slug),
        *("--setting", "base_url=http://127.0.0.1:1", "--setting", 'repositories=["a/b"]', "--secret", "t0ken"),
        *("--format", "json"),
    )
    assert added == parity.api.get(f"/api/v1/connections/{added['id']}", headers=headers).json()
    assert (added["name"], added["kind"], added["team_id"]) == ("Added by the CLI", "github", team.id)
    assert "t0ken" not in json.dumps(added)
