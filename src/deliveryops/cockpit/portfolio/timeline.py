"""A team's per-item timeline, built once per team data version and shared by the portfolio, digests and pack."""

from __future__ import annotations

import threading

import polars as pl
from cachetools import LRUCache
from sqlalchemy.orm import Session

from deliveryops.analytics.flow import item_timeline
from deliveryops.flow.data import load_team_data
from deliveryops.flow.service import default_types
from deliveryops.teams.models import Team

__all__ = ["team_timeline"]

# Every import, sync and workflow change bumps the team's data version, so a kept timeline is never stale.
_TIMELINES: LRUCache[tuple[int, str, int, str], pl.DataFrame] = LRUCache(maxsize=48)
_LOCK = threading.Lock()


def team_timeline(session: Session, team: Team) -> pl.DataFrame:
    """The team's per-item timeline (epics left out), kept per team data version in this process."""
    key = (team.id, team.created_at.isoformat(), team.data_version or 0, team.time_zone)
    with _LOCK:
        cached = _TIMELINES.get(key)
    if cached is not None:
        return cached
    data = load_team_data(session, team)
    subset = data.only_types(default_types(data))
    timeline = item_timeline(subset.transitions, workflow=subset.workflow, zone=subset.zone, items=subset.items)
    with _LOCK:
        _TIMELINES[key] = timeline
    return timeline
