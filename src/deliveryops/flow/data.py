"""Load a team's work-item history from the database into the frames the analytics read.

Frames are cached per team and data version: every import and workflow change bumps the version,
so a cached frame is never stale.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import polars as pl
from cachetools import LRUCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.analytics.flow import Workflow
from deliveryops.teams.models import Team
from deliveryops.work.models import BlockedInterval, StatusTransition, WorkflowStatus, WorkItem
from deliveryops.work.records import StageCategory

__all__ = ["TeamData", "load_team_data", "load_teams_data"]

_UTC = pl.Datetime("us", "UTC")
_CACHE: LRUCache[tuple[int, str, int, str], TeamData] = LRUCache(maxsize=24)
_LOCK = threading.Lock()
# Team ids per query: well under the bound-parameter limits of SQLite and PostgreSQL.
_CHUNK = 500


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
    return load_teams_data(session, [team])[team.id]


def load_teams_data(session: Session, teams: Sequence[Team]) -> dict[int, TeamData]:
    """Return each team's history frames by team id: cached teams from the cache, the others in three queries
    for all of them (per chunk of ids) rather than three per team.

    Args:
        session: the unit of work.
        teams: the teams (already authorised by the caller).

    Returns:
        ``{team id: TeamData}``, as :func:`load_team_data` returns it for each team.
    """
    # created_at guards against a reused id (SQLite can reuse the id of a deleted team).
    keys = {team.id: (team.id, team.created_at.isoformat(), team.data_version or 0, team.time_zone) for team in teams}
    found: dict[int, TeamData] = {}
    with _LOCK:
        for team_id, key in keys.items():
            cached = _CACHE.get(key)
            if cached is not None:
                found[team_id] = cached
    missing = list({team.id: team for team in teams if team.id not in found}.values())
    for start in range(0, len(missing), _CHUNK):
        loaded = _load(session, missing[start : start + _CHUNK])
        with _LOCK:
            for team_id, data in loaded.items():
                _CACHE[keys[team_id]] = data
        found.update(loaded)
    return found


def _by_team(frame: pl.DataFrame, team_ids: list[int]) -> dict[int, pl.DataFrame]:
    """``frame`` split by its ``team_id`` column (dropped), an empty frame of the same schema for absent teams."""
    parts = {key[0]: part.drop("team_id") for key, part in frame.partition_by("team_id", as_dict=True).items()}
    empty = frame.drop("team_id").clear()
    return {team_id: parts.get(team_id, empty) for team_id in team_ids}


def _load(session: Session, teams: list[Team]) -> dict[int, TeamData]:
    ids = [team.id for team in teams]
    item_rows = session.execute(
        select(
            WorkItem.team_id,
            WorkItem.id,
            WorkItem.external_key,
            WorkItem.title,
            WorkItem.item_type,
            WorkItem.created_at,
            WorkItem.parent_key,
        )
        .where(WorkItem.team_id.in_(ids))
        .order_by(WorkItem.id)
    ).all()
    items = pl.DataFrame(
        item_rows,
        orient="row",
        schema={
            "team_id": pl.Int64,
            "item_id": pl.Int64,
            "key": pl.Utf8,
            "title": pl.Utf8,
            "item_type": pl.Utf8,
            "created_at": _UTC,
            "parent_key": pl.Utf8,
        },
    )
    transition_rows = session.execute(
        select(WorkItem.team_id, StatusTransition.item_id, StatusTransition.to_status, StatusTransition.at)
        .join(WorkItem, WorkItem.id == StatusTransition.item_id)
        .where(WorkItem.team_id.in_(ids))
        .order_by(StatusTransition.item_id, StatusTransition.at, StatusTransition.id)
    ).all()
    transitions = pl.DataFrame(
        transition_rows, orient="row", schema={"team_id": pl.Int64, "item_id": pl.Int64, "status": pl.Utf8, "at": _UTC}
    )
    blocked_rows = session.execute(
        select(WorkItem.team_id, BlockedInterval.item_id, BlockedInterval.start, BlockedInterval.end, BlockedInterval.reason)
        .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
        .where(WorkItem.team_id.in_(ids))
        .order_by(BlockedInterval.item_id, BlockedInterval.id)
    ).all()
    blocked = pl.DataFrame(
        blocked_rows,
        orient="row",
        schema={"team_id": pl.Int64, "item_id": pl.Int64, "start": _UTC, "end": _UTC, "reason": pl.Utf8},
    )
    items_of, transitions_of, blocked_of = _by_team(items, ids), _by_team(transitions, ids), _by_team(blocked, ids)
    workflow_of: dict[int, dict[str, tuple[StageCategory, int]]] = {team_id: {} for team_id in ids}
    for team_id, name, category, position in session.execute(
        select(WorkflowStatus.team_id, WorkflowStatus.name, WorkflowStatus.category, WorkflowStatus.position)
        .where(WorkflowStatus.team_id.in_(ids), WorkflowStatus.category.is_not(None))
        .order_by(WorkflowStatus.team_id, WorkflowStatus.position)
    ):
        if category is not None:  # the query leaves unmapped statuses out; this tells the type checker
            workflow_of[team_id][name] = (category, position)
    return {
        team.id: TeamData(
            items=items_of[team.id],
            transitions=transitions_of[team.id],
            blocked=blocked_of[team.id],
            workflow=workflow_of[team.id],
            zone=team.zone,
        )
        for team in teams
    }
