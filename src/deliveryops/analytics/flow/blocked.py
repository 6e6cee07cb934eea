"""Blocked time, blocker clusters and flow efficiency (DESIGN.md, Flow).

All three clip time to an item's started period, so time spent blocked in the backlog, or after
an item finished, never counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import polars as pl

from deliveryops.analytics.flow.common import (
    STARTED_CATEGORIES,
    Workflow,
    elapsed_hours,
    in_range,
    known_transitions,
    to_utc,
)
from deliveryops.analytics.flow.metrics import detail_columns
from deliveryops.analytics.records import StageCategory

__all__ = [
    "FlowEfficiency",
    "blocked_in_periods",
    "blocked_intervals",
    "blocked_time",
    "blocked_time_and_clusters",
    "blocked_time_of",
    "blocker_clusters",
    "blocker_clusters_of",
    "efficiency_items",
    "efficiency_of",
    "flow_efficiency",
    "flow_efficiency_from_known",
    "started_periods",
]

_HOURS_PER_DAY = 24.0


@dataclass(frozen=True, slots=True)
class FlowEfficiency:
    """Flow efficiency of finished items, per item and over all of them.

    Attributes:
        items: per finished item ``active_hours``, ``waiting_hours``, ``blocked_in_active_hours``
            (blocked time that fell in an active status and was moved to waiting) and
            ``efficiency`` (null when the item spent no time in a started status).
        active_hours: total active hours.
        waiting_hours: total waiting hours.
        efficiency: total active / (total active + total waiting), or None when both are zero.
    """

    items: pl.DataFrame
    active_hours: float
    waiting_hours: float
    efficiency: float | None


def blocked_in_periods(blocked: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """Clip blocked intervals to each item's period; an open interval runs to the period's end."""
    frame = to_utc(
        blocked.select(
            pl.col("item_id").cast(pl.Int64),
            "start",
            "end",
            pl.col("reason").cast(pl.Utf8).fill_null(""),
        ),
        "start",
        "end",
    )
    return (
        frame.join(periods, on="item_id", how="inner")
        .select(
            "item_id",
            "reason",
            start=pl.max_horizontal("start", "period_start"),
            end=pl.min_horizontal(pl.col("end").fill_null(pl.col("period_end")), "period_end"),
        )
        .filter(pl.col("end") > pl.col("start"))
    )


def _merge_overlaps(intervals: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Union overlapping intervals that share ``keys``, so overlapping time counts once.

    Returns ``keys``, ``start``, ``end`` and ``blocks`` (how many intervals were merged), one row
    per merged interval. The running maximum of earlier ends within each key is a segmented scan
    in numpy (log2 of the largest group's size steps), not a window expression per group.
    """
    ordered = intervals.select(*keys, "start", "end").sort([*keys, "start"])
    size = ordered.height
    if size == 0:
        return ordered.with_columns(blocks=pl.lit(0, dtype=pl.Int64))
    new_key = ordered.select(
        pl.any_horizontal([(pl.col(key) != pl.col(key).shift(1)).fill_null(True) for key in keys]).alias("new")
    ).to_series()
    opens_key = new_key.to_numpy().copy()
    opens_key[0] = True
    group = np.cumsum(opens_key)
    start = ordered["start"].to_physical().to_numpy()
    end = ordered["end"].to_physical().to_numpy()
    running_end = end.copy()
    step = 1
    while step < size:
        same = group[step:] == group[:-step]
        if not same.any():
            break
        running_end[step:] = np.where(same, np.maximum(running_end[step:], running_end[:-step]), running_end[step:])
        step *= 2
    opens = opens_key.copy()
    opens[1:] |= start[1:] > running_end[:-1]
    first = np.flatnonzero(opens)
    return (
        ordered.select(keys)
        .gather(first)
        .with_columns(
            pl.Series("start", start[first]).cast(ordered.schema["start"]),
            pl.Series("end", np.maximum.reduceat(end, first)).cast(ordered.schema["end"]),
            pl.Series("blocks", np.diff(np.r_[first, size]), dtype=pl.Int64),
        )
    )


def started_periods(timeline: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Each started item's period: from start to finish, discard, or ``now`` if still in progress."""
    return timeline.filter(pl.col("started_at").is_not_null()).select(
        "item_id",
        period_start=pl.col("started_at"),
        period_end=pl.coalesce("finished_at", "discarded_at", pl.lit(now).cast(pl.Datetime("us", "UTC"))),
    )


def blocked_time(blocked: pl.DataFrame, timeline: pl.DataFrame, *, now: datetime) -> pl.DataFrame:
    """Return the blocked time of each started item, inside its started period.

    Each interval is clipped to [started_at, finished_at, or discarded_at, or ``now`` for an item in
    progress]; an interval still open (``end`` null) runs to that bound. Overlapping intervals of
    one item count once. ``blocked_days`` = hours / 24 (elapsed days, not calendar days).

    Args:
        blocked: ``item_id``, ``start``, ``end`` (null while still blocked), ``reason``.
        timeline: the per-item table.
        now: the current instant (timezone-aware).

    Returns:
        ``item_id``, any of ``key``/``title``/``item_type``, ``blocks`` (intervals that overlap the
        started period), ``blocked_hours``, ``blocked_days``; only items with blocked time, most
        blocked first.
    """
    return blocked_time_of(blocked_in_periods(blocked, started_periods(timeline, now)), timeline)


def blocked_intervals(blocked: pl.DataFrame, timeline: pl.DataFrame, *, now: datetime) -> pl.DataFrame:
    """Return each blocked interval that counts in an item's blocked time, clipped to its started period.

    The intervals behind :func:`blocked_time`, before overlapping ones are merged: an interval still
    open at ``now`` (``end`` null, item in progress) keeps a null ``end`` and runs to ``now``.

    Args:
        blocked: ``item_id``, ``start``, ``end`` (null while still blocked), ``reason``.
        timeline: the per-item table.
        now: the current instant (timezone-aware).

    Returns:
        ``item_id``, ``reason`` ("" when none was given), ``start``, ``end`` (null while open), ``blocked_hours``;
        by item and start.
    """
    instant = pl.lit(now).cast(pl.Datetime("us", "UTC"))
    periods = started_periods(timeline, now)
    in_progress = periods.filter(pl.col("period_end") == instant)["item_id"].to_list()
    still_open = pl.col("item_id").is_in(in_progress) & (pl.col("end") >= instant)
    return (
        blocked_in_periods(blocked, periods)
        .with_columns(blocked_hours=elapsed_hours(pl.col("end") - pl.col("start")))
        .with_columns(end=pl.when(still_open).then(None).otherwise(pl.col("end")))
        .sort(["item_id", "start"])
    )


def blocked_time_of(clipped: pl.DataFrame, timeline: pl.DataFrame) -> pl.DataFrame:
    """Blocked time per item of intervals already clipped (:func:`blocked_in_periods`)."""
    merged = _merge_overlaps(clipped, ["item_id"])
    per_item = merged.group_by("item_id").agg(
        blocks=pl.col("blocks").sum().cast(pl.Int64),
        blocked_hours=elapsed_hours(pl.col("end") - pl.col("start")).sum(),
    )
    return (
        per_item.with_columns(blocked_days=pl.col("blocked_hours") / _HOURS_PER_DAY)
        .join(timeline.select("item_id", *detail_columns(timeline)), on="item_id", how="left")
        .select("item_id", *detail_columns(timeline), "blocks", "blocked_hours", "blocked_days")
        .sort(["blocked_hours", "item_id"], descending=[True, False])
    )


def blocker_clusters(blocked: pl.DataFrame, timeline: pl.DataFrame, *, now: datetime) -> pl.DataFrame:
    """Group blocked time by reason, to find the blockers that cost most.

    Clipping is as in :func:`blocked_time`. Within one reason, overlapping intervals of an item
    count once; an item blocked for two reasons at once counts under both, so the per-reason
    totals can exceed the items' total.

    Args:
        blocked: ``item_id``, ``start``, ``end`` (null while still blocked), ``reason``.
        timeline: the per-item table.
        now: the current instant (timezone-aware).

    Returns:
        ``reason`` ("" when none was given), ``blocks``, ``items``, ``blocked_hours``,
        ``blocked_days``; the costliest reason first.
    """
    return blocker_clusters_of(blocked_in_periods(blocked, started_periods(timeline, now)))


def blocker_clusters_of(clipped: pl.DataFrame, keys: Sequence[str] = ()) -> pl.DataFrame:
    """Blocker clusters of intervals already clipped (:func:`blocked_in_periods`), per reason within ``keys``."""
    merged = _merge_overlaps(clipped, [*keys, "item_id", "reason"])
    return (
        merged.group_by(*keys, "reason")
        .agg(
            blocks=pl.col("blocks").sum().cast(pl.Int64),
            items=pl.col("item_id").n_unique().cast(pl.Int64),
            blocked_hours=elapsed_hours(pl.col("end") - pl.col("start")).sum(),
        )
        .with_columns(blocked_days=pl.col("blocked_hours") / _HOURS_PER_DAY)
        .sort(["blocked_hours", "reason"], descending=[True, False])
    )


def blocked_time_and_clusters(
    blocked: pl.DataFrame, timeline: pl.DataFrame, *, now: datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return :func:`blocked_time` and :func:`blocker_clusters`, clipping the intervals once.

    Args:
        blocked: ``item_id``, ``start``, ``end`` (null while still blocked), ``reason``.
        timeline: the per-item table.
        now: the current instant (timezone-aware).

    Returns:
        ``(blocked_time, blocker_clusters)``.
    """
    clipped = blocked_in_periods(blocked, started_periods(timeline, now))
    return blocked_time_of(clipped, timeline), blocker_clusters_of(clipped)


def flow_efficiency(
    transitions: pl.DataFrame,
    blocked: pl.DataFrame,
    *,
    workflow: Workflow,
    timeline: pl.DataFrame,
    start: date | None = None,
    end: date | None = None,
) -> FlowEfficiency:
    """Return active and waiting time between start and finish of the items finished in a range.

    Time in a status counts by its category between ``started_at`` and ``finished_at``: ``active``
    statuses are active time, ``waiting`` statuses waiting time. Blocked time inside an active
    status is moved to waiting (blocked time counts as waiting). Time an item spent in a done or
    discarded status before being reopened counts as neither. efficiency = active / (active +
    waiting). An item backfilled to start at its finish has no time at all and a null efficiency.

    Args:
        transitions: ``item_id``, ``status``, ``at``.
        blocked: ``item_id``, ``start``, ``end`` (null while still blocked), ``reason``.
        workflow: status name -> (stage category, board position).
        timeline: the per-item table built from the same transitions (it gives start and finish).
        start: first finish date included, or None.
        end: last finish date included, or None.

    Returns:
        A :class:`FlowEfficiency`; its ``items`` frame holds ``item_id``, any of
        ``key``/``title``/``item_type``, ``started_at``, ``finished_at``, ``finished_date``,
        ``active_hours``, ``waiting_hours``, ``blocked_in_active_hours``, ``efficiency``.
    """
    return flow_efficiency_from_known(known_transitions(transitions, workflow), blocked, timeline=timeline, start=start, end=end)


def flow_efficiency_from_known(
    known: pl.DataFrame,
    blocked: pl.DataFrame,
    *,
    timeline: pl.DataFrame,
    start: date | None = None,
    end: date | None = None,
) -> FlowEfficiency:
    """Compute :func:`flow_efficiency` from transitions prepared by ``known_transitions``.

    Args:
        known: the output of :func:`~.common.known_transitions`.
        blocked: ``item_id``, ``start``, ``end`` (null while still blocked), ``reason``.
        timeline: the per-item table built from the same transitions.
        start: first finish date included, or None.
        end: last finish date included, or None.

    Returns:
        As :func:`flow_efficiency`.
    """
    return efficiency_of(efficiency_items(known, blocked, timeline=timeline, start=start, end=end))


def efficiency_items(
    known: pl.DataFrame, blocked: pl.DataFrame, *, timeline: pl.DataFrame, start: date | None, end: date | None
) -> pl.DataFrame:
    """The ``items`` frame of :class:`FlowEfficiency` (see :func:`flow_efficiency_from_known`)."""
    finished = timeline.filter(in_range("finished_date", start, end))
    periods = finished.select("item_id", period_start="started_at", period_end="finished_at")
    segments = _started_segments(known, periods)
    is_active = pl.col("category") == StageCategory.ACTIVE.value
    by_category = segments.group_by("item_id").agg(
        raw_active=pl.col("hours").filter(is_active).sum(),
        raw_waiting=pl.col("hours").filter(~is_active).sum(),
    )
    blocks = _merge_overlaps(blocked_in_periods(blocked, periods).drop("reason"), ["item_id"])
    overlap = elapsed_hours(pl.min_horizontal("end", "block_end") - pl.max_horizontal("start", "block_start")).clip(
        lower_bound=0.0
    )
    blocked_active = (
        segments.filter(is_active)
        .join(blocks.select("item_id", block_start="start", block_end="end"), on="item_id", how="inner")
        .group_by("item_id")
        .agg(blocked_in_active_hours=overlap.sum())
    )
    return (
        finished.select("item_id", *detail_columns(timeline), "started_at", "finished_at", "finished_date")
        .join(by_category, on="item_id", how="left")
        .join(blocked_active, on="item_id", how="left")
        .with_columns(pl.col("raw_active", "raw_waiting", "blocked_in_active_hours").fill_null(0.0))
        .with_columns(
            active_hours=pl.col("raw_active") - pl.col("blocked_in_active_hours"),
            waiting_hours=pl.col("raw_waiting") + pl.col("blocked_in_active_hours"),
        )
        .with_columns(
            efficiency=pl.when(pl.col("active_hours") + pl.col("waiting_hours") > 0).then(
                pl.col("active_hours") / (pl.col("active_hours") + pl.col("waiting_hours"))
            )
        )
        .drop("raw_active", "raw_waiting")
        .select(
            "item_id",
            *detail_columns(timeline),
            "started_at",
            "finished_at",
            "finished_date",
            "active_hours",
            "waiting_hours",
            "blocked_in_active_hours",
            "efficiency",
        )
        .sort(["finished_at", "item_id"])
    )


def efficiency_of(items: pl.DataFrame) -> FlowEfficiency:
    """The totals of the items of :func:`efficiency_items`."""
    active_total = float(items["active_hours"].sum())
    waiting_total = float(items["waiting_hours"].sum())
    both = active_total + waiting_total
    return FlowEfficiency(
        items=items,
        active_hours=active_total,
        waiting_hours=waiting_total,
        efficiency=active_total / both if both > 0 else None,
    )


def _started_segments(known: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """Each stay in a started status of the periods' items, clipped to the period, with its hours."""
    return (
        known.select("item_id", "at", "category", "next_at")
        .filter(pl.col("category").is_in(STARTED_CATEGORIES))
        .join(periods, on="item_id", how="inner")
        .select(
            "item_id",
            "category",
            start=pl.max_horizontal("at", "period_start"),
            end=pl.min_horizontal(pl.col("next_at").fill_null(pl.col("period_end")), "period_end"),
        )
        .filter(pl.col("end") > pl.col("start"))
        .with_columns(hours=elapsed_hours(pl.col("end") - pl.col("start")))
    )
