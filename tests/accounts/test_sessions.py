"""Sessions live on the server (issue 16, item 3): sign-out ends a copied cookie too, a password change needs
the current password and ends the other sessions, "sign out everywhere", and a cookie with no personal data
(SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import ApiToken, UserSession
from deliveryops.accounts.passwords import password_problem
from deliveryops.retros.models import Card
from deliveryops.teams.models import TeamRole
from tests.factories import PASSWORD, csrf_from, join, make_team, make_user, token_headers
from tests.factories import login_through_form as login  # signing in is what these tests test

COOKIE = "deliveryops_session"
NEW_PASSWORD = "plum kettle harbour violin"


def copy_of(app: FastAPI, client: TestClient) -> TestClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    other = TestClient(app, follow_redirects=False)
    other.cookies.set(COOKIE, client.cookies[COOKIE])
    return other


def signed_in(client: TestClient) -> bool:
    return client.get("/").status_code == 200


def mint_token(client: TestClient, csrf: str) -> int:
    return client.post("/api/v1/tokens", json={"name": "copied"}, headers={"X-CSRF-Token": csrf}).status_code


def test_a_cookie_copied_before_sign_out_stops_working(app: FastAPI, client: TestClient, session: Session) -> None:
    user = make_user(session)
    csrf = login(client, user.email)
    thief = copy_of(app, client)
    assert signed_in(thief)
    assert mint_token(thief, csrf) == 201  # the copy works while the session lives...
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert thief.get("/").headers["location"] == "/login?next=/"  # ...and not after sign-out
    assert mint_token(thief, csrf) == 401
    assert thief.get("/api/v1/me").status_code == 401
    ended = session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert ended.ended_at is not None


def test_the_cookie_carries_no_personal_data(client: TestClient, session: Session) -> None:
    user = make_user(session, email="private.person@example.com", name="Private Person")
    login(client, user.email)
    payload = client.cookies[COOKIE].split(".")[0]
    data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(data) == {"sid", "csrf"}
    text = json.dumps(data)
    assert "private" not in text
    assert str(user.id) not in data.values()
    assert session.scalars(select(UserSession.token_hash)).one() != data["sid"]  # only its hash is stored


def test_a_password_change_needs_the_current_one_and_ends_the_other_sessions(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    user = make_user(session)
    csrf = login(client, user.email)
    laptop = TestClient(app, follow_redirects=False)
    login(laptop, user.email)
    token = token_headers(session, user)
    path = f"/api/v1/users/{user.id}"
    missing = client.patch(path, json={"password": NEW_PASSWORD}, headers={"X-CSRF-Token": csrf})
    assert missing.status_code == 422
    assert missing.json()["error"]["details"]["fields"] == {"current_password": "Enter your current password to set a new one."}
    wrong = client.patch(path, json={"password": NEW_PASSWORD, "current_password": "nope"}, headers={"X-CSRF-Token": csrf})
    assert wrong.json()["error"]["details"]["fields"] == {"current_password": "The current password is wrong."}
    weak = client.patch(path, json={"password": "aaaaaaaaaa", "current_password": PASSWORD}, headers={"X-CSRF-Token": csrf})
    assert weak.status_code == 422
    assert weak.json()["error"]["details"]["fields"]["password"] == (
        'This password is too easy to guess: Repeats like "aaa" are easy to guess. Add another word or two. '
        "Uncommon words are better. Avoid repeated words and characters. A few unrelated words make a strong one."
    )
    assert signed_in(laptop)
    changed = client.patch(path, json={"password": NEW_PASSWORD, "current_password": PASSWORD}, headers={"X-CSRF-Token": csrf})
    assert changed.status_code == 200
    assert signed_in(client)  # this session stays
    assert not signed_in(laptop)  # every other one ends
    assert TestClient(app).get("/api/v1/me", headers=token).status_code == 200  # API tokens are unaffected


def test_a_password_change_can_revoke_the_api_tokens(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = token_headers(session, user)
    csrf = login(client, user.email)
    answer = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "revoke_tokens": True},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 204
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert all(row.revoked_at is not None for row in session.scalars(select(ApiToken)))


def test_the_page_changes_the_password_and_explains_a_weak_one(client: TestClient, session: Session) -> None:
    user = make_user(session)
    login(client, user.email)
    page = client.get("/account/security")
    assert page.status_code == 200
    csrf = csrf_from(page.text)
    form = {"csrf_token": csrf, "current_password": PASSWORD}
    weak = client.post("/account/password", data={**form, "new_password": "password1234"})
    assert weak.status_code == 422
    assert "This password is too easy to guess: This is a very common password." in weak.text
    done = client.post("/account/password", data={**form, "new_password": NEW_PASSWORD})
    assert done.status_code == 200
    assert "Password changed. Your other sessions are signed out; your API tokens still work." in done.text


def test_sign_out_everywhere_from_the_page_and_the_api(app: FastAPI, client: TestClient, session: Session) -> None:
    user = make_user(session)
    csrf = login(client, user.email)
    phone = TestClient(app, follow_redirects=False)
    login(phone, user.email)
    answer = client.post("/account/sign-out-everywhere", data={"csrf_token": csrf})
    assert answer.headers["location"] == "/login"
    assert not signed_in(client)
    assert not signed_in(phone)
    login(client, user.email)
    token = token_headers(session, user)
    ended = TestClient(app).post("/api/v1/me/sessions/end", headers=token)
    assert ended.json() == {"ended": 1}
    assert not signed_in(client)
    assert TestClient(app).get("/api/v1/me", headers=token).status_code == 200


def test_passwords_are_checked_for_strength() -> None:
    assert password_problem("short") == "Use at least 10 characters."
    assert password_problem("correct horse battery") is None
    problem = password_problem("ada.lovelace2026", user_inputs=("ada.lovelace@example.com", "Ada Lovelace"))
    assert problem is not None
    assert problem.startswith("This password is too easy to guess:")
    assert password_problem("x" * 200) is not None  # long but a repeat (judged on its first 72 characters)


def test_retro_writer_tokens_differ_across_retros_and_times_are_coarse(client: TestClient, session: Session) -> None:
    team = make_team(session)
    dm = make_user(session)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    csrf = login(client, dm.email)
    headers = {"X-CSRF-Token": csrf}
    for title in ("Sprint 1", "Sprint 2"):
        retro = client.post(f"/api/v1/teams/{team.id}/retros", json={"title": title}, headers=headers).json()
        client.post(f"/api/v1/retros/{retro['id']}/advance", headers=headers)  # review -> reflect
        for text in ("first", "second"):
            written = client.post(f"/api/v1/retros/{retro['id']}/cards", json={"column": "Stop", "text": text}, headers=headers)
            assert written.status_code == 201, written.text
    cards = list(session.scalars(select(Card).order_by(Card.id)))
    assert len(cards) == 4
    tokens = [card.writer_token for card in cards]
    assert tokens[0] == tokens[1]  # one writer within a retro
    assert tokens[2] == tokens[3]
    assert tokens[0] != tokens[2]  # unrelated across retros
    assert all(
        (c.created_at.hour, c.created_at.minute, c.created_at.second, c.created_at.microsecond) == (0, 0, 0, 0) for c in cards
    )
