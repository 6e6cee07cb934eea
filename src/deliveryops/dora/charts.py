"""Trend charts of the four keys (Plotly specs for the pages and the offline HTML report)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from deliveryops.charts import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    SKY_BLUE,
    VERMILLION,
    ChartSpec,
    Figure,
    empty_chart,
    horizontal_line,
    iso_dates,
    new_chart,
    to_spec,
)

__all__ = ["DoraFigure", "dora_figures"]

NO_DEPLOYMENTS = "No production deployments in this period"


@dataclass(frozen=True)
class DoraFigure:
    """One chart: its name (an HTML id), title, definition link and Plotly spec."""

    name: str
    title: str
    definition: str
    spec: ChartSpec


def _bucket_label(period: str) -> str:
    return {"week": "Week (starting Monday)", "month": "Month", "quarter": "Quarter"}[period]


def _figure(name: str, title: str, anchor: str, figure: Figure, empty: bool) -> DoraFigure:
    spec = empty_chart(figure, NO_DEPLOYMENTS) if empty else to_spec(figure)
    return DoraFigure(name=name, title=title, definition=f"/definitions#{anchor}", spec=spec)


def _values(series: pl.DataFrame, column: str, scale: float = 1.0) -> list[float | None]:
    return [None if value is None else round(value * scale, 2) for value in series[column].to_list()]


def dora_figures(series: pl.DataFrame, *, period: str) -> list[DoraFigure]:
    """The four trend charts of a report's series.

    Args:
        series: the output of :func:`deliveryops.analytics.dora.series.dora_series`.
        period: "week", "month" or "quarter" (axis title).

    Returns:
        Deployment frequency, lead time (with its breakdown), change failure rate and recovery time.
    """
    x = iso_dates(series["period_start"].to_list())
    empty = series.is_empty() or int(series["deployments"].sum()) == 0
    bucket = _bucket_label(period)

    frequency = new_chart(
        title="Deployment frequency",
        x_title=bucket,
        y_title="Deployment days per week",
        definition="deployment-frequency",
        subtitle="Elite ≥ 5, high ≥ 1 day per week",
    )
    frequency.add_trace(
        {
            "type": "bar",
            "x": x,
            "y": _values(series, "deployment_days_per_week"),
            "name": "deployment days / week",
            "hovertemplate": "%{x}: %{y} days/week<extra></extra>",
            "marker": {"color": BLUE},
        }
    )
    if not empty:
        horizontal_line(frequency, y=5, name="elite", text="elite ≥ 5", colour=GREEN)
        horizontal_line(frequency, y=1, name="high", text="high ≥ 1", colour=ORANGE)

    lead = new_chart(
        title="Lead time for changes",
        x_title=bucket,
        y_title="Median hours",
        definition="lead-time",
        subtitle="Median per part; the line is the whole lead time",
    )
    for column, label, colour in (
        ("coding_hours", "coding", SKY_BLUE),
        ("pickup_hours", "pickup", ORANGE),
        ("review_hours", "review", PURPLE),
        ("deploy_hours", "deploy", GREY),
    ):
        lead.add_trace(
            {
                "type": "bar",
                "x": x,
                "y": _values(series, column),
                "name": label,
                "hovertemplate": f"{label}: %{{y}} h<extra></extra>",
                "marker": {"color": colour},
            }
        )
    lead.add_trace(
        {
            "type": "scatter",
            "x": x,
            "y": _values(series, "lead_time_hours"),
            "name": "lead time (median)",
            "mode": "lines+markers",
            "hovertemplate": "lead time: %{y} h<extra></extra>",
            "line": {"color": BLUE},
        }
    )
    lead.update_layout(barmode="stack")

    failure = new_chart(
        title="Change failure rate",
        x_title=bucket,
        y_title="Deployments with an incident (%)",
        definition="change-failure-rate",
        subtitle="Elite ≤ 5%, high ≤ 10%, medium ≤ 15%",
    )
    failure.add_trace(
        {
            "type": "bar",
            "x": x,
            "y": _values(series, "change_failure_rate", 100),
            "name": "change failure rate",
            "hovertemplate": "%{x}: %{y}%<extra></extra>",
            "marker": {"color": VERMILLION},
        }
    )
    if not empty:
        horizontal_line(failure, y=15, name="medium", text="medium ≤ 15%", colour=ORANGE)
        horizontal_line(failure, y=5, name="elite", text="elite ≤ 5%", colour=GREEN)

    recovery = new_chart(
        title="Failed deployment recovery time",
        x_title=bucket,
        y_title="Median hours",
        definition="recovery-time",
        subtitle="Elite < 1 h, high < 1 day, medium < 1 week",
    )
    recovery.add_trace(
        {
            "type": "scatter",
            "x": x,
            "y": _values(series, "recovery_hours"),
            "name": "recovery (median)",
            "mode": "lines+markers",
            "connectgaps": False,
            "hovertemplate": "%{x}: %{y} h<extra></extra>",
            "line": {"color": VERMILLION},
        }
    )

    rework = new_chart(
        title="Deployment rework rate",
        x_title=bucket,
        y_title="Deployments that fixed an incident (%)",
        definition="rework-rate",
        subtitle="Unplanned fixes of an incident: hotfix or rollback refs, or deployed while one was open; no band",
    )
    rework.add_trace(
        {
            "type": "bar",
            "x": x,
            "y": _values(series, "rework_rate", 100),
            "name": "deployment rework rate",
            "hovertemplate": "%{x}: %{y}%<extra></extra>",
            "marker": {"color": VERMILLION},
        }
    )

    return [
        _figure("deployment-frequency", "Deployment frequency", "deployment-frequency", frequency, empty),
        _figure("lead-time", "Lead time for changes", "lead-time", lead, empty),
        _figure("change-failure-rate", "Change failure rate", "change-failure-rate", failure, empty),
        _figure("recovery-time", "Failed deployment recovery time", "recovery-time", recovery, empty),
        _figure("rework-rate", "Deployment rework rate", "rework-rate", rework, empty),
    ]
