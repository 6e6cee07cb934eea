"""Organisation-level actions through the API, the pages and the CLI: the same answer and the same error for the
same input."""

from __future__ import annotations

import pytest

from deliveryops.accounts.models import Role
from tests.factories import make_team, make_user
from tests.parity import Parity, api_error, cli_error, cli_json, page_errors

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def test_one_org_action_reads_the_same_everywhere(parity: Parity) -> None:
    with parity.seed() as session:
        north, south = make_team(session, name="Parity North"), make_team(session, name="Parity South")
        ops = make_user(session, role=Role.PRODUCT_OPS)
    added = cli_json(
        parity,
        "org-actions",
        "add",
        "--title",
        "Limit work in progress",
        "--teams",
        "parity-north, Parity South",
        "--target-metric",
        "wip",
        "--expected-direction",
        "decrease",
        "--started-on",
        "2026-11-02",
        "--due-date",
        "2027-01-29",
        "--format",
        "json",
    )
    assert (added["team_ids"], added["started_on"], added["due_date"]) == ([north.id, south.id], "2026-11-02", "2027-01-29")
    assert added["expected_direction"] == "decrease"
    headers = parity.sign_in_api(ops)
    from_api = parity.api.get(f"/api/v1/org-actions/{added['id']}", headers=headers).json()
    assert from_api == added
    api_list = parity.api.get("/api/v1/org-actions", params={"limit": 5}, headers=headers).json()
    assert cli_json(parity, "org-actions", "list", "--limit", "5", "--format", "json") == api_list

    parity.sign_in_page(ops)
    page = parity.page.get(f"/org-actions/{added['id']}")
    assert page.status_code == 200
    assert "<h1>Limit work in progress</h1>" in page.text
    assert "takes effect 2026-11-02 · due 2027-01-29" in page.text


def test_bad_dates_and_metrics_read_the_same_everywhere(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Parity East")
        ops = make_user(session, role=Role.PRODUCT_OPS)
    headers = parity.sign_in_api(ops)
    csrf = parity.sign_in_page(ops)
    cases = (
        ({"started_on": "2026-02-30", "expected_direction": "sideways"}, ["started_on", "expected_direction"]),
        ({"target_metric": "health_card"}, ["target_metric"]),
    )
    for given, fields in cases:
        api = parity.api.post(
            "/api/v1/org-actions", json={"title": "Pair daily", "team_ids": [team.id], **given}, headers=headers
        )
        assert api.status_code == 422, api.text
        assert sorted(api_error(api)["details"]["fields"]) == sorted(fields)

        page = parity.page.post(
            "/org-actions", data={"title": "Pair daily", "team_ids": str(team.id), "csrf_token": csrf, **given}
        )
        assert page.status_code == 422
        assert page_errors(page.text) == api_error(api)["details"]["fields"]

        options = [f"--{name.replace('_', '-')}={value}" for name, value in given.items()]
        cli = parity.cli("org-actions", "add", "--title", "Pair daily", "--teams", "Parity East", *options, "--format", "json")
        assert cli_error(cli) == api_error(api)


def test_a_rollout_reads_the_same_everywhere(parity: Parity) -> None:
    with parity.seed() as session:
        team = make_team(session, name="Parity West")
        ops = make_user(session, role=Role.PRODUCT_OPS)
    headers = parity.sign_in_api(ops)
    entry = parity.api.post("/api/v1/cockpit/catalogue", json={"name": "Parity pairing", "category": "practice"}, headers=headers)
    assert entry.status_code == 201, entry.text
    entry_id = entry.json()["id"]

    body = {
        "entry_id": entry_id,
        "title": "Pair",
        "starts_on": "2027-02-30",
        "teams": [{"team_id": team.id, "target_on": "2027-13-01"}],
    }
    api = parity.api.post("/api/v1/cockpit/rollouts", json=body, headers=headers)
    assert api.status_code == 422
    assert sorted(api_error(api)["details"]["fields"]) == ["starts_on", "teams.0.target_on"]
    csrf = parity.sign_in_page(ops)
    form = {"entry_id": str(entry_id), "title": "Pair", "metric": "throughput", "starts_on": "2027-02-30", "notes": ""}
    form |= {"owner_id": "", "teams.0.team_id": str(team.id), "teams.0.target_on": "2027-13-01", "csrf_token": csrf}
    page = parity.page.post("/cockpit/rollouts", data=form)
    assert page.status_code == 422
    assert page_errors(page.text) == api_error(api)["details"]["fields"]
    create = ("rollouts", "create", "--entry", "Parity pairing", "--title", "Pair", "--team")
    cli = parity.cli(*create, "Parity West=2027-13-01", "--starts-on", "2027-02-30", "--format", "json")
    assert cli_error(cli) == api_error(api)

    created = cli_json(parity, *create, "parity-west=2027-03-31", "--starts-on", "2027-02-01", "--format", "json")
    assert created["teams"] == [{"team_id": team.id, "team_name": "Parity West", "target_on": "2027-03-31"}]
    listed = parity.api.get("/api/v1/cockpit/rollouts", params={"entry_id": entry_id}, headers=headers).json()
    assert listed["items"] == [created]
    assert (
        cli_json(parity, "rollouts", "list", "--format", "json")
        == parity.api.get("/api/v1/cockpit/rollouts", headers=headers).json()
    )
