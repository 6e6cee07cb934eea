"""Live sessions (stand-up, refinement, planning) through the API, the pages and the CLI: the same answer and the
same error for the same input."""

from __future__ import annotations

import pytest

from deliveryops.teams.models import TeamRole
from tests.factories import join, make_team, make_user
from tests.parity import Parity, api_error, cli_error, cli_json, page_errors

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def test_one_session_reads_the_same_everywhere(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Parity Standups")
        member = make_user(session)
        join(session, team, member, TeamRole.MEMBER)
    started = cli_json(
        parity,
        "sessions",
        "start",
        "--team",
        "parity-standups",
        "--kind",
        "planning",
        "--title",
        "Sprint 9 planning",
        "--by-date",
        "2099-01-15",
        "--as",
        member.email,
        "--format",
        "json",
    )
    assert (started["title"], started["kind"], started["finished"]) == ("Sprint 9 planning", "planning", False)
    headers = parity.sign_in_api(member)
    assert parity.api.get(f"/api/v1/sessions/{started['id']}", headers=headers).json() == started
    assert cli_json(parity, "sessions", "show", str(started["id"]), "--format", "json") == started

    api_list = parity.api.get(f"/api/v1/teams/{team.id}/sessions", params={"limit": 5}, headers=headers).json()
    cli_list = cli_json(parity, "sessions", "list", "--team", "Parity Standups", "--limit", "5", "--format", "json")
    assert cli_list == api_list
    assert [s["id"] for s in api_list["items"]] == [started["id"]]

    parity.sign_in_page(member)
    page = parity.page.get(f"/sessions/{started['id']}")
    assert page.status_code == 200
    assert "Sprint 9 planning" in page.text


def test_bad_kinds_and_dates_read_the_same_everywhere(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Parity Planners")
        member = make_user(session)
        join(session, team, member, TeamRole.MEMBER)
    headers = parity.sign_in_api(member)
    csrf = parity.sign_in_page(member)
    cases = (
        ({"kind": "retro", "by_date": "2027-02-30"}, ["by_date", "kind"]),
        ({"kind": "planning", "by_date": "2020-01-06"}, ["by_date"]),
    )
    for given, fields in cases:
        api = parity.api.post(f"/api/v1/teams/{team.id}/sessions", json={"title": "", **given}, headers=headers)
        assert api.status_code == 422, api.text
        assert sorted(api_error(api)["details"]["fields"]) == fields

        page = parity.page.post(f"/teams/{team.slug}/sessions", data={"title": "", "csrf_token": csrf, **given})
        assert page.status_code == 422
        assert page_errors(page.text) == api_error(api)["details"]["fields"]

        options = [f"--{name.replace('_', '-')}={value}" for name, value in given.items()]
        cli = parity.cli("sessions", "start", "--team", "Parity Planners", *options, "--as", member.email, "--format", "json")
        assert cli_error(cli) == api_error(api)
    listed = cli_json(parity, "sessions", "list", "--team", "Parity Planners", "--format", "json")
    assert listed["total"] == 0
