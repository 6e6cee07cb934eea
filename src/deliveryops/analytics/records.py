"""The record types the analytics core reads: a workflow status and the stage category it maps to.

They live here, with no database or web dependency, so that the analytics core imports nothing from
the application; ``deliveryops.work.records`` re-exports them beside the canonical records.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["StageCategory", "WorkflowStatus"]


class StageCategory(enum.StrEnum):
    """Where a workflow status sits (DESIGN.md, canonical data)."""

    BACKLOG = "backlog"
    ACTIVE = "active"
    WAITING = "waiting"
    DONE = "done"
    DISCARDED = "discarded"

    @property
    def is_started(self) -> bool:
        """Whether an item in this category counts as started (WIP unless later finished)."""
        return self in (StageCategory.ACTIVE, StageCategory.WAITING)


@dataclass(frozen=True, slots=True)
class WorkflowStatus:
    """One status of a team's workflow, in board order."""

    name: str
    category: StageCategory
    position: int
