"""The tokens that mark a participant in a retro (shared by the pages, the API and the CLI).

Two tokens, for two purposes:

- the *participant token* marks one's own cards (and emoji reactions) without naming anyone; it comes from
  the browser session or the API's ``X-Retro-Token``, so a person with two sessions is two participants;
- the *vote token* keeps the vote budget per person: it is derived from the signed-in person with the app's
  secret key, so a new session or a new ``X-Retro-Token`` does not give a new budget.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from deliveryops.accounts.dependencies import current_session_id
from deliveryops.accounts.models import User

__all__ = ["MULTI_RETRO", "RETRO", "participant_token", "retro_token", "vote_token", "voter_token"]

RETRO = "vote"  # the vote token's purpose in a team's retro
MULTI_RETRO = "multi-vote"  # ... and on the synthesis board of a multi-team retro


def participant_token(request: Request, retro_id: int) -> str:
    """The token that marks the caller's own cards in one retro; never linked to a person.

    It is derived per retro, ``HMAC(session secret, retro id)``: the same browser session writes with the
    same token within a retro (to see its own private cards) and with unrelated tokens in two retros, so
    cards cannot be tied together across retros. The session secret is the server-side session's random id,
    which the cookie carries and no card stores. API clients without a session can send ``X-Retro-Token``
    to keep one across calls (derived per retro the same way). Votes do not use it: see ``voter_token``.
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


def vote_token(key: str, board_id: int, user_id: int, *, purpose: str = RETRO) -> str:
    """The token a person's votes carry on one board: ``HMAC(app secret key, "vote:{board id}:{user id}")``.

    One per person per board, whatever their session, device or ``X-Retro-Token``: the vote budget counts
    it. The table stores only this hash: without the secret key it names nobody and differs on every board,
    and it has nothing in common with the participant token of the same person's cards.

    Args:
        key: the app's secret key (``Settings.resolved_secret_key()``).
        board_id: the retro's id (``purpose`` RETRO) or the multi-team retro's (``purpose`` MULTI_RETRO).
        user_id: the voter.
        purpose: which kind of board.
    """
    message = f"{purpose}:{board_id}:{user_id}".encode()
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def voter_token(request: Request, board_id: int, user: User, *, purpose: str = RETRO) -> str:
    """The signed-in person's vote token on one board (``vote_token`` with the app's secret key)."""
    key = request.app.state.settings.resolved_secret_key()
    return vote_token(key, board_id, user.id, purpose=purpose)
