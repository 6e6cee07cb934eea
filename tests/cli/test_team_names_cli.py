"""A command that takes a team accepts its name, its slug or its id (the API's), and answers the same for each."""

from __future__ import annotations

import pytest

from deliveryops.accounts.models import Role
from deliveryops.teams.models import TeamRole
from tests.factories import join, make_team, make_user
from tests.parity import Parity, cli_error, cli_json

pytestmark = pytest.mark.slow  # one throwaway database per database kind


def test_a_team_named_by_id_name_or_slug_answers_the_same(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Named Twice")
        dm = make_user(session, email="named.dm@example.com")
        join(session, team, dm, TeamRole.DELIVERY_MANAGER)
        team_id, slug = team.id, team.slug
    for args in (
        ("actions", "list"),
        ("retros", "list", "--as", dm.email),
        ("health", "rounds", "--as", dm.email),
        ("experiments", "list", "--as", dm.email),
    ):
        by_id = cli_json(parity, *args, "--team", str(team_id), "--format", "json")
        assert (
            by_id
            == cli_json(parity, *args, "--team", "Named Twice", "--format", "json")
            == cli_json(parity, *args, "--team", slug, "--format", "json")
        ), args
    headers = parity.sign_in_api(dm)
    assert cli_json(parity, "actions", "list", "--team", str(team_id), "--format", "json") == (
        parity.api.get(f"/api/v1/teams/{team_id}/actions", headers=headers).json()
    )
    created = cli_json(
        parity, "retros", "create", "--team", str(team_id), "--title", "By id", "--as", dm.email, "--format", "json"
    )
    assert [r["title"] for r in parity.api.get(f"/api/v1/teams/{team_id}/retros", headers=headers).json()["items"]] == [
        created["title"]
    ]


def test_an_unknown_team_is_named_in_the_error(parity: Parity) -> None:
    for given in ("2147483647", "99999999999999999999", "Nowhere"):
        error = cli_error(parity.cli("actions", "list", "--team", given, "--format", "json"))
        assert (error["code"], error["message"]) == ("not_found", f"No team named {given!r}. See `deliveryops teams list`.")
        plain = parity.cli("flow", "report", "--team", given, "--format", "csv")
        assert (plain.exit_code, f"No team named {given!r}" in plain.output) == (1, True)


def test_a_team_whose_name_is_a_number_wins_over_the_team_with_that_id(parity: Parity) -> None:
    with parity.seed() as session:
        first = make_team(session, name="First of two")
        numbered = make_team(session, name=str(first.id))
        member = make_user(session, email="numbered.member@example.com")
        join(session, numbered, member)
        first_id, numbered_slug = first.id, numbered.slug
    rounds = cli_json(parity, "health", "rounds", "--team", str(first_id), "--as", member.email, "--format", "json")
    assert rounds == cli_json(parity, "health", "rounds", "--team", numbered_slug, "--as", member.email, "--format", "json")
    refused = cli_error(parity.cli("health", "rounds", "--team", "First of two", "--as", member.email, "--format", "json"))
    assert refused["code"] == "permission_denied"


def test_experiments_refuse_a_team_the_person_does_not_see(parity: Parity) -> None:
    with parity.seed() as session:
        hidden = make_team(session, name="Hidden experiments")
        member = make_user(session, role=Role.MEMBER, email="experiments.outsider@example.com")
        hidden_id = hidden.id
    error = cli_error(parity.cli("experiments", "list", "--team", str(hidden_id), "--as", member.email, "--format", "json"))
    assert error["code"] == "permission_denied"
