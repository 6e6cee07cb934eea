"""Secrets at rest: connection tokens are encrypted with a key derived from the app's secret key.

Fernet (AES-128-CBC with HMAC-SHA256) from the `cryptography` package; the plaintext is never
logged, never returned by the API and never shown again after entry.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["SecretError", "decrypt", "encrypt"]


class SecretError(Exception):
    """A stored secret cannot be decrypted (the app's secret key changed)."""


def _fernet(app_key: str) -> Fernet:
    # A separate derivation, so the cookie-signing key itself is never used as an encryption key.
    digest = hashlib.sha256(b"deliveryops/connection-secrets\x00" + app_key.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plaintext: str, *, app_key: str) -> str:
    """Encrypt ``plaintext`` for storage."""
    return str(_fernet(app_key).encrypt(plaintext.encode("utf-8")).decode("ascii"))


def decrypt(token: str, *, app_key: str) -> str:
    """Decrypt a stored secret.

    Raises:
        SecretError: the secret was encrypted under another key.
    """
    try:
        return str(_fernet(app_key).decrypt(token.encode("ascii")).decode("utf-8"))
    except (InvalidToken, ValueError):
        raise SecretError(
            "The stored token cannot be decrypted: the secret key changed since it was saved. Enter the token again."
        ) from None
