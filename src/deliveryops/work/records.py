"""Canonical records: what every source (CSV files, the simulator, connectors) yields.

These are plain frozen dataclasses with no database or web dependency, so that parsers,
the simulator and connectors can produce them and be tested on their own. The import
service turns them into rows of the canonical tables.

All datetimes are timezone-aware and in UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


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
class TransitionRecord:
    """One entry of an item into a status; ``from_status`` is None for the first one."""

    to_status: str
    at: datetime
    from_status: str | None = None


@dataclass(frozen=True, slots=True)
class BlockedIntervalRecord:
    """A period during which an item was blocked; ``end`` is None while still blocked."""

    start: datetime
    end: datetime | None
    reason: str = ""
    origin: str = "flag"  # "flag" or "status"


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """A link between items: ``kind`` is "blocks" or "is_blocked_by"."""

    kind: str
    other_key: str


@dataclass(frozen=True, slots=True)
class WorkItemRecord:
    """One work item with its full status history, as a source knows it."""

    source: str
    external_key: str
    item_type: str
    title: str
    created_at: datetime
    transitions: tuple[TransitionRecord, ...] = ()
    blocked_intervals: tuple[BlockedIntervalRecord, ...] = ()
    links: tuple[LinkRecord, ...] = ()
    parent_key: str | None = None
    labels: tuple[str, ...] = ()
    estimate: float | None = None
    resolution: str | None = None
    url: str | None = None
    history_is_estimated: bool = False  # True when only created/resolved dates were known
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WorkflowStatus:
    """One status of a team's workflow, in board order."""

    name: str
    category: StageCategory
    position: int
