"""The canonical per-item flow table that every flow metric derives from (DESIGN.md, Flow)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import polars as pl

from deliveryops.analytics.flow.common import (
    CATEGORY_CODES,
    Workflow,
    category_codes,
    elapsed_hours,
    item_runs,
    known_transitions,
    local_dates,
    to_utc,
    workflow_frame,
)
from deliveryops.analytics.records import StageCategory

__all__ = ["TIMELINE_SCHEMA", "item_timeline", "timeline_from_known", "unknown_statuses"]

TIMELINE_SCHEMA: dict[str, pl.DataType] = {
    "item_id": pl.Int64(),
    "started_at": pl.Datetime("us", "UTC"),
    "finished_at": pl.Datetime("us", "UTC"),
    "discarded_at": pl.Datetime("us", "UTC"),
    "started_date": pl.Date(),
    "finished_date": pl.Date(),
    "discarded_date": pl.Date(),
    "cycle_time_days": pl.Int64(),
    "cycle_time_hours": pl.Float64(),
    "current_status": pl.Utf8(),
    "current_category": pl.Utf8(),
    "current_position": pl.Int64(),
    "current_status_since": pl.Datetime("us", "UTC"),
}
"""Columns of :func:`item_timeline` (plus ``key``, ``title``, ``item_type`` when items are given)."""

_ITEM_COLUMNS = ("key", "title", "item_type")
_BACKLOG = CATEGORY_CODES[StageCategory.BACKLOG.value]
_ACTIVE = CATEGORY_CODES[StageCategory.ACTIVE.value]
_WAITING = CATEGORY_CODES[StageCategory.WAITING.value]
_DONE = CATEGORY_CODES[StageCategory.DONE.value]
_DISCARDED = CATEGORY_CODES[StageCategory.DISCARDED.value]


def item_timeline(
    transitions: pl.DataFrame,
    *,
    workflow: Workflow,
    zone: ZoneInfo,
    items: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Return one row per item with its start, finish, discard and current stage.

    Definitions (DESIGN.md, "Metric definitions", Flow), applied to the item's history in time
    order, using only statuses that are in ``workflow``:

    - ``started_at``: the first entry into a started stage (``active`` or ``waiting``) after the
      item's last entry into a ``backlog`` stage. So an item sent back to the backlog is not WIP,
      and if it starts again its start is the restart.
    - ``finished_at``: the entry into a ``done`` stage that begins the item's final run of ``done``
      statuses (moving between two done statuses is not a reopening). An item whose latest status
      is not ``done`` has no finish: reopening makes it WIP again.
    - ``discarded_at``: likewise for ``discarded``; a discarded item counts neither in throughput
      nor in cycle time.
    - An item that reaches ``done`` without entering a started stage since its last backlog entry
      (for example backlog -> done) is backfilled: its start is the done entry, so it counts in
      throughput with a cycle time of 1 day (and 0 hours). A discarded item is never backfilled.
      This is DeliveryOps' rule (docs/metrics.md, /definitions#straight-to-done); jira-agile-metrics
      0.24 differs: it leaves such items out of throughput while counting them in its cumulative flow.
    - ``cycle_time_days`` = finished date − started date + 1, calendar dates in ``zone`` (a same-day
      item takes 1 day); ``cycle_time_hours`` is the exact elapsed time. Both are null unless the
      item is finished.

    Several entries of one item at the same instant keep their input order.

    Args:
        transitions: ``item_id`` (Int64), ``status`` (Utf8, the status entered), ``at`` (UTC
            datetime), one row per status entry, in any order. Statuses missing from the workflow
            are ignored (count them with :func:`unknown_statuses`); an item with no known status
            has no row.
        workflow: status name -> (stage category, board position).
        zone: the team's time zone, for the ``*_date`` columns.
        items: optional ``item_id``, ``key``, ``title``, ``item_type``, joined onto the rows.

    Returns:
        One row per item, sorted by ``item_id``, with the columns of :data:`TIMELINE_SCHEMA`
        (plus ``key``, ``title`` and ``item_type`` when ``items`` is given).
    """
    return timeline_from_known(
        known_transitions(transitions, workflow), statuses=workflow_frame(workflow), zone=zone, items=items
    )


def timeline_from_known(
    known: pl.DataFrame,
    *,
    statuses: pl.DataFrame,
    zone: ZoneInfo,
    items: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Build the per-item table from transitions already prepared by ``known_transitions``.

    Args:
        known: the output of :func:`~.common.known_transitions`.
        statuses: the output of :func:`~.common.workflow_frame` for the same workflow.
        zone: the team's time zone.
        items: optional ``item_id``, ``key``, ``title``, ``item_type``.

    Returns:
        As :func:`item_timeline`.
    """
    rows = _history_rows(known)
    at = known["at"]
    last_row = rows["last_row"]
    last_rank = known["rank"].gather(last_row)
    started_at = at.gather(rows["started_row"])
    finished_at = at.gather(rows["finished_row"])
    discarded_at = at.gather(rows["discarded_row"])
    started_at = pl.select(pl.coalesce(started_at, finished_at)).to_series()
    per_item = pl.DataFrame(
        [
            rows["item_id"],
            started_at.alias("started_at"),
            finished_at.alias("finished_at"),
            discarded_at.alias("discarded_at"),
            local_dates(started_at, zone).alias("started_date"),
            local_dates(finished_at, zone).alias("finished_date"),
            local_dates(discarded_at, zone).alias("discarded_date"),
            known["status"].gather(last_row).cast(pl.Utf8).alias("current_status"),
            known["category"].gather(last_row).cast(pl.Utf8).alias("current_category"),
            statuses["position"].gather(last_rank).alias("current_position"),
            at.gather(last_row).alias("current_status_since"),
        ]
    )
    timeline = per_item.with_columns(
        cycle_time_hours=elapsed_hours(pl.col("finished_at") - pl.col("started_at")),
        cycle_time_days=(pl.col("finished_date") - pl.col("started_date")).dt.total_days() + 1,
    ).select([pl.col(name).cast(dtype) for name, dtype in TIMELINE_SCHEMA.items()])
    if not _strictly_increasing(timeline["item_id"]):
        timeline = timeline.sort("item_id")
    if items is None:
        return timeline
    return _join_details(timeline, items)


def _strictly_increasing(ids: pl.Series) -> bool:
    """Whether a series has no nulls and each value is greater than the one before."""
    if ids.null_count():
        return False
    values = ids.to_numpy()
    return bool((values[1:] > values[:-1]).all())


def _join_details(timeline: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    """Left-join the items' key, title and type onto the timeline; a repeated item keeps its last row.

    A sorted lookup (numpy ``searchsorted``) replaces polars' hash join and ``unique`` when the
    ids allow it: at organisation scale that is several times faster, with the same result.
    """
    details = items.select(pl.col("item_id").cast(pl.Int64), *[pl.col(name).cast(pl.Utf8) for name in _ITEM_COLUMNS])
    if details["item_id"].null_count() or timeline["item_id"].null_count():
        unique = details.unique("item_id", keep="last", maintain_order=True)
        return timeline.join(unique, on="item_id", how="left")
    ids = details["item_id"].to_numpy()
    if ids.size and not bool((ids[1:] > ids[:-1]).all()):
        order = np.argsort(ids, kind="stable")
        ordered = ids[order]
        last = np.r_[ordered[1:] != ordered[:-1], True]
        keep, ids = order[last], ordered[last]
    else:
        keep = np.arange(ids.size)
    wanted = timeline["item_id"].to_numpy()
    if ids.size == 0:
        found = np.zeros(wanted.size, dtype=bool)
        slot = np.zeros(wanted.size, dtype=np.int64)
    else:
        slot = np.minimum(np.searchsorted(ids, wanted), ids.size - 1)
        found = ids[slot] == wanted
    index = pl.select(pl.when(pl.Series(found)).then(pl.Series(keep[slot]))).to_series()
    return timeline.with_columns(details[name].gather(index) for name in _ITEM_COLUMNS)


def _history_rows(known: pl.DataFrame) -> pl.DataFrame:
    """Return, per item, the row of ``known`` holding its start, finish, discard and latest entry.

    ``known`` is in item and time order, so each item is one run of rows; numpy's ``reduceat``
    aggregates every run at once, which is several times faster than a grouped filter. Rows are
    null where the item has no such entry (the start is before any backfill).
    """
    schema = dict.fromkeys(("item_id", "started_row", "finished_row", "discarded_row", "last_row"), pl.Int64)
    size = known.height
    if size == 0:
        return pl.DataFrame(schema=schema)
    first, after = item_runs(known)
    item = known["item_id"].to_numpy()
    rows = np.arange(size)
    code = category_codes(known)

    def last_row_where(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        # The item's last row where mask holds, or the row before the item when it never does.
        return np.maximum(np.maximum.reduceat(np.where(mask, rows, -1), first), first - 1)

    # Started: the first started-category row after the last backlog row.
    after_backlog = np.repeat(last_row_where(code == _BACKLOG), after - first)
    is_started = (code == _ACTIVE) | (code == _WAITING)
    started = np.minimum.reduceat(np.where(is_started & (rows > after_backlog), rows, size), first)
    # Finished (discarded): the first row of the final run of done (discarded) rows, if any.
    finished = last_row_where(code != _DONE) + 1
    discarded = last_row_where(code != _DISCARDED) + 1
    frame = pl.DataFrame(
        {
            "item_id": item[first],
            "started_row": started,
            "finished_row": finished,
            "discarded_row": discarded,
            "last_row": after - 1,
            "after": after,
        }
    )
    in_item = [
        pl.when(pl.col(name) < pl.col("after")).then(pl.col(name)).alias(name)
        for name in ("started_row", "finished_row", "discarded_row")
    ]
    return frame.with_columns(in_item).select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


def unknown_statuses(transitions: pl.DataFrame, *, workflow: Workflow, keys: Sequence[str] = ()) -> pl.DataFrame:
    """Count the transitions into statuses that the workflow does not know (they are ignored).

    Args:
        transitions: ``item_id``, ``status``, ``at``.
        workflow: status name -> (stage category, board position).
        keys: columns of ``transitions`` to count within (a grouping key), kept first.

    Returns:
        ``status``, ``transitions`` (rows ignored) and ``items`` (distinct items affected),
        most frequent first; empty when every status is known.
    """
    frame = to_utc(transitions.select(*keys, "item_id", pl.col("status").cast(pl.Utf8), "at"), "at")
    return (
        frame.filter(~pl.col("status").is_in(list(workflow)) | pl.col("status").is_null())
        .group_by(*keys, "status")
        .agg(
            transitions=pl.len().cast(pl.Int64),
            items=pl.col("item_id").n_unique().cast(pl.Int64),
        )
        .sort(["transitions", "status"], descending=[True, False], nulls_last=True)
    )
