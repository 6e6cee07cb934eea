"""The one pagination dependency: every list endpoint takes ``limit`` and ``offset`` and returns a ``Page``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from deliveryops.schemas import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, PageParams

__all__ = ["Pagination", "page_params"]


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"At most this many items (1–{MAX_LIMIT})")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many items first")] = 0,
) -> PageParams:
    """The page a list endpoint is asked for."""
    return PageParams(limit=limit, offset=offset)


Pagination = Annotated[PageParams, Depends(page_params)]
