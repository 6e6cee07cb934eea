"""Sessions, CSRF tokens and the current-user dependencies for pages and the API."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role, User
from deliveryops.db import begin_writing
from deliveryops.errors import DomainError, NotAuthenticatedError, PermissionDeniedError

__all__ = [
    "ApiUser",
    "CsrfChecked",
    "PageUser",
    "SessionDep",
    "csrf_token",
    "sign_in",
    "sign_out",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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

    @classmethod
    def of(cls, user: User) -> Viewer:
        """Snapshot ``user``."""
        return cls(id=user.id, name=user.name, email=user.email, role=user.role)


class LoginRequiredError(DomainError):
    """A page needs a signed-in person; the handler redirects to the sign-in page."""

    code = "login_required"
    status = 401


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit on success, roll back on error.

    A DomainError still commits what the service recorded on purpose before raising (failed
    sign-ins), but only where the route marks the request with ``commit_on_error``.
    """
    factory = request.app.state.session_factory
    session: Session = factory()
    try:
        if request.method not in SAFE_METHODS:
            begin_writing(session)
        yield session
        session.commit()
    except DomainError:
        if getattr(request.state, "commit_on_error", False):
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def csrf_token(request: Request) -> str:
    """Return the session's CSRF token, creating it on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not submitted or not hmac.compare_digest(expected, submitted):
        raise PermissionDeniedError(
            "The form expired or came from another site (CSRF check failed). Reload the page and try again.",
            code="csrf_failed",
        )


async def verify_csrf_form(request: Request) -> None:
    """Check the ``csrf_token`` field of a submitted form."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    value = form.get("csrf_token")
    _check_csrf(request, value if isinstance(value, str) else None)


CsrfChecked = Annotated[None, Depends(verify_csrf_form)]


def _user_from_session(request: Request, session: Session) -> User | None:
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        request.session.pop("user_id", None)
        return None
    return user


def page_user(request: Request, session: SessionDep) -> User:
    """The signed-in person for a page; anonymous visitors are sent to the sign-in page."""
    user = _user_from_session(request, session)
    if user is None:
        raise LoginRequiredError("Please sign in.")
    request.state.viewer = Viewer.of(user)
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
        _check_csrf(request, request.headers.get("x-csrf-token"))
    request.state.viewer = Viewer.of(user)
    return user


PageUser = Annotated[User, Depends(page_user)]
ApiUser = Annotated[User, Depends(api_user)]


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token too, against session fixation)."""
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    """End the session."""
    request.session.clear()
