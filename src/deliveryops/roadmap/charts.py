"""The roadmap chart: epics by team on a date axis, 50%-85% ranges, the single-epic 85% date, the cut line."""

from __future__ import annotations

from datetime import date, timedelta

from deliveryops.charts import BLUE, GREY, SKY_BLUE, VERMILLION, ChartSpec, escape, new_chart, to_spec, vertical_line
from deliveryops.roadmap.service import TeamRoadmap

__all__ = ["roadmap_chart"]


def roadmap_chart(lanes: list[TeamRoadmap], *, cut_date: date, title: str = "Roadmap: epic dates sharing each team") -> ChartSpec:
    """Horizontal bars per epic (grouped by team, priority order): today to the 50% date, then to the 85% date.

    A diamond marks the epic's 85% date had it the team's whole throughput; a dashed line is the cut date.
    """
    figure = new_chart(
        title=title,
        x_title="Date (team's time zone)",
        y_title="Epic (by team, priority order)",
        definition="roadmap-date-range",
        subtitle=f"Bars: today → 50% → 85% date. Cut line {cut_date.isoformat()} (85% confidence).",
    )
    labels: list[str] = []
    starts: list[str] = []
    to_p50: list[float] = []
    to_p85_base: list[str] = []
    to_p85: list[float] = []
    alone_x: list[str | None] = []
    hover: list[str] = []
    for lane in lanes:
        for epic in lane.epics:
            label = f"{lane.team.name} · {epic.key}"
            labels.append(label)
            p50 = epic.p50 or lane.today + timedelta(days=730)
            p85 = epic.p85 or lane.today + timedelta(days=730)
            starts.append(lane.today.isoformat())
            to_p50.append(_ms(p50 - lane.today))
            to_p85_base.append(p50.isoformat())
            to_p85.append(_ms(p85 - p50))
            alone_x.append(epic.alone_p85.isoformat() if epic.alone_p85 else None)
            hover.append(
                escape(
                    f"{lane.team.name} {epic.key}: {epic.remaining} items left; 50% {_d(epic.p50)}, 85% {_d(epic.p85)}; "
                    f"alone 85% {_d(epic.alone_p85)}; {'fits' if epic.fits else 'does not fit'} by the cut date"
                )
            )
    common = {
        "type": "bar",
        "orientation": "h",
        "y": labels,
        "hovertemplate": "%{customdata}<extra></extra>",
        "customdata": hover,
    }
    figure.add_trace({**common, "name": "Today → 50% date", "base": starts, "x": to_p50, "marker": {"color": BLUE}})
    figure.add_trace(
        {
            **common,
            "name": "50% → 85% date",
            "base": to_p85_base,
            "x": to_p85,
            "marker": {"color": SKY_BLUE, "pattern": {"shape": "/"}},
        }
    )
    figure.add_trace(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "85% date alone (whole team)",
            "x": alone_x,
            "y": labels,
            "marker": {"symbol": "diamond", "size": 10, "color": GREY, "line": {"color": "#000", "width": 1}},
            "hovertemplate": "Alone, 85%%: %{x|%Y-%m-%d}<extra></extra>",
        }
    )
    vertical_line(figure, x=cut_date.isoformat(), name="cut-line", text=f"Cut {cut_date.isoformat()}", colour=VERMILLION)
    figure.update_layout(barmode="overlay", height=max(260, 90 + 34 * len(labels)))
    figure.update_xaxes(type="date")
    figure.update_yaxes(autorange="reversed", type="category", rangemode="normal", automargin=True)
    return to_spec(figure)


def _ms(delta: timedelta) -> float:
    return delta.total_seconds() * 1000


def _d(value: date | None) -> str:
    return value.isoformat() if value else "beyond two years"
