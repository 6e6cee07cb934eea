"""The before/after chart of an improvement action, as a Plotly spec."""

from __future__ import annotations

from datetime import timedelta

from deliveryops.actions.measure import Measurement
from deliveryops.actions.models import TargetMetric
from deliveryops.charts import BLUE, GREEN, GREY, VERMILLION, ChartSpec, empty_chart, new_chart, to_spec, vertical_line

__all__ = ["effect_figure"]


def effect_figure(measurement: Measurement) -> ChartSpec:
    """The metric before and after the action: each finished item (cycle time) or each week's value, the
    baseline level, the estimated level after the action with its interval (shaded), the action's divider
    and the end of the evaluation window.

    Args:
        measurement: the action's measurement.

    Returns:
        ``{"data", "layout"}`` with the definition anchor ``action-verdicts``.
    """
    metric = measurement.metric
    per_item = metric.per_event
    event, y_title, unit = {
        TargetMetric.CYCLE_TIME_P85: ("Finished item", "Cycle time (days)", "days"),
        TargetMetric.LEAD_TIME: ("Deployed change", "Lead time for changes (hours)", "hours"),
        TargetMetric.TIME_TO_RESTORE: ("Failed deployment", "Time to restore (hours)", "hours"),
    }.get(metric, ("Week", metric.label, ""))
    figure = new_chart(
        title="Before and after the action",
        x_title=("Finished on" if metric is TargetMetric.CYCLE_TIME_P85 else "Day")
        if per_item
        else "Week (labelled by its Monday)",
        y_title=y_title,
        definition="action-verdicts",
        subtitle="Baseline level, and the estimate after with its interval",
    )
    if not measurement.values and not measurement.items:
        return empty_chart(figure, "No values yet for this metric")
    if per_item:
        figure.add_trace(
            {
                "type": "scatter",
                "x": [day.isoformat() for day, _days in measurement.items],
                "y": [days for _day, days in measurement.items],
                "mode": "markers",
                "name": event,
                "marker": {"color": BLUE, "size": 6, "opacity": 0.6},
                "hovertemplate": f"%{{x}}: %{{y}} {unit}<extra></extra>",
            }
        )
    else:
        figure.add_trace(
            {
                "type": "scatter",
                "x": [week.isoformat() for week in measurement.weeks],
                "y": measurement.values,
                "mode": "lines+markers",
                "name": "Round" if metric is TargetMetric.HEALTH_CARD else "Week",
                "line": {"color": BLUE},
                "hovertemplate": "%{x}: %{y}<extra></extra>",
            }
        )
    result = measurement.verdict.result
    effect = result.effect
    divider = measurement.divider_week
    window_end = divider + timedelta(weeks=max(measurement.evaluated_weeks, 1))
    first = measurement.first_week
    if effect is not None:
        level = "85th percentile" if per_item else "mean"
        figure.add_trace(
            {
                "type": "scatter",
                "x": [first.isoformat(), divider.isoformat()],
                "y": [effect.before, effect.before],
                "mode": "lines",
                "name": f"Baseline {level}",
                "line": {"color": GREEN, "width": 2},
                "hovertemplate": f"Baseline {level}: {effect.before:.2f}<extra></extra>",
            }
        )
        low, high = effect.before + effect.low, effect.before + effect.high
        figure.add_trace(
            {
                "type": "scatter",
                "x": [
                    divider.isoformat(),
                    window_end.isoformat(),
                    window_end.isoformat(),
                    divider.isoformat(),
                    divider.isoformat(),
                ],
                "y": [low, low, high, high, low],
                "mode": "lines",
                "fill": "toself",
                "fillcolor": "rgba(213, 94, 0, 0.15)",
                "line": {"color": "rgba(213, 94, 0, 0.4)", "width": 1},
                "name": f"{effect.level:.0%} interval after",
                "hovertemplate": f"Interval after: {low:.2f} to {high:.2f}<extra></extra>",
            }
        )
        figure.add_trace(
            {
                "type": "scatter",
                "x": [divider.isoformat(), window_end.isoformat()],
                "y": [effect.after, effect.after],
                "mode": "lines",
                "name": f"Estimated {level} after",
                "line": {"color": VERMILLION, "width": 2},
                "hovertemplate": f"Estimated {level} after: {effect.after:.2f}<extra></extra>",
            }
        )
    vertical_line(figure, x=divider.isoformat(), name="divider", text="Action starts", colour="#5b6675")
    if result.final:
        vertical_line(figure, x=window_end.isoformat(), name="window-end", text="Verdict frozen", colour=GREY, row=1)
    return to_spec(figure)
