"""HTML pages: sign-in, CSRF, forms that re-render with messages (SQLite and PostgreSQL)."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.teams.models import Team
from tests.factories import PASSWORD, csrf_from, join, login, make_team, make_user, token_headers
from tests.parity import api_error, page_errors


def test_pages_redirect_to_sign_in(client: TestClient) -> None:
    response = client.get("/teams?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/teams%3Fx%3D1"


def test_sign_in_and_out(client: TestClient, session: Session) -> None:
    make_user(session, email="ann@example.com", name="Ann Lee")
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": "ann@example.com", "password": PASSWORD, "csrf_token": csrf_from(page.text), "next": "/teams"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/teams"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    home = client.get("/")
    assert "Good to see you, Ann" in home.text
    out = client.post("/logout", data={"csrf_token": csrf_from(home.text)})
    assert out.headers["location"] == "/login"
    assert client.get("/").status_code == 303


def test_wrong_password_re_renders_with_message(client: TestClient, session: Session) -> None:
    make_user(session, email="bob@example.com")
    page = client.get("/login")
    response = client.post("/login", data={"email": "bob@example.com", "password": "nope", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 401
    assert "The e-mail or password is wrong." in response.text
    assert 'value="bob@example.com"' in response.text


def test_sign_in_is_throttled(client: TestClient, session: Session) -> None:
    make_user(session, email="carol@example.com")
    token = csrf_from(client.get("/login").text)
    for _ in range(3):
        client.post("/login", data={"email": "carol@example.com", "password": "nope", "csrf_token": token})
    response = client.post("/login", data={"email": "carol@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    assert "Too many failed sign-ins. Try again in 10 minutes." in response.text


def test_forms_without_csrf_are_refused(client: TestClient, session: Session) -> None:
    make_user(session, email="dan@example.com")
    response = client.post("/login", data={"email": "dan@example.com", "password": PASSWORD})
    assert response.status_code == 403
    assert "CSRF check failed" in response.text
    login(client, "dan@example.com")
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403


def test_open_redirect_is_refused(client: TestClient, session: Session) -> None:
    make_user(session, email="eve@example.com")
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": "eve@example.com", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"}
    )
    assert response.headers["location"] == "/"


def test_admin_creates_team_and_form_errors_name_the_field(client: TestClient, session: Session) -> None:
    make_user(session, email="root@example.com", role=Role.ADMIN)
    csrf = login(client, "root@example.com")
    bad = client.post("/admin/teams", data={"csrf_token": csrf, "name": "Lima", "time_zone": "Moon/Base"})
    assert bad.status_code == 422
    assert "Choose a time zone such as Europe/Berlin or America/New_York." in bad.text
    assert 'value="Lima"' in bad.text
    good = client.post("/admin/teams", data={"csrf_token": csrf, "name": "Lima", "time_zone": "America/Lima"})
    assert good.status_code == 303
    assert good.headers["location"] == "/teams/lima"
    assert session.scalar(select(Team.time_zone).where(Team.slug == "lima")) == "America/Lima"


def test_admin_adds_person_with_field_errors(client: TestClient, session: Session) -> None:
    make_user(session, email="boss@example.com", role=Role.ADMIN)
    csrf = login(client, "boss@example.com")
    bad = client.post("/admin/people", data={"csrf_token": csrf, "name": "Zed", "email": "zed", "role": "member"})
    assert bad.status_code == 422
    assert "Enter an e-mail address like name@example.com." in bad.text
    good = client.post("/admin/people", data={"csrf_token": csrf, "name": "Zed", "email": "zed@example.com", "role": "leader"})
    assert good.status_code == 303
    assert session.scalar(select(User.role).where(User.email == "zed@example.com")) is Role.LEADER
    no_team = client.post(
        "/admin/people",
        data={"csrf_token": csrf, "name": "Yan", "email": "yan@example.com", "role": "member", "team_id": "Lima"},
    )
    assert no_team.status_code == 422
    assert "Team is a whole number, e.g. 12000; got &#39;Lima&#39;." in no_team.text
    assert session.scalar(select(User.id).where(User.email == "yan@example.com")) is None


def test_group_form_names_its_fields_as_the_api_does(client: TestClient, session: Session) -> None:
    admin = make_user(session, email="groups@example.com", role=Role.ADMIN)
    headers = token_headers(session, admin)
    csrf = login(client, "groups@example.com")
    for body in ({"name": "  ", "description": "Blank"}, {"name": "Platform", "description": "x" * 2001}):
        api = client.post("/api/v1/groups", json=body, headers=headers)
        page = client.post("/admin/groups", data={**body, "csrf_token": csrf})
        assert (api.status_code, page.status_code) == (422, 422)
        assert page_errors(page.text) == api_error(api)["details"]["fields"], body
    assert page_errors(page.text) == {"description": "Description has at most 2,000 characters."}
    assert 'value="Platform"' in page.text
    assert client.post("/admin/groups", data={"name": "Platform", "csrf_token": csrf}).status_code == 303
    again = client.post("/admin/groups", data={"name": "Platform", "csrf_token": csrf})
    assert again.status_code == 409
    assert page_errors(again.text) == {"name": "A group named 'Platform' exists already."}


def test_person_access_form_reads_role_and_access_as_the_api_does(client: TestClient, session: Session) -> None:
    admin = make_user(session, email="access@example.com", role=Role.ADMIN)
    person = make_user(session, email="pat@example.com")
    csrf = login(client, "access@example.com")
    api = client.patch(f"/api/v1/users/{person.id}", json={"role": "boss"}, headers=token_headers(session, admin))
    page = client.post(f"/admin/people/{person.id}", data={"role": "boss", "is_active": "on", "csrf_token": csrf})
    assert (api.status_code, page.status_code) == (422, 422)
    assert api_error(api)["message"] in html.unescape(page.text)
    assert client.post(f"/admin/people/{person.id}", data={"role": "leader", "csrf_token": csrf}).status_code == 303
    session.refresh(person)
    assert (person.role, person.is_active) == (Role.LEADER, False)  # an unticked box takes the access away


def test_member_is_refused_other_team_page(client: TestClient, session: Session) -> None:
    mine, theirs = make_team(session, name="Mine"), make_team(session, name="Theirs")
    member = make_user(session, email="m@example.com")
    join(session, mine, member)
    login(client, "m@example.com")
    assert client.get("/teams/mine").status_code == 200
    refused = client.get("/teams/theirs")
    assert refused.status_code == 403
    assert "You are not in this team, so you cannot see its data." in refused.text
    assert theirs.id != mine.id


def test_team_page_links_retros_only_for_the_teams_people(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Retro Team")
    member = make_user(session, email="rm@example.com")
    join(session, team, member)
    make_user(session, email="ops@example.com", role=Role.PRODUCT_OPS)
    login(client, "rm@example.com")
    assert 'href="/teams/retro-team/retros"' in client.get("/teams/retro-team").text
    assert 'href="/teams/retro-team/sessions"' in client.get("/teams/retro-team").text
    client.cookies.clear()
    login(client, "ops@example.com")
    page = client.get("/teams/retro-team")
    assert page.status_code == 200
    assert 'href="/teams/retro-team/flow"' in page.text
    assert 'href="/teams/retro-team/retros"' not in page.text
    assert client.get("/teams/retro-team/retros").status_code == 403
    assert 'href="/teams/retro-team/sessions"' not in page.text
    assert client.get("/teams/retro-team/sessions").status_code == 403


def test_empty_states_say_what_to_do(client: TestClient, session: Session) -> None:
    make_user(session, email="lonely@example.com")
    login(client, "lonely@example.com")
    assert "Ask your delivery manager or an admin to add you to your team" in client.get("/").text
    assert "You see the teams you belong to." in client.get("/teams").text


def test_tokens_page_shows_token_once(client: TestClient, session: Session) -> None:
    make_user(session, email="tok@example.com")
    csrf = login(client, "tok@example.com")
    created = client.post("/account/tokens", data={"csrf_token": csrf, "name": "Notebook"})
    assert created.status_code == 201
    assert "Copy it now: it will not be shown again." in created.text
    assert "dlo_" in created.text
    again = client.get("/account/tokens")
    assert "Notebook" in again.text
    assert "Copy it now" not in again.text


def test_unknown_page_is_html_404(client: TestClient, session: Session) -> None:
    make_user(session, email="lost@example.com")
    login(client, "lost@example.com")
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "Nothing at /nowhere." in response.text
