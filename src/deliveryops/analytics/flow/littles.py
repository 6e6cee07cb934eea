"""Little's Law check: do the team's WIP, throughput and cycle time agree over a period?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from deliveryops.analytics.flow.common import in_range
from deliveryops.analytics.flow.metrics import wip

__all__ = ["RELATIVE_TOLERANCE", "LittlesLawCheck", "littles_law_check", "littles_law_counts", "littles_law_from_counts"]

RELATIVE_TOLERANCE = 0.10
"""Rates or WIP levels further apart than this share are reported as a violated assumption."""


@dataclass(frozen=True, slots=True)
class LittlesLawCheck:
    """Little's Law over a period, with the assumptions the period broke.

    Attributes:
        start: first day of the period.
        end: last day of the period.
        days: number of days in the period.
        average_wip: mean of the end-of-day WIP over the period.
        average_throughput_per_day: items finished in the period / days (departure rate).
        average_arrival_rate_per_day: items started in the period / days.
        average_cycle_time_days: mean cycle time of the items finished in the period, or None.
        predicted_cycle_time_days: average_wip / average_throughput_per_day + 1, or None when
            nothing finished (see :func:`littles_law_check` for the + 1).
        wip_at_start: WIP at the end of the day before the period.
        wip_at_end: WIP at the end of the period's last day.
        discarded_after_start: items discarded in the period after they had started.
        aging_beyond_period: items in WIP at the end that are older than the period.
        violations: the assumptions of Little's Law the period broke, in plain English.
    """

    start: date
    end: date
    days: int
    average_wip: float
    average_throughput_per_day: float
    average_arrival_rate_per_day: float
    average_cycle_time_days: float | None
    predicted_cycle_time_days: float | None
    wip_at_start: int
    wip_at_end: int
    discarded_after_start: int
    aging_beyond_period: int
    violations: tuple[str, ...]


def _items(count: int) -> str:
    return "1 item" if count == 1 else f"{count} items"


def _differ(first: float, second: float) -> bool:
    return abs(first - second) > RELATIVE_TOLERANCE * max(abs(first), abs(second))


def littles_law_check(timeline: pl.DataFrame, *, start: date, end: date) -> LittlesLawCheck:
    """Compare measured cycle time with Little's Law's prediction over ``[start, end]``.

    Little's Law: average cycle time = average WIP / average throughput. Our WIP is counted at the
    end of each day while cycle time counts both the start and the finish day (a same-day item
    takes 1 day but is never in end-of-day WIP), so an item finished in n days adds n − 1 to the
    summed daily WIP and the prediction comparable with our cycle time is WIP / throughput + 1.

    The law holds only for a stable system; the check reports, in plain English, each assumption
    the period broke: arrival and departure rates more than 10% apart; WIP at the end more than
    10% away from WIP at the start; items discarded after starting (they left WIP without a cycle
    time); items in WIP at the end that are older than the period (their age is not in any cycle
    time yet); no item finished at all.

    Args:
        timeline: the per-item table.
        start: first day of the period.
        end: last day of the period (inclusive).

    Returns:
        A :class:`LittlesLawCheck`.
    """
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    daily = wip(timeline, start=start - timedelta(days=1), end=end)["wip"].to_numpy()
    # Every count in one query (one pass, one call): several filters cost more in per-call overhead
    # than in work on a team's few thousand items.
    counts = timeline.select(**littles_law_counts(start, end)).row(0, named=True)
    return littles_law_from_counts(start=start, end=end, daily_wip=daily, counts=counts)


def littles_law_counts(start: date, end: date) -> dict[str, pl.Expr]:
    """The counts :func:`littles_law_check` reads from the timeline over ``[start, end]``, as aggregations.

    Args:
        start: first day of the period.
        end: last day of the period (inclusive).

    Returns:
        Output name -> aggregation over timeline rows (one team's, or each group's).
    """
    left_wip = pl.coalesce("finished_date", "discarded_date")
    return {
        "departures": in_range("finished_date", start, end).sum(),
        "arrivals": in_range("started_date", start, end).sum(),
        "discarded": (pl.col("started_at").is_not_null() & in_range("discarded_date", start, end)).sum(),
        "aging": ((pl.col("started_date") < start) & (left_wip.is_null() | (left_wip > end))).fill_null(False).sum(),
        "mean_cycle_time": pl.col("cycle_time_days").filter(in_range("finished_date", start, end)).mean(),
    }


def littles_law_from_counts(
    *, start: date, end: date, daily_wip: npt.NDArray[np.int64], counts: Mapping[str, Any]
) -> LittlesLawCheck:
    """Build the check from the end-of-day WIP of ``start - 1`` to ``end`` and :func:`littles_law_counts`.

    Args:
        start: first day of the period.
        end: last day of the period (inclusive).
        daily_wip: end-of-day WIP from the day before ``start`` to ``end``.
        counts: the values of :func:`littles_law_counts`.

    Returns:
        A :class:`LittlesLawCheck`.
    """
    days = (end - start).days + 1
    daily = daily_wip
    wip_at_start, wip_at_end = int(daily[0]), int(daily[-1])
    average_wip = float(daily[1:].mean())
    departures, arrivals = int(counts["departures"]), int(counts["arrivals"])
    discarded, aging = int(counts["discarded"]), int(counts["aging"])
    throughput_per_day = departures / days
    arrival_rate = arrivals / days
    average_cycle_time = float(counts["mean_cycle_time"]) if departures else None
    predicted = average_wip / throughput_per_day + 1 if departures else None

    violations: list[str] = []
    if _differ(arrival_rate, throughput_per_day):
        violations.append(
            f"average arrival rate ({arrival_rate:.2f}/day) differs from departure rate "
            f"({throughput_per_day:.2f}/day) by more than {RELATIVE_TOLERANCE:.0%}"
        )
    if _differ(wip_at_start, wip_at_end):
        violations.append(
            f"WIP at the end ({wip_at_end}) differs from WIP at the start ({wip_at_start}) "
            f"by {_items(abs(wip_at_end - wip_at_start))}"
        )
    if discarded:
        verb = "was" if discarded == 1 else "were"
        violations.append(f"{_items(discarded)} {verb} discarded after starting")
    if aging:
        verb = "is" if aging == 1 else "are"
        violations.append(f"{_items(aging)} {verb} aging older than the period ({days} days)")
    if not departures:
        violations.append("no item finished in the period, so no cycle time can be predicted")
    return LittlesLawCheck(
        start=start,
        end=end,
        days=days,
        average_wip=average_wip,
        average_throughput_per_day=throughput_per_day,
        average_arrival_rate_per_day=arrival_rate,
        average_cycle_time_days=average_cycle_time,
        predicted_cycle_time_days=predicted,
        wip_at_start=wip_at_start,
        wip_at_end=wip_at_end,
        discarded_after_start=discarded,
        aging_beyond_period=aging,
        violations=tuple(violations),
    )
