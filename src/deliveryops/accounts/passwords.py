"""Password hashing with argon2id, and personal API token generation."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "MIN_PASSWORD_SCORE",
    "generate_api_token",
    "hash_password",
    "hash_token",
    "needs_rehash",
    "password_problem",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 10
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4 scale: 3 is "safely unguessable" (about 10^10 guesses)
_ZXCVBN_MAX = 72  # zxcvbn refuses longer input; a longer password is judged by its first 72 characters

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
TOKEN_PREFIX = "dlo_"  # noqa: S105 (a visible prefix, not a secret)
# A well-formed hash of a random password, verified against when the account does not exist so
# that a wrong e-mail costs as much time as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password`` against ``password_hash`` (a missing hash never matches).

    Args:
        password_hash: the stored hash, or None for an account without a password.
        password: what the person typed.

    Returns:
        True when it matches.
    """
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with older parameters and should be renewed."""
    return _HASHER.check_needs_rehash(password_hash)


def generate_api_token() -> tuple[str, str, str]:
    """Make a new personal API token.

    Returns:
        ``(token, sha256_hex, display_prefix)``; only the hash and the prefix are stored.
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token), token[:10]


def hash_token(token: str) -> str:
    """SHA-256 of a token: tokens are random and long, so a fast hash is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def password_problem(password: str, *, user_inputs: Sequence[str] = ()) -> str | None:
    """Why ``password`` is too weak, in words a person can act on, or None when it is strong enough.

    The check is zxcvbn's: it estimates how many guesses a password takes, knowing the common-password
    lists it ships with, dictionary words, names, keyboard patterns, repeats, sequences and dates, and the
    person's own e-mail and name (``user_inputs``).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    known = [part.lower() for text in user_inputs for part in (text, *re.split(r"[^A-Za-z0-9]+", text)) if len(part) >= 3]
    known += [text.split("@", 1)[0].lower() for text in user_inputs if "@" in text]
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=list(dict.fromkeys(known)))
    if int(result["score"]) >= MIN_PASSWORD_SCORE:
        return None
    feedback = result.get("feedback") or {}
    reasons = [str(feedback.get("warning") or "").strip(), *(str(s).strip() for s in feedback.get("suggestions") or [])]
    reasons = [reason if reason.endswith(".") else reason + "." for reason in reasons if reason]
    because = " ".join(reasons) or "It follows a pattern that is quick to guess."
    return f"This password is too easy to guess: {because} A few unrelated words make a strong one."
