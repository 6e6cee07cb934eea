"""Outcomes through the API and pages: a KPI series, its values (JSON, CSV, webhook), objectives and key results."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.db import utcnow
from deliveryops.outcomes.models import KpiValue
from deliveryops.teams.models import Group, TeamRole
from tests.factories import join, login, make_group, make_team, make_user, token_headers

BEFORE = [10, 12, 10, 12, 10, 12]
DURING = [16, 18, 16, 18]


def _period(today: date) -> tuple[date, str]:
    start = today - timedelta(days=27)
    return start, f"{start.isoformat()}..{(start + timedelta(days=90)).isoformat()}"


def _series(client: TestClient, headers: dict[str, str], group: Group) -> dict[str, object]:
    created = client.post(
        "/api/v1/kpi-series", json={"name": "Sign-ups", "unit": "per week", "group_id": group.id}, headers=headers
    )
    assert created.status_code == 201, created.text
    body: dict[str, object] = created.json()
    assert str(body["token"]).startswith("kpi_")
    return body


def _values(start: date) -> list[dict[str, object]]:
    before = [{"on": (start - timedelta(weeks=6 - i)).isoformat(), "value": v} for i, v in enumerate(BEFORE)]
    during = [{"on": (start + timedelta(weeks=i)).isoformat(), "value": v} for i, v in enumerate(DURING)]
    return before + during


def _leader(session: Session) -> tuple[User, Group]:
    return make_user(session, role=Role.LEADER), make_group(session, name="Commerce")


def test_key_result_measured_from_a_kpi_series_through_the_api(client: TestClient, session: Session) -> None:
    leader, group = _leader(session)
    headers = token_headers(session, leader)
    series = _series(client, headers, group)
    start, period = _period(utcnow().date())
    written = client.post(f"/api/v1/kpi-series/{series['id']}/values", json={"values": _values(start)}, headers=headers)
    assert written.json() == {"series_id": series["id"], "written": 10}
    objective = client.post(
        "/api/v1/objectives", json={"title": "Grow sign-ups", "group_id": group.id, "period": period}, headers=headers
    )
    assert objective.status_code == 201, objective.text
    kr = client.post(
        f"/api/v1/objectives/{objective.json()['id']}/key-results",
        json={
            "title": "Sign-ups to 21 a week",
            "source": "kpi",
            "series_id": series["id"],
            "baseline": 11,
            "target": 21,
            "direction": "increase",
        },
        headers=headers,
    )
    assert kr.status_code == 201, kr.text
    # Hand-worked: current = mean(16, 18, 16, 18) = 17, progress (17 - 11) / 10 = 0.6; moved 6 > 4.578 → on track.
    read = kr.json()
    assert (read["current"], round(read["progress"], 9), read["status"]) == (17.0, 0.6, "on_track")
    detail = client.get(f"/api/v1/key-results/{read['id']}", headers=headers).json()
    assert [p["value"] for p in detail["points"]] == BEFORE + DURING
    assert detail["confidence"].startswith("On track. On seeded series")
    listed = client.get("/api/v1/objectives", params={"period": period}, headers=headers).json()["items"]
    assert [o["title"] for o in listed] == ["Grow sign-ups"]

    wrong = client.post(
        f"/api/v1/objectives/{objective.json()['id']}/key-results",
        json={"title": "x", "source": "kpi", "series_id": series["id"], "baseline": 11, "target": 5, "direction": "increase"},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"]["fields"] == {
        "direction": "A target below the baseline needs the direction decrease."
    }


def test_webhook_and_csv_bad_input_name_the_field_or_line_and_write_nothing(client: TestClient, session: Session) -> None:
    leader, group = _leader(session)
    headers = token_headers(session, leader)
    series = _series(client, headers, group)
    hook = {"Authorization": f"Bearer {series['token']}"}

    def stored() -> int:
        return int(session.scalar(select(func.count(KpiValue.id)).where(KpiValue.series_id == series["id"])) or 0)

    bad = client.post(
        "/api/v1/webhooks/kpi",
        json={"values": [{"on": "2026-11-02", "value": 3}, {"on": "2026-11-09", "value": "many"}]},
        headers=hook,
    )
    assert bad.status_code == 422
    assert list(bad.json()["error"]["details"]["fields"]) == ["values.1.value"]
    assert stored() == 0
    assert client.post("/api/v1/webhooks/kpi", content=b"{not json", headers=hook).status_code == 422
    assert client.post("/api/v1/webhooks/kpi", json={"values": []}, headers={"Authorization": "Bearer nope"}).status_code == 401
    ok = client.post("/api/v1/webhooks/kpi", json={"values": [{"on": "2026-11-02", "value": 3}]}, headers=hook)
    assert ok.json() == {"series_id": series["id"], "written": 1}

    csv_bad = "date,value\n2026-11-09,4\n2026-11-16,lots\n"
    answer = client.post(
        f"/api/v1/kpi-series/{series['id']}/values.csv", files={"file": ("v.csv", csv_bad, "text/csv")}, headers=headers
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == "Line 3, column value: expected a number like 412 or 3.5, got 'lots'."
    answer = client.post(
        f"/api/v1/kpi-series/{series['id']}/values.csv", files={"file": ("v.csv", "day,value\n", "text/csv")}, headers=headers
    )
    assert answer.json()["error"]["message"] == "Line 1: the header needs the columns date and value; found day, value."
    assert stored() == 1
    good = "date,value\n2026-11-09,4\n2026-11-02,5\n"
    answer = client.post(
        f"/api/v1/kpi-series/{series['id']}/values.csv", files={"file": ("v.csv", good, "text/csv")}, headers=headers
    )
    assert answer.json()["written"] == 2
    assert stored() == 2  # the value of 2026-11-02 was replaced


def test_members_read_their_team_objectives_and_delivery_managers_edit_them(client: TestClient, session: Session) -> None:
    group = make_group(session, name="Money")
    team, other = make_team(session, name="Payments", group=group), make_team(session, name="Search")
    dm, member, outsider = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session), make_user(session)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    join(session, team, member)
    join(session, other, outsider)
    body = {"title": "Faster refunds", "team_id": team.id}
    assert client.post("/api/v1/objectives", json=body, headers=token_headers(session, member)).status_code == 403
    created = client.post("/api/v1/objectives", json=body, headers=token_headers(session, dm))
    assert created.status_code == 201
    group_body = {"title": "Group goal", "group_id": group.id}
    assert client.post("/api/v1/objectives", json=group_body, headers=token_headers(session, dm)).status_code == 403
    url = f"/api/v1/objectives/{created.json()['id']}"
    assert client.get(url, headers=token_headers(session, member)).status_code == 200
    assert client.get(url, headers=token_headers(session, outsider)).status_code == 404
    assert client.get("/api/v1/objectives", headers=token_headers(session, outsider)).json()["items"] == []


def test_pages_show_objectives_the_key_result_and_the_csv_export(client: TestClient, session: Session) -> None:
    leader, group = _leader(session)
    headers = token_headers(session, leader)
    series = _series(client, headers, group)
    start, period = _period(utcnow().date())
    client.post(f"/api/v1/kpi-series/{series['id']}/values", json={"values": _values(start)}, headers=headers)
    csrf = login(client, leader.email)
    empty = client.get("/outcomes", params={"period": "2020-Q1"})
    assert "No objectives for 2020-Q1" in empty.text
    made = client.post(
        "/outcomes/objectives", data={"csrf_token": csrf, "title": "Grow", "group_id": str(group.id), "period": period}
    )
    assert made.status_code == 303
    assert "Add a key result" in client.get(made.headers["location"]).text
    objective_id = int(made.headers["location"].rsplit("/", 1)[1])
    missing = client.post(
        f"/outcomes/objectives/{objective_id}/key-results",
        data={
            "csrf_token": csrf,
            "title": "Sign-ups",
            "source": "kpi",
            "baseline": "11",
            "target": "21",
            "direction": "increase",
        },
    )
    assert missing.status_code == 422
    assert "Choose the KPI series this key result is measured by." in missing.text
    page = client.post(
        f"/outcomes/objectives/{objective_id}/key-results",
        data={
            "csrf_token": csrf,
            "title": "Sign-ups",
            "source": "kpi",
            "series_id": str(series["id"]),
            "baseline": "11",
            "target": "21",
            "direction": "increase",
        },
    )
    assert page.status_code == 303
    page = client.get(page.headers["location"])
    assert '<span class="kr-status kr-on_track" id="kr-verdict">On track</span>' in page.text
    assert 'href="/definitions#key-result-verdict"' in page.text
    exported = client.get("/outcomes/export.csv", params={"period": period})  # 28 of the 91 days: line at 0.307692
    assert exported.text.splitlines()[1].endswith(",increase,11,21,17,0.6,0.307692,on_track")


def test_the_leader_home_and_the_pack_lead_with_outcomes(client: TestClient, session: Session) -> None:
    leader, group = _leader(session)
    headers = token_headers(session, leader)
    series = _series(client, headers, group)
    client.post("/api/v1/objectives", json={"title": "Grow sign-ups", "group_id": group.id}, headers=headers)
    objective = client.get("/api/v1/objectives", headers=headers).json()["items"][0]
    client.post(
        f"/api/v1/objectives/{objective['id']}/key-results",
        json={
            "title": "More sign-ups",
            "source": "kpi",
            "series_id": series["id"],
            "baseline": 1,
            "target": 2,
            "direction": "increase",
        },
        headers=headers,
    )
    login(client, leader.email)
    home = client.get("/").text
    assert f"Outcomes, {objective['period']}" in home
    assert '<span class="kr-status kr-not_enough_data">Not enough data</span>' in home
    assert "No question waits for a decision and no follow-up is due." in home  # the today section leads
    pack = client.get("/cockpit/leadership", params={"group": group.slug}).text
    assert pack.index('id="outcomes-lead"') < pack.index('id="h-headlines"')
    assert "More sign-ups" in pack
