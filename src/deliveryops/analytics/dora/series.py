"""DORA's four keys and the rework rate per week, month or quarter, for the trend charts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal, TypeAlias

import polars as pl

from deliveryops.analytics.dora import DoraTables, dora_keys, month_starts, week_starts

__all__ = ["Period", "dora_series", "period_starts"]

Period: TypeAlias = Literal["week", "month", "quarter"]


def period_starts(start: date, end: date, period: Period) -> list[tuple[date, date]]:
    """The buckets of ``period`` that overlap ``start``..``end``, each clipped to it: (first day, last day)."""
    if period == "week":
        firsts = week_starts(start, end)
    else:
        firsts = month_starts(start, end)
        if period == "quarter":
            firsts = sorted({first.replace(month=(first.month - 1) // 3 * 3 + 1) for first in firsts})
    buckets: list[tuple[date, date]] = []
    for index, first in enumerate(firsts):
        if index + 1 < len(firsts):
            last = firsts[index + 1] - timedelta(days=1)
        elif period == "week":
            last = first + timedelta(days=6)
        else:
            months = 3 if period == "quarter" else 1
            year, month = divmod(first.month - 1 + months, 12)
            last = date(first.year + year, month + 1, 1) - timedelta(days=1)
        buckets.append((max(first, start), min(last, end)))
    return buckets


def dora_series(tables: DoraTables, *, start: date, end: date, period: Period) -> pl.DataFrame:
    """The four keys for each week, month or quarter of ``start``..``end``.

    Args:
        tables: the output of :func:`deliveryops.analytics.dora.dora_tables`.
        start: first day (team zone).
        end: last day.
        period: "week", "month" or "quarter".

    Returns:
        One row per bucket: ``period_start``, ``period_end``, ``deployments``, ``deployment_days``,
        ``deployment_days_per_week`` (median of the bucket's weeks), ``lead_time_hours`` (median),
        ``change_failure_rate``, ``recovery_hours`` (median), ``changes``, ``incidents``,
        ``failed_deployments``, the lead-time breakdown medians, ``rework_rate`` and ``rework_deployments``.
    """
    rows = []
    for first, last in period_starts(start, end, period):
        keys = dora_keys(tables, start=first, end=last)
        rows.append(
            {
                "period_start": first,
                "period_end": last,
                "deployments": keys.deployments,
                "deployment_days": keys.deployment_days,
                "deployment_days_per_week": keys.deployment_days_per_week,
                "lead_time_hours": keys.lead_time_hours,
                "change_failure_rate": keys.change_failure_rate,
                "recovery_hours": keys.recovery_hours,
                "changes": keys.changes,
                "incidents": keys.incidents,
                "failed_deployments": keys.failed_deployments,
                "coding_hours": keys.coding_hours,
                "pickup_hours": keys.pickup_hours,
                "review_hours": keys.review_hours,
                "deploy_hours": keys.deploy_hours,
                "rework_rate": keys.rework_rate,
                "rework_deployments": keys.rework_deployments,
            }
        )
    schema = {
        "period_start": pl.Date,
        "period_end": pl.Date,
        "deployments": pl.Int64,
        "deployment_days": pl.Int64,
        "deployment_days_per_week": pl.Float64,
        "lead_time_hours": pl.Float64,
        "change_failure_rate": pl.Float64,
        "recovery_hours": pl.Float64,
        "changes": pl.Int64,
        "incidents": pl.Int64,
        "failed_deployments": pl.Int64,
        "coding_hours": pl.Float64,
        "pickup_hours": pl.Float64,
        "review_hours": pl.Float64,
        "deploy_hours": pl.Float64,
        "rework_rate": pl.Float64,
        "rework_deployments": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)
