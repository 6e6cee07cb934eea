"""Naming the catalogue's tool or practice an impediment concerns, from the impediments side.

The catalogue (deliveryops.cockpit) sits above impediments: it reads them, so impediments cannot import
it. The catalogue registers its linker here when its pages are imported (as it registers the raise form's
choices), and the raise form calls :func:`link_impediment`.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.errors import ValidationFailedError

__all__ = ["ToolLinker", "link_impediment", "register_tool_linker"]


class ToolLinker(Protocol):
    """Names the catalogue entry an impediment concerns (``entry_id=None`` removes the link)."""

    def __call__(self, *, session: Session, actor: User | None, impediment_id: int, entry_id: int | None) -> object: ...


_linkers: list[ToolLinker] = []


def register_tool_linker(linker: ToolLinker) -> None:
    """The catalogue's linker (a later registration replaces an earlier one)."""
    _linkers[:] = [linker]


def link_impediment(*, session: Session, actor: User | None, impediment_id: int, entry_id: int | None) -> None:
    """Name the tool or practice ``impediment_id`` concerns, through the catalogue.

    Raises:
        ValidationFailedError: no such entry, or no catalogue to name it from.
    """
    if not _linkers:
        raise ValidationFailedError("There is no catalogue of tools and practices.", fields={"entry_id": "No catalogue."})
    _linkers[0](session=session, actor=actor, impediment_id=impediment_id, entry_id=entry_id)
