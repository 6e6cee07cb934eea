"""The sign-in, password and token forms read the accounts schemas through the form adapter (issue 17): input
breaking a rule is named beside its field, as the API names it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, csrf_from, login, make_user


def test_a_too_long_email_is_refused_on_the_sign_in_page(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    answer = client.post("/login", data={"email": "a" * 300, "password": "x", "csrf_token": token, "next": "/"})
    assert answer.status_code == 422
    assert "The e-mail has at most 254 characters." in answer.text
    assert 'name="email"' in answer.text


def test_sign_in_goes_on_to_a_same_site_page_only(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = csrf_from(client.get("/login").text)
    answer = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_a_password_change_without_the_current_password_names_it(client: TestClient, session: Session) -> None:
    user = make_user(session)
    csrf = login(client, user.email)
    answer = client.post("/account/password", data={"csrf_token": csrf, "current_password": "", "new_password": "x"})
    assert answer.status_code == 422
    assert "Enter your current password to set a new one." in answer.text


def test_a_token_name_too_long_is_named_beside_the_field(client: TestClient, session: Session) -> None:
    user = make_user(session)
    csrf = login(client, user.email)
    answer = client.post("/account/tokens", data={"csrf_token": csrf, "name": "n" * 101})
    assert answer.status_code == 422
    assert "Name has at most 100 characters." in answer.text
    empty = client.post("/account/tokens", data={"csrf_token": csrf, "name": "  "})
    assert empty.status_code == 422
    assert "Give the token a name." in empty.text
