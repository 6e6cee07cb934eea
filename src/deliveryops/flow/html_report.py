"""A self-contained HTML flow report (Plotly inlined), for `deliveryops flow report --format html`."""

from __future__ import annotations

from deliveryops.analytics.flow import FlowSummary
from deliveryops.flow.charts import page_figures
from deliveryops.flow.service import FlowQuery
from deliveryops.teams.models import Team
from deliveryops.web.standalone import render_standalone

__all__ = ["standalone_report"]


def standalone_report(team: Team, query: FlowQuery, summary: FlowSummary) -> str:
    """Render the flow report as one HTML file that opens offline.

    Args:
        team: the team.
        query: the period and item types.
        summary: the metrics.

    Returns:
        The HTML text.
    """
    figures = page_figures(summary, query.freq)
    return render_standalone(
        "flow/report.html",
        specs={f["name"]: f["spec"] for f in figures},
        team=team,
        query=query,
        summary=summary,
        figures=figures,
    )
