"""Plotly charts of the team flow and forecast pages, and the data behind them as tables.

Every builder returns a plain JSON-ready dict (:class:`ChartSpec`), ``{"data": [...], "layout":
{...}}``, for ``Plotly.newPlot(el, spec.data, spec.layout, {responsive: true, displaylogo: false})``.
Each layout carries ``meta.definition``, the link to its metric's definition (``/definitions#...``).
The builders live in :mod:`~deliveryops.flow.charts_flow`, :mod:`~deliveryops.flow.charts_flow_items`
and :mod:`~deliveryops.flow.charts_forecast`; import them from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import polars as pl

from deliveryops.analytics.flow import FlowSummary, Frequency
from deliveryops.charts import ChartSpec, page_figure
from deliveryops.flow.charts_flow import (
    SCATTER_POINTS,
    cumulative_flow_diagram,
    cycle_time_histogram,
    cycle_time_scatter,
    net_flow_chart,
    summary_frequency,
    throughput_run_chart,
    wip_run_chart,
)
from deliveryops.flow.charts_flow_items import aging_wip_chart, blocker_chart, flow_efficiency_chart
from deliveryops.flow.charts_forecast import calibration_chart, forecast_how_many_chart, forecast_when_chart

__all__ = [
    "CSV_NAMES",
    "FLOW_CHARTS",
    "SCATTER_POINTS",
    "ChartSpec",
    "FlowChart",
    "aging_wip_chart",
    "blocker_chart",
    "calibration_chart",
    "csv_rows",
    "cumulative_flow_diagram",
    "cycle_time_histogram",
    "cycle_time_scatter",
    "flow_chart",
    "flow_efficiency_chart",
    "forecast_how_many_chart",
    "forecast_when_chart",
    "net_flow_chart",
    "page_figures",
    "summary_frequency",
    "throughput_run_chart",
    "wip_run_chart",
]


class FlowChart(NamedTuple):
    """One chart of the team flow page: its name (also its table's name), title and definition anchor."""

    name: str
    title: str
    definition: str


FLOW_CHARTS: tuple[FlowChart, ...] = (
    FlowChart("aging-wip", "Aging work in progress", "age"),
    FlowChart("cycle-times", "Cycle time of finished items", "cycle-time"),
    FlowChart("cycle-time-histogram", "Cycle time distribution", "percentiles"),
    FlowChart("throughput", "Throughput", "throughput"),
    FlowChart("wip", "Work in progress", "wip"),
    FlowChart("cumulative-flow", "Cumulative flow", "wip"),
    FlowChart("net-flow", "Net flow: started vs finished", "wip"),
    FlowChart("flow-efficiency", "Flow efficiency", "flow-efficiency"),
    FlowChart("blockers", "Blocked time by reason", "blocked-time"),
)
"""The flow page's charts in page order; every name is valid for :func:`flow_chart` and :func:`csv_rows`."""

_BUILDERS: dict[str, Callable[[FlowSummary], ChartSpec]] = {
    "aging-wip": aging_wip_chart,
    "cycle-times": cycle_time_scatter,
    "cycle-time-histogram": cycle_time_histogram,
    "wip": wip_run_chart,
    "cumulative-flow": cumulative_flow_diagram,
    "flow-efficiency": flow_efficiency_chart,
    "blockers": blocker_chart,
}

_DETAILS = ("key", "title", "item_type")
_TABLES: dict[str, tuple[str, ...]] = {
    "cycle-times": (*_DETAILS, "started_date", "finished_date", "cycle_time_days", "cycle_time_hours"),
    "throughput": ("period_start", "days", "finished"),
    "wip": ("date", "wip"),
    "net-flow": ("period_start", "days", "arrivals", "departures", "discarded", "net"),
    "cumulative-flow": ("date", "status", "category", "position", "items"),
    "aging-wip": (*_DETAILS, "current_status", "started_date", "age_days", "band"),
    "flow-efficiency": (
        *_DETAILS,
        "finished_date",
        "active_hours",
        "waiting_hours",
        "blocked_in_active_hours",
        "efficiency_percent",
    ),
    "blockers": ("reason", "blocks", "items", "blocked_hours", "blocked_days"),
}
CSV_NAMES: tuple[str, ...] = tuple(_TABLES)
"""The tables :func:`csv_rows` gives (``cycle-time-histogram`` is also accepted: it is ``cycle-times``)."""


def flow_chart(summary: FlowSummary, name: str, *, freq: Frequency | None = None) -> ChartSpec:
    """Build one chart of the flow page by its name in :data:`FLOW_CHARTS`.

    Args:
        summary: the flow summary.
        name: the chart's name, e.g. "aging-wip".
        freq: bucket of the throughput and net flow charts; None uses the summary's own.

    Returns:
        The chart spec.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
    """
    if name == "throughput":
        return throughput_run_chart(summary, freq)
    if name == "net-flow":
        return net_flow_chart(summary, freq)
    if name not in _BUILDERS:
        raise ValueError(f"Unknown chart {name!r}; expected one of: {', '.join(chart.name for chart in FLOW_CHARTS)}")
    return _BUILDERS[name](summary)


def page_figures(summary: FlowSummary, freq: Frequency) -> list[dict[str, Any]]:
    """Every chart of the flow page, ready for the chart macro, each with the name of its CSV table.

    Args:
        summary: the team's flow summary.
        freq: the bucket of the run charts.

    Returns:
        One :func:`~deliveryops.charts.page_figure` per chart of :data:`FLOW_CHARTS`, plus ``csv``.
    """
    return [{**page_figure(chart.name, flow_chart(summary, chart.name, freq=freq)), "csv": chart.name} for chart in FLOW_CHARTS]


def _source(summary: FlowSummary, name: str) -> pl.DataFrame:
    if name == "cycle-times":
        return summary.cycle_times
    if name == "throughput":
        return summary.throughput
    if name == "wip":
        return summary.wip
    if name == "net-flow":
        return summary.net_flow
    if name == "cumulative-flow":
        return summary.cumulative_flow
    if name == "aging-wip":
        return summary.aging.items
    if name == "flow-efficiency":
        return summary.flow_efficiency.items.with_columns(efficiency_percent=pl.col("efficiency") * 100)
    return summary.blocker_clusters


def _plain(value: object) -> object:
    if isinstance(value, float):
        return round(value, 2)
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else value


def csv_rows(summary: FlowSummary, chart_name: str) -> tuple[list[str], list[list[object]]]:
    """Return the data behind one flow chart as a header and rows, for a "Download CSV" link.

    Dates are ISO strings and hours, days and percentages are rounded to 2 decimals. Item tables
    always have ``key``, ``title`` and ``item_type`` columns (None where they are unknown).

    Args:
        summary: the flow summary.
        chart_name: one of :data:`CSV_NAMES` (or any name in :data:`FLOW_CHARTS`).

    Returns:
        ``(header, rows)``, each row in header order.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
    """
    name = "cycle-times" if chart_name == "cycle-time-histogram" else chart_name
    if name not in _TABLES:
        raise ValueError(f"Unknown chart {chart_name!r}; expected one of: {', '.join(CSV_NAMES)}")
    header = list(_TABLES[name])
    frame = _source(summary, name)
    columns = [frame[column].to_list() if column in frame.columns else [None] * frame.height for column in header]
    rows = [[_plain(value) for value in row] for row in zip(*columns, strict=True)] if columns else []
    return header, rows
