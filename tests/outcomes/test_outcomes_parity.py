"""Objectives, key results and KPI readings through the API, the pages and the CLI: the same answer and the same
error for the same input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deliveryops.accounts.models import User
from deliveryops.teams.models import TeamRole
from tests.factories import join, make_team, make_user
from tests.parity import Parity, api_error, cli_error, cli_json, page_errors

pytestmark = pytest.mark.slow  # one throwaway database per database kind, shared by the module


def _objective_with_kpi(parity: Parity, team_name: str) -> tuple[User, dict[str, str], dict[str, Any], dict[str, Any]]:
    """A team objective with one KPI key result (set through the API by the team's delivery manager)."""
    with parity.seed() as session:
        team = make_team(session, name=team_name)
        dm = make_user(session)
        join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    headers = parity.sign_in_api(dm)
    series = parity.api.post("/api/v1/kpi-series", json={"name": f"{team_name} NPS", "team_id": team.id}, headers=headers)
    assert series.status_code == 201, series.text
    objective = parity.api.post(
        "/api/v1/objectives", json={"title": f"{team_name} delights", "team_id": team.id, "period": "2026-Q4"}, headers=headers
    )
    assert objective.status_code == 201, objective.text
    key_result = parity.api.post(
        f"/api/v1/objectives/{objective.json()['id']}/key-results",
        json={
            "title": "NPS up",
            "source": "kpi",
            "series_id": series.json()["id"],
            "baseline": 10,
            "target": 30,
            "direction": "increase",
        },
        headers=headers,
    )
    assert key_result.status_code == 201, key_result.text
    return dm, headers, objective.json(), key_result.json()


def test_objectives_and_readings_read_the_same_everywhere(parity: Parity, tmp_path: Path) -> None:
    dm, headers, _objective, key_result = _objective_with_kpi(parity, "Parity Outcomes")
    readings = tmp_path / "nps.json"
    readings.write_text(json.dumps({"values": [{"on": "2026-10-05", "value": 14}, {"on": "2026-11-02", "value": 20}]}))
    written = cli_json(parity, "outcomes", "import", "Parity Outcomes NPS", str(readings), "--format", "json")
    assert written["written"] == 2
    again = cli_json(parity, "outcomes", "import", str(written["series_id"]), str(readings), "--format", "json")
    assert again == written

    api_list = parity.api.get("/api/v1/objectives", params={"period": "2026-Q4", "limit": 5}, headers=headers).json()
    cli_list = cli_json(parity, "outcomes", "list", "--period", "2026-Q4", "--limit", "5", "--format", "json")
    assert cli_list == api_list
    assert api_list["total"] == 1
    [listed] = api_list["items"][0]["key_results"]
    assert (listed["id"], listed["current"], listed["progress"]) == (key_result["id"], 17.0, 0.35)

    api_detail = parity.api.get(f"/api/v1/key-results/{key_result['id']}", headers=headers).json()
    assert cli_json(parity, "outcomes", "show", str(key_result["id"]), "--format", "json") == api_detail
    assert [p["value"] for p in api_detail["points"]] == [14.0, 20.0]

    parity.sign_in_page(dm)
    page = parity.page.get(f"/outcomes/key-results/{key_result['id']}")
    assert page.status_code == 200
    assert "<dt>Current</dt><dd>17 </dd>" in page.text
    assert "<dt>Progress</dt><dd>35% of the way" in page.text
    assert api_detail["status_label"] in page.text


def test_a_target_on_the_baseline_reads_the_same_everywhere(parity: Parity) -> None:
    dm, headers, objective, key_result = _objective_with_kpi(parity, "Parity Targets")
    field = {"target": "The target differs from the baseline."}

    api = parity.api.patch(f"/api/v1/key-results/{key_result['id']}", json={"target": 10}, headers=headers)
    assert api.status_code == 422
    assert api_error(api)["details"]["fields"] == field

    csrf = parity.sign_in_page(dm)
    page = parity.page.post(
        f"/outcomes/key-results/{key_result['id']}/edit",
        data={"title": "NPS up", "baseline": "10", "target": "10", "direction": "increase", "owner_id": "", "csrf_token": csrf},
    )
    assert page.status_code == 422
    assert page_errors(page.text) == field

    cli = parity.cli("outcomes", "edit-key-result", str(key_result["id"]), "--target", "10", "--format", "json")
    assert cli_error(cli) == api_error(api)

    bad_period = {"period": "2026-Q9"}
    api = parity.api.patch(f"/api/v1/objectives/{objective['id']}", json=bad_period, headers=headers)
    assert api.status_code == 422
    page = parity.page.post(
        f"/outcomes/objectives/{objective['id']}/edit",
        data={"title": objective["title"], "description": "", "period": "2026-Q9", "owner_id": "", "csrf_token": csrf},
    )
    assert page.status_code == 422
    assert page_errors(page.text) == api_error(api)["details"]["fields"]
    cli = parity.cli("outcomes", "edit-objective", str(objective["id"]), "--period", "2026-Q9", "--format", "json")
    assert cli_error(cli) == api_error(api)
    assert list(api_error(api)["details"]["fields"]) == ["period"]
