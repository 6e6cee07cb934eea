"""Flow metrics derived from the per-item table of :func:`~.timeline.item_timeline`.

Cycle time, throughput, WIP, net flow, work item age, SLE and discarded items, as pinned in
DESIGN.md ("Metric definitions", Flow). Every function takes the timeline first; dates are the
team-zone dates already in it, so no time zone is needed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl

from deliveryops.analytics.flow.common import Frequency, count_by_bucket, in_range
from deliveryops.analytics.percentiles import nearest_rank, nearest_rank_many

__all__ = [
    "DEFAULT_PERCENTS",
    "cycle_time_percentiles",
    "cycle_times",
    "detail_columns",
    "discarded_after_start",
    "net_flow",
    "sle",
    "throughput",
    "wip",
    "work_item_age",
]

DEFAULT_PERCENTS: tuple[float, ...] = (50, 70, 85, 95)
SLE_PERCENT = 85
_DETAILS = ("key", "title", "item_type")


def detail_columns(timeline: pl.DataFrame) -> list[str]:
    """Return the descriptive columns (key, title, item type) present in a timeline.

    Args:
        timeline: a frame from ``item_timeline``.

    Returns:
        The names, in a fixed order.
    """
    return [name for name in _DETAILS if name in timeline.columns]


def cycle_times(timeline: pl.DataFrame, *, start: date | None = None, end: date | None = None) -> pl.DataFrame:
    """Return the items finished in ``[start, end]`` (team-zone dates) with their cycle times.

    Discarded items have no finish, so they never appear.

    Args:
        timeline: the per-item table.
        start: first finish date included, or None for no lower bound.
        end: last finish date included, or None for no upper bound.

    Returns:
        ``item_id``, any of ``key``/``title``/``item_type``, ``started_at``, ``finished_at``,
        ``started_date``, ``finished_date``, ``cycle_time_days``, ``cycle_time_hours``; in
        order of finish.
    """
    return (
        timeline.filter(in_range("finished_date", start, end))
        .select(
            "item_id",
            *detail_columns(timeline),
            "started_at",
            "finished_at",
            "started_date",
            "finished_date",
            "cycle_time_days",
            "cycle_time_hours",
        )
        .sort(["finished_at", "item_id"])
    )


def cycle_time_percentiles(
    timeline: pl.DataFrame,
    *,
    start: date | None = None,
    end: date | None = None,
    percents: Sequence[float] = DEFAULT_PERCENTS,
) -> dict[float, int | None]:
    """Return nearest-rank percentiles of cycle time (days) of the items finished in the range.

    Args:
        timeline: the per-item table.
        start: first finish date included, or None.
        end: last finish date included, or None.
        percents: the percentiles wanted, each in (0, 100].

    Returns:
        ``{P: days}``; every value is None when no item finished in the range.
    """
    return percentiles_of(cycle_times(timeline, start=start, end=end), percents)


def percentiles_of(finished: pl.DataFrame, percents: Sequence[float] = DEFAULT_PERCENTS) -> dict[float, int | None]:
    """Return :func:`cycle_time_percentiles` of items already chosen (a :func:`cycle_times` frame).

    Args:
        finished: a frame with ``cycle_time_days``, e.g. the output of :func:`cycle_times`.
        percents: the percentiles wanted, each in (0, 100].

    Returns:
        ``{P: days}``; every value is None when the frame is empty.
    """
    days = finished["cycle_time_days"].to_numpy().astype(np.float64)
    return {percent: None if value is None else round(value) for percent, value in nearest_rank_many(days, percents).items()}


def sle(timeline: pl.DataFrame, *, today: date, window_days: int = 90) -> int | None:
    """Return the service level expectation: the 85th percentile cycle time over a window.

    The window is the ``window_days`` days ending with ``today`` (both included), by finish date.

    Args:
        timeline: the per-item table.
        today: the last day of the window, in the team's time zone.
        window_days: length of the window in days.

    Returns:
        Days (nearest rank), or None when no item finished in the window.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    start = today - timedelta(days=window_days - 1)
    days = cycle_times(timeline, start=start, end=today)["cycle_time_days"].to_numpy().astype(np.float64)
    value = nearest_rank(days, SLE_PERCENT)
    return None if value is None else round(value)


def throughput(timeline: pl.DataFrame, *, start: date, end: date, freq: Frequency = "day") -> pl.DataFrame:
    """Return the number of items finished per day or per ISO week, zero buckets included.

    Only finishes dated in ``[start, end]`` are counted, so the counts sum to the number of items
    finished in the range. Weeks run Monday to Sunday and are labelled by their Monday; a week cut
    by ``start`` or ``end`` is partial, and its ``days`` column says how many of its days count.

    Args:
        timeline: the per-item table.
        start: first day counted.
        end: last day counted (inclusive).
        freq: "day" or "week".

    Returns:
        ``period_start`` (date), ``days``, ``finished`` (Int64), one row per bucket in order.
    """
    return count_by_bucket(timeline, start=start, end=end, freq=freq, columns={"finished": "finished_date"})


def net_flow(timeline: pl.DataFrame, *, start: date, end: date, freq: Frequency = "day") -> pl.DataFrame:
    """Return arrivals (items started) against departures (items finished) per bucket.

    ``discarded`` counts items discarded after starting (they leave WIP without departing), and
    ``net`` = arrivals − departures − discarded, so the sum of ``net`` over a range is the change
    in WIP over it. An item backfilled (done without a started stage) arrives and departs the
    same day.

    Args:
        timeline: the per-item table.
        start: first day counted.
        end: last day counted (inclusive).
        freq: "day" or "week" (ISO weeks labelled by their Monday).

    Returns:
        ``period_start``, ``days``, ``arrivals``, ``departures``, ``discarded``, ``net``.
    """
    dates = timeline.select(
        "started_date",
        "finished_date",
        pl.when(pl.col("started_at").is_not_null()).then(pl.col("discarded_date")).alias("discarded_date"),
    )
    counts = count_by_bucket(
        dates,
        start=start,
        end=end,
        freq=freq,
        columns={"arrivals": "started_date", "departures": "finished_date", "discarded": "discarded_date"},
    )
    return counts.with_columns(net=pl.col("arrivals") - pl.col("departures") - pl.col("discarded"))


def wip(timeline: pl.DataFrame, *, start: date, end: date) -> pl.DataFrame:
    """Return the work in progress at the end of each day.

    An item is in WIP at the end of day d when ``started_date <= d`` and it has neither finished
    nor been discarded by then (``finished_date`` / ``discarded_date`` null or after d). The
    timeline holds each item's final start and finish, so an item reopened later counts as WIP
    from its start until its final finish, as in jira-agile-metrics.

    Args:
        timeline: the per-item table.
        start: first day.
        end: last day (inclusive).

    Returns:
        ``date`` and ``wip`` (Int64), one row per day.
    """
    days = pl.date_range(start, end, eager=True) if end >= start else pl.Series([], dtype=pl.Date)
    started = timeline.filter(pl.col("started_date").is_not_null())
    counts = wip_on_days(
        started["started_date"],
        started.select(pl.coalesce("finished_date", "discarded_date"))[:, 0],
        days,
    )
    return pl.DataFrame({"date": days, "wip": counts}, schema={"date": pl.Date, "wip": pl.Int64})


def wip_on_days(started: pl.Series, left: pl.Series, days: pl.Series) -> npt.NDArray[np.int64]:
    """Count items started on or before each day and not yet left by its end.

    Args:
        started: start dates of started items.
        left: the date each of those items left WIP (finish or discard), null if it has not.
        days: the days to count at.

    Returns:
        One count per day.
    """
    starts = np.sort(started.cast(pl.Int32).to_numpy())
    exits = np.sort(left.drop_nulls().cast(pl.Int32).to_numpy())
    at = days.cast(pl.Int32).to_numpy()
    arrived = np.searchsorted(starts, at, side="right")
    departed = np.searchsorted(exits, at, side="right")
    return (arrived - departed).astype(np.int64)


def work_item_age(timeline: pl.DataFrame, *, today: date) -> pl.DataFrame:
    """Return the items in progress today with their age.

    In progress = started on or before ``today`` and, in the latest known history, neither
    finished nor discarded (``today`` is meant to be the current date; the timeline holds each
    item's latest state). ``age_days`` = today − started date + 1 (an item started today is 1 day
    old).

    Args:
        timeline: the per-item table.
        today: today's date in the team's time zone.

    Returns:
        ``item_id``, any of ``key``/``title``/``item_type``, ``started_at``, ``started_date``,
        ``age_days``, ``current_status``, ``current_category``, ``current_position``,
        ``current_status_since``; oldest first.
    """
    return (
        timeline.filter(
            pl.col("started_date").is_not_null()
            & (pl.col("started_date") <= today)
            & pl.col("finished_at").is_null()
            & pl.col("discarded_at").is_null()
        )
        .with_columns(age_days=(pl.lit(today) - pl.col("started_date")).dt.total_days() + 1)
        .select(
            "item_id",
            *detail_columns(timeline),
            "started_at",
            "started_date",
            "age_days",
            "current_status",
            "current_category",
            "current_position",
            "current_status_since",
        )
        .sort(["age_days", "item_id"], descending=[True, False])
    )


def discarded_after_start(timeline: pl.DataFrame, *, start: date | None = None, end: date | None = None) -> pl.DataFrame:
    """Return the items discarded after they had started, by discard date in ``[start, end]``.

    Items discarded straight from the backlog were never WIP and are not listed.

    Args:
        timeline: the per-item table.
        start: first discard date included, or None.
        end: last discard date included, or None.

    Returns:
        ``item_id``, any of ``key``/``title``/``item_type``, ``started_at``, ``discarded_at``,
        ``started_date``, ``discarded_date``, ``age_at_discard_days`` (discard date − start
        date + 1) and ``current_status``; in order of discard.
    """
    return (
        timeline.filter(pl.col("started_at").is_not_null() & in_range("discarded_date", start, end))
        .with_columns(age_at_discard_days=(pl.col("discarded_date") - pl.col("started_date")).dt.total_days() + 1)
        .select(
            "item_id",
            *detail_columns(timeline),
            "started_at",
            "discarded_at",
            "started_date",
            "discarded_date",
            "age_at_discard_days",
            "current_status",
        )
        .sort(["discarded_at", "item_id"])
    )
