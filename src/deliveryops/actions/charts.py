"""The process behaviour (XmR) chart of an improvement action, as a Plotly spec."""

from __future__ import annotations

import plotly.graph_objects as go

from deliveryops.actions.measure import Measurement
from deliveryops.actions.models import TargetMetric
from deliveryops.charts import (
    BLUE,
    GREEN,
    VERMILLION,
    ChartSpec,
    empty_chart,
    new_figure,
    to_spec,
    vertical_line,
)

__all__ = ["xmr_figure"]


def xmr_figure(measurement: Measurement, metric: TargetMetric) -> ChartSpec:
    """Weekly values, the centre line and natural process limits of the baseline, the action's divider,
    and the points that make a signal.

    Args:
        measurement: the action's chart and verdict.
        metric: what is measured (titles and units).

    Returns:
        ``{"data", "layout"}`` with the definition anchor ``xmr-limits``.
    """
    figure = new_figure(
        title="Process behaviour chart",
        x_title="Week (labelled by its Monday)",
        y_title=metric.label,
        definition="xmr-limits",
        subtitle="Limits from the weeks before the action; signals after it",
    )
    if not measurement.values:
        return empty_chart(figure, "No weekly values yet for this metric")
    weeks = [week.isoformat() for week in measurement.weeks]
    chart = measurement.chart
    figure.add_trace(
        go.Scatter(
            x=weeks,
            y=measurement.values,
            mode="lines+markers",
            name="Week",
            line={"color": BLUE},
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    divider = measurement.divider_index if measurement.divider_index is not None else len(weeks)
    baseline_weeks = weeks[:divider] or weeks
    if chart.centre is not None:
        lines = [("Centre (baseline mean)", chart.centre, GREEN, "solid")]
        if chart.upper_limit is not None:
            lines.append(("Upper natural process limit", chart.upper_limit, VERMILLION, "dash"))
        if chart.lower_limit is not None:
            lines.append(("Lower natural process limit", chart.lower_limit, VERMILLION, "dash"))
        for name, value, colour, dash in lines:
            figure.add_trace(
                go.Scatter(
                    x=[baseline_weeks[0], weeks[-1]],
                    y=[value, value],
                    mode="lines",
                    name=name,
                    line={"color": colour, "dash": dash},
                    hovertemplate=f"{name}: {value:.2f}<extra></extra>",
                )
            )
    signalled = sorted({index for signal in chart.signals for index in signal.indices})
    if signalled:
        figure.add_trace(
            go.Scatter(
                x=[weeks[i] for i in signalled],
                y=[measurement.values[i] for i in signalled],
                mode="markers",
                name="Signal",
                marker={"color": VERMILLION, "size": 11, "symbol": "diamond"},
                hovertemplate="Signal in %{x}: %{y}<extra></extra>",
            )
        )
    if divider < len(weeks):
        vertical_line(figure, x=weeks[divider], name="divider", text="Action starts", colour="#5b6675")
    return to_spec(figure)
