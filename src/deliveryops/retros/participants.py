"""The token that marks a participant's own cards and votes in a retro (shared by the pages and the API)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from deliveryops.accounts.dependencies import current_session_id

__all__ = ["participant_token", "retro_token"]


def participant_token(request: Request, retro_id: int) -> str:
    """The token that marks the caller's own cards and votes in one retro; never linked to a person.

    It is derived per retro, ``HMAC(session secret, retro id)``: the same browser session writes with the
    same token within a retro (to see its own private cards and keep its vote budget) and with unrelated
    tokens in two retros, so cards cannot be tied together across retros. The session secret is the
    server-side session's random id, which the cookie carries and no card stores. API clients without a
    session can send ``X-Retro-Token`` to keep one across calls (derived per retro the same way).
    """
    secret = request.headers.get("x-retro-token", "")[:128]
    if not secret and "session" in request.scope:
        secret = current_session_id(request) or ""
    return retro_token(secret, retro_id)


def retro_token(secret: str, retro_id: int) -> str:
    """The participant token ``secret`` gives in one retro (a new random one when ``secret`` is empty)."""
    if not secret:
        secret = secrets.token_urlsafe(24)
    return hmac.new(secret.encode("utf-8"), f"retro:{retro_id}".encode(), hashlib.sha256).hexdigest()
