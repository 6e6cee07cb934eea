"""Load a team's work-item history from the database into the frames the analytics read.

Frames are cached per team and data version: every import and workflow change bumps the version,
so a cached frame is never stale.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from cachetools import LRUCache
from sqlalchemy import DateTime, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement

from deliveryops.analytics.flow import Workflow
from deliveryops.teams.models import Team
from deliveryops.work.models import BlockedInterval, StatusTransition, WorkflowStatus, WorkItem
from deliveryops.work.records import StageCategory

__all__ = ["TeamData", "TeamsData", "load_team_data", "load_teams_data", "read_teams_data"]

_UTC = pl.Datetime("us", "UTC")
_CACHE: LRUCache[tuple[int, str, int, str], TeamData] = LRUCache(maxsize=24)
_LOCK = threading.Lock()
# Team ids per query: well under the bound-parameter limits of SQLite and PostgreSQL.
_CHUNK = 500
_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S%.f"
"""How SQLAlchemy stores a ``DateTime`` in SQLite (the fraction may be absent)."""


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


@dataclass(frozen=True)
class TeamsData:
    """Many teams' histories as one frame of each kind, the team as a ``team_id`` column (first), in the order the
    per-team frames of :class:`TeamData` have (items by id, transitions by item and time), plus each team's workflow
    and zone."""

    items: pl.DataFrame
    transitions: pl.DataFrame
    blocked: pl.DataFrame
    workflows: dict[int, Workflow]
    zones: dict[int, ZoneInfo]


def read_teams_data(session: Session, teams: Sequence[Team]) -> TeamsData:
    """Read the histories of ``teams`` from the database as whole frames (no cache; four queries per chunk of ids).

    Args:
        session: the unit of work.
        teams: the teams (already authorised by the caller).

    Returns:
        Their :class:`TeamsData`; splitting it by ``team_id`` gives each team's frames of :func:`load_team_data`.
    """
    unique = list({team.id: team for team in teams}.values())
    parts = [_read(session, unique[start : start + _CHUNK]) for start in range(0, len(unique), _CHUNK)]
    if len(parts) == 1:
        return parts[0]
    return TeamsData(
        items=pl.concat([part.items for part in parts]),
        transitions=pl.concat([part.transitions for part in parts]),
        blocked=pl.concat([part.blocked for part in parts]),
        workflows={team_id: workflow for part in parts for team_id, workflow in part.workflows.items()},
        zones={team_id: zone for part in parts for team_id, zone in part.zones.items()},
    )


def _load(session: Session, teams: list[Team]) -> dict[int, TeamData]:
    ids = [team.id for team in teams]
    read = _read(session, teams)
    items_of, transitions_of, blocked_of = _by_team(read.items, ids), _by_team(read.transitions, ids), _by_team(read.blocked, ids)
    return {
        team.id: TeamData(
            items=items_of[team.id],
            transitions=transitions_of[team.id],
            blocked=blocked_of[team.id],
            workflow=read.workflows[team.id],
            zone=team.zone,
        )
        for team in teams
    }


_ITEMS: dict[str, Any] = {
    "team_id": pl.Int64,
    "item_id": pl.Int64,
    "key": pl.Utf8,
    "title": pl.Utf8,
    "item_type": pl.Utf8,
    "created_at": _UTC,
    "parent_key": pl.Utf8,
}
_TRANSITIONS: dict[str, Any] = {"team_id": pl.Int64, "item_id": pl.Int64, "status": pl.Utf8, "at": _UTC}
_BLOCKED: dict[str, Any] = {"team_id": pl.Int64, "item_id": pl.Int64, "start": _UTC, "end": _UTC, "reason": pl.Utf8}


def _read(session: Session, teams: list[Team]) -> TeamsData:
    ids = [team.id for team in teams]
    items = _frame(
        session,
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
        .order_by(WorkItem.id),
        _ITEMS,
    )
    transitions = _frame(
        session,
        select(WorkItem.team_id, StatusTransition.item_id, StatusTransition.to_status, StatusTransition.at)
        .join(WorkItem, WorkItem.id == StatusTransition.item_id)
        .where(WorkItem.team_id.in_(ids))
        .order_by(StatusTransition.item_id, StatusTransition.at, StatusTransition.id),
        _TRANSITIONS,
    )
    blocked = _frame(
        session,
        select(WorkItem.team_id, BlockedInterval.item_id, BlockedInterval.start, BlockedInterval.end, BlockedInterval.reason)
        .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
        .where(WorkItem.team_id.in_(ids))
        .order_by(BlockedInterval.item_id, BlockedInterval.id),
        _BLOCKED,
    )
    workflow_of: dict[int, dict[str, tuple[StageCategory, int]]] = {team_id: {} for team_id in ids}
    for team_id, name, category, position in session.execute(
        select(WorkflowStatus.team_id, WorkflowStatus.name, WorkflowStatus.category, WorkflowStatus.position)
        .where(WorkflowStatus.team_id.in_(ids), WorkflowStatus.category.is_not(None))
        .order_by(WorkflowStatus.team_id, WorkflowStatus.position)
    ):
        if category is not None:  # the query leaves unmapped statuses out; this tells the type checker
            workflow_of[team_id][name] = (category, position)
    return TeamsData(items, transitions, blocked, dict(workflow_of), {team.id: team.zone for team in teams})


def _frame(session: Session, statement: ClauseElement, schema: dict[str, Any]) -> pl.DataFrame:
    """The rows of ``statement`` as a frame of ``schema``, read on the session's own DBAPI connection (same
    transaction) and turned into columns by polars: no SQLAlchemy row or type processing per value. Timestamps are parsed
    by polars (SQLite stores them as text) and labelled UTC, as :class:`~deliveryops.db.UTCDateTime` returns them."""
    connection = session.connection()
    dialect = connection.dialect
    # The only parameters are team ids (integers), so they are rendered into the SQL.
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        return pl.DataFrame(schema=schema)
    text = dialect.name == "sqlite"  # SQLite returns timestamps as text, PostgreSQL's driver as naive datetimes
    raw = {name: (pl.Utf8 if text else pl.Datetime("us")) if dtype == _UTC else dtype for name, dtype in schema.items()}
    frame = pl.DataFrame(rows, orient="row", schema=raw)  # rows to columns in polars: no Python loop per value
    utc = [name for name, dtype in schema.items() if dtype == _UTC]
    return frame.with_columns(
        _timestamps(frame[name], dialect) if text else frame[name].dt.replace_time_zone("UTC") for name in utc
    )


def _timestamps(text: pl.Series, dialect: Dialect) -> pl.Series:
    """UTC timestamps parsed from SQLite's text."""
    try:
        parsed = text.str.to_datetime(_SQLITE_FORMAT, time_unit="us", strict=True)
    except pl.exceptions.PolarsError:  # a value not in SQLAlchemy's format: parse each as SQLAlchemy does
        parse = DateTime().dialect_impl(dialect).result_processor(dialect, None)
        values = [parse(value) if parse else value for value in text.to_list()]
        parsed = pl.Series(text.name, values, dtype=pl.Datetime("us"))
    return parsed.dt.replace_time_zone("UTC")
