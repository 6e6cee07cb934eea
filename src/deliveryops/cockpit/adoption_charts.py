"""The adoption-over-time chart, as a Plotly spec."""

from __future__ import annotations

from deliveryops.charts import ChartSpec, empty_chart, new_chart, to_spec
from deliveryops.cockpit.adoption import AdoptionTrend
from deliveryops.cockpit.models import CatalogueEntry

__all__ = ["DEFINITION", "trend_figure"]

DEFINITION = "/cockpit/adoption#def-adoption-share"


def trend_figure(trend: AdoptionTrend, entries: list[CatalogueEntry], *, title: str = "Adoption over time") -> ChartSpec:
    """One line per entry: the share of applicable teams that adopted it at the end of each month.

    Args:
        trend: the monthly shares.
        entries: the entries to draw, in legend order.
        title: the chart's title.

    Returns:
        ``{"data", "layout"}`` whose definition link points at the adoption page's definitions.
    """
    figure = new_chart(
        title=title,
        x_title="Month (state at its end)",
        y_title="Teams that adopted it (%)",
        definition="",
        subtitle=f"Share of the {trend.teams} teams for which it applies",
    )
    figure.update_layout(meta={"definition": DEFINITION})
    months = [month.strftime("%Y-%m") for month in trend.months]
    drawn = 0
    for entry in entries:
        shares = trend.shares.get(entry.id, [])
        if all(share is None for share in shares):
            continue
        values = [round(share * 100, 1) if share is not None else None for share in shares]
        figure.add_trace(
            {
                "type": "scatter",
                "x": months,
                "y": values,
                "mode": "lines+markers",
                "name": entry.name,
                "hovertemplate": f"{entry.name}, %{{x}}: %{{y}}%<extra></extra>",
            }
        )
        drawn += 1
    figure.update_yaxes(range=[0, 105], ticksuffix="%")
    if not drawn:
        message = (
            f"Hidden: fewer than {trend.min_group_size} teams"
            if trend.teams < trend.min_group_size
            else "No tools or practices in the catalogue yet"
        )
        return empty_chart(figure, message)
    return to_spec(figure)
