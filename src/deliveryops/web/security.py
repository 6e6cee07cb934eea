"""The request's unit of work, CSRF tokens, and the error that sends a visitor to the sign-in page.

Who is signed in is the accounts domain's business (:mod:`deliveryops.accounts.dependencies`).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

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
    "write_turn",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequiredError(DomainError):
    """A page needs a signed-in person; the handler redirects to the sign-in page."""

    code = "login_required"
    status = 401


def _writes_to_sqlite(factory: sessionmaker[Session]) -> bool:
    bind: Any = factory.kw.get("bind")
    return isinstance(bind, Engine) and bind.dialect.name == "sqlite"


async def write_turn(request: Request) -> AsyncIterator[None]:
    """On SQLite, requests that change data take turns, first come first served, without holding a thread.

    SQLite lets one connection write at a time. Left to its busy timeout, twenty simultaneous writers
    each hold a worker thread and a pooled connection while they retry, and some give up with "database
    is locked". Here a request that may write waits in the event loop on a fair lock before it opens its
    unit of work, and keeps its turn until that unit of work has committed or rolled back (the session's
    clean-up runs before this one's). Reads never wait; other processes (a separate worker) still meet
    the busy timeout, which is long. PostgreSQL needs no turn.
    """
    state = request.app.state
    if request.method in SAFE_METHODS or not _writes_to_sqlite(state.session_factory):
        yield
        return
    lock: anyio.Lock | None = getattr(state, "sqlite_write_lock", None)
    if lock is None:
        lock = state.sqlite_write_lock = anyio.Lock()
    async with lock:
        yield


WriteTurn = Annotated[None, Depends(write_turn, scope="function")]


def get_session(request: Request, _turn: WriteTurn) -> Iterator[Session]:
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
