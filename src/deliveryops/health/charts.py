"""A team's health history as Plotly specs: the overall score per round, and each card over rounds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deliveryops.charts import BLUE, GREEN, ORANGE, VERMILLION, ChartSpec, empty_chart, escape, new_chart, to_spec
from deliveryops.health.scoring import GREEN_AT, RED_BELOW
from deliveryops.health.service import RoundSummary

__all__ = ["DEFINITIONS", "cards_figure", "score_figure"]

DEFINITIONS = "/health/definitions"
NO_ROUNDS = "No closed health check with enough respondents yet"


def score_figure(history: Sequence[RoundSummary], *, minimum: int) -> ChartSpec:
    """The team's overall score per closed round (rounds below the minimum are left out, and said so).

    Args:
        history: the team's closed rounds, oldest first.
        minimum: the minimum respondents.

    Returns:
        ``{"data", "layout"}`` with the definition link ``/health/definitions#score``.
    """
    hidden = sum(1 for s in history if not s.shown)
    note = f"{hidden} round{'s' if hidden != 1 else ''} hidden: fewer than {minimum} respondents" if hidden else None
    figure = new_chart(
        title="Team health over time",
        x_title="Round closed (date)",
        y_title="Overall score (0 = all red, 1 = all green)",
        definition="",
        subtitle="Mean of the cards' scores per round",
        note=note,
    )
    figure.update_layout(meta={"definition": f"{DEFINITIONS}#score"})
    shown = [s for s in history if s.shown and s.overall is not None]
    figure.update_yaxes(range=[0, 1.05], rangemode="normal")
    if not shown:
        return empty_chart(figure, NO_ROUNDS)
    for low, high, colour, name in ((GREEN_AT, 1.05, GREEN, "green-band"), (0, RED_BELOW, VERMILLION, "red-band")):
        figure.add_shape(
            type="rect",
            xref="x domain",
            x0=0,
            x1=1,
            yref="y",
            y0=low,
            y1=high,
            fillcolor=colour,
            opacity=0.08,
            line={"width": 0},
            name=name,
        )
    figure.add_trace(
        {
            "type": "scatter",
            "x": [s.closed_at.date().isoformat() for s in shown],
            "y": [s.overall for s in shown],
            "mode": "lines+markers",
            "name": "Overall score",
            "line": {"color": BLUE},
            "marker": {"size": 9},
            "customdata": [[escape(s.title), s.respondents] for s in shown],
            "hovertemplate": "%{customdata[0]}<br>Score %{y:.2f} · %{customdata[1]} respondents<extra></extra>",
        }
    )
    return to_spec(figure)


def cards_figure(history: Sequence[RoundSummary]) -> ChartSpec:
    """Each card's score per shown round as a heat map (rows: cards; columns: rounds).

    Args:
        history: the team's closed rounds, oldest first.

    Returns:
        ``{"data", "layout"}`` with the definition link ``/health/definitions#result-colour``.
    """
    figure = new_chart(
        title="Cards over rounds",
        x_title="Round closed (date)",
        y_title="Card",
        definition="",
        subtitle="Score per card: red below 0.40, green from 0.75",
    )
    figure.update_layout(meta={"definition": f"{DEFINITIONS}#result-colour"})
    shown = [s for s in history if s.shown]
    if not shown:
        return empty_chart(figure, NO_ROUNDS)
    titles: dict[str, str] = {}
    for summary in shown:
        for card in summary.cards:
            titles[card.key] = card.title
    keys = list(titles)
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for key in keys:
        row = [next((c.score for c in s.cards if c.key == key), None) for s in shown]
        z.append(row)
        text.append(["" if v is None else f"{v:.2f}" for v in row])
    x = [f"{s.closed_at.date().isoformat()}" for s in shown]
    scale: list[list[Any]] = [
        [0.0, VERMILLION],
        [RED_BELOW - 0.001, VERMILLION],
        [RED_BELOW, ORANGE],
        [GREEN_AT - 0.001, ORANGE],
        [GREEN_AT, GREEN],
        [1.0, GREEN],
    ]
    figure.add_trace(
        {
            "type": "heatmap",
            "z": z,
            "x": x,
            "y": [escape(_short(titles[k])) for k in keys],
            "text": text,
            "texttemplate": "%{text}",
            "zmin": 0,
            "zmax": 1,
            "colorscale": scale,
            "xgap": 2,
            "ygap": 2,
            "colorbar": {"title": {"text": "Score"}, "tickvals": [0, 0.4, 0.75, 1]},
            "customdata": [[escape(titles[k])] * len(x) for k in keys],
            "hovertemplate": "%{customdata} · %{x}<br>Score %{z:.2f}<extra></extra>",
        }
    )
    figure.update_xaxes(type="category")
    figure.update_yaxes(autorange="reversed", rangemode="normal")
    figure.update_layout(height=120 + 28 * len(keys))
    return to_spec(figure)


def _short(title: str, limit: int = 22) -> str:
    """A card title short enough for an axis label at phone width (the hover keeps the full one)."""
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"
