"""Aging work in progress: each item's age in its current stage against history and the SLE."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import polars as pl

from deliveryops.analytics.flow.common import (
    CATEGORY_CODES,
    STARTED_CATEGORIES,
    UTC_DATETIME,
    Workflow,
    category_codes,
    in_range,
    item_runs,
    known_transitions,
    local_date,
    local_dates,
    workflow_frame,
)
from deliveryops.analytics.flow.metrics import DEFAULT_PERCENTS, sle, work_item_age
from deliveryops.analytics.percentiles import nearest_rank_many
from deliveryops.analytics.records import StageCategory

__all__ = [
    "AMBER_FROM_SLE_SHARE",
    "AgingWip",
    "age_band",
    "aging_wip",
    "aging_wip_from_known",
    "exit_ages",
    "percentile_column",
    "stage_table",
]

AMBER_FROM_SLE_SHARE = 0.5
"""An item older than this share of the SLE (and not older than the SLE) is amber."""


@dataclass(frozen=True, slots=True)
class AgingWip:
    """The aging WIP chart's data.

    Attributes:
        items: the items in progress (as :func:`work_item_age`) with ``band``: "green" when
            age ≤ half the SLE, "amber" when age ≤ SLE, "red" when age > SLE, null without an SLE.
        stages: per started status in board order, ``status``, ``category``, ``position``,
            ``samples`` and one ``p<P>_days`` column per percentile: the nearest-rank percentile of
            the age items had when they left that status.
        sle_days: the SLE the bands were drawn against, or None.
    """

    items: pl.DataFrame
    stages: pl.DataFrame
    sle_days: int | None


def percentile_column(percent: float) -> str:
    """Return the column name used for a percentile, e.g. ``p85_days``.

    Args:
        percent: the percentile.

    Returns:
        The name.
    """
    return f"p{percent:g}_days"


def age_band(target: pl.Expr) -> pl.Expr:
    """The band of ``age_days`` against an SLE in days (null without one): green, amber or red."""
    return (
        pl.when(target.is_null())
        .then(pl.lit(None, dtype=pl.Utf8))
        .when(pl.col("age_days") <= AMBER_FROM_SLE_SHARE * target)
        .then(pl.lit("green"))
        .when(pl.col("age_days") <= target)
        .then(pl.lit("amber"))
        .otherwise(pl.lit("red"))
    )


def aging_wip(
    timeline: pl.DataFrame,
    transitions: pl.DataFrame,
    *,
    workflow: Workflow,
    zone: ZoneInfo,
    today: date,
    window_days: int = 90,
    sle_days: int | None = None,
    percents: Sequence[float] = DEFAULT_PERCENTS,
) -> AgingWip:
    """Return the items in progress with their age and stage, and per-stage historical ages.

    History: the items finished in the ``window_days`` days ending ``today``. For each of them and
    each started status (``active`` or ``waiting``) it passed through after its start, the age when
    it left that status is the leaving date − started date + 1 (team-zone calendar days, like work
    item age). An item that passed through a status more than once contributes one sample: its
    age when it last left it. Percentiles are nearest-rank.

    Args:
        timeline: the per-item table built from ``transitions``.
        transitions: ``item_id``, ``status``, ``at``.
        workflow: status name -> (stage category, board position).
        zone: the team's time zone.
        today: today's date in the team's time zone.
        window_days: length of the history window in days.
        sle_days: the SLE in days; None computes it with :func:`sle` over the same window.
        percents: the percentiles wanted per stage.

    Returns:
        An :class:`AgingWip`.
    """
    return aging_wip_from_known(
        timeline,
        known_transitions(transitions, workflow),
        statuses=workflow_frame(workflow),
        zone=zone,
        today=today,
        window_days=window_days,
        sle_days=sle_days,
        percents=percents,
    )


def aging_wip_from_known(
    timeline: pl.DataFrame,
    known: pl.DataFrame,
    *,
    statuses: pl.DataFrame,
    zone: ZoneInfo,
    today: date,
    window_days: int = 90,
    sle_days: int | None = None,
    percents: Sequence[float] = DEFAULT_PERCENTS,
) -> AgingWip:
    """Compute :func:`aging_wip` from transitions prepared by ``known_transitions``.

    Args:
        timeline: the per-item table built from the same transitions.
        known: the output of :func:`~.common.known_transitions`.
        statuses: the output of :func:`~.common.workflow_frame` for the same workflow.
        zone: the team's time zone.
        today: today's date in the team's time zone.
        window_days: length of the history window in days.
        sle_days: the SLE in days; None computes it over the same window.
        percents: the percentiles wanted per stage.

    Returns:
        As :func:`aging_wip`.
    """
    window_start = today - timedelta(days=window_days - 1)
    target = sle(timeline, today=today, window_days=window_days) if sle_days is None else sle_days
    items = work_item_age(timeline, today=today)
    items = items.with_columns(band=age_band(pl.lit(target, dtype=pl.Int64)))

    samples = _exit_ages_by_rank(known, timeline, zone=zone, first_day=window_start, last_day=today)
    if samples is None:
        samples = _exit_ages_by_rank_joined(known, timeline, zone=zone, first_day=window_start, last_day=today)
    stages = statuses.filter(pl.col("category").is_in(STARTED_CATEGORIES))
    return AgingWip(items=items, stages=stage_table(stages, samples, percents), sle_days=target)


def _exit_ages_by_rank(
    known: pl.DataFrame, timeline: pl.DataFrame, *, zone: ZoneInfo, first_day: date, last_day: date
) -> dict[int, npt.NDArray[np.float64]] | None:
    """Per status rank, the age each item finished in the window had when it last left that status.

    Vectorised over ``known``'s rows (each item's run is matched to its timeline row by sorted
    lookup); None when the timeline's ids are not strictly increasing (then use the join).
    """
    found = exit_ages(known, timeline, zone=zone, first_day=first_day, last_day=last_day)
    if found is None:
        return None
    _rows, ranks, ages = found
    return {int(value): ages[ranks == value] for value in np.unique(ranks)}


def stage_table(stages: pl.DataFrame, samples: Mapping[int, npt.NDArray[np.float64]], percents: Sequence[float]) -> pl.DataFrame:
    """Per started status (``stages``: ``status``, ``category``, ``position``, ``rank``), its samples and percentiles."""
    empty = np.empty(0, dtype=np.float64)
    columns: dict[str, list[int | None]] = {percentile_column(percent): [] for percent in percents}
    counts: list[int] = []
    for rank in stages["rank"].to_list():
        values = samples.get(rank, empty)
        counts.append(int(values.size))
        for percent, value in nearest_rank_many(values, percents).items():
            columns[percentile_column(percent)].append(None if value is None else round(value))
    return stages.select("status", "category", "position").with_columns(
        pl.Series("samples", counts, dtype=pl.Int64),
        *[pl.Series(name, values, dtype=pl.Int64) for name, values in columns.items()],
    )


def exit_ages(
    known: pl.DataFrame, timeline: pl.DataFrame, *, zone: ZoneInfo, first_day: date, last_day: date
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]] | None:
    """The age each item finished in the window had when it last left each started status it passed through.

    Returns:
        ``(rows, ranks, ages)``: per sample the item's row in ``timeline``, the status's rank and the age in
        days; None when the timeline's ids are not strictly increasing.
    """
    ids = timeline["item_id"]
    if ids.null_count():
        return None
    timeline_ids = ids.to_numpy()
    if not bool((timeline_ids[1:] > timeline_ids[:-1]).all()):
        return None
    first, after = item_runs(known)
    if first.size == 0 or timeline_ids.size == 0:
        none = np.empty(0, dtype=np.int64)
        return none, none, np.empty(0, dtype=np.float64)
    item = known["item_id"].to_numpy()
    slot = np.minimum(np.searchsorted(timeline_ids, item[first]), timeline_ids.size - 1)
    finished_date = timeline["finished_date"]
    in_window = (finished_date.is_not_null() & (finished_date >= first_day) & (finished_date <= last_day)).to_numpy()
    run_in_window = (timeline_ids[slot] == item[first]) & in_window[slot]
    code = category_codes(known)
    same_item_next = np.r_[item[1:] == item[:-1], False]
    started = (code == CATEGORY_CODES[StageCategory.ACTIVE.value]) | (code == CATEGORY_CODES[StageCategory.WAITING.value])
    rows = np.flatnonzero(np.repeat(run_in_window, after - first) & started & same_item_next)
    at = known["at"].to_physical().to_numpy()
    row_slot = slot[np.searchsorted(first, rows, side="right") - 1]
    started_at = timeline["started_at"].to_physical().fill_null(0).to_numpy()
    finished_at = timeline["finished_at"].to_physical().fill_null(0).to_numpy()
    entered, left = at[rows], at[rows + 1]
    keep = (entered >= started_at[row_slot]) & (left <= finished_at[row_slot])
    rows, row_slot, left = rows[keep], row_slot[keep], left[keep]
    rank = known["rank"].to_numpy()[rows].astype(np.int64)
    status_count = int(rank.max()) + 1 if rank.size else 1
    last_exit = (
        pl.DataFrame({"key": row_slot.astype(np.int64) * status_count + rank, "left_at": left})
        .group_by("key")
        .agg(pl.col("left_at").max())
    )
    key = last_exit["key"].to_numpy()
    left_day = local_dates(last_exit["left_at"].cast(UTC_DATETIME), zone).cast(pl.Int32).to_numpy()
    started_day = timeline["started_date"].cast(pl.Int32).fill_null(0).to_numpy()
    ages = (left_day - started_day[key // status_count] + 1).astype(np.float64)
    return key // status_count, key % status_count, ages


def _exit_ages_by_rank_joined(
    known: pl.DataFrame, timeline: pl.DataFrame, *, zone: ZoneInfo, first_day: date, last_day: date
) -> dict[int, npt.NDArray[np.float64]]:
    """As :func:`_exit_ages_by_rank`, by joining the rows with the timeline (any timeline order)."""
    finished = timeline.filter(in_range("finished_date", first_day, last_day)).select(
        "item_id", "started_at", "finished_at", "started_date"
    )
    exits = (
        known.select("item_id", "rank", "at", "category", left_at="next_at")
        .filter(pl.col("category").is_in(STARTED_CATEGORIES) & pl.col("left_at").is_not_null())
        .join(finished, on="item_id", how="inner")
        .filter((pl.col("at") >= pl.col("started_at")) & (pl.col("left_at") <= pl.col("finished_at")))
        .group_by("item_id", "rank")
        .agg(left_at=pl.col("left_at").max(), started_date=pl.col("started_date").first())
        .select(
            "rank",
            age_days=(local_date("left_at", zone) - pl.col("started_date")).dt.total_days() + 1,
        )
    )
    return {int(key[0]): group["age_days"].to_numpy().astype(np.float64) for key, group in exits.group_by("rank")}
