"""The key-result chart: the series with its baseline, target, the straight line to the target and the period."""

from __future__ import annotations

from deliveryops.charts import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    ChartSpec,
    empty_chart,
    horizontal_line,
    new_chart,
    to_spec,
    vertical_line,
)
from deliveryops.outcomes.schemas import KeyResultDetail

__all__ = ["key_result_figure"]


def key_result_figure(detail: KeyResultDetail) -> ChartSpec:
    """The key result's values, its baseline and target, and the straight line from one to the other over the period.

    Args:
        detail: the measured key result.

    Returns:
        ``{"data", "layout"}`` with the definition anchor ``key-result-verdict``.
    """
    unit = detail.unit or "value"
    figure = new_chart(
        title="Key result over time",
        x_title="Date",
        y_title=f"{detail.source_label} ({unit})" if detail.unit else detail.source_label,
        definition="key-result-verdict",
        subtitle=f"Period {detail.period_start.isoformat()} to {detail.period_end.isoformat()}",
    )
    if not detail.points:
        return empty_chart(figure, "No values yet: add them as CSV, through the API or the webhook")
    figure.add_trace(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Value",
            "x": [p.on.isoformat() for p in detail.points],
            "y": [p.value for p in detail.points],
            "line": {"color": BLUE},
            "hovertemplate": f"%{{x}}: %{{y}} {unit}<extra></extra>",
        }
    )
    figure.add_trace(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Straight line to the target",
            "x": [detail.period_start.isoformat(), detail.period_end.isoformat()],
            "y": [detail.baseline, detail.target],
            "line": {"color": ORANGE, "dash": "dot"},
            "hoverinfo": "skip",
        }
    )
    horizontal_line(figure, y=detail.target, name="target", text=f"Target {detail.target:g}", colour=GREEN)
    horizontal_line(figure, y=detail.baseline, name="baseline", text=f"Baseline {detail.baseline:g}", colour=GREY, at="start")
    vertical_line(figure, x=detail.period_start.isoformat(), name="period-start", text="Period starts", colour=GREY)
    return to_spec(figure)
