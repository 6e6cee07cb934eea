"""Experiments through the API, the pages and the CLI: the same answer and the same error for the same input."""

from __future__ import annotations

import json

import pytest

from deliveryops.teams.models import TeamRole
from tests.factories import join, make_team, make_user
from tests.parity import Parity, api_error, cli_error, page_errors

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def test_a_bad_design_reads_the_same_everywhere(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Parity Checkout")
        member = make_user(session)
        join(session, team, member, TeamRole.MEMBER)
    fields = {
        "variations": "Variation 2: the name 'Control' is used twice.",
        "alpha": "The significance level must be below 0.5.",
        "planned_end": "The planned end is on or after the planned start.",
    }

    api = parity.api.post(
        "/api/v1/experiments",
        json={
            "team_id": team.id,
            "title": "One-page checkout",
            "variations": [{"name": "control", "is_control": True}, {"name": "Control"}],
            "alpha": 0.7,
            "planned_start": "2027-02-01",
            "planned_end": "2027-01-01",
        },
        headers=parity.sign_in_api(member),
    )
    assert api.status_code == 422
    assert api_error(api)["details"]["fields"] == fields

    csrf = parity.sign_in_page(member)
    page = parity.page.post(
        "/experiments/new",
        data={
            "csrf_token": csrf,
            "team_id": str(team.id),
            "title": "One-page checkout",
            "variations.0.name": "control",
            "variations.1.name": "Control",
            "variations.2.name": "",
            "variations.*.is_control": "0",
            "metrics.0.name": "",
            "metrics.0.higher_is_better": "true",
            "alpha": "0.7",
            "planned_start": "2027-02-01",
            "planned_end": "2027-01-01",
        },
    )
    assert page.status_code == 422
    assert page_errors(page.text) == fields

    cli = parity.cli(
        "experiments",
        "create",
        "--team",
        "Parity Checkout",
        "--title",
        "One-page checkout",
        "--variation",
        "control",
        "--variation",
        "Control",
        "--alpha",
        "0.7",
        "--planned-start",
        "2027-02-01",
        "--planned-end",
        "2027-01-01",
        "--as",
        member.email,
        "--format",
        "json",
    )
    assert cli_error(cli) == api_error(api)


def test_one_registered_experiment_reads_the_same_everywhere(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Parity Search")
        member = make_user(session)
        join(session, team, member, TeamRole.MEMBER)
    created = parity.cli(
        "experiments",
        "create",
        "--team",
        "parity-search",
        "--title",
        "Saved carts",
        "--observation",
        "returning users lose carts",
        "--metric",
        "conversion:proportion:primary",
        "--metric",
        "refunds:proportion:guardrail:lower",
        "--tags",
        "Retention, carts",
        "--mde",
        "0.05",
        "--as",
        member.email,
        "--format",
        "json",
    )
    assert created.exit_code == 0, created.output
    experiment = json.loads(created.output)
    assert (experiment["tags"], experiment["mde"]) == (["carts", "retention"], 0.05)
    assert [m["higher_is_better"] for m in experiment["metrics"]] == [True, False]

    headers = parity.sign_in_api(member)
    api_page = parity.api.get("/api/v1/experiments", params={"team_id": team.id, "limit": 5}, headers=headers).json()
    listed = parity.cli("experiments", "list", "--team", "Parity Search", "--limit", "5", "--as", member.email, "--format=json")
    cli_page = json.loads(listed.output)
    assert cli_page == api_page
    assert (api_page["total"], api_page["items"][0]) == (1, experiment)
    assert parity.api.get(f"/api/v1/experiments/{experiment['id']}", headers=headers).json() == experiment

    parity.sign_in_page(member)
    edit = parity.page.get(f"/experiments/{experiment['id']}/edit")
    assert 'name="metrics.1.name" maxlength="100" aria-label="Metric 2 name" value="refunds"' in edit.text
    assert 'name="mde" inputmode="decimal" maxlength="30" value="5"' in edit.text
