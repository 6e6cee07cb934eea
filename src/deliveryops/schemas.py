"""Shapes every domain shares: a page of a list and the parameters that choose it.

Each domain's own ``schemas.py`` holds its ``<Thing>Create`` / ``<Thing>Update`` / ``<Thing>Read``; a list
endpoint returns ``Page[<Thing>Read]``, and the CLI prints the same page for ``--format json``. See
docs/architecture.md, "One contract per use case".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "WEB_URL_SCHEMES",
    "ErrorBody",
    "ErrorResponse",
    "FormScale",
    "Page",
    "PageParams",
    "SchemaStatus",
    "WebUrl",
    "check_web_url",
    "is_web_url",
    "paginate",
    "web_url_or_none",
]

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1


class PageParams(BaseModel):
    """Which slice of a list to return: at most ``limit`` items after skipping the first ``offset``."""

    model_config = ConfigDict(frozen=True)

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"At most this many items (1–{MAX_LIMIT})")
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET, description="Skip this many items first")


class Page(BaseModel, Generic[T]):
    """One page of a list, the list's total and the parameters that chose the page."""

    items: list[T]
    total: int = Field(ge=0, description="How many items the whole list has")
    limit: int = Field(description="The page's size as asked")
    offset: int = Field(description="How many items come before this page")

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        """The same page with each item converted (an ORM row into its ``Read`` model, say)."""
        return Page[U](items=[convert(item) for item in self.items], total=self.total, limit=self.limit, offset=self.offset)


def paginate(items: Sequence[T], params: PageParams) -> Page[T]:
    """Cut one page out of a list that is already in memory.

    Args:
        items: the whole list, in its order.
        params: which page.

    Returns:
        The page, with the list's length as its total.
    """
    chosen = list(items[params.offset : params.offset + params.limit])
    return Page[T](items=chosen, total=len(items), limit=params.limit, offset=params.offset)


@dataclass(frozen=True)
class FormScale:
    """Field metadata: HTML forms show the value multiplied by ``factor`` (a share typed as a percentage).

    ``mde: Annotated[float | None, FormScale(100)]`` is 0.05 in the API and the CLI and "5" in the form.
    """

    factor: float


WEB_URL_SCHEMES = frozenset({"http", "https"})
_SHOWN = 40


def is_web_url(value: object) -> bool:
    """Whether ``value`` is an absolute ``http://`` or ``https://`` address with a host.

    A link from outside (a tracker, a webhook, a CSV file, a form) is stored and rendered only when this
    holds: ``javascript:``, ``data:``, ``file:`` and scheme-relative or relative addresses are not links.
    Browsers ignore tabs and newlines inside a URL and leading spaces or control characters, so any of
    those makes the value not a web address either.
    """
    if not isinstance(value, str) or not value or len(value) > 2000:
        return False
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_URL_SCHEMES and bool(parts.hostname)


def check_web_url(value: str | None, *, label: str = "The link") -> str | None:
    """Return ``value`` (None and "" give None) when it is a web address, else raise ``ValueError``.

    Args:
        value: the address as it came in.
        label: the field in words, for the message ("The deployment's url").

    Returns:
        The address, or None for an empty one.
    """
    if value is None or value == "":
        return None
    if not is_web_url(value):
        shown = value if len(value) <= _SHOWN else value[:_SHOWN] + "…"
        raise ValueError(f"{label} must be a web address starting with http:// or https://; got {shown!r}.")
    return value


def web_url_or_none(value: object) -> str | None:
    """``value`` when it is a web address, else None: for links a connector reads from a source."""
    return value if isinstance(value, str) and is_web_url(value) else None


def _check_web_url_field(value: str | None) -> str | None:
    # A custom error type: deliveryops.errors words it with the field's label ("Url must be a web address ...").
    if value is None or value == "":
        return None
    if not is_web_url(value):
        shown = value if len(value) <= _SHOWN else value[:_SHOWN] + "…"
        raise PydanticCustomError(
            "web_url", "must be a web address starting with http:// or https://; got {shown}", {"shown": repr(shown)}
        )
    return value


WebUrl = Annotated[str | None, AfterValidator(_check_web_url_field)]
"""An optional link from outside, stored only when it is an ``http://`` or ``https://`` address."""


class _Reported(Protocol):
    """What an error body is made of (:class:`deliveryops.errors.DomainError` has it)."""

    code: str
    message: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    """What went wrong, in words a person can act on."""

    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorResponse(BaseModel):
    """The shape of every API error, and of the CLI's errors under ``--format json``."""

    error: ErrorBody

    @classmethod
    def of(cls, error: _Reported) -> ErrorResponse:
        """The response body for a domain error."""
        return cls(error=ErrorBody(code=error.code, message=error.message, details=error.details))


class SchemaStatus(BaseModel):
    """The schema revision of a database beside this version's (``deliveryops db status``)."""

    revision: str | None = Field(description="The database's revision; null for an empty database")
    head: str = Field(description="The revision this version of DeliveryOps needs")
    up_to_date: bool
