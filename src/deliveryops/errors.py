"""Domain errors: a stable code, a human message and an HTTP status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from deliveryops.schemas import ErrorBody, ErrorResponse

__all__ = [
    "ConflictError",
    "DomainError",
    "ErrorBody",
    "ErrorResponse",
    "FieldError",
    "NotAuthenticatedError",
    "NotFoundError",
    "PermissionDeniedError",
    "ValidationFailedError",
    "error_key",
    "error_message",
    "field_key",
    "field_label",
    "validation_failed",
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


# --- validation messages from Pydantic ------------------------------------------------------------------
#
# One wording for every entrance: the API's error handler, the pages' form adapter and the CLI turn a
# Pydantic ValidationError into the same ``fields`` (dotted location → a sentence naming the field) and the
# same message, so the same bad input reads the same everywhere.


class FieldError(ValueError):
    """A rule over several fields, raised by a model validator and reported on one of the fields.

    ``raise FieldError("planned_end", "The planned end is on or after the planned start.")`` puts the
    message beside ``planned_end`` (a plain ``ValueError`` in a model validator names the whole model).
    """

    def __init__(self, field: str | tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.location: tuple[str | int, ...] = (field,) if isinstance(field, str) else tuple(field)


def _location(error: Mapping[str, Any]) -> tuple[Any, ...]:
    """The error's location, extended by a :class:`FieldError`'s field."""
    location = tuple(error.get("loc", ()))
    cause = (error.get("ctx") or {}).get("error")
    return location + cause.location if isinstance(cause, FieldError) else location


REQUEST_PARTS = frozenset({"body", "query", "path", "header", "cookie"})
_SUBJECT_MESSAGES: dict[str, str] = {
    "missing": "{label} is required.",
    "string_type": "{label} is text.",
    "string_too_long": "{label} has at most {max_length} characters.",
    "string_pattern_mismatch": "{label} has the wrong form.",
    "int_parsing": "{label} is a whole number, e.g. 12000; got {input}.",
    "int_type": "{label} is a whole number, e.g. 12000; got {input}.",
    "int_from_float": "{label} is a whole number, e.g. 12000; got {input}.",
    "float_parsing": "{label} is a number, e.g. 2.5; got {input}.",
    "float_type": "{label} is a number, e.g. 2.5; got {input}.",
    "finite_number": "{label} is a finite number; got {input}.",
    "greater_than": "{label} must be above {gt}.",
    "greater_than_equal": "{label} must be at least {ge}.",
    "less_than": "{label} must be below {lt}.",
    "less_than_equal": "{label} must be at most {le}.",
    "multiple_of": "{label} must be a multiple of {multiple_of}.",
    "bool_parsing": "{label} is yes or no; got {input}.",
    "bool_type": "{label} is yes or no; got {input}.",
    "date_parsing": "{label}: expected a date like 2026-03-31, got {input}.",
    "date_from_datetime_parsing": "{label}: expected a date like 2026-03-31, got {input}.",
    "date_from_datetime_inexact": "{label}: expected a date like 2026-03-31, got {input}.",
    "date_type": "{label}: expected a date like 2026-03-31, got {input}.",
    "datetime_parsing": "{label}: expected a date and time like 2026-03-31T09:00:00+02:00, got {input}.",
    "datetime_from_date_parsing": "{label}: expected a date and time like 2026-03-31T09:00:00+02:00, got {input}.",
    "datetime_type": "{label}: expected a date and time like 2026-03-31T09:00:00+02:00, got {input}.",
    "timezone_aware": "{label} needs its offset from UTC, e.g. 2026-03-31T09:00:00+02:00.",
    "enum": "{label}: choose {expected}; got {input}.",
    "literal_error": "{label}: choose {expected}; got {input}.",
    "too_long": "{label} has at most {max_length} entries.",
    "too_short": "{label} needs at least {min_length} entries.",
    "list_type": "{label} is a list.",
    "web_url": "{label} must be a web address starting with http:// or https://; got {shown}.",
    "model_type": "{label} is an object with named fields.",
    "model_attributes_type": "{label} is an object with named fields.",
    "dict_type": "{label} is an object with named fields.",
    "extra_forbidden": "{label} is not a field here.",
    "json_invalid": "{label} is not valid JSON.",
}


def _humanize(name: str) -> str:
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else "This field"


def _lower_first(text: str) -> str:
    """Lower-case a label's first letter unless it starts an abbreviation (``MDE``)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _models_in(annotation: Any) -> Any:
    """The Pydantic model a field holds, directly or as the items of a list (else None)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()) or ():
        found = _models_in(argument)
        if found is not None:
            return found
    return None


def _title_of(model: Any) -> str | None:
    config = getattr(model, "model_config", None) or {}
    title = config.get("title")
    return str(title) if title else None


def field_label(model: Any, location: Sequence[int | str]) -> str:
    """The words that name the field at ``location`` of ``model``: "Title", "Variation 2's weight".

    A field's label is its ``title`` (``Field(title=...)``) or its name in words; a row of a list is named
    by the row model's ``title`` (``ConfigDict(title="Variation")``), else "<list> row", and its number
    counted from 1.

    Args:
        model: the Pydantic model class the location is in (None: labels from the names alone).
        location: Pydantic's error location, without the request part (``body``, ``query``...).

    Returns:
        The label, capitalised.
    """
    current = model
    label, row = "", ""
    for part in location:
        if isinstance(part, int):
            title = _title_of(current)
            row = f"{title} {part + 1}" if title else f"{label or 'Row'} row {part + 1}"
            label = ""
            continue
        if not part.isidentifier():
            continue  # a validator's or a union member's tag, not a field
        fields = getattr(current, "model_fields", None)
        info = None
        if fields is not None:
            info = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
            if info is None and (label or row):
                continue  # a key of a mapping, or a union member's name
        name = (info.title if info is not None and info.title else None) or _humanize(part)
        current = _models_in(info.annotation) if info is not None else None
        label = f"{row}'s {_lower_first(name)}" if row else name
        row = ""
    text = label or row or "The request"
    return text[:1].upper() + text[1:]


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,g}" if abs(value) >= 1000 else f"{value:g}"
    return str(value)


def error_message(error: Mapping[str, Any], model: Any = None) -> str:
    """One Pydantic error in words a person can act on, naming the field.

    Validators raise ``ValueError("<a sentence naming the field>")``: that sentence is the message.
    """
    location = [part for part in _location(error) if part not in REQUEST_PARTS or not isinstance(part, str)]
    kind = str(error.get("type", ""))
    context: Mapping[str, Any] = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in context:
        text = str(context["error"])
        return text.removeprefix("Assertion failed, ")
    template = _SUBJECT_MESSAGES.get(kind)
    label = field_label(model, location)
    if kind == "string_too_short" and context.get("min_length") == 1:
        template = "{label} is required."
    elif kind == "string_too_short":
        template = "{label} needs at least {min_length} characters."
    if template is None:
        message = str(error.get("msg", "is not valid")).rstrip(".")
        return f"{label}: {message[:1].lower() + message[1:]}."
    values = {key: _number(value) for key, value in context.items()}
    raw = error.get("input")
    values["input"] = repr(raw) if isinstance(raw, str | int | float) else "a " + type(raw).__name__
    return template.format(label=label, **{k: v for k, v in values.items() if k != "label"})


def error_key(error: Mapping[str, Any]) -> str:
    """The dotted field name an error is about."""
    return field_key(_location(error))


def field_key(location: Sequence[int | str]) -> str:
    """The dotted field name of an error location, as the pages' forms name their inputs."""
    parts = [str(part) for part in location if not (isinstance(part, str) and part in REQUEST_PARTS)]
    return ".".join(parts) or "request"


def validation_failed(errors: Sequence[Mapping[str, Any]], model: Any = None) -> ValidationFailedError:
    """The :class:`ValidationFailedError` for Pydantic's errors: one message per field, and all of them as the message.

    Args:
        errors: ``ValidationError.errors()`` (or FastAPI's ``RequestValidationError.errors()``).
        model: the model that was validated, for the fields' labels.

    Returns:
        The error, whose ``fields`` map each dotted field name to its message (the first per field).
    """
    fields: dict[str, str] = {}
    for error in errors:
        key = field_key(_location(error))
        fields.setdefault(key, error_message(error, model))
    message = " ".join(dict.fromkeys(fields.values())) or "The input is not valid."
    return ValidationFailedError(message, fields=fields)
