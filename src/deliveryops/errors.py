"""Domain errors: a stable code, a human message and an HTTP status."""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConflictError",
    "DomainError",
    "NotAuthenticatedError",
    "NotFoundError",
    "PermissionDeniedError",
    "ValidationFailedError",
]


class DomainError(Exception):
    """An expected failure that users see: rendered as an HTML page or a JSON error."""

    code = "error"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details: dict[str, Any] = details or {}


class NotFoundError(DomainError):
    """The thing does not exist, or the caller may not know that it does."""

    code = "not_found"
    status = 404


class NotAuthenticatedError(DomainError):
    """No valid session or token."""

    code = "not_authenticated"
    status = 401


class PermissionDeniedError(DomainError):
    """The caller is known but lacks the role or team scope."""

    code = "permission_denied"
    status = 403


class ValidationFailedError(DomainError):
    """Input broke a rule; ``details["fields"]`` maps field names to messages."""

    code = "validation_failed"
    status = 422

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message, details={"fields": fields or {}})
        self.fields: dict[str, str] = fields or {}


class ConflictError(DomainError):
    """The change clashes with existing data (a duplicate name, say)."""

    code = "conflict"
    status = 409
