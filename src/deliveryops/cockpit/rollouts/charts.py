"""The adoption curve of a rollout, as a Plotly spec."""

from __future__ import annotations

from deliveryops.charts import ChartSpec, empty_chart, new_chart, to_spec
from deliveryops.cockpit.rollouts.schemas import RolloutDetail

__all__ = ["curve_figure"]


def curve_figure(result: RolloutDetail) -> ChartSpec:
    """Teams declared adopted, teams the entry's data check confirms, and teams due by each day.

    Args:
        result: the rollout's (stored) report.

    Returns:
        ``{"data", "layout"}`` linking to the adoption curve's definition.
    """
    teams = len(result.progress)
    figure = new_chart(
        title="Adoption curve",
        x_title="Day",
        y_title="Teams (count)",
        definition="rollout-adoption-curve",
        subtitle=f"Of the rollout's {teams} teams",
    )
    if not result.curve or not teams:
        return empty_chart(figure, "No teams in this rollout")
    days = [point.day.isoformat() for point in result.curve]
    due = [sum(1 for p in result.progress if p.target_on <= point.day) for point in result.curve]
    figure.add_trace(
        {"type": "scatter", "x": days, "y": due, "mode": "lines", "name": "Due by their target", "line": {"dash": "dot"}}
    )
    figure.add_trace(
        {
            "type": "scatter",
            "x": days,
            "y": [point.declared for point in result.curve],
            "mode": "lines+markers",
            "name": "Declared adopted",
        }
    )
    if any(point.confirmed is not None for point in result.curve):
        figure.add_trace(
            {
                "type": "scatter",
                "x": days,
                "y": [point.confirmed for point in result.curve],
                "mode": "lines+markers",
                "name": "Confirmed by the data check",
            }
        )
    figure.update_yaxes(range=[0, teams + 0.5], dtick=1 if teams <= 10 else None)
    return to_spec(figure)
