"""Cumulative flow diagram (CFD) data."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import polars as pl

from deliveryops.analytics.flow.common import (
    CATEGORY_CODES,
    Workflow,
    category_codes,
    known_transitions,
    local_dates,
    workflow_frame,
)
from deliveryops.analytics.records import StageCategory

__all__ = ["cfd_frame", "cfd_levels", "cfd_spans", "cumulative_flow", "cumulative_flow_from_known"]


def cumulative_flow(transitions: pl.DataFrame, *, workflow: Workflow, zone: ZoneInfo, start: date, end: date) -> pl.DataFrame:
    """Return, per day and per workflow status, the cumulative count of arrivals in that status.

    Definition: for day d and status S, ``items`` is the number of items whose status at the end of
    day d (their last known status entered on or before d, in the team's time zone) is S or a
    status later on the board (higher position). So the band of S is the cumulative arrivals into
    S, the vertical gap between two lines is the WIP between them, and the first status's line
    counts every item that exists. Items whose status at the end of the day is a ``discarded``
    status leave the diagram, and discarded statuses have no line. Items move back as well as
    forward: a line drops when an item moves to an earlier status.

    Args:
        transitions: ``item_id``, ``status``, ``at`` (statuses not in the workflow are ignored).
        workflow: status name -> (stage category, board position).
        zone: the team's time zone.
        start: first day.
        end: last day (inclusive).

    Returns:
        ``date``, ``status``, ``category``, ``position``, ``items`` (Int64); per day, one row per
        non-discarded status in board order.
    """
    return cumulative_flow_from_known(
        known_transitions(transitions, workflow),
        statuses=workflow_frame(workflow),
        zone=zone,
        start=start,
        end=end,
    )


def cumulative_flow_from_known(
    known: pl.DataFrame, *, statuses: pl.DataFrame, zone: ZoneInfo, start: date, end: date
) -> pl.DataFrame:
    """Compute :func:`cumulative_flow` from transitions prepared by ``known_transitions``.

    Args:
        known: the output of :func:`~.common.known_transitions`.
        statuses: the output of :func:`~.common.workflow_frame` for the same workflow.
        zone: the team's time zone.
        start: first day.
        end: last day (inclusive).

    Returns:
        As :func:`cumulative_flow`.
    """
    day_count = max((end - start).days + 1, 0)
    rows, first, after = cfd_spans(known, zone=zone, start=start, day_count=day_count)
    rank = known["rank"].to_numpy()[rows]
    levels = cfd_levels(first, after, rank, np.zeros(rows.size, dtype=np.int64), groups=1, day_count=day_count, statuses=statuses)
    return cfd_frame(levels[0], statuses=statuses, start=start, end=end)


def cfd_spans(
    known: pl.DataFrame, *, zone: ZoneInfo, start: date, day_count: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The rows of ``known`` that hold an item in a shown status at the end of some day of the period.

    Only an item's last entry of each day matters at the end of that day. Rows are in item and time
    order, so that entry is the one whose successor belongs to another item or day.

    Returns:
        ``(rows, first, after)``: the rows, and for each the first day index (0 = ``start``) it holds
        and the day index after the last, both clipped to ``[0, day_count]``.
    """
    item = known["item_id"].to_numpy()
    day = local_dates(known["at"], zone).cast(pl.Int32).to_numpy() - _days(start)
    same_item_next = np.r_[item[1:] == item[:-1], False]
    next_day = np.r_[day[1:], 0]
    last_of_day = ~(same_item_next & (next_day == day))
    kept = np.flatnonzero(last_of_day & (category_codes(known) != CATEGORY_CODES[StageCategory.DISCARDED.value]))
    first = np.clip(day[kept], 0, day_count)
    after = np.clip(np.where(same_item_next, next_day, day_count)[kept], 0, day_count)
    spans = first < after
    return kept[spans], first[spans].astype(np.int64), after[spans].astype(np.int64)


def cfd_levels(
    first: npt.NDArray[np.int64],
    after: npt.NDArray[np.int64],
    rank: npt.NDArray[np.int_],
    group: npt.NDArray[np.int64],
    *,
    groups: int,
    day_count: int,
    statuses: pl.DataFrame,
) -> npt.NDArray[np.int64]:
    """Items at or beyond each status at the end of each day, per group (team) of the spans.

    Returns:
        An array of shape ``(groups, day_count, statuses)``.
    """
    status_count = statuses.height
    slot = (group * (day_count + 1) + first) * status_count + rank
    leave = (group * (day_count + 1) + after) * status_count + rank
    size = groups * (day_count + 1) * status_count
    arrivals = np.bincount(slot, minlength=size)
    departures = np.bincount(leave, minlength=size)
    in_status = np.cumsum((arrivals - departures).reshape(groups, day_count + 1, status_count), axis=1)[:, :day_count]
    levels: npt.NDArray[np.int64] = np.cumsum(in_status[:, :, ::-1], axis=2)[:, :, ::-1]
    return levels


def cfd_frame(levels: npt.NDArray[np.int64], *, statuses: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """The frame of :func:`cumulative_flow` from one team's levels (``(day_count, statuses)``)."""
    shown = statuses.filter(pl.col("category") != StageCategory.DISCARDED.value)
    day_count = max((end - start).days + 1, 0)
    days = pl.date_range(start, end, eager=True) if day_count else pl.Series([], dtype=pl.Date)
    shown_ranks = shown["rank"].to_numpy()
    return pl.DataFrame(
        {
            "date": np.repeat(days.to_numpy(), shown.height),
            "status": np.tile(shown["status"].to_numpy(), day_count),
            "category": np.tile(shown["category"].to_numpy(), day_count),
            "position": np.tile(shown["position"].to_numpy(), day_count),
            "items": levels[:, shown_ranks].reshape(-1),
        },
        schema={
            "date": pl.Date,
            "status": pl.Utf8,
            "category": pl.Utf8,
            "position": pl.Int64,
            "items": pl.Int64,
        },
    )


def _days(day: date) -> int:
    """Return a date as days since 1970-01-01 (polars' physical ``Date``)."""
    return (day - date(1970, 1, 1)).days
