"""The JSON API: authentication, errors and team scope (SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.teams.models import TeamRole
from tests.factories import join, login, make_team, make_user, token_headers


def test_healthz_needs_no_authentication(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_schema_and_offline_docs(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "DeliveryOps API"
    assert "/api/v1/teams" in schema["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "/vendor/swagger/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert client.get("/vendor/swagger/swagger-ui-bundle.js").status_code == 200
    plotly_js = client.get("/vendor/plotly.min.js")
    assert plotly_js.status_code == 200
    assert plotly_js.headers["content-type"].startswith("text/javascript")


def test_missing_and_bad_tokens(client: TestClient, session: Session) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication required: send a personal API token as a Bearer token.",
            "details": {},
        }
    }
    assert response.headers["www-authenticate"] == "Bearer"
    wrong = client.get("/api/v1/me", headers={"Authorization": "Bearer dlo_nope"})
    assert wrong.json()["error"]["message"] == "The API token is unknown or revoked."
    basic = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert basic.json()["error"]["message"] == "Send the API token as 'Authorization: Bearer <token>'."


def test_me_with_token(client: TestClient, session: Session) -> None:
    user = make_user(session, email="me@example.com", name="Me Myself", role=Role.DELIVERY_MANAGER)
    response = client.get("/api/v1/me", headers=token_headers(session, user))
    assert response.status_code == 200
    assert response.json() == {
        "id": user.id,
        "email": "me@example.com",
        "name": "Me Myself",
        "title": "",
        "role": "delivery_manager",
        "is_active": True,
    }


def test_token_lifecycle_over_api(client: TestClient, session: Session) -> None:
    user = make_user(session)
    headers = token_headers(session, user)
    created = client.post("/api/v1/tokens", json={"name": "CI"}, headers=headers)
    assert created.status_code == 201
    new_token = created.json()["token"]
    listed = client.get("/api/v1/tokens", headers=headers).json()["items"]
    assert {t["name"] for t in listed} == {"tests", "CI"}
    assert all("token" not in t for t in listed)
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {new_token}"}).status_code == 401


def test_member_cannot_read_other_team(client: TestClient, session: Session) -> None:
    team_a, team_b = make_team(session, name="Alpha"), make_team(session, name="Beta")
    member = make_user(session)
    join(session, team_a, member)
    headers = token_headers(session, member)
    assert [t["name"] for t in client.get("/api/v1/teams", headers=headers).json()["items"]] == ["Alpha"]
    denied = client.get(f"/api/v1/teams/{team_b.id}", headers=headers)
    assert denied.status_code == 403
    assert denied.json()["error"] == {
        "code": "permission_denied",
        "message": "You are not in this team, so you cannot see its data.",
        "details": {},
    }
    assert client.get(f"/api/v1/teams/{team_b.id}/members", headers=headers).status_code == 403


def test_admin_creates_team_and_adds_member(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    person = make_user(session)
    headers = token_headers(session, admin)
    created = client.post("/api/v1/teams", json={"name": "Search", "time_zone": "Europe/Amsterdam"}, headers=headers)
    assert created.status_code == 201
    team_id = created.json()["id"]
    added = client.post(
        f"/api/v1/teams/{team_id}/members", json={"user_id": person.id, "team_role": "delivery_manager"}, headers=headers
    )
    assert added.status_code == 201
    assert added.json()["team_role"] == "delivery_manager"
    duplicate = client.post("/api/v1/teams", json={"name": "Search"}, headers=headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["message"] == "A team named 'Search' exists already."


def test_validation_error_names_the_field(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    response = client.post("/api/v1/teams", json={"time_zone": "UTC"}, headers=token_headers(session, admin))
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "validation_failed"
    assert body["details"]["fields"] == {"name": "Name is required."}
    assert body["message"] == "Name is required."
    bad_zone = client.post("/api/v1/teams", json={"name": "X", "time_zone": "Nowhere"}, headers=token_headers(session, admin))
    assert bad_zone.json()["error"]["details"]["fields"] == {
        "time_zone": "Choose a time zone such as Europe/Berlin or America/New_York."
    }


def test_member_cannot_create_team(client: TestClient, session: Session) -> None:
    member = make_user(session)
    response = client.post("/api/v1/teams", json={"name": "Rogue"}, headers=token_headers(session, member))
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This needs one of these roles: Admin."


def test_cookie_session_api_changes_need_csrf_header(client: TestClient, session: Session) -> None:
    user = make_user(session, email="browser@example.com")
    csrf = login(client, "browser@example.com")
    assert client.get("/api/v1/me").json()["email"] == "browser@example.com"
    refused = client.post("/api/v1/tokens", json={"name": "x"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    accepted = client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201
    assert user.id == client.get("/api/v1/me").json()["id"]


def test_unknown_api_path_is_json(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Nothing at /api/v1/nothing-here.", "details": {}}}


def test_delivery_manager_adds_member_over_api(client: TestClient, session: Session) -> None:
    team = make_team(session)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    person = make_user(session)
    response = client.post(f"/api/v1/teams/{team.id}/members", json={"user_id": person.id}, headers=token_headers(session, dm))
    assert response.status_code == 201
    assert response.json()["user"]["id"] == person.id
