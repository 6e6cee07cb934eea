"""The adoption-over-time chart, as a Plotly spec."""

from __future__ import annotations

from html import escape

from deliveryops.charts import BLUE, ChartSpec, empty_chart, new_chart, to_spec
from deliveryops.cockpit.adoption.service import AdoptionTrend
from deliveryops.cockpit.models import CatalogueEntry

__all__ = ["DEFINITION", "trend_figure"]

DEFINITION = "/cockpit/adoption#def-adoption-share"
COLUMNS = 3  # small multiples per row
ROW_PIXELS = 120


def trend_figure(trend: AdoptionTrend, entries: list[CatalogueEntry], *, title: str = "Adoption over time") -> ChartSpec:
    """Small multiples, one per entry: the share of applicable teams that adopted it at the end of each month.

    Args:
        trend: the monthly shares.
        entries: the entries to draw, in legend order.
        title: the chart's title.

    Returns:
        ``{"data", "layout"}`` whose definition link points at the adoption page's definitions.
    """
    figure = new_chart(
        title=title,
        x_title="",
        y_title="",
        definition="",
        subtitle=f"Teams that adopted it (%) of the {trend.teams} for which it applies, at each month's end",
    )
    figure.update_layout(meta={"definition": DEFINITION}, showlegend=False)
    months = [month.strftime("%Y-%m") for month in trend.months]
    drawn = [entry for entry in entries if not all(share is None for share in trend.shares.get(entry.id, []))]
    if not drawn:
        message = (
            f"Hidden: fewer than {trend.min_group_size} teams"
            if trend.teams < trend.min_group_size
            else "No tools or practices in the catalogue yet"
        )
        figure.update_yaxes(range=[0, 105], ticksuffix="%")
        return empty_chart(figure, message)
    # Small multiples: one small chart per entry, on the same 0-100% scale, rather than many lines over each other.
    rows = -(-len(drawn) // COLUMNS)
    top = figure.layout["margin"]["t"]
    figure.update_layout(
        height=top + rows * ROW_PIXELS + 24,
        grid={"rows": rows, "columns": COLUMNS, "pattern": "independent", "ygap": 0.45, "xgap": 0.12},
        margin={"l": 40, "b": 24},
    )
    for index, entry in enumerate(drawn, start=1):
        suffix = "" if index == 1 else str(index)
        values = [round(share * 100, 1) if share is not None else None for share in trend.shares.get(entry.id, [])]
        figure.add_trace(
            {
                "type": "scatter",
                "x": months,
                "y": values,
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "mode": "lines+markers",
                "line": {"color": BLUE},
                "marker": {"size": 4},
                "name": entry.name,
                "hovertemplate": f"{entry.name}, %{{x}}: %{{y}}%<extra></extra>",
            }
        )
        axis = {"gridcolor": "#e3e7ec", "automargin": True, "tickfont": {"size": 10}}
        figure.layout[f"xaxis{suffix}"] = {**figure.layout.get(f"xaxis{suffix}", {}), **axis, "nticks": 4, "title": {"text": ""}}
        figure.layout[f"yaxis{suffix}"] = {
            **figure.layout.get(f"yaxis{suffix}", {}),
            **axis,
            "range": [0, 105],
            "ticksuffix": "%",
            "tickvals": [0, 50, 100],
            "title": {"text": ""},
        }
        figure.add_annotation(
            text=escape(entry.name),
            xref=f"x{suffix} domain",
            yref=f"y{suffix} domain",
            x=0,
            y=1.02,
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            font={"size": 11},
        )
    return to_spec(figure)
