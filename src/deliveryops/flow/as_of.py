"""Evaluating a team's history as if today were an earlier date ("as of").

A history that ended in the past (an archived team, an export) can be evaluated at its end: the
metrics and forecasts see only what was known by the end of that day, in the team's time zone.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from deliveryops.errors import ValidationFailedError
from deliveryops.flow.data import TeamData

__all__ = ["data_start", "end_of_day", "known_at", "resolve_as_of"]


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The last instant of ``day`` in ``zone`` (just before the next midnight)."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone) - timedelta(microseconds=1)


def data_start(data: TeamData, zone: ZoneInfo) -> date | None:
    """The first day (in ``zone``) on which the history records anything: an item created or a status change."""
    firsts = [frame[column].min() for frame, column in ((data.items, "created_at"), (data.transitions, "at"))]
    known = [value for value in firsts if isinstance(value, datetime)]
    return min(known).astimezone(zone).date() if known else None


def resolve_as_of(data: TeamData, zone: ZoneInfo, as_of: date | None, now: datetime) -> datetime:
    """The instant to evaluate at: ``now``, or the end of the ``as_of`` day (never later than ``now``).

    Raises:
        ValidationFailedError: ``as_of`` is after today, or before the team's history starts (field ``as_of``).
    """
    if as_of is None:
        return now
    today = now.astimezone(zone).date()
    if as_of > today:
        message = f"as_of {as_of.isoformat()} is in the future: choose today ({today.isoformat()}) or an earlier day."
        raise ValidationFailedError(message, fields={"as_of": message})
    first = data_start(data, zone)
    if first is None or as_of < first:
        where = f"starts on {first.isoformat()}" if first else "has no work items yet"
        message = f"as_of {as_of.isoformat()} is before the team's history starts: it {where}."
        raise ValidationFailedError(message, fields={"as_of": message})
    return min(end_of_day(as_of, zone), now)


def known_at(data: TeamData, instant: datetime) -> TeamData:
    """The history as it stood at ``instant``: later items and status changes left out, blocks still open then."""
    at = pl.lit(instant).cast(pl.Datetime("us", "UTC"))
    items = data.items.filter(pl.col("created_at").is_null() | (pl.col("created_at") <= at))
    return replace(
        data,
        items=items,
        transitions=data.transitions.filter(pl.col("at") <= at),
        blocked=data.blocked.filter(pl.col("start") <= at).with_columns(
            end=pl.when(pl.col("end") > at).then(None).otherwise(pl.col("end"))
        ),
    )
