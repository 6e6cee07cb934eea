"""Canonical records: what every source (CSV files, the simulator, connectors) yields.

These are plain frozen dataclasses with no database or web dependency, so that parsers,
the simulator and connectors can produce them and be tested on their own. The import
service turns them into rows of the canonical tables.

All datetimes are timezone-aware and in UTC. The workflow types (``StageCategory``, ``WorkflowStatus``)
belong to the analytics core, which reads them; they are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from deliveryops.analytics.records import StageCategory, WorkflowStatus

__all__ = [
    "BlockedIntervalRecord",
    "ChangeRecord",
    "LinkRecord",
    "StageCategory",
    "TransitionRecord",
    "WorkItemRecord",
    "WorkflowStatus",
]


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
    """A link between items: ``kind`` is "blocks" or "is_blocked_by" (a "Blocks" link), or "outward" / "inward"
    for another link type, whose ``label`` is the phrase read from this item ("depends on", "is cloned by" ...)."""

    kind: str
    other_key: str
    label: str = ""


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
class ChangeRecord:
    """A pull or merge request, with what DORA and flow need later.

    ``first_review_at`` is the first review by someone other than the author.
    """

    source: str
    repository: str
    number: int
    title: str
    author: str
    opened_at: datetime
    first_commit_at: datetime | None
    first_review_at: datetime | None
    merged_at: datetime | None
    closed_at: datetime | None
    merge_commit_sha: str | None
    base_branch: str
    url: str | None = None
    references: tuple[str, ...] = ()  # other repositories' issues or pull requests it names, "owner/repo#12"
