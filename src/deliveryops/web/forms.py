"""Small helpers for HTML form fields."""

from __future__ import annotations

from datetime import date

__all__ = ["parse_date_field"]


def parse_date_field(value: str | None, field: str, errors: dict[str, str]) -> date | None:
    """Read an ISO date typed into a form; a bad one records a message for ``field`` in ``errors``.

    Args:
        value: what was typed (empty means no date).
        field: the field's name, for the message.
        errors: collects field → message.

    Returns:
        The date, or None when empty or invalid.
    """
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = f"Expected a date like 2026-03-31, got {value!r}."
        return None
