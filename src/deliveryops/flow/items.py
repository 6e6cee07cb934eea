"""Use case: a team's started items of a period, each with its blocked time and the intervals behind it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.analytics.flow.blocked import blocked_intervals
from deliveryops.db import utcnow
from deliveryops.flow import service
from deliveryops.flow.as_of import end_of_day
from deliveryops.flow.schemas import BlockedIntervalRead, FlowItemRead
from deliveryops.schemas import Page, PageParams, paginate

__all__ = ["flow_items"]

_HOURS_PER_DAY = 24.0


def flow_items(
    *,
    session: Session,
    actor: User | None,
    team_id: int,
    page: PageParams,
    start: date | None = None,
    end: date | None = None,
    types: list[str] | None = None,
    as_of: date | None = None,
    now: datetime | None = None,
) -> Page[FlowItemRead]:
    """The items in progress at some time in the period, most blocked first, with their blocked time.

    Blocked time follows the flow page's definition (/definitions#item-blocked-time): intervals clipped to
    the item's started period (start to finish, discard, or now), overlapping ones counted once.

    Args:
        session: the unit of work.
        actor: who asks; must be allowed to see the team (None: the trusted local caller).
        team_id: the team.
        page: which slice of the list.
        start: first day (default 89 days before the end).
        end: last day (default today, or ``as_of``).
        types: item types; default all but epics.
        as_of: evaluate as if today were this day.
        now: the current instant (tests pass it).

    Returns:
        One page of items; the total counts every item of the period.
    """
    now = now or utcnow()
    team, query, summary, data = service.team_flow(
        session=session, actor=actor, team_id=team_id, start=start, end=end, types=types, as_of=as_of, now=now
    )
    instant = min(end_of_day(summary.today, team.zone), now)
    timeline = summary.timeline.filter(
        pl.col("started_date").is_not_null()
        & (pl.col("started_date") <= query.end)
        & (pl.col("finished_date").is_null() | (pl.col("finished_date") >= query.start))
        & (pl.col("discarded_date").is_null() | (pl.col("discarded_date") >= query.start))
    )
    per_item = summary.blocked_time.select("item_id", "blocked_days")
    rows = (
        timeline.join(per_item, on="item_id", how="left")
        .with_columns(pl.col("blocked_days").fill_null(0.0))
        .sort(["blocked_days", "started_date", "key"], descending=[True, False, False])
    )
    chosen = paginate(rows.to_dicts(), page)
    wanted = [row["item_id"] for row in chosen.items]
    intervals: dict[int, list[BlockedIntervalRead]] = {item_id: [] for item_id in wanted}
    blocked = data.only_types(query.types).blocked.filter(pl.col("item_id").is_in(wanted))
    for interval in blocked_intervals(blocked, timeline.filter(pl.col("item_id").is_in(wanted)), now=instant).to_dicts():
        intervals[interval["item_id"]].append(
            BlockedIntervalRead(
                start=interval["start"],
                end=interval["end"],
                reason=interval["reason"],
                days=round(interval["blocked_hours"] / _HOURS_PER_DAY, 4),
            )
        )
    return chosen.map(lambda row: _read(row, intervals[row["item_id"]]))


def _read(row: dict[str, Any], intervals: list[BlockedIntervalRead]) -> FlowItemRead:
    return FlowItemRead(
        key=row["key"],
        title=row.get("title"),
        item_type=row.get("item_type"),
        current_status=row.get("current_status"),
        started_date=row["started_date"],
        finished_date=row["finished_date"],
        cycle_time_days=row["cycle_time_days"],
        blocked_days=round(row["blocked_days"], 4),
        blocked_intervals=intervals,
    )
