"""Shared pieces of the flow metrics: the workflow lookup, UTC and team-zone dates, date buckets.

Everything here is internal to the ``flow_*`` modules; the public names are re-exported by
:mod:`deliveryops.analytics.flow`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Literal, TypeAlias

import polars as pl

from deliveryops.work.records import StageCategory, WorkflowStatus

__all__ = [
    "STARTED_CATEGORIES",
    "UTC_DATETIME",
    "Frequency",
    "Workflow",
    "bucket_frame",
    "count_by_bucket",
    "elapsed_hours",
    "in_range",
    "known_transitions",
    "local_date",
    "to_utc",
    "week_start",
    "workflow_frame",
    "workflow_from_statuses",
]

Workflow: TypeAlias = Mapping[str, tuple[StageCategory, int]]
"""A team's workflow: status name -> (stage category, board position)."""

Frequency: TypeAlias = Literal["day", "week"]

UTC_DATETIME = pl.Datetime("us", "UTC")
STARTED_CATEGORIES = (StageCategory.ACTIVE.value, StageCategory.WAITING.value)
_MICROSECONDS_PER_HOUR = 3_600_000_000


def workflow_from_statuses(statuses: Iterable[WorkflowStatus]) -> dict[str, tuple[StageCategory, int]]:
    """Build the workflow mapping the flow functions take from canonical status records.

    Args:
        statuses: the team's workflow statuses.

    Returns:
        ``{status name: (category, position)}``.
    """
    return {status.name: (status.category, status.position) for status in statuses}


def workflow_frame(workflow: Workflow) -> pl.DataFrame:
    """Return the workflow as a frame in board order.

    Args:
        workflow: status name -> (category, position).

    Returns:
        Columns ``status``, ``category`` (the category's value), ``position`` and ``rank``
        (0, 1, 2, ... in order of position, then name, so equal positions still get an order).
    """
    rows = sorted(workflow.items(), key=lambda entry: (entry[1][1], entry[0]))
    return pl.DataFrame(
        {
            "status": [name for name, _ in rows],
            "category": [StageCategory(category).value for _, (category, _) in rows],
            "position": [position for _, (_, position) in rows],
            "rank": list(range(len(rows))),
        },
        schema={"status": pl.Utf8, "category": pl.Utf8, "position": pl.Int64, "rank": pl.Int64},
    )


def to_utc(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Cast datetime columns to microsecond UTC; naive datetimes are taken to be UTC already.

    Args:
        frame: any frame holding the columns.
        *columns: names of the columns to normalise.

    Returns:
        The frame with those columns as ``Datetime("us", "UTC")``.
    """
    expressions: list[pl.Expr] = []
    for name in columns:
        dtype = frame.schema[name]
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            column = column.dt.convert_time_zone("UTC")
        elif isinstance(dtype, pl.Datetime):
            column = column.dt.replace_time_zone("UTC")
        expressions.append(column.cast(UTC_DATETIME).alias(name))
    return frame.with_columns(expressions)


def known_transitions(transitions: pl.DataFrame, workflow: Workflow) -> pl.DataFrame:
    """Keep the transitions whose status is in the workflow, in order, with their category.

    Rows are sorted by item and time; rows of one item at the same instant keep their input
    order (the sort is stable), which is the only order the data gives us.

    Args:
        transitions: ``item_id``, ``status``, ``at``.
        workflow: status name -> (category, position).

    Returns:
        ``item_id``, ``status``, ``at``, ``category``, ``position``, ``rank`` and ``row``
        (a global index that increases along each item's history).
    """
    statuses = workflow_frame(workflow)
    frame = to_utc(
        transitions.select(pl.col("item_id").cast(pl.Int64), pl.col("status").cast(pl.Utf8), pl.col("at")),
        "at",
    )
    # One string lookup (status -> rank), then cheap gathers by rank for the rest.
    rank = pl.col("rank")
    return (
        frame.with_columns(
            rank=pl.col("status").replace_strict(statuses["status"], statuses["rank"], default=None, return_dtype=pl.Int64)
        )
        .filter(rank.is_not_null())
        .with_columns(
            category=pl.lit(statuses["category"]).gather(rank),
            position=pl.lit(statuses["position"]).gather(rank),
        )
        .sort(["item_id", "at"], maintain_order=True)
        .with_row_index("row")
        .with_columns(pl.col("row").cast(pl.Int64))
    )


def local_date(column: str | pl.Expr, tz: str) -> pl.Expr:
    """Return the calendar date of a UTC datetime column in the team's time zone.

    Args:
        column: a UTC datetime column (name or expression).
        tz: IANA time zone name, e.g. "Europe/Berlin".

    Returns:
        A date expression.
    """
    expression = pl.col(column) if isinstance(column, str) else column
    return expression.dt.convert_time_zone(tz).dt.date()


def elapsed_hours(duration: pl.Expr) -> pl.Expr:
    """Return a duration expression in (fractional) hours.

    Args:
        duration: a duration expression.

    Returns:
        A Float64 expression.
    """
    return duration.dt.total_microseconds().cast(pl.Float64) / _MICROSECONDS_PER_HOUR


def week_start(column: str | pl.Expr) -> pl.Expr:
    """Return the Monday of the ISO week of a date column.

    Args:
        column: a date column (name or expression).

    Returns:
        A date expression.
    """
    expression = pl.col(column) if isinstance(column, str) else column
    return expression - pl.duration(days=expression.dt.weekday() - 1)


def in_range(column: str, start: date | None, end: date | None) -> pl.Expr:
    """Return whether a date column lies in ``[start, end]``; a missing bound is open.

    Args:
        column: the date column's name.
        start: first date included, or None.
        end: last date included, or None.

    Returns:
        A boolean expression (false where the column is null).
    """
    condition = pl.col(column).is_not_null()
    if start is not None:
        condition = condition & (pl.col(column) >= start)
    if end is not None:
        condition = condition & (pl.col(column) <= end)
    return condition


def bucket_frame(start: date, end: date, freq: Frequency) -> pl.DataFrame:
    """Return the buckets covering ``[start, end]``.

    Args:
        start: first date.
        end: last date (inclusive).
        freq: "day", or "week" for ISO weeks labelled by their Monday.

    Returns:
        ``period_start`` (date) and ``days`` (how many days of the bucket lie in the range;
        7 for a whole week, fewer for a partial week at either end).
    """
    if freq not in ("day", "week"):
        raise ValueError(f'freq must be "day" or "week", got {freq!r}')
    if end < start:
        return pl.DataFrame(schema={"period_start": pl.Date, "days": pl.Int64})
    days = pl.DataFrame({"day": pl.date_range(start, end, eager=True)})
    if freq == "day":
        return days.select(pl.col("day").alias("period_start"), pl.lit(1, pl.Int64).alias("days"))
    return (
        days.group_by(week_start("day").alias("period_start"), maintain_order=True)
        .agg(pl.len().cast(pl.Int64).alias("days"))
        .sort("period_start")
    )


def count_by_bucket(dates: pl.DataFrame, *, start: date, end: date, freq: Frequency, columns: Mapping[str, str]) -> pl.DataFrame:
    """Count dates per bucket, keeping empty buckets as zeros.

    Args:
        dates: a frame of date columns (nulls are not counted).
        start: first date counted.
        end: last date counted (inclusive).
        freq: "day" or "week".
        columns: output column name -> date column of ``dates`` to count.

    Returns:
        ``period_start``, ``days`` and one Int64 count column per entry of ``columns``.
    """
    buckets = bucket_frame(start, end, freq)
    for output, source in columns.items():
        counted = dates.filter(in_range(source, start, end)).select(
            (pl.col(source) if freq == "day" else week_start(source)).alias("period_start")
        )
        counts = counted.group_by("period_start").agg(pl.len().cast(pl.Int64).alias(output))
        buckets = buckets.join(counts, on="period_start", how="left").with_columns(pl.col(output).fill_null(0))
    return buckets.sort("period_start")
