"""Small builders for test data; they go through the real services where it matters."""

from __future__ import annotations

import itertools
import re
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Receive, Scope, Send

from deliveryops.accounts import service as accounts
from deliveryops.accounts.dependencies import sign_in
from deliveryops.accounts.models import LoginFailure, Role, User
from deliveryops.accounts.passwords import hash_password
from deliveryops.db import unit_of_work
from deliveryops.teams import service as teams
from deliveryops.teams.models import Group, Team, TeamRole

PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run
_counter = itertools.count(1)


def make_user(session: Session, *, role: Role = Role.MEMBER, email: str | None = None, name: str | None = None) -> User:
    """A person with the shared test password."""
    number = next(_counter)
    user = accounts.create(
        session=session,
        actor=None,
        email=email or f"person{number}@example.com",
        name=name or f"Person {number}",
        role=role,
    )
    user.password_hash = _PASSWORD_HASH
    session.flush()
    return user


def make_group(session: Session, *, name: str | None = None) -> Group:
    """A group."""
    return teams.create_group(session=session, actor=None, name=name or f"Group {next(_counter)}")


def make_team(session: Session, *, name: str | None = None, group: Group | None = None, time_zone: str = "UTC") -> Team:
    """A team."""
    return teams.create_team(
        session=session,
        actor=None,
        name=name or f"Team {next(_counter)}",
        time_zone=time_zone,
        group_id=group.id if group else None,
    )


def join(session: Session, team: Team, user: User, team_role: TeamRole = TeamRole.MEMBER) -> None:
    """Put ``user`` in ``team``."""
    teams.add_member(session=session, actor=None, team_id=team.id, user_id=user.id, team_role=team_role)


def token_headers(session: Session, user: User) -> dict[str, str]:
    """Authorization headers with a fresh personal API token of ``user``."""
    _row, token = accounts.create_token(session=session, actor=user, name="tests")
    session.flush()
    return {"Authorization": f"Bearer {token}"}


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in; returns the session's CSRF token.

    A person whose password is the shared test password is signed in as the sign-in form signs them in (the
    same ``sign_in``, so the same server-side session, and the cookie made by the app's own session
    middleware) without checking the password again: that check is argon2id at production cost, which every
    test would pay. Anyone else (another password, an inactive account, a recorded failed sign-in, which the
    form would count or refuse) signs in through the real form, as tests of signing in itself do with
    :func:`login_through_form`.
    """
    app = client.app
    factory: sessionmaker[Session] | None = getattr(getattr(app, "state", None), "session_factory", None)
    if password != PASSWORD or not isinstance(app, FastAPI) or factory is None:
        return login_through_form(client, email, password)
    with unit_of_work(factory) as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if (
            user is None
            or not user.is_active
            or user.password_hash != _PASSWORD_HASH
            or session.scalar(select(func.count()).select_from(LoginFailure))
        ):
            user = None
        request = Request({"type": "http", "session": {}})
        if user is not None:
            sign_in(request, session, user)
    if user is None:
        return login_through_form(client, email, password)
    _set_session_cookie(app, client, dict(request.session))
    return csrf_from(client.get("/").text)


def _set_session_cookie(app: FastAPI, client: TestClient, data: dict[str, str]) -> None:
    """Give ``client`` the cookie that ``app``'s own session middleware sets for a session holding ``data``."""
    options: dict[str, Any] = next(m.kwargs for m in app.user_middleware if cast(object, m.cls) is SessionMiddleware)

    async def hold(scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"].update(data)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    cookie_maker = TestClient(SessionMiddleware(hold, **options), base_url=str(client.base_url))
    client.cookies.extract_cookies(cookie_maker.get("/"))


def login_through_form(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the real form (with its argon2id check); returns the session's CSRF token."""
    page = client.get("/login")
    token = csrf_from(page.text)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"})
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/").text)
