"""Shapes every domain shares: a page of a list and the parameters that choose it.

Each domain's own ``schemas.py`` holds its ``<Thing>Create`` / ``<Thing>Update`` / ``<Thing>Read``; a list
endpoint returns ``Page[<Thing>Read]``, and the CLI prints the same page for ``--format json``. See
docs/architecture.md, "One contract per use case".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "MAX_OFFSET", "FormScale", "Page", "PageParams", "paginate"]

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
