"""Aging work in progress: each item's age in its current stage against history and the SLE."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from deliveryops.analytics.flow_common import (
    STARTED_CATEGORIES,
    Workflow,
    in_range,
    known_transitions,
    local_date,
    workflow_frame,
)
from deliveryops.analytics.flow_metrics import DEFAULT_PERCENTS, sle, work_item_age
from deliveryops.analytics.percentiles import nearest_rank_many

__all__ = ["AMBER_FROM_SLE_SHARE", "AgingWip", "aging_wip", "aging_wip_from_known", "percentile_column"]

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


def aging_wip(
    timeline: pl.DataFrame,
    transitions: pl.DataFrame,
    *,
    workflow: Workflow,
    tz: str,
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
        tz: the team's IANA time zone.
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
        tz=tz,
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
    tz: str,
    today: date,
    window_days: int = 90,
    sle_days: int | None = None,
    percents: Sequence[float] = DEFAULT_PERCENTS,
) -> AgingWip:
    """Compute :func:`aging_wip` from transitions prepared by ``known_transitions``.

    Args:
        timeline: the per-item table built from the same transitions.
        known: the output of :func:`~.flow_common.known_transitions`.
        statuses: the output of :func:`~.flow_common.workflow_frame` for the same workflow.
        tz: the team's IANA time zone.
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
    if target is None:
        items = items.with_columns(band=pl.lit(None, dtype=pl.Utf8))
    else:
        items = items.with_columns(
            band=pl.when(pl.col("age_days") <= AMBER_FROM_SLE_SHARE * target)
            .then(pl.lit("green"))
            .when(pl.col("age_days") <= target)
            .then(pl.lit("amber"))
            .otherwise(pl.lit("red"))
        )

    finished = timeline.filter(in_range("finished_date", window_start, today)).select(
        "item_id", "started_at", "finished_at", "started_date"
    )
    same_item_next = pl.col("item_id").shift(-1) == pl.col("item_id")
    exits = (
        known.with_columns(left_at=pl.when(same_item_next).then(pl.col("at").shift(-1)))
        .filter(pl.col("category").is_in(STARTED_CATEGORIES) & pl.col("left_at").is_not_null())
        .join(finished, on="item_id", how="inner")
        .filter((pl.col("at") >= pl.col("started_at")) & (pl.col("left_at") <= pl.col("finished_at")))
        .group_by("item_id", "status")
        .agg(left_at=pl.col("left_at").max(), started_date=pl.col("started_date").first())
        .select(
            "status",
            age_days=(local_date("left_at", tz) - pl.col("started_date")).dt.total_days() + 1,
        )
    )
    samples = {str(key[0]): group["age_days"].to_numpy().astype(np.float64) for key, group in exits.group_by("status")}
    stages = statuses.filter(pl.col("category").is_in(STARTED_CATEGORIES))
    empty = np.empty(0, dtype=np.float64)
    columns: dict[str, list[int | None]] = {percentile_column(percent): [] for percent in percents}
    counts: list[int] = []
    for status in stages["status"].to_list():
        values = samples.get(status, empty)
        counts.append(int(values.size))
        for percent, value in nearest_rank_many(values, percents).items():
            columns[percentile_column(percent)].append(None if value is None else round(value))
    stage_table = stages.select("status", "category", "position").with_columns(
        pl.Series("samples", counts, dtype=pl.Int64),
        *[pl.Series(name, values, dtype=pl.Int64) for name, values in columns.items()],
    )
    return AgingWip(items=items, stages=stage_table, sle_days=target)
