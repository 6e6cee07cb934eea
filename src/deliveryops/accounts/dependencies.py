"""Who is signed in: the current-user dependencies of pages and the API, and signing in and out."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role, User
from deliveryops.errors import NotAuthenticatedError
from deliveryops.settings import Settings
from deliveryops.web.security import SAFE_METHODS, LoginRequiredError, SessionDep, check_csrf

__all__ = [
    "ApiUser",
    "PageUser",
    "Viewer",
    "api_user",
    "current_session_id",
    "page_user",
    "register_viewer_teams",
    "sign_in",
    "sign_out",
]


@dataclass(frozen=True)
class Viewer:
    """A detached snapshot of the signed-in person for templates.

    Error pages render after the request's session has rolled back and closed, when the ORM
    object can no longer load its attributes.
    """

    id: int
    name: str
    email: str
    role: Role
    teams: tuple[tuple[str, str], ...] = ()  # (name, slug) of the teams they are in, for the team switcher

    @classmethod
    def of(cls, user: User, teams: tuple[tuple[str, str], ...] = ()) -> Viewer:
        """Snapshot ``user`` (and, for pages, the teams they are in)."""
        return cls(id=user.id, name=user.name, email=user.email, role=user.role, teams=teams)


TeamsOf = Callable[[Session, int], tuple[tuple[str, str], ...]]
_TEAMS_OF: list[TeamsOf] = []


def register_viewer_teams(lookup: TeamsOf) -> None:
    """Set how a page finds the (name, slug) of the signed-in person's teams (the teams domain does, at import)."""
    _TEAMS_OF[:] = [lookup]


SESSION_KEY = "sid"  # the cookie's only link to a person: a random id whose session row is on the server


def _user_from_session(request: Request, session: Session) -> User | None:
    session_id = request.session.get(SESSION_KEY)
    if not isinstance(session_id, str):
        return None
    settings: Settings = request.app.state.settings
    user = accounts.session_user(session=session, session_id=session_id, max_age_seconds=settings.session_max_age_seconds)
    if user is None:
        request.session.pop(SESSION_KEY, None)
        return None
    return user


def current_session_id(request: Request) -> str | None:
    """The id of the request's signed-in session (None without one)."""
    value = request.session.get(SESSION_KEY)
    return value if isinstance(value, str) else None


def page_user(request: Request, session: SessionDep) -> User:
    """The signed-in person for a page; anonymous visitors are sent to the sign-in page."""
    user = _user_from_session(request, session)
    if user is None:
        raise LoginRequiredError("Please sign in.")
    request.state.viewer = Viewer.of(user, _TEAMS_OF[0](session, user.id) if _TEAMS_OF else ())
    return user


def api_user(request: Request, session: SessionDep) -> User:
    """The caller of an API endpoint: a personal token (Bearer) or the browser session.

    A browser session must send the CSRF token in ``X-CSRF-Token`` for changes.
    """
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticatedError("Send the API token as 'Authorization: Bearer <token>'.")
        token_user = accounts.authenticate_token(session=session, token=token.strip())
        request.state.viewer = Viewer.of(token_user)
        return token_user
    user = _user_from_session(request, session)
    if user is None:
        raise NotAuthenticatedError("Authentication required: send a personal API token as a Bearer token.")
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get("x-csrf-token"))
    request.state.viewer = Viewer.of(user)
    return user


PageUser = Annotated[User, Depends(page_user)]
ApiUser = Annotated[User, Depends(api_user)]


def sign_in(request: Request, session: Session, user: User) -> None:
    """Start a fresh session for ``user`` (a new id and CSRF token, against session fixation).

    The session is recorded on the server; the cookie carries its random id and the CSRF token only.
    """
    request.session.clear()
    request.session[SESSION_KEY] = accounts.start_session(session=session, user=user)
    request.session["csrf"] = secrets.token_urlsafe(32)


def sign_out(request: Request, session: Session) -> None:
    """End the session on the server (a copy of the cookie stops working too) and clear the cookie."""
    session_id = current_session_id(request)
    if session_id is not None:
        accounts.end_session(session=session, session_id=session_id)
    request.session.clear()
