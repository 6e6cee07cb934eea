"""Shared pieces of the flow metrics: the workflow lookup, UTC and team-zone dates, date buckets.

Everything here is internal to the modules of this package; the public names are re-exported by
:mod:`deliveryops.analytics.flow`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Literal, TypeAlias
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import polars as pl

from deliveryops.analytics.records import StageCategory, WorkflowStatus

__all__ = [
    "CATEGORY_CODES",
    "CATEGORY_ENUM",
    "STARTED_CATEGORIES",
    "UTC_DATETIME",
    "Frequency",
    "Workflow",
    "bucket_frame",
    "category_codes",
    "count_by_bucket",
    "elapsed_hours",
    "in_range",
    "item_runs",
    "known_transitions",
    "local_date",
    "local_dates",
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
CATEGORY_ENUM = pl.Enum([category.value for category in StageCategory])
"""The ``category`` column of :func:`known_transitions`."""
CATEGORY_CODES: dict[str, int] = {category.value: code for code, category in enumerate(StageCategory)}
"""Category value -> its code (the physical value of :data:`CATEGORY_ENUM`)."""
_MICROSECONDS_PER_HOUR = 3_600_000_000
_MICROSECONDS_PER_DAY = 86_400_000_000
_FAST_DATES_FROM = 10_000
"""Below this many values :func:`local_dates` converts them one by one (it is fast enough)."""
_SLOT_MICROS = (_MICROSECONDS_PER_HOUR, _MICROSECONDS_PER_HOUR // 4)
"""Slot lengths :func:`local_dates` tries: an hour, then 15 minutes."""
_CHUNK_SLOTS = 4096
"""Slots per cached table of :func:`local_dates` (170 days of hours)."""
_MAX_CHUNKS = 1000
"""Above this many tables covered (about 470 years of hours) :func:`local_dates` converts each value."""
_TRANSITION = np.iinfo(np.int32).min
"""Marks a slot holding a zone transition in the table of :func:`local_dates`."""


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


def known_transitions(transitions: pl.DataFrame, workflow: Workflow, *, carry: Sequence[str] = ()) -> pl.DataFrame:
    """Keep the transitions whose status is in the workflow, in order, with their category.

    Rows are sorted by item and time; rows of one item at the same instant keep their input
    order (the sort is stable), which is the only order the data gives us. Input already in that
    order (the usual case: histories are stored and read per item) is not sorted again.

    The frame is kept compact for organisation-sized inputs: ``status`` and ``category`` are
    :class:`polars.Enum` columns (cast them to ``Utf8`` before showing them) and ``rank`` indexes
    the rows of :func:`workflow_frame`.

    Args:
        transitions: ``item_id``, ``status``, ``at``.
        workflow: status name -> (category, position).
        carry: other columns of ``transitions`` to keep (a grouping key), after ``at``.

    Returns:
        ``item_id`` (Int64), ``status`` (Enum of the workflow's statuses in board order), ``at``
        (UTC), ``rank`` (Int32, the status's row in :func:`workflow_frame`), ``category`` (Enum of
        :data:`CATEGORY_ENUM`) and ``next_at`` (the item's next entry, null at its last one).
    """
    statuses = workflow_frame(workflow)
    status_enum = pl.Enum(statuses["status"].to_list())
    frame = to_utc(transitions.select(pl.col("item_id").cast(pl.Int64), pl.col("status"), pl.col("at"), *carry), "at")
    # One cast (status -> its rank in board order); unknown statuses become null and are dropped.
    status = frame["status"]
    if status.dtype != status_enum:  # not cast by the caller already
        status = status.cast(pl.Utf8).cast(status_enum, strict=False)
    frame = frame.with_columns(status).filter(pl.col("status").is_not_null())
    if not _in_item_time_order(frame):
        frame = frame.sort(["item_id", "at"], maintain_order=True)
    rank = frame["status"].to_physical().cast(pl.Int32)
    category = statuses["category"].cast(CATEGORY_ENUM).gather(rank).alias("category")
    same_item_next = pl.col("item_id").shift(-1) == pl.col("item_id")
    return frame.with_columns(rank.alias("rank"), category).with_columns(
        next_at=pl.when(same_item_next).then(pl.col("at").shift(-1))
    )


def _in_item_time_order(frame: pl.DataFrame) -> bool:
    """Whether ``frame`` is already sorted by ``item_id`` then ``at`` (no nulls in ``at``)."""
    if frame.height < 2:
        return True
    if frame["at"].null_count() or frame["item_id"].null_count():
        return False
    item = frame["item_id"].to_numpy()
    at = frame["at"].to_physical().to_numpy()
    item_step = item[1:] - item[:-1]
    if (item_step < 0).any():
        return False
    return not ((item_step == 0) & (at[1:] < at[:-1])).any()


def item_runs(known: pl.DataFrame) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Return the first row and the row after the last of each item's run in ``known``.

    Args:
        known: the output of :func:`known_transitions`.

    Returns:
        ``(first, after)`` row arrays, one entry per item, in item order.
    """
    item = known["item_id"].to_numpy()
    if item.size == 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty
    first = np.flatnonzero(np.r_[True, item[1:] != item[:-1]])
    return first, np.r_[first[1:], item.size]


def category_codes(known: pl.DataFrame) -> npt.NDArray[np.uint8]:
    """Return the category of each row of ``known`` as its code in :data:`CATEGORY_CODES`."""
    return known["category"].to_physical().to_numpy().astype(np.uint8, copy=False)


def local_dates(at: pl.Series, zone: ZoneInfo) -> pl.Series:
    """Return the calendar dates in the team's time zone of a UTC datetime series.

    The same values as :func:`local_date`, computed for large series by table lookup: the UTC
    offset changes only at the zone's transitions, and when it is a whole multiple of a slot
    length that divides a day (an hour, or 15 minutes for zones such as Asia/Kolkata), every
    instant of a slot without a transition has the same local date. So the dates of the slots
    the series covers are computed once, and the few values in a slot holding a transition are
    converted one by one.

    Args:
        at: UTC datetimes (nulls stay null).
        zone: the team's time zone.

    Returns:
        A ``Date`` series of the same length and name.
    """
    utc = at.cast(UTC_DATETIME) if at.dtype != UTC_DATETIME else at
    key = zone.key
    valid_count = utc.len() - utc.null_count()
    if valid_count < _FAST_DATES_FROM:
        return _converted_dates(utc, key).alias(at.name)
    physical = utc.to_physical()
    all_valid = valid_count == utc.len()
    micros = physical.to_numpy() if all_valid else physical.fill_null(physical.min()).to_numpy()
    low_micros, high_micros = int(micros.min()), int(micros.max())
    for slot in _SLOT_MICROS:
        first_chunk, last_chunk = low_micros // slot // _CHUNK_SLOTS, high_micros // slot // _CHUNK_SLOTS
        if last_chunk - first_chunk >= _MAX_CHUNKS:
            break
        tables = [_date_table(key, slot, chunk) for chunk in range(first_chunk, last_chunk + 1)]
        if any(table is None for table in tables):
            continue
        table = np.concatenate([table for table in tables if table is not None])
        index = micros // slot
        index -= first_chunk * _CHUNK_SLOTS
        days = table[index]
        exact = days == _TRANSITION
        if exact.any():
            days[exact] = _converted_dates(pl.Series(micros[exact]).cast(UTC_DATETIME), key).cast(pl.Int32).to_numpy()
        result = pl.Series(at.name, days).cast(pl.Date)
        if all_valid:
            return result
        return pl.select(pl.when(physical.is_not_null()).then(result).alias(at.name)).to_series()
    return _converted_dates(utc, key).alias(at.name)


@functools.lru_cache(maxsize=1024)
def _date_table(key: str, slot: int, chunk: int) -> npt.NDArray[np.int32] | None:
    """Return the local date (days since 1970) of each slot of one chunk, or None if it cannot.

    Slot ``k`` of the chunk starts at UTC microsecond ``(chunk * _CHUNK_SLOTS + k) * slot``; a
    slot holding a transition is marked :data:`_TRANSITION`. None when an offset is not a
    multiple of the slot length (then a slot may cross local midnight). Cached by the zone's IANA
    name: teams of one organisation share zones and years.
    """
    grid = (np.arange(_CHUNK_SLOTS, dtype=np.int64) + chunk * _CHUNK_SLOTS) * slot
    first_offset = _utc_offsets(grid, key)
    if (first_offset % slot).any():
        return None
    last_offset = _utc_offsets(grid + (slot - 1), key)
    table = ((grid + first_offset) // _MICROSECONDS_PER_DAY).astype(np.int32)
    table[first_offset != last_offset] = _TRANSITION
    table.flags.writeable = False
    return table


def _utc_offsets(micros: npt.NDArray[np.int64], key: str) -> npt.NDArray[np.int64]:
    """Return the UTC offset of the zone named ``key``, in microseconds, at each UTC instant."""
    instants = pl.Series(micros).cast(UTC_DATETIME)
    wall = pl.select(instants.dt.convert_time_zone(key).dt.replace_time_zone(None)).to_series()
    offsets: npt.NDArray[np.int64] = wall.to_physical().to_numpy() - micros
    return offsets


def _converted_dates(utc: pl.Series, key: str) -> pl.Series:
    """Return the dates in the zone named ``key`` of UTC datetimes, converting each value."""
    return pl.select(utc.dt.convert_time_zone(key).dt.date()).to_series()


def local_date(column: str | pl.Expr, zone: ZoneInfo) -> pl.Expr:
    """Return the calendar date of a UTC datetime column in the team's time zone.

    Args:
        column: a UTC datetime column (name or expression).
        zone: the team's time zone, e.g. ``ZoneInfo("Europe/Berlin")``.

    Returns:
        A date expression.
    """
    expression = pl.col(column) if isinstance(column, str) else column
    return expression.dt.convert_time_zone(zone.key).dt.date()


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
    return _bucket_frame(start, end, freq).clone()


@functools.lru_cache(maxsize=64)
def _bucket_frame(start: date, end: date, freq: Frequency) -> pl.DataFrame:
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
    # Buckets are sorted and contiguous, and the first one starts on or before ``start``, so
    # each date in range falls in the last bucket starting on or before it.
    labels = buckets["period_start"].cast(pl.Int32).to_numpy()
    counts: list[pl.Series] = []
    for output, source in columns.items():
        counted = dates.filter(in_range(source, start, end))[source].cast(pl.Int32).to_numpy()
        slots = np.searchsorted(labels, counted, side="right") - 1
        counts.append(pl.Series(output, np.bincount(slots, minlength=labels.size).astype(np.int64), dtype=pl.Int64))
    return buckets.with_columns(counts)
