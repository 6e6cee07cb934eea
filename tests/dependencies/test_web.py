"""The dependencies API and pages: negotiation between two delivery managers, errors naming the field, scope."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.db import utcnow
from deliveryops.teams.models import Team, TeamRole
from tests.factories import csrf_from, join, login, make_team, make_user, token_headers


def _two_teams(session: Session) -> tuple[Team, Team, User, User]:
    app, payments = make_team(session, name="App"), make_team(session, name="Payments")
    app_dm, pay_dm = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, app, app_dm, TeamRole.DELIVERY_MANAGER)
    join(session, payments, pay_dm, TeamRole.DELIVERY_MANAGER)
    return app, payments, app_dm, pay_dm


def test_api_negotiation_between_two_delivery_managers(client: TestClient, session: Session) -> None:
    app, payments, app_dm, pay_dm = _two_teams(session)
    requester, provider = token_headers(session, app_dm), token_headers(session, pay_dm)
    needed = (utcnow().date() + timedelta(days=14)).isoformat()
    created = client.post(
        "/api/v1/dependencies",
        json={
            "requester_team_id": app.id,
            "provider_team_id": payments.id,
            "title": "Refund API",
            "needed_by": needed,
            "requester_keys": ["APP-1"],
        },
        headers=requester,
    )
    assert created.status_code == 201, created.text
    dep = created.json()
    assert (dep["state"], dep["allowed_actions"], dep["provider"]) == ("requested", [], "Payments")
    url = f"/api/v1/dependencies/{dep['id']}"
    assert client.get(url, headers=provider).json()["allowed_actions"] == ["accept", "counter", "decline"]

    missing = client.post(f"{url}/transitions", json={"action": "counter"}, headers=provider)
    assert missing.status_code == 422
    assert list(missing.json()["error"]["details"]["fields"]) == ["countered_on"]
    wrong_side = client.post(f"{url}/transitions", json={"action": "accept", "committed_on": needed}, headers=requester)
    assert wrong_side.status_code == 403
    later = (utcnow().date() + timedelta(days=28)).isoformat()
    countered = client.post(
        f"{url}/transitions", json={"action": "counter", "countered_on": later, "reason": "Freeze"}, headers=provider
    )
    assert countered.json()["state"] == "countered"
    accepted = client.post(f"{url}/transitions", json={"action": "accept_counter"}, headers=requester)
    assert (accepted.json()["state"], accepted.json()["committed_on"]) == ("accepted", later)
    again = client.post(f"{url}/transitions", json={"action": "accept_counter"}, headers=requester)
    assert again.status_code == 409
    assert "accepted" in again.json()["error"]["message"]
    history = client.get(url, headers=requester).json()["events"]
    assert [(e["action"], e["actor_name"]) for e in history] == [
        ("request", app_dm.name),
        ("counter", pay_dm.name),
        ("accept_counter", app_dm.name),
    ]


def test_api_list_filters_pages_and_scope(client: TestClient, session: Session) -> None:
    app, payments, app_dm, _pay_dm = _two_teams(session)
    headers = token_headers(session, app_dm)
    today = utcnow().date()
    for title, days in (("Late", -3), ("Soon", 5), ("Later", 30)):
        body = {
            "requester_team_id": app.id,
            "provider_team_id": payments.id,
            "title": title,
            "needed_by": (today + timedelta(days=days)).isoformat(),
        }
        assert client.post("/api/v1/dependencies", json=body, headers=headers).status_code == 201
    page = client.get("/api/v1/dependencies", params={"limit": 2}, headers=headers).json()
    assert (page["total"], [d["title"] for d in page["items"]]) == (3, ["Late", "Soon"])
    overdue = client.get("/api/v1/dependencies", params={"overdue": "true", "team_id": payments.id}, headers=headers).json()
    assert [d["title"] for d in overdue["items"]] == ["Late"]
    assert overdue["items"][0]["days_late"] == 3
    stranger = token_headers(session, make_user(session))
    assert client.get("/api/v1/dependencies", headers=stranger).json()["total"] == 0
    assert client.get("/api/v1/dependencies", params={"state": "nonsense"}, headers=headers).status_code == 422
    grid = client.get("/api/v1/dependencies/matrix", headers=headers).json()
    assert grid["cells"] == [
        {
            "requester_team_id": app.id,
            "provider": "Payments",
            "provider_key": f"team:{payments.id}",
            "open": 3,
            "overdue": 1,
            "total": 3,
        }
    ]


def test_pages_negotiate_and_show_errors_beside_the_field(client: TestClient, session: Session) -> None:
    app, payments, app_dm, pay_dm = _two_teams(session)
    token = login(client, app_dm.email)
    form = client.get("/dependencies/new")
    assert "Requesting team" in form.text
    bad = client.post(
        "/dependencies/new",
        data={
            "csrf_token": token,
            "requester_team_id": str(app.id),
            "title": "Refund API",
            "needed_by": "2027-01-15",
            "requester_keys": "APP-1",
        },
    )
    assert bad.status_code == 422
    assert "either a team or a function" in bad.text
    assert 'id="provider_team_id-error"' in bad.text
    made = client.post(
        "/dependencies/new",
        data={
            "csrf_token": token,
            "requester_team_id": str(app.id),
            "provider_team_id": str(payments.id),
            "title": "Refund API",
            "needed_by": "2027-01-15",
            "requester_keys": "APP-1, APP-2",
        },
    )
    assert made.status_code == 303
    url = made.headers["location"]
    assert "APP-1, APP-2" in client.get(url).text

    client.post("/logout", data={"csrf_token": token})
    token = login(client, pay_dm.email)
    detail = client.get(url).text
    assert "Accept with a committed date" in detail
    assert "Propose another date" in detail
    missing = client.post(f"{url}/transitions", data={"csrf_token": token, "action": "decline", "reason": ""})
    assert missing.status_code == 422
    assert 'id="reason-error"' in missing.text
    accepted = client.post(
        f"{url}/transitions",
        data={"csrf_token": token, "action": "accept", "committed_on": "2027-01-12", "provider_keys": "PAY-9"},
    )
    assert accepted.status_code == 303
    page = client.get(url).text
    assert "2027-01-12" in page
    assert "PAY-9" in page
    assert "Mark delivered" in page
    no_token = client.post(f"{url}/transitions", data={"action": "deliver"})
    assert no_token.status_code == 403
    team_page = client.get(f"/teams/{payments.slug}/dependencies").text
    assert "What we owe" in team_page
    assert "Refund API" in team_page
    assert "Nothing to wait for" in team_page
    matrix = client.get("/dependencies/matrix").text
    assert "1 open" in matrix
    listed = client.get("/dependencies", params={"state": "accepted", "overdue": ""})
    assert listed.status_code == 200
    assert "Refund API" in listed.text
    assert "No dependency matches these filters" in client.get("/dependencies", params={"state": "declined"}).text
    assert csrf_from(page)


def test_list_page_pages_through_keeping_the_filters(client: TestClient, session: Session) -> None:
    app, payments, app_dm, _pay_dm = _two_teams(session)
    headers = token_headers(session, app_dm)
    for n in range(3):
        body = {"requester_team_id": app.id, "provider_team_id": payments.id, "title": f"Need {n}", "needed_by": f"2027-01-1{n}"}
        assert client.post("/api/v1/dependencies", json=body, headers=headers).status_code == 201
    login(client, app_dm.email)
    first = client.get("/dependencies", params={"state": "requested", "limit": 2}).text
    assert "Need 0" in first
    assert "Need 2" not in first
    assert "?state=requested&amp;limit=2&amp;offset=2" in first
    second = client.get("/dependencies", params={"state": "requested", "limit": 2, "offset": 2}).text
    assert "Need 2" in second
    assert "Need 0" not in second


def test_admin_adds_a_function_whose_owner_answers_for_it(client: TestClient, session: Session) -> None:
    app, _payments, app_dm, _pay_dm = _two_teams(session)
    admin, owner = make_user(session, role=Role.ADMIN), make_user(session, name="Fiona Finance")
    headers = token_headers(session, admin)
    nobody = client.post("/api/v1/dependency-functions", json={"name": "Finance", "owner_id": 2**31 - 1}, headers=headers)
    assert nobody.status_code == 422
    assert list(nobody.json()["error"]["details"]["fields"]) == ["owner_id"]
    made = client.post("/api/v1/dependency-functions", json={"name": "Finance", "owner_id": owner.id}, headers=headers)
    assert made.status_code == 201
    assert made.json()["owner_name"] == "Fiona Finance"
    again = client.post("/api/v1/dependency-functions", json={"name": "Finance"}, headers=headers)
    assert list(again.json()["error"]["details"]["fields"]) == ["name"]
    body = {"requester_team_id": app.id, "provider_function_id": made.json()["id"], "title": "Budget", "needed_by": "2027-02-01"}
    dep = client.post("/api/v1/dependencies", json=body, headers=token_headers(session, app_dm)).json()
    owner_headers = token_headers(session, owner)
    assert client.get(f"/api/v1/dependencies/{dep['id']}", headers=owner_headers).json()["allowed_actions"] == [
        "accept",
        "counter",
        "decline",
    ]
    declined = client.post(
        f"/api/v1/dependencies/{dep['id']}/transitions", json={"action": "decline", "reason": "No budget"}, headers=owner_headers
    )
    assert declined.json()["state"] == "declined"
    assert "Finance" in [f["name"] for f in client.get("/api/v1/dependency-functions", headers=owner_headers).json()["items"]]
