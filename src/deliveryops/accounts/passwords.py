"""Password hashing with argon2id, and personal API token generation."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["generate_api_token", "hash_password", "hash_token", "needs_rehash", "verify_password"]

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
