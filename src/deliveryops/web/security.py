"""The request's unit of work, CSRF tokens, and the error that sends a visitor to the sign-in page.

Who is signed in is the accounts domain's business (:mod:`deliveryops.accounts.dependencies`).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from deliveryops.db import begin_writing
from deliveryops.errors import DomainError, PermissionDeniedError

__all__ = [
    "SAFE_METHODS",
    "CsrfChecked",
    "LoginRequiredError",
    "SessionDep",
    "check_csrf",
    "csrf_token",
    "get_session",
    "verify_csrf_form",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a change whose submitted CSRF token is not the session's."""
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
    check_csrf(request, value if isinstance(value, str) else None)


CsrfChecked = Annotated[None, Depends(verify_csrf_form)]
