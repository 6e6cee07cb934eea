"""Plain data for the API, the CLI and downloads: a flow summary as JSON-ready dicts and tables."""

from __future__ import annotations

import io
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import polars as pl

from deliveryops.analytics.flow import FlowSummary
from deliveryops.flow.service import FlowQuery
from deliveryops.web.csv_export import SafeCsvWriter

__all__ = ["ITEM_COLUMNS", "frame_records", "items_csv", "summary_dict"]

ITEM_COLUMNS = [
    "key",
    "title",
    "item_type",
    "started_date",
    "finished_date",
    "cycle_time_days",
    "cycle_time_hours",
    "current_status",
    "current_category",
]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def frame_records(frame: pl.DataFrame, columns: list[str] | None = None) -> list[dict[str, Any]]:
    """Rows of a frame as JSON-ready dicts (dates as ISO strings)."""
    chosen = frame.select([c for c in (columns or frame.columns) if c in frame.columns])
    return [{key: _plain(value) for key, value in row.items()} for row in chosen.iter_rows(named=True)]


def summary_dict(summary: FlowSummary, query: FlowQuery, *, team: str, time_zone: str) -> dict[str, Any]:
    """Everything on the flow page as one JSON-ready dict (the `flow report --format json` shape)."""
    little = asdict(summary.littles_law)
    return {
        "team": team,
        "time_zone": time_zone,
        "period": {"from": query.start.isoformat(), "to": query.end.isoformat(), "today": summary.today.isoformat()},
        "item_types": query.types,
        "definitions": "/definitions",
        "finished": summary.cycle_times.height,
        "cycle_time_percentiles_days": {str(int(p)): v for p, v in summary.cycle_time_percentiles.items()},
        "sle_days": summary.sle_days,
        "throughput": {"bucket": query.freq, "rows": frame_records(summary.throughput)},
        "wip": frame_records(summary.wip),
        "net_flow": frame_records(summary.net_flow),
        "aging_wip": frame_records(summary.aging.items, ["key", "title", "item_type", "current_status", "age_days", "band"]),
        "aging_stage_percentiles": frame_records(summary.aging.stages),
        "cumulative_flow": frame_records(summary.cumulative_flow),
        "flow_efficiency": {
            "active_hours": round(summary.flow_efficiency.active_hours, 2),
            "waiting_hours": round(summary.flow_efficiency.waiting_hours, 2),
            "efficiency": None if summary.flow_efficiency.efficiency is None else round(summary.flow_efficiency.efficiency, 4),
        },
        "blocker_clusters": frame_records(summary.blocker_clusters),
        "discarded_after_start": summary.discarded.height,
        "littles_law": {key: _plain(value) for key, value in little.items()},
        "unknown_statuses": frame_records(summary.unknown_statuses),
        "cycle_times": frame_records(summary.cycle_times, ITEM_COLUMNS),
    }


def items_csv(summary: FlowSummary) -> str:
    """The per-item table behind every metric, as CSV: one row per item of the period's timeline."""
    frame = summary.timeline
    columns = [c for c in ITEM_COLUMNS if c in frame.columns]
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in frame.select(columns).iter_rows():
        writer.writerow(["" if value is None else _plain(value) for value in row])
    return buffer.getvalue()
