"""Impediments through the API and the CLI: raising, escalating and resolving print the API's model under
`--format json`, the cross-team lists are the API's pages, and bad input reads as the API's error."""

from __future__ import annotations

import pytest

from deliveryops.accounts.models import Role
from deliveryops.teams.models import TeamRole
from tests.factories import join, make_team, make_user
from tests.parity import Parity, api_error, cli_error, cli_json

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def test_raise_escalate_and_resolve_print_the_api_answer(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Impediments CLI")
        dm = make_user(session, role=Role.DELIVERY_MANAGER)
        join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    headers = parity.sign_in_api(dm)
    raised = cli_json(
        parity,
        *("impediments", "raise", "--team", team.slug, "--title", "No staging database", "--severity", "high"),
        *("--as", dm.email, "--format", "json"),
    )
    assert (raised["title"], raised["severity"], raised["level"]) == ("No staging database", "high", "team")
    assert raised == parity.api.get(f"/api/v1/impediments/{raised['id']}", headers=headers).json()
    assert [event["kind"] for event in raised["events"]] == ["raised"]

    args = ("--tried", "Asked ops", "--needed", "A database", "--as", dm.email, "--format", "json")
    escalated = cli_json(parity, "impediments", "escalate", str(raised["id"]), *args)
    assert escalated["level"] != "team"
    assert escalated == parity.api.get(f"/api/v1/impediments/{raised['id']}", headers=headers).json()
    resolved = cli_json(parity, "impediments", "resolve", str(raised["id"]), "--note", "Ops made one", "--format", "json")
    assert (resolved["status"], resolved["resolution_note"]) == ("resolved", "Ops made one")
    assert resolved == parity.api.get(f"/api/v1/impediments/{raised['id']}", headers=headers).json()


def test_a_bad_impediment_is_refused_as_the_api_refuses_it(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Impediments CLI Errors")
        dm = make_user(session, role=Role.DELIVERY_MANAGER)
        join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    headers = parity.sign_in_api(dm)
    for title in ("", "T" * 301):
        api = parity.api.post(f"/api/v1/teams/{team.id}/impediments", json={"title": title}, headers=headers)
        assert api.status_code == 422, api.text
        cli = parity.cli("impediments", "raise", "--team", team.slug, "--title", title, "--as", dm.email, "--format", "json")
        assert cli_error(cli) == api_error(api)
        assert set(api_error(api)["details"]["fields"]) == {"title"}
    missing = parity.api.post("/api/v1/impediments/999999/resolve", json={"note": "x"}, headers=headers)
    assert missing.status_code == 404
    assert cli_error(parity.cli("impediments", "resolve", "999999", "--note", "x", "--format", "json")) == api_error(missing)


def test_clusters_and_synonyms_are_the_api_pages(parity: Parity) -> None:
    with parity.seed() as session:
        admin = make_user(session, role=Role.ADMIN)
    headers = parity.sign_in_api(admin)
    added = parity.api.post(
        "/api/v1/impediment-synonyms", json={"term": "CAB", "meaning": "change advisory board"}, headers=headers
    )
    assert added.status_code == 201, added.text
    cli = cli_json(parity, "impediments", "synonyms", "--add", "DWH=data warehouse", "--format", "json")
    assert cli == parity.api.get("/api/v1/impediment-synonyms", headers=headers).json()
    assert [row["term"] for row in cli["items"]] == ["CAB", "DWH"]
    one = cli_json(parity, "impediments", "synonyms", "--limit", "1", "--offset", "1", "--format", "json")
    assert one == parity.api.get("/api/v1/impediment-synonyms?limit=1&offset=1", headers=headers).json()

    clusters = cli_json(parity, "impediments", "clusters", "--no-propose", "--format", "json")
    assert clusters == parity.api.get("/api/v1/impediment-clusters", headers=headers).json()
