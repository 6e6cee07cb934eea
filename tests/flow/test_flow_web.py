"""Flow and forecast pages, API and CLI over a known history (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import get_args

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.flow import charts, service
from deliveryops.flow.report import summary_dict
from deliveryops.flow.routes import Metric
from deliveryops.flow.service import team_flow
from deliveryops.web.assets import plotly_url
from tests.factories import join, login, make_user, token_headers
from tests.flow.test_flow_service import epics_team, steady_team


def test_metric_names_match_the_charts() -> None:
    assert list(get_args(Metric)) == [chart.name for chart in charts.FLOW_CHARTS]


def test_flow_api(client: TestClient, session: Session) -> None:
    team = steady_team(session)
    headers = token_headers(session, make_user(session, role=Role.PRODUCT_OPS))
    body = client.get(f"/api/v1/teams/{team.id}/flow?from=2026-03-01&to=2026-03-05", headers=headers).json()
    assert body["finished"] == 3
    assert body["cycle_time_percentiles_days"] == {"50": 3, "70": 4, "85": 4, "95": 4}
    assert [row["wip"] for row in body["wip"]] == [2, 2, 1, 2, 1]
    assert body["item_types"] == ["Story"]
    table = client.get(f"/api/v1/teams/{team.id}/flow/cycle-times?from=2026-03-01&to=2026-03-05", headers=headers).json()
    assert table["columns"][:3] == ["key", "title", "item_type"]
    assert sorted(row[0] for row in table["rows"]) == ["M-1", "M-2", "M-3"]
    bad = client.get(f"/api/v1/teams/{team.id}/flow?from=2026-03-05&to=2026-03-01", headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"] == {"from": "The start must be on or before the end."}


def test_forecast_api_is_reproducible(client: TestClient, session: Session) -> None:
    team = steady_team(session)
    headers = token_headers(session, make_user(session, role=Role.ADMIN))
    body = {"items": 12, "seed": 99, "window_days": 400}
    first = client.post(f"/api/v1/teams/{team.id}/forecasts/when", json=body, headers=headers)
    again = client.post(f"/api/v1/teams/{team.id}/forecasts/when", json=body, headers=headers)
    assert first.status_code == 201
    assert first.json()["predicted"] == again.json()["predicted"]
    assert sum(first.json()["histogram"].values()) == 10_000
    listed = client.get(f"/api/v1/teams/{team.id}/forecasts", headers=headers).json()["items"]
    assert len(listed) == 1  # the same question asked twice on one day is one record
    assert listed[0]["commitment"] is None
    one = client.get(f"/api/v1/forecasts/{first.json()['id']}", headers=headers).json()
    assert one["seed"] == 99
    assert client.get(f"/api/v1/teams/{team.id}/forecasts-calibration", headers=headers).json()["pending"] == 0
    committed = client.post(f"/api/v1/forecasts/{one['id']}/commit", json={"commitment": "exported"}, headers=headers)
    assert committed.json()["commitment"] == "exported"
    assert client.post(f"/api/v1/forecasts/{one['id']}/commit", json={}, headers=headers).json()["commitment"] == "exported"
    assert client.get(f"/api/v1/teams/{team.id}/forecasts-calibration", headers=headers).json()["pending"] == 1
    assert client.get(f"/api/v1/teams/{team.id}/forecasts?committed=false", headers=headers).json()["total"] == 0
    plan = client.post(
        f"/api/v1/teams/{team.id}/forecasts/how-many", json={"by": "2099-01-01", "commitment": "plan"}, headers=headers
    )
    assert plan.json()["commitment"] == "plan"
    bad = client.post(f"/api/v1/forecasts/{one['id']}/commit", json={"commitment": "promise"}, headers=headers)
    assert bad.status_code == 422
    few = client.post(f"/api/v1/teams/{team.id}/forecasts/when", json={"items": 1, "trials": 50}, headers=headers)
    assert few.status_code == 422
    assert "trials" in few.json()["error"]["details"]["fields"]


def test_epics_api_page_and_cli_state_the_rule(client: TestClient, session: Session) -> None:
    team = epics_team(session)
    headers = token_headers(session, make_user(session, role=Role.ADMIN))
    body = client.post(
        f"/api/v1/teams/{team.id}/forecasts/epics", json={"allocation": "even", "window_days": 400}, headers=headers
    )
    assert body.status_code == 201
    assert body.json()["allocation"] == "even"
    assert body.json()["rule"].startswith("Shared evenly")
    assert [f["allocation"] for f in body.json()["forecasts"]] == ["shared evenly with 1 other open epic"] * 2
    bad = client.post(f"/api/v1/teams/{team.id}/forecasts/epics", json={"allocation": "random"}, headers=headers)
    assert bad.status_code == 422
    assert "allocation" in bad.json()["error"]["details"]["fields"]
    member = make_user(session, email="e@example.com")
    join(session, team, member)
    csrf = login(client, "e@example.com")
    page = client.post(
        f"/teams/{team.slug}/forecasts",
        data={"csrf_token": csrf, "kind": "epics", "epics": "EP-2\nEP-1", "allocation": "priority", "window": "400"},
    )
    assert page.status_code == 200
    assert 'id="allocation-rule"' in page.text
    assert "priority order: after EP-2 (2 of 2)" in page.text
    unknown = client.post(
        f"/teams/{team.slug}/forecasts", data={"csrf_token": csrf, "kind": "epics", "epics": "NOPE", "window": "90"}
    )
    assert unknown.status_code == 422
    assert "No epic NOPE in this team." in unknown.text


def test_flow_page_and_csv(client: TestClient, session: Session) -> None:
    team = steady_team(session)
    member = make_user(session, email="m@example.com")
    join(session, team, member)
    login(client, "m@example.com")
    page = client.get(f"/teams/{team.slug}/flow?from=2026-03-01&to=2026-03-05")
    assert page.status_code == 200
    for chart in charts.FLOW_CHARTS:
        assert f'id="chart-{chart.name}"' in page.text
        assert f"/teams/{team.slug}/flow/{chart.name}.csv?" in page.text
    assert "Only 3 items finished in this period: percentiles and forecasts are rough." in page.text
    assert f'src="{plotly_url()}"' in page.text
    csv_text = client.get(f"/teams/{team.slug}/flow/wip.csv?from=2026-03-01&to=2026-03-05").text
    assert csv_text.splitlines() == ["date,wip", "2026-03-01,2", "2026-03-02,2", "2026-03-03,1", "2026-03-04,2", "2026-03-05,1"]
    bad = client.get(f"/teams/{team.slug}/flow?from=yesterday")
    assert bad.status_code == 422
    assert "From: expected a date like 2026-03-31, got &#39;yesterday&#39;." in bad.text
    bad_sle = client.get(f"/teams/{team.slug}/flow?from=2026-03-01&sle=ten")
    assert bad_sle.status_code == 422
    assert "SLE is a whole number, e.g. 12000; got &#39;ten&#39;." in bad_sle.text


def test_forecast_form_names_the_field_that_is_not_a_number_and_stores_nothing(client: TestClient, session: Session) -> None:
    team = steady_team(session)
    join(session, team, make_user(session, email="n@example.com"))
    csrf = login(client, "n@example.com")
    for data, message in (
        ({"items": "ten", "window": "90"}, "Items remaining is a whole number, e.g. 12000; got &#39;ten&#39;."),
        ({"items": "10", "window": "ninety"}, "Window is a whole number, e.g. 12000; got &#39;ninety&#39;."),
        ({"items": "10", "window": "5"}, "Choose a window of 7 to 730 days."),
        ({"items": "10", "target": "soon"}, "Target date: expected a date like 2026-03-31, got &#39;soon&#39;."),
    ):
        refused = client.post(f"/teams/{team.slug}/forecasts", data={"csrf_token": csrf, "kind": "when", **data})
        assert refused.status_code == 422, data
        assert message in refused.text
    assert service.list_forecasts(session=session, actor=None, team_id=team.id) == []


def test_forecast_page_makes_and_lists_forecasts(client: TestClient, session: Session) -> None:
    team = steady_team(session)
    member = make_user(session, email="f@example.com")
    join(session, team, member)
    csrf = login(client, "f@example.com")
    made = client.post(f"/teams/{team.slug}/forecasts", data={"csrf_token": csrf, "kind": "when", "items": "10", "window": "400"})
    assert made.status_code == 200
    assert "10 items" in made.text
    assert "10000 trials sampling 400 days of throughput" in made.text
    assert 'id="chart-forecast"' in made.text
    assert "This is a what-if: it is not scored." in made.text
    forecast_id = service.list_forecasts(session=session, actor=None, team_id=team.id)[0].id
    no_token = client.post(f"/teams/{team.slug}/forecasts/{forecast_id}/commit", data={})
    assert no_token.status_code == 403
    committed = client.post(f"/teams/{team.slug}/forecasts/{forecast_id}/commit", data={"csrf_token": csrf})
    assert committed.status_code == 200
    assert "Committed as the team&#39;s plan" in committed.text
    assert "Team plan" in committed.text
    missing = client.post(f"/teams/{team.slug}/forecasts", data={"csrf_token": csrf, "kind": "how_many", "by": ""})
    assert missing.status_code == 422
    assert "Choose the date." in missing.text


def test_report_json_shape(session: Session) -> None:
    team = steady_team(session)
    found, query, summary, _data = team_flow(
        session=session,
        actor=None,
        team_id=team.id,
        start=date(2026, 3, 1),
        end=date(2026, 3, 5),
        now=datetime(2026, 3, 6, tzinfo=UTC),
    )
    payload = json.loads(json.dumps(summary_dict(summary, query, team=found.name, time_zone=found.time_zone)))
    assert payload["period"] == {"from": "2026-03-01", "to": "2026-03-05", "today": "2026-03-06"}
    assert payload["finished"] == 3
