"""DORA's four keys (2023 report definitions and bands, pinned in DESIGN.md) and the 2024 report's fifth,
deployment rework rate: pure functions.

Frames in, results out; ``now`` is never read from the clock. The per-item tables (which changes a
deployment shipped, which deployment an incident is linked to) live in :mod:`.tables`; the per-period
series in :mod:`.series`. Definitions and the choices they leave open: docs/dora.md.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from deliveryops.analytics.dora.tables import (
    CHANGE_SCHEMA,
    DEFAULT_PRODUCTION_ENVIRONMENTS,
    DEPLOYMENT_SCHEMA,
    FAILED_RESULTS,
    INCIDENT_SCHEMA,
    LINK_SCHEMA,
    REVIEW_SCHEMA,
    SUCCESS_RESULT,
    change_table,
    classify_deployments,
    deployment_table,
    first_reviews,
    incident_table,
    link_changes_by_merge_time,
    rework_deployments,
)
from deliveryops.analytics.flow.common import local_date

__all__ = [
    "BAND_THRESHOLDS",
    "CHANGE_SCHEMA",
    "DEFAULT_PRODUCTION_ENVIRONMENTS",
    "DEPLOYMENT_SCHEMA",
    "FAILED_RESULTS",
    "INCIDENT_SCHEMA",
    "LINK_SCHEMA",
    "REVIEW_SCHEMA",
    "SUCCESS_RESULT",
    "Band",
    "DoraKeys",
    "DoraTables",
    "change_failure_rate_band",
    "change_table",
    "classify_deployments",
    "deployment_frequency_band",
    "deployment_table",
    "dora_keys",
    "dora_tables",
    "first_reviews",
    "hours_text",
    "incident_table",
    "lead_time_band",
    "link_changes_by_merge_time",
    "local_bounds",
    "median",
    "month_starts",
    "recovery_band",
    "rework_deployments",
    "week_starts",
]


class Band(enum.StrEnum):
    """A DORA performance band, best first."""

    ELITE = "elite"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def label(self) -> str:
        """Human name of the band."""
        return self.value.capitalize()


BAND_THRESHOLDS: dict[str, list[tuple[Band, str]]] = {
    "deployment_frequency": [
        (Band.ELITE, "≥ 5 deployment days per week"),
        (Band.HIGH, "≥ 1 deployment day per week"),
        (Band.MEDIUM, "≥ 1 deployment day per month"),
        (Band.LOW, "fewer"),
    ],
    "lead_time": [
        (Band.ELITE, "< 1 day"),
        (Band.HIGH, "< 1 week"),
        (Band.MEDIUM, "< 1 month (30 days)"),
        (Band.LOW, "1 month or more"),
    ],
    "change_failure_rate": [
        (Band.ELITE, "≤ 5%"),
        (Band.HIGH, "≤ 10%"),
        (Band.MEDIUM, "≤ 15%"),
        (Band.LOW, "more than 15%"),
    ],
    "recovery_time": [
        (Band.ELITE, "< 1 hour"),
        (Band.HIGH, "< 1 day"),
        (Band.MEDIUM, "< 1 week"),
        (Band.LOW, "1 week or more"),
    ],
}
"""Each key's bands with their thresholds as shown on the pages."""

_HOURS_PER_DAY = 24.0
_HOURS_PER_WEEK = 168.0
_HOURS_PER_MONTH = 720.0
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class DoraKeys:
    """The four keys of one team (or group) over a period, with their bands.

    Attributes:
        deployment_days_per_week: median over the period's weeks of the days with at least one
            successful production deployment (weeks with none count as 0); None without any counted
            deployment in the period.
        deployment_frequency_band: its band (the medium band uses the median of the months).
        lead_time_hours: median lead time of the changes deployed in the period (minutes rounded up / 60).
        lead_time_band: its band.
        change_failure_rate: share (0..1) of the period's counted deployments linked to an incident.
        change_failure_rate_band: its band.
        recovery_hours: median of (latest resolution of its incidents − deployment finished) over the period's
            failed deployments whose incidents are all resolved.
        recovery_band: its band.
        deployments: counted production deployments in the period.
        changes: changes deployed to production in the period.
        incidents: incidents created in the period.
        deployment_days: days with at least one successful production deployment in the period.
        deployment_days_per_month: median over the period's months (for the medium band).
        failed_deployments: counted deployments linked to at least one incident.
        coding_hours / pickup_hours / review_hours / deploy_hours: medians of the lead-time breakdown.
        rework_rate: deployment rework rate (DORA 2024): share (0..1) of the period's counted deployments that
            were unplanned fixes of an incident (see :func:`rework_deployments`); None without counted
            deployments. It has no band: the DORA report publishes none for it.
        rework_deployments: counted deployments that were rework.
    """

    deployment_days_per_week: float | None
    deployment_frequency_band: Band | None
    lead_time_hours: float | None
    lead_time_band: Band | None
    change_failure_rate: float | None
    change_failure_rate_band: Band | None
    recovery_hours: float | None
    recovery_band: Band | None
    deployments: int
    changes: int
    incidents: int
    deployment_days: int = 0
    deployment_days_per_month: float | None = None
    failed_deployments: int = 0
    coding_hours: float | None = None
    pickup_hours: float | None = None
    review_hours: float | None = None
    deploy_hours: float | None = None
    rework_rate: float | None = None
    rework_deployments: int = 0


@dataclass(frozen=True)
class DoraTables:
    """The per-item tables behind the numbers (for drill-downs), each with ``local_date`` in the team zone."""

    deployments: pl.DataFrame
    changes: pl.DataFrame
    incidents: pl.DataFrame


def deployment_frequency_band(days_per_week: float | None, days_per_month: float | None) -> Band | None:
    """Band of the median deployment days per week (and per month for medium)."""
    if days_per_week is None:
        return None
    if days_per_week >= 5:
        return Band.ELITE
    if days_per_week >= 1:
        return Band.HIGH
    if days_per_month is not None and days_per_month >= 1:
        return Band.MEDIUM
    return Band.LOW


def lead_time_band(hours: float | None) -> Band | None:
    """Band of a median lead time in hours."""
    if hours is None:
        return None
    if hours < _HOURS_PER_DAY:
        return Band.ELITE
    if hours < _HOURS_PER_WEEK:
        return Band.HIGH
    if hours < _HOURS_PER_MONTH:
        return Band.MEDIUM
    return Band.LOW


def change_failure_rate_band(rate: float | None) -> Band | None:
    """Band of a change failure rate (0..1)."""
    if rate is None:
        return None
    # Rates are compared in whole hundredths of a percent so 1/20 is exactly 5%.
    percent = round(rate * 100, 6)
    if percent <= 5:
        return Band.ELITE
    if percent <= 10:
        return Band.HIGH
    if percent <= 15:
        return Band.MEDIUM
    return Band.LOW


def recovery_band(hours: float | None) -> Band | None:
    """Band of a median recovery time in hours."""
    if hours is None:
        return None
    if hours < 1:
        return Band.ELITE
    if hours < _HOURS_PER_DAY:
        return Band.HIGH
    if hours < _HOURS_PER_WEEK:
        return Band.MEDIUM
    return Band.LOW


def median(values: Iterable[float]) -> float | None:
    """The ordinary median (mean of the two middle values for an even count); None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def week_starts(start: date, end: date) -> list[date]:
    """The Mondays of the ISO weeks that overlap ``start``..``end``."""
    first = start - timedelta(days=start.weekday())
    return [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]


def month_starts(start: date, end: date) -> list[date]:
    """The first days of the months that overlap ``start``..``end``."""
    months: list[date] = []
    cursor = start.replace(day=1)
    while cursor <= end:
        months.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return months


def local_bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of ``start`` 00:00 and of the day after ``end`` 00:00 in ``zone``."""
    return (
        datetime.combine(start, time(), zone).astimezone(_UTC),
        datetime.combine(end + timedelta(days=1), time(), zone).astimezone(_UTC),
    )


def dora_tables(
    deployments: pl.DataFrame,
    changes: pl.DataFrame,
    links: pl.DataFrame,
    incidents: pl.DataFrame,
    *,
    zone: ZoneInfo = _UTC,
    environments: Iterable[str] = DEFAULT_PRODUCTION_ENVIRONMENTS,
) -> DoraTables:
    """Build the linked per-item tables, each with ``local_date`` (the date its number counts on).

    Deployments count on the day they finished (started while unfinished), changes on the day their
    deployment finished, incidents on the day they were created.

    Args:
        deployments: the deployments frame (all environments, all results).
        changes: the changes frame.
        links: deployment → change links (from commit lists, or :func:`link_changes_by_merge_time`).
        incidents: the incidents frame.
        zone: the team's time zone.
        environments: production environment names.

    Returns:
        The three tables.
    """
    names = tuple(environments)
    linked_incidents = incident_table(deployments, incidents, environments=names)
    deployment_rows = deployment_table(deployments, linked_incidents, links, environments=names)
    failures = deployment_rows.select(
        pl.col("id").alias("deployment_id"),
        pl.col("at").alias("deployed_at"),
    )
    incident_rows = linked_incidents.join(failures, on="deployment_id", how="left").with_columns(
        local_date=local_date("created_at", zone),
        recovery_minutes=pl.when(pl.col("resolved_at") >= pl.col("deployed_at")).then(
            (pl.col("resolved_at") - pl.col("deployed_at")).dt.total_microseconds().add(59_999_999).floordiv(60_000_000)
        ),
    )
    change_rows = change_table(deployments, changes, links, environments=names).with_columns(
        local_date=local_date("deployed_at", zone)
    )
    return DoraTables(
        deployments=deployment_rows.with_columns(local_date=local_date("at", zone)),
        changes=change_rows,
        incidents=incident_rows,
    )


def _hours(minutes: pl.Series) -> float | None:
    values = minutes.drop_nulls()
    if values.is_empty():
        return None
    value = values.median()
    return None if value is None else float(value) / 60  # type: ignore[arg-type]


def _in(frame: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    return frame.filter(pl.col("local_date").is_between(start, end))


def dora_keys(tables: DoraTables, *, start: date, end: date) -> DoraKeys:
    """The four keys and the deployment rework rate over ``start``..``end`` (dates in the team zone, both included).

    Args:
        tables: the output of :func:`dora_tables`.
        start: first day of the period.
        end: last day of the period.

    Returns:
        The keys and their bands; each key is None when the period has nothing to measure it on.
    """
    deployments = _in(tables.deployments.filter(pl.col("counted")), start, end)
    days = deployments.filter(pl.col("succeeded")).get_column("local_date").unique()
    day_list: list[date] = days.to_list()
    weeks = week_starts(start, end)
    months = month_starts(start, end)
    per_week = dict.fromkeys(weeks, 0)
    per_month = dict.fromkeys(months, 0)
    for day in day_list:
        per_week[day - timedelta(days=day.weekday())] += 1
        per_month[day.replace(day=1)] += 1
    counted = deployments.height
    days_per_week = median(per_week.values()) if counted else None
    days_per_month = median(per_month.values()) if counted else None

    changes = _in(tables.changes, start, end)
    deployed_changes = changes.filter(pl.col("deployed_at").is_not_null())
    lead = _hours(deployed_changes.get_column("lead_time_minutes"))

    failed = deployments.filter(pl.col("failed_change"))
    rate = failed.height / counted if counted else None
    recovery = _hours(failed.get_column("recovery_minutes"))
    incidents = _in(tables.incidents, start, end).height
    rework = deployments.filter(pl.col("rework")).height

    return DoraKeys(
        deployment_days_per_week=days_per_week,
        deployment_frequency_band=deployment_frequency_band(days_per_week, days_per_month),
        lead_time_hours=lead,
        lead_time_band=lead_time_band(lead),
        change_failure_rate=rate,
        change_failure_rate_band=change_failure_rate_band(rate),
        recovery_hours=recovery,
        recovery_band=recovery_band(recovery),
        deployments=counted,
        changes=deployed_changes.height,
        incidents=incidents,
        deployment_days=len(day_list),
        deployment_days_per_month=days_per_month,
        failed_deployments=failed.height,
        coding_hours=_hours(deployed_changes.get_column("coding_minutes")),
        pickup_hours=_hours(deployed_changes.get_column("pickup_minutes")),
        review_hours=_hours(deployed_changes.get_column("review_minutes")),
        deploy_hours=_hours(deployed_changes.get_column("deploy_minutes")),
        rework_rate=rework / counted if counted else None,
        rework_deployments=rework,
    )


def hours_text(hours: float | None) -> str:
    """A duration in hours as people read it: "45 min", "5.5 h", "3.2 days"."""
    if hours is None:
        return "–"
    if hours < 1:
        return f"{math.ceil(hours * 60)} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"
