"""Charts of an experiment's results, as Plotly specs: a forest plot of the lifts with their intervals,
and the lift over time of a metric. Each links to its method on /experiments/methods."""

from __future__ import annotations

from deliveryops.analytics.experiments import LiftResult, Method
from deliveryops.charts import (
    GREEN,
    GREY,
    PALETTE,
    VERMILLION,
    ChartSpec,
    Figure,
    empty_chart,
    escape,
    new_chart,
    to_spec,
)
from deliveryops.experiments.analysis import OverTimeSeries
from deliveryops.experiments.models import ExperimentStatus
from deliveryops.experiments.portfolio import ExperimentPortfolio

__all__ = ["METHODS_PAGE", "forest_figure", "over_time_figure", "portfolio_figure"]

METHODS_PAGE = "/experiments/methods#"
INTERVAL_NAMES = {
    Method.FREQUENTIST: "confidence interval",
    Method.SEQUENTIAL: "confidence sequence",
    Method.BAYESIAN: "credible interval",
}
_ZERO_LINE = {"color": "#5b6675", "width": 1.5, "dash": "dash"}


def _link(figure: Figure, anchor: str) -> None:
    figure.update_layout(meta={"definition": METHODS_PAGE + anchor})


def _translucent(colour: str, alpha: float = 0.18) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 4)


def _verdict(result: LiftResult) -> str:
    if not result.significant or result.lift is None:
        return "not significant"
    better = result.lift > 0 if result.higher_is_better else result.lift < 0
    return "better" if better else "worse"


def forest_figure(results: list[LiftResult], *, method: Method, alpha: float) -> ChartSpec:
    """Each variation's relative lift over the control, per metric, with its interval.

    Args:
        results: the analysis results (relative lifts).
        method: the method (names the interval).
        alpha: the level (the interval covers 1 − alpha).

    Returns:
        A horizontal forest plot; significant better results are green diamonds, worse ones
        vermillion squares, the rest grey circles (shape and colour both tell).
    """
    interval = INTERVAL_NAMES[method]
    figure = new_chart(
        title="Lift by metric and variation",
        x_title="Relative lift over control (%)",
        y_title="Metric · variation",
        definition="lift",
        subtitle=f"Point and {1 - alpha:.0%} {interval}",
    )
    _link(figure, method.value)
    shown = [r for r in results if r.lift is not None]
    if not shown:
        return empty_chart(figure, "No lift can be computed yet")
    styles = {"better": (GREEN, "diamond"), "worse": (VERMILLION, "square"), "not significant": (GREY, "circle")}
    for verdict, (colour, symbol) in styles.items():
        group = [r for r in shown if _verdict(r) == verdict]
        if not group:
            continue
        labels = [escape(f"{r.metric} · {r.variation}") for r in group]
        lifts = [_percent(r.lift) for r in group]
        plus = [(_percent(r.ci_high) or 0) - (_percent(r.lift) or 0) if r.ci_high is not None else 0 for r in group]
        minus = [(_percent(r.lift) or 0) - (_percent(r.ci_low) or 0) if r.ci_low is not None else 0 for r in group]
        hover = [
            f"{label}: {lift:+.2f}% [{_percent(r.ci_low) or 0:+.2f}%, {_percent(r.ci_high) or 0:+.2f}%]<br>{verdict}"
            for label, lift, r in zip(labels, lifts, group, strict=True)
            if lift is not None
        ]
        figure.add_trace(
            {
                "type": "scatter",
                "x": lifts,
                "y": labels,
                "mode": "markers",
                "name": verdict.capitalize(),
                "marker": {"color": colour, "symbol": symbol, "size": 11},
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": plus,
                    "arrayminus": minus,
                    "color": colour,
                    "thickness": 2,
                },
                "hovertext": hover,
                "hoverinfo": "text",
            }
        )
    figure.add_shape(type="line", xref="x", x0=0, x1=0, yref="y domain", y0=0, y1=1, line=_ZERO_LINE)
    figure.update_yaxes(autorange="reversed", rangemode="normal", type="category")
    figure.update_xaxes(ticksuffix="%", zeroline=False)
    figure.update_layout(height=max(260, 90 + 44 * len(shown)))
    return to_spec(figure)


def over_time_figure(series: list[OverTimeSeries], *, metric: str, method: Method) -> ChartSpec:
    """The cumulative lift of one metric day by day, one line and band per variation.

    Args:
        series: the over-time series (all metrics; this one's are drawn).
        metric: the metric.
        method: the method (names the band).

    Returns:
        A line chart with the interval as a shaded band.
    """
    figure = new_chart(
        title=f"Lift over time: {metric}",
        x_title="Day (cumulative data up to it)",
        y_title="Relative lift over control (%)",
        definition="over-time",
        subtitle=f"Band: {INTERVAL_NAMES[method]}; it narrows as units accumulate",
    )
    _link(figure, "over-time")
    chosen = [s for s in series if s.metric == metric and any(v is not None for v in s.lift)]
    if not chosen:
        return empty_chart(figure, "Not enough days of statistics yet")
    for index, line in enumerate(chosen):
        colour = PALETTE[index % len(PALETTE)]
        days = [d.isoformat() for d in line.days]
        figure.add_trace(
            {
                "type": "scatter",
                "x": days,
                "y": [_percent(v) for v in line.ci_high],
                "mode": "lines",
                "line": {"width": 0, "color": colour},
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
        figure.add_trace(
            {
                "type": "scatter",
                "x": days,
                "y": [_percent(v) for v in line.ci_low],
                "mode": "lines",
                "fill": "tonexty",
                "line": {"width": 0, "color": colour},
                "fillcolor": _translucent(colour),
                "name": f"{escape(line.variation)} interval",
                "hoverinfo": "skip",
            }
        )
        figure.add_trace(
            {
                "type": "scatter",
                "x": days,
                "y": [_percent(v) for v in line.lift],
                "mode": "lines+markers",
                "name": escape(line.variation),
                "line": {"color": colour},
                "hovertemplate": f"{escape(line.variation)} %{{x}}: %{{y:+.2f}}%<extra></extra>",
            }
        )
    figure.add_shape(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=0, y1=0, line=_ZERO_LINE)
    figure.update_yaxes(ticksuffix="%", rangemode="normal")
    return to_spec(figure)


STATUS_COLOURS = {
    "draft": GREY,
    "in_review": "#E69F00",
    "running": "#0072B2",
    "analysing": "#56B4E9",
    "decided": GREEN,
    "archived": "#000000",
}


def portfolio_figure(portfolio: ExperimentPortfolio) -> ChartSpec:
    """Experiments per team, stacked by status.

    Args:
        portfolio: the portfolio.

    Returns:
        A horizontal stacked bar chart, one bar per team.
    """
    figure = new_chart(
        title="Experiments by team and status",
        x_title="Experiments (count)",
        y_title="Team",
        definition="portfolio",
        subtitle="Created by the period's end, not stopped before its start",
    )
    _link(figure, "portfolio")
    if not portfolio.rows:
        return empty_chart(figure, "No experiments in this period")
    teams = [escape(row.team_name) for row in portfolio.rows]
    for status in ExperimentStatus:
        counts = [row.by_status[status.value] for row in portfolio.rows]
        figure.add_trace(
            {
                "type": "bar",
                "x": counts,
                "y": teams,
                "orientation": "h",
                "name": status.label,
                "marker": {"color": STATUS_COLOURS[status.value]},
                "hovertemplate": f"%{{y}}: %{{x}} {status.label.lower()}<extra></extra>",
            }
        )
    figure.update_layout(barmode="stack", height=max(240, 110 + 36 * len(teams)))
    figure.update_yaxes(autorange="reversed", type="category", rangemode="normal")
    figure.update_xaxes(dtick=1 if max(row.total for row in portfolio.rows) <= 10 else None)
    return to_spec(figure)
