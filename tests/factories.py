"""Small builders for test data; they go through the real services where it matters."""

from __future__ import annotations

import itertools
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role, User
from deliveryops.accounts.passwords import hash_password
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
    """Sign in through the real form; returns the session's CSRF token."""
    page = client.get("/login")
    token = csrf_from(page.text)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"})
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/").text)
