"""Risks through the API, the pages and the CLI: the same answer and the same error for the same input."""

from __future__ import annotations

import json

import pytest

from deliveryops.accounts.models import Role
from tests.factories import make_team, make_user
from tests.parity import Parity, api_error, cli_error, cli_json, page_errors

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def test_one_raised_risk_reads_the_same_everywhere(parity: Parity) -> None:
    with parity.seed() as session:
        make_team(session, name="Parity Risks")
        ops = make_user(session, role=Role.PRODUCT_OPS)
    raised = cli_json(
        parity,
        "risks",
        "add",
        "--title",
        "Vendor lock-in",
        "--team",
        "parity-risks",
        "--status",
        "mitigated",
        "--impact",
        "high",
        "--review-on",
        "2027-03-01",
        "--epics",
        "PAY-1, PAY-2",
        "--format",
        "json",
    )
    assert (raised["status"], raised["impact"], raised["team"]) == ("mitigated", "high", "Parity Risks")
    assert len(raised["links"]) == 2
    headers = parity.sign_in_api(ops)
    assert parity.api.get(f"/api/v1/risks/{raised['id']}", headers=headers).json() == raised
    api_list = parity.api.get("/api/v1/risks", params={"team_id": raised["team_id"], "limit": 5}, headers=headers).json()
    cli_list = cli_json(parity, "risks", "list", "--team", "Parity Risks", "--limit", "5", "--format", "json")
    assert cli_list == api_list
    assert (api_list["total"], api_list["items"]) == (1, [raised])

    csrf = parity.sign_in_page(ops)
    page = parity.page.get("/risks", params={"team_id": raised["team_id"]})
    assert page.status_code == 200
    assert "Vendor lock-in" in page.text
    assert "2027-03-01" in page.text

    form = {"title": "Vendor lock-in", "status": "mitigated", "impact": "high", "team_id": str(raised["team_id"])}
    form |= {"review_on": "2027-03-01", "epic_keys": "PAY-1, PAY-2", "dependency_ids": "", "csrf_token": csrf}
    from_page = parity.page.post("/risks/new", data=form)
    assert from_page.status_code == 303, page_errors(from_page.text)
    page_id = int(from_page.headers["location"].rsplit("/", 1)[1])
    from_api = parity.api.get(f"/api/v1/risks/{page_id}", headers=headers).json()
    same = ("title", "status", "impact", "team_id", "review_on")
    assert {k: from_api[k] for k in same} == {k: raised[k] for k in same}
    assert [link["label"] for link in from_api["links"]] == [link["label"] for link in raised["links"]]


def test_bad_links_and_dates_read_the_same_everywhere(parity: Parity) -> None:
    with parity.seed() as session:
        ops = make_user(session, role=Role.PRODUCT_OPS)
    headers = parity.sign_in_api(ops)
    csrf = parity.sign_in_page(ops)
    form = {"title": "Shared database", "status": "open", "impact": "medium", "team_id": "", "owner_id": ""}
    form |= {"description": "", "response": "", "impediment_ids": "", "epic_keys": "", "csrf_token": csrf}

    for review_on, dependencies in (("2027-02-30", "4, four"), ("2027-02-01", "999999")):
        api = parity.api.post(
            "/api/v1/risks",
            json={"title": "Shared database", "review_on": review_on, "dependency_ids": dependencies},
            headers=headers,
        )
        assert api.status_code == 422, api.text
        page = parity.page.post("/risks/new", data={**form, "review_on": review_on, "dependency_ids": dependencies})
        assert page.status_code == 422
        assert page_errors(page.text) == api_error(api)["details"]["fields"]
        cli = parity.cli(
            "risks",
            "add",
            "--title",
            "Shared database",
            "--review-on",
            review_on,
            "--dependencies",
            dependencies,
            "--format",
            "json",
        )
        assert cli_error(cli) == api_error(api)
    assert list(api_error(api)["details"]["fields"]) == ["dependency_ids"]
    listed = json.loads(parity.cli("risks", "list", "--limit", "200", "--format", "json").output)["items"]
    assert "Shared database" not in [risk["title"] for risk in listed]
