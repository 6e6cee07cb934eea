"""A self-contained HTML flow report (Plotly inlined), for `deliveryops flow report --format html`."""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from plotly.offline import get_plotlyjs

from deliveryops.analytics.flow import FlowSummary
from deliveryops.flow.pages import _flow_figures
from deliveryops.flow.service import FlowQuery
from deliveryops.teams.models import Team

__all__ = ["standalone_report"]

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"]),
)
_CSS = (Path(__file__).parent.parent / "web" / "static" / "app.css").read_text(encoding="utf-8")


def standalone_report(team: Team, query: FlowQuery, summary: FlowSummary) -> str:
    """Render the flow report as one HTML file that opens offline.

    Args:
        team: the team.
        query: the period and item types.
        summary: the metrics.

    Returns:
        The HTML text.
    """
    figures = _flow_figures(summary, query.freq)
    return _ENV.get_template("flow/report.html").render(
        team=team, query=query, summary=summary, figures=figures, css=_CSS, plotly_js=get_plotlyjs(),
        # Item titles come from trackers: "</script>" inside one must not end the script element.
        specs=json.dumps({f["name"]: f["spec"] for f in figures}).replace("</", "<\\/"),
    )
