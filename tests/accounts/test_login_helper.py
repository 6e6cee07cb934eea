"""The tests' ``login`` helper signs people in as the sign-in form does, without a second argon2id check:
the same server-side session, a cookie the app accepts, a CSRF token its forms take; and it leaves to the real
form whatever the form would judge differently (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import LoginFailure, UserSession
from deliveryops.accounts.passwords import hash_password
from tests.factories import login, login_through_form, make_user

COOKIE = "deliveryops_session"


def _cookie_data(client: TestClient) -> dict[str, str]:
    payload = client.cookies[COOKIE].split(".")[0]  # one session cookie only: a second would raise here
    data: dict[str, str] = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    return data


@pytest.mark.parametrize("sign_in", [login, login_through_form], ids=["helper", "form"])
def test_the_helper_and_the_form_leave_the_same_kind_of_session(client: TestClient, session: Session, sign_in: object) -> None:
    user = make_user(session)
    assert callable(sign_in)
    csrf = sign_in(client, user.email)
    data = _cookie_data(client)
    assert set(data) == {"sid", "csrf"}
    assert data["csrf"] == csrf
    live = session.scalars(select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))).all()
    assert len(live) == 1
    assert client.get("/api/v1/me").json()["email"] == user.email
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303  # the token passes the CSRF check
    session.expire_all()
    assert session.get(UserSession, live[0].id).ended_at is not None  # type: ignore[union-attr]
    assert client.get("/").headers["location"] == "/login?next=/"


def test_signing_in_again_replaces_the_cookie(client: TestClient, session: Session) -> None:
    first, second = make_user(session), make_user(session)
    login(client, first.email)
    login(client, second.email)
    assert client.get("/api/v1/me").json()["email"] == second.email


def test_another_password_goes_through_the_form(client: TestClient, session: Session) -> None:
    user = make_user(session)
    user.password_hash = hash_password("another long passphrase")
    session.flush()
    with pytest.raises(AssertionError):  # the form answers 401 to the shared password
        login(client, user.email)
    assert session.scalars(select(LoginFailure)).all()  # the form counted the failure
    login(client, user.email, "another long passphrase")
    assert client.get("/api/v1/me").json()["email"] == user.email


def test_an_inactive_person_is_refused_as_by_the_form(client: TestClient, session: Session) -> None:
    user = make_user(session)
    user.is_active = False
    session.flush()
    with pytest.raises(AssertionError):
        login(client, user.email)
