"""Cumulative flow diagram (CFD) data."""

from __future__ import annotations

from datetime import date

import numpy as np
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

__all__ = ["cumulative_flow", "cumulative_flow_from_known"]


def cumulative_flow(transitions: pl.DataFrame, *, workflow: Workflow, tz: str, start: date, end: date) -> pl.DataFrame:
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
        tz: the team's IANA time zone.
        start: first day.
        end: last day (inclusive).

    Returns:
        ``date``, ``status``, ``category``, ``position``, ``items`` (Int64); per day, one row per
        non-discarded status in board order.
    """
    return cumulative_flow_from_known(
        known_transitions(transitions, workflow),
        statuses=workflow_frame(workflow),
        tz=tz,
        start=start,
        end=end,
    )


def cumulative_flow_from_known(known: pl.DataFrame, *, statuses: pl.DataFrame, tz: str, start: date, end: date) -> pl.DataFrame:
    """Compute :func:`cumulative_flow` from transitions prepared by ``known_transitions``.

    Args:
        known: the output of :func:`~.common.known_transitions`.
        statuses: the output of :func:`~.common.workflow_frame` for the same workflow.
        tz: the team's IANA time zone.
        start: first day.
        end: last day (inclusive).

    Returns:
        As :func:`cumulative_flow`.
    """
    shown = statuses.filter(pl.col("category") != StageCategory.DISCARDED.value)
    day_count = max((end - start).days + 1, 0)
    status_count = statuses.height
    days = pl.date_range(start, end, eager=True) if day_count else pl.Series([], dtype=pl.Date)

    # Only an item's last entry of each day matters at the end of that day. Rows are in item and
    # time order, so that entry is the one whose successor belongs to another item or day.
    item = known["item_id"].to_numpy()
    day = local_dates(known["at"], tz).cast(pl.Int32).to_numpy() - _days(start)
    same_item_next = np.r_[item[1:] == item[:-1], False]
    next_day = np.r_[day[1:], 0]
    last_of_day = ~(same_item_next & (next_day == day))
    kept = last_of_day & (category_codes(known) != CATEGORY_CODES[StageCategory.DISCARDED.value])
    first = np.clip(day[kept], 0, day_count)
    after = np.clip(np.where(same_item_next, next_day, day_count)[kept], 0, day_count)
    spans = first < after
    rank = known["rank"].to_numpy()[kept][spans]
    first, after = first[spans], after[spans]
    size = (day_count + 1) * status_count
    arrivals = np.bincount(first * status_count + rank, minlength=size)
    departures = np.bincount(after * status_count + rank, minlength=size)
    in_status = np.cumsum((arrivals - departures).reshape(day_count + 1, status_count), axis=0)[:day_count]
    at_or_beyond = np.cumsum(in_status[:, ::-1], axis=1)[:, ::-1]

    shown_ranks = shown["rank"].to_numpy()
    return pl.DataFrame(
        {
            "date": np.repeat(days.to_numpy(), shown.height),
            "status": np.tile(shown["status"].to_numpy(), day_count),
            "category": np.tile(shown["category"].to_numpy(), day_count),
            "position": np.tile(shown["position"].to_numpy(), day_count),
            "items": at_or_beyond[:, shown_ranks].reshape(-1),
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
