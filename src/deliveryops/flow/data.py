"""Load a team's work-item history from the database into the frames the analytics read.

Frames are cached per team and data version: every import and workflow change bumps the version,
so a cached frame is never stale.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import polars as pl
from cachetools import LRUCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.analytics.flow import Workflow
from deliveryops.teams.models import Team
from deliveryops.work import workflow as workflows
from deliveryops.work.models import BlockedInterval, StatusTransition, WorkItem

__all__ = ["TeamData", "load_team_data"]

_UTC = pl.Datetime("us", "UTC")
_CACHE: LRUCache[tuple[int, str, int, str], TeamData] = LRUCache(maxsize=24)
_LOCK = threading.Lock()


@dataclass(frozen=True)
class TeamData:
    """A team's history as polars frames, plus its workflow and time zone."""

    items: pl.DataFrame
    transitions: pl.DataFrame
    blocked: pl.DataFrame
    workflow: Workflow
    zone: ZoneInfo

    @property
    def item_types(self) -> list[str]:
        """Item types present, by frequency."""
        if self.items.is_empty():
            return []
        counts = self.items.group_by("item_type").len().sort(["len", "item_type"], descending=[True, False])
        return [str(value) for value in counts["item_type"].to_list()]

    def only_types(self, types: list[str] | None) -> TeamData:
        """The same history restricted to items of ``types`` (None keeps all)."""
        if not types:
            return self
        items = self.items.filter(pl.col("item_type").is_in(types))
        ids = items["item_id"].to_list()
        return replace(
            self,
            items=items,
            transitions=self.transitions.filter(pl.col("item_id").is_in(ids)),
            blocked=self.blocked.filter(pl.col("item_id").is_in(ids)),
        )


def load_team_data(session: Session, team: Team) -> TeamData:
    """Return the team's history frames, from the cache when the data has not changed.

    Args:
        session: the unit of work.
        team: the team (already authorised by the caller).

    Returns:
        Items, transitions, blocked intervals, the mapped workflow and the time zone.
    """
    # created_at guards against a reused id (SQLite can reuse the id of a deleted team).
    key = (team.id, team.created_at.isoformat(), team.data_version or 0, team.time_zone)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    data = _load(session, team)
    with _LOCK:
        _CACHE[key] = data
    return data


def _load(session: Session, team: Team) -> TeamData:
    item_rows = session.execute(
        select(
            WorkItem.id, WorkItem.external_key, WorkItem.title, WorkItem.item_type, WorkItem.created_at, WorkItem.parent_key
        ).where(WorkItem.team_id == team.id)
    ).all()
    items = pl.DataFrame(
        item_rows,
        orient="row",
        schema={
            "item_id": pl.Int64,
            "key": pl.Utf8,
            "title": pl.Utf8,
            "item_type": pl.Utf8,
            "created_at": _UTC,
            "parent_key": pl.Utf8,
        },
    )
    transition_rows = session.execute(
        select(StatusTransition.item_id, StatusTransition.to_status, StatusTransition.at)
        .join(WorkItem, WorkItem.id == StatusTransition.item_id)
        .where(WorkItem.team_id == team.id)
    ).all()
    transitions = pl.DataFrame(transition_rows, orient="row", schema={"item_id": pl.Int64, "status": pl.Utf8, "at": _UTC})
    blocked_rows = session.execute(
        select(BlockedInterval.item_id, BlockedInterval.start, BlockedInterval.end, BlockedInterval.reason)
        .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
        .where(WorkItem.team_id == team.id)
    ).all()
    blocked = pl.DataFrame(
        blocked_rows, orient="row", schema={"item_id": pl.Int64, "start": _UTC, "end": _UTC, "reason": pl.Utf8}
    )
    return TeamData(
        items=items, transitions=transitions, blocked=blocked, workflow=workflows.mapping(session, team), zone=team.zone
    )
