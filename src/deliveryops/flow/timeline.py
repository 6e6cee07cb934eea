"""A team's per-item timeline (analytics.flow.item_timeline), built once per team data version and shared.

Every import, sync and workflow change bumps the team's data version, so a kept timeline is never stale. The
forecasts, the cockpit (portfolio, digests, pack, checks), dependency risk and the roadmap all read it from here.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import polars as pl
from cachetools import LRUCache, cached
from sqlalchemy.orm import Session

from deliveryops.analytics.flow import item_timeline
from deliveryops.flow.data import TeamData, load_team_data
from deliveryops.teams.models import Team

__all__ = ["DEFAULT_EXCLUDED_TYPES", "counted_timeline", "default_types", "of_types", "team_timeline", "timeline_of"]

DEFAULT_EXCLUDED_TYPES = frozenset({"Epic"})  # containers: their children carry the flow

_TIMELINES: LRUCache[tuple[int, str, int, str], pl.DataFrame] = LRUCache(maxsize=48)


def default_types(data: TeamData) -> list[str]:
    """Every item type except containers such as epics."""
    return [t for t in data.item_types if t not in DEFAULT_EXCLUDED_TYPES]


def _key(session: Session, team: Team) -> tuple[int, str, int, str]:
    # As flow.data's cache: created_at tells apart a reused id (SQLite can reuse the id of a deleted team).
    return (team.id, team.created_at.isoformat(), team.data_version or 0, team.time_zone)


def timeline_of(data: TeamData) -> pl.DataFrame:
    """The per-item timeline of a history that is not the team's current one (an "as of" cut), not kept."""
    return item_timeline(data.transitions, workflow=data.workflow, zone=data.zone, items=data.items)


def of_types(timeline: pl.DataFrame, types: Sequence[str]) -> pl.DataFrame:
    """The rows of items of ``types``: the same rows ``timeline_of(data.only_types(types))`` builds (one row per item)."""
    return timeline.filter(pl.col("item_type").is_in(list(types))) if types else timeline


@cached(_TIMELINES, key=_key, lock=threading.Lock())
def _team_timeline(session: Session, team: Team) -> pl.DataFrame:
    return timeline_of(load_team_data(session, team))


def team_timeline(session: Session, team: Team) -> pl.DataFrame:
    """The team's per-item timeline, every item type, kept per team data version in this process."""
    return _team_timeline(session, team)


def counted_timeline(session: Session, team: Team) -> pl.DataFrame:
    """The team's per-item timeline of the item types that count by default (epics left out)."""
    return of_types(team_timeline(session, team), default_types(load_team_data(session, team)))
