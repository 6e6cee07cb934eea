"""The chart toolkit every domain's charts share: palette, base layout, reference lines, JSON spec.

A chart is handed to the page as a plain JSON-ready dict, ``{"data": [...], "layout": {...}}``, for
``Plotly.newPlot(el, spec.data, spec.layout, {responsive: true, displaylogo: false})``.
Charts are built as plain dicts with :func:`new_chart` (a :class:`Figure`: traces and layout as
dicts, no validation, so a page with thousands of points costs milliseconds, not hundreds of them);
no chart builds ``plotly.graph_objects`` any more (the pages load plotly.js only to draw). Values
are given as Python lists and ISO date strings, never numpy arrays, so the spec holds plain numbers.
:func:`page_figure` hands a spec to the pages' chart macro.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from datetime import date
from itertools import pairwise
from typing import Any, TypeAlias, TypedDict

import numpy as np
import polars as pl

__all__ = [
    "BAND_COLOURS",
    "BLACK",
    "BLUE",
    "GREEN",
    "GREY",
    "NO_FINISHED_MESSAGE",
    "ORANGE",
    "PALETTE",
    "PURPLE",
    "SKY_BLUE",
    "VERMILLION",
    "YELLOW",
    "ChartSpec",
    "Figure",
    "daily_x",
    "days_text",
    "empty_chart",
    "escape",
    "horizontal_line",
    "iso_dates",
    "item_labels",
    "items_text",
    "key_list",
    "label_headroom",
    "new_chart",
    "page_figure",
    "percent_label",
    "percentile_groups",
    "spec_json",
    "thin_points",
    "thinning_note",
    "to_spec",
    "vertical_line",
    "wrap_label",
    "wrapped_height",
]

# Okabe & Ito (2008), distinguishable with every common colour-vision deficiency.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#8C8C8C"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, SKY_BLUE, PURPLE, YELLOW, BLACK)
BAND_COLOURS = {"green": GREEN, "amber": ORANGE, "red": VERMILLION, None: GREY}
"""Aging bands; the chart also gives each band its own marker shape, so colour is never the only cue."""

NO_FINISHED_MESSAGE = "No finished items in this period"

_MUTED = "#5b6675"
_GRID = "#e3e7ec"
_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'
_TITLE_CHARACTERS = 60
_DEFINITIONS = "/definitions#"
_LABEL_ROW_PIXELS = 15
_LABEL_ROW_SHARE = 0.08  # one label row in a plot area about 200 pixels high
_DAY_MILLISECONDS = 24 * 3600 * 1000


class ChartSpec(TypedDict):
    """A Plotly figure as plain JSON data: ``Plotly.newPlot(el, spec.data, spec.layout, config)``."""

    data: list[dict[str, Any]]
    layout: dict[str, Any]


class Figure:
    """A chart built as plain JSON data: ``data`` (a list of trace dicts) and ``layout`` (a dict).

    It offers the few methods of ``plotly.graph_objects.Figure`` the chart builders use, on dicts:
    nothing is validated or copied, so building is cheap. Nested dicts given to the ``update_*``
    methods are merged into what is there, as Plotly does.
    """

    __slots__ = ("data", "layout")

    def __init__(self, layout: dict[str, Any]) -> None:
        self.data: list[dict[str, Any]] = []
        self.layout = layout

    def add_trace(self, trace: dict[str, Any]) -> None:
        """Append a trace, e.g. ``{"type": "bar", "x": [...], "y": [...]}``."""
        self.data.append(trace)

    def add_shape(self, **shape: Any) -> None:
        """Append a layout shape (a reference line)."""
        self.layout.setdefault("shapes", []).append(shape)

    def add_annotation(self, **annotation: Any) -> None:
        """Append a layout annotation (a label or a message)."""
        self.layout.setdefault("annotations", []).append(annotation)

    def update_layout(self, **values: Any) -> None:
        """Merge values into the layout."""
        _merge(self.layout, values)

    def update_xaxes(self, **values: Any) -> None:
        """Merge values into the x axis."""
        _merge(self.layout.setdefault("xaxis", {}), values)

    def update_yaxes(self, **values: Any) -> None:
        """Merge values into the y axis."""
        _merge(self.layout.setdefault("yaxis", {}), values)


def _merge(target: dict[str, Any], values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = dict(value) if isinstance(value, Mapping) else value


AnyFigure: TypeAlias = Figure


def _layout(*, title: str, x_title: str, y_title: str, definition: str, subtitle: str | None, note: str | None) -> dict[str, Any]:
    axis = {"automargin": True, "gridcolor": _GRID, "zerolinecolor": "#c4cad3", "linecolor": "#c4cad3"}
    title_spec: dict[str, Any] = {"text": escape(title), "x": 0, "xanchor": "left", "pad": {"l": 8}, "font": {"size": 16}}
    lines = [escape(line) for line in (subtitle, note) if line]
    if lines:
        title_spec["subtitle"] = {"text": "<br>".join(lines), "font": {"size": 12, "color": _MUTED}}
    return {
        "title": title_spec,
        "meta": {"definition": _DEFINITIONS + definition},
        "autosize": True,
        "margin": {"l": 48, "r": 16, "t": 52 + 18 * len(lines), "b": 8, "pad": 0},
        "font": {"family": _FONT, "size": 12, "color": "#1b2430"},
        "colorway": list(PALETTE),
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "yref": "container", "y": 0, "yanchor": "bottom"},
        "hoverlabel": {"namelength": -1, "align": "left"},
        "hovermode": "closest",
        "xaxis": {**axis, "title": {"text": escape(x_title), "standoff": 8}},
        # An explicit standoff keeps the title clear of every tick label (without one, Plotly may
        # put it over a long category label lying outside the title's own height).
        "yaxis": {**axis, "title": {"text": escape(y_title), "standoff": 8}, "rangemode": "tozero"},
    }


def new_chart(
    *, title: str, x_title: str, y_title: str, definition: str, subtitle: str | None = None, note: str | None = None
) -> Figure:
    """Return an empty chart with the house layout: titles, definition link, phone-friendly legend.

    Titles and subtitles are kept short (about 40 characters) so they fit a phone's width; the
    legend sits horizontally at the bottom and pushes the plot up rather than covering it.

    Args:
        title: the chart title.
        x_title: x axis title, with its unit.
        y_title: y axis title, with its unit.
        definition: the anchor of the metric on the definitions page, e.g. "cycle-time".
        subtitle: an optional line under the title.
        note: an optional further line under the subtitle (a caveat about the data).

    Returns:
        A :class:`Figure` (plain dicts).
    """
    return Figure(_layout(title=title, x_title=x_title, y_title=y_title, definition=definition, subtitle=subtitle, note=note))


def thinning_note(shown: int, total: int, what: str = "items") -> str | None:
    """Say that a dense chart shows a sample of its points: "Showing 2,000 of 5,000 items; ...".

    Args:
        shown: points drawn.
        total: points in the data.
        what: what a point is, plural.

    Returns:
        The note, or None when every point is drawn.
    """
    if shown >= total:
        return None
    return f"Showing {shown:,} of {total:,} {what}; percentiles computed on all"


def thin_points(values: Sequence[float], limit: int, *, keep_above: float | None = None) -> list[int]:
    """Choose at most ``limit`` points of a dense cloud to draw, the same ones on every load.

    Every point above ``keep_above`` is kept (the outliers a reader looks for, e.g. the items above
    the highest percentile line), and the rest are sampled evenly in their order (every k-th, so a
    cloud ordered by date keeps its shape over time). Statistics must be computed on all points.

    Args:
        values: the points' y values, in drawing order.
        limit: the most points to draw.
        keep_above: a y value above which every point is kept (None: no such points).

    Returns:
        The indices of the points to draw, in order; all of them when there are at most ``limit``.
    """
    count = len(values)
    if count <= limit:
        return list(range(count))
    y = np.asarray(values, dtype=np.float64)
    high = np.flatnonzero(y > keep_above) if keep_above is not None else np.empty(0, dtype=np.int64)
    if high.size >= limit:
        return [int(index) for index in high[(np.arange(limit) * high.size) // limit]]
    rest = np.flatnonzero(~(y > keep_above)) if keep_above is not None else np.arange(count)
    room = limit - high.size
    chosen = rest[(np.arange(room) * rest.size) // room]
    return [int(index) for index in np.sort(np.concatenate([high, chosen]))]


def daily_x(days: Sequence[date]) -> dict[str, Any]:
    """Return the x coordinates of a daily series: ``x0`` and a one-day ``dx`` when the days follow each other.

    A start and a step instead of one date string per point keeps long daily charts (two years of
    a cumulative flow diagram: one series per status) small; other series get ``x`` as ISO dates.

    Args:
        days: the series' days, in order.

    Returns:
        ``{"x0": "2024-01-01", "dx": 86400000}`` or ``{"x": [...]}``, to merge into a trace on a date axis.
    """
    if days and all((later - earlier).days == 1 for earlier, later in pairwise(days)):
        return {"x0": days[0].isoformat(), "dx": _DAY_MILLISECONDS}
    return {"x": iso_dates(days)}


def empty_chart(figure: AnyFigure, message: str) -> ChartSpec:
    """Return the figure with a centred message instead of data (the axes keep their titles).

    Args:
        figure: a figure from :func:`new_chart`, possibly with traces drawn at zero.
        message: what is missing, e.g. "No finished items in this period".

    Returns:
        The chart spec.
    """
    figure.add_annotation(
        name="empty",
        text=escape(message),
        xref="paper",
        yref="paper",
        x=0.5,
        # Over zero-valued traces, the message sits high so that it does not cover them.
        y=0.8 if figure.data else 0.5,
        showarrow=False,
        font={"size": 14, "color": _MUTED},
    )
    if not figure.data:
        figure.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
        figure.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    return to_spec(figure)


def to_spec(figure: AnyFigure) -> ChartSpec:
    """Return the figure as plain JSON data, handed over as it is: builders give plain lists, numbers and
    ISO date strings (:func:`spec_json` turns NaN into null for the page).

    Args:
        figure: the figure.

    Returns:
        ``{"data": [...], "layout": {...}}`` that ``json.dumps`` accepts.
    """
    return ChartSpec(data=figure.data, layout=figure.layout)


def horizontal_line(
    figure: AnyFigure, *, y: float, name: str, text: str, colour: str, dash: str = "dash", at: str = "end"
) -> None:
    """Draw a labelled horizontal reference line across the whole plot.

    Args:
        figure: the figure.
        y: the line's value on the y axis.
        name: a stable name for the shape (tests and scripts find lines by it).
        text: the label, e.g. "85%: 12 days"; "" draws the line alone.
        colour: line and label colour.
        dash: Plotly dash style.
        at: label position along the line: "start", "middle" or "end".
    """
    figure.add_shape(
        type="line",
        name=name,
        xref="paper",
        x0=0,
        x1=1,
        y0=y,
        y1=y,
        line={"color": colour, "width": 1.5, "dash": dash},
        label={"text": escape(text), "textposition": at, "yanchor": "bottom", "font": {"size": 11, "color": colour}},
    )


def vertical_line(
    figure: AnyFigure, *, x: float | str, name: str, text: str, colour: str, row: int = 0, dash: str = "dash"
) -> None:
    """Draw a vertical reference line from the bottom to the top of the plot, labelled at the top.

    Labels of neighbouring lines would overlap, so each line's label goes on its own ``row``
    (row 0 at the very top, each further row one line lower); leave headroom with
    :func:`label_headroom`.

    Args:
        figure: the figure.
        x: the line's value on the x axis (a number, or an ISO date on a date axis).
        name: a stable name for the shape and its label (tests and scripts find lines by it).
        text: the label, e.g. "85%: 2024-03-01"; "" draws the line alone.
        colour: line and label colour.
        row: the label's row.
        dash: Plotly dash style.
    """
    figure.add_shape(
        type="line", name=name, yref="paper", x0=x, x1=x, y0=0, y1=1, line={"color": colour, "width": 1.5, "dash": dash}
    )
    if not text:
        return
    figure.add_annotation(
        name=name,
        text=escape(text),
        x=x,
        xanchor="auto",
        yref="paper",
        y=1,
        yanchor="top",
        yshift=-_LABEL_ROW_PIXELS * row,
        showarrow=False,
        bgcolor="rgba(255,255,255,0.85)",
        font={"size": 11, "color": colour},
    )


def label_headroom(figure: AnyFigure, *, top: float, rows: int) -> None:
    """Extend the y axis above ``top`` so that ``rows`` rows of line labels do not cover the data.

    Args:
        figure: the figure.
        top: the largest y value drawn.
        rows: how many label rows :func:`vertical_line` uses.
    """
    share = min(_LABEL_ROW_SHARE * rows, 0.6)
    figure.update_yaxes(range=[0, top / (1 - share) if top > 0 else 1])


def escape(text: str) -> str:
    """Return text safe to show in a Plotly title, label or hover (which read a little HTML).

    Quotes are left alone: Plotly does not decode ``&quot;``.

    Args:
        text: any text, e.g. an item title.

    Returns:
        The text with ``&``, ``<`` and ``>`` escaped.
    """
    return html.escape(text, quote=False)


def wrap_label(text: str, width: int, *, max_lines: int = 3) -> str:
    """Return a category label broken with ``<br>`` at word boundaries, at most ``width`` characters a line.

    Plotly does not wrap tick labels: a long one pushes the plot aside or runs off a phone's
    screen. A word longer than ``width`` is split; past ``max_lines`` lines the last one ends with
    "…" (the chart's hover gives the whole text). Each line is HTML-escaped.

    Args:
        text: the label, e.g. a blocker reason.
        width: the most characters a line (before escaping).
        max_lines: the most lines.

    Returns:
        The escaped lines joined by ``<br>``.
    """
    lines: list[str] = []
    for word in text.split():
        pieces = [word[start : start + width] for start in range(0, len(word), width)]
        if lines and len(lines[-1]) + 1 + len(pieces[0]) <= width:
            lines[-1] += " " + pieces.pop(0)
        lines += pieces
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return "<br>".join(escape(line) for line in lines) or escape(text)


def wrapped_height(
    labels: Sequence[str], *, base: int = 320, line_pixels: int = 15, gap_pixels: int = 3, room: int = 140
) -> int | None:
    """Return a chart height that gives every line of wrapped category labels (see :func:`wrap_label`) room.

    Args:
        labels: the tick labels, lines separated by ``<br>``, one per category.
        base: the chart's usual height (the page's minimum).
        line_pixels: pixels a label line needs (12 px text).
        gap_pixels: pixels between two categories' labels.
        room: pixels of the chart that are not the plot (titles, axis, margins).

    Returns:
        The height in pixels, or None when the usual height is enough (the layout is left to the page).
    """
    # Plotly gives every category the same band, so the label with the most lines sets the band's height;
    # ten one-line labels fit the usual height.
    lines = max((label.count("<br>") + 1 for label in labels), default=1)
    needed = room + (line_pixels * lines + gap_pixels) * len(labels)
    return needed if needed > base else None


def percent_label(percent: float) -> str:
    """Return a percentile level as text, e.g. ``85%``.

    Args:
        percent: the level.

    Returns:
        The text.
    """
    return f"{percent:g}%"


def percentile_groups(values: Mapping[float, int | None] | Mapping[int, int | None]) -> list[tuple[list[float], int]]:
    """Group percentile levels that share a value, so one line carries one label ("70%, 85%: 7 days").

    Args:
        values: level -> value (None values are left out).

    Returns:
        ``[(levels, value)]`` in order of value.
    """
    groups: dict[int, list[float]] = {}
    for level, value in sorted(values.items()):
        if value is not None:
            groups.setdefault(value, []).append(float(level))
    return [(levels, value) for value, levels in sorted(groups.items())]


def days_text(days: float) -> str:
    """Return a number of days as text: "1 day", "12 days", "2.5 days".

    Args:
        days: the number of days.

    Returns:
        The text.
    """
    return "1 day" if days == 1 else f"{days:g} days"


def items_text(count: int) -> str:
    """Return a number of items as text: "1 item", "1,200 items".

    Args:
        count: the number of items.

    Returns:
        The text.
    """
    return "1 item" if count == 1 else f"{count:,} items"


def _escaped(column: pl.Expr) -> pl.Expr:
    return (
        column.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )


def item_labels(frame: pl.DataFrame, *, with_title: bool = True) -> list[str]:
    """Return one label per row naming the item: "KEY · title" (HTML-escaped for hover text).

    Titles longer than 60 characters are shortened with "…".

    Args:
        frame: rows with ``item_id`` and, when known, ``key`` and ``title``.
        with_title: False gives the key alone.

    Returns:
        The labels; an item without a key is named by its id ("#12").
    """
    by_id = pl.lit("#") + pl.col("item_id").cast(pl.Utf8)
    label = by_id
    if "key" in frame.columns:
        key = pl.col("key").cast(pl.Utf8)
        label = pl.when(key.is_not_null() & (key != "")).then(_escaped(key)).otherwise(by_id)
    if with_title and "title" in frame.columns:
        title = pl.col("title").cast(pl.Utf8)
        short = (
            pl.when(title.str.len_chars() <= _TITLE_CHARACTERS)
            .then(title)
            .otherwise(title.str.slice(0, _TITLE_CHARACTERS - 1).str.strip_chars_end() + "…")
        )
        label = pl.when(title.is_not_null() & (title != "")).then(label + " · " + _escaped(short)).otherwise(label)
    return frame.select(label.alias("label"))["label"].to_list()


def key_list(keys: Sequence[str], limit: int = 8) -> str:
    """Return item keys for a hover line, at most ``limit`` of them: "A-1, A-2 and 3 more".

    Args:
        keys: the (already escaped) keys.
        limit: how many to name.

    Returns:
        The text ("" for no keys).
    """
    shown = ", ".join(keys[:limit])
    return shown if len(keys) <= limit else f"{shown} and {len(keys) - limit:,} more"


def iso_dates(values: Sequence[date | None]) -> list[str | None]:
    """Return dates as ISO strings (None stays None).

    Args:
        values: the dates.

    Returns:
        The strings.
    """
    return [None if value is None else value.isoformat() for value in values]


def spec_json(spec: ChartSpec | Mapping[str, Any]) -> str:
    """Return a chart spec as compact JSON to embed in a page's ``<script type="application/json">``.

    No spaces between values and non-ASCII text as it is (UTF-8), so a chart of thousands of points
    weighs what its data does; ``</`` and ``<!--`` are escaped so the text cannot end the script
    element. NaN and infinite numbers, which JSON lacks, become null.

    Args:
        spec: the chart.

    Returns:
        The JSON text, safe inside a script element.
    """
    try:
        text = json.dumps(spec, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(spec), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def page_figure(name: str, spec: ChartSpec | Mapping[str, Any], *, definition: str = "/definitions") -> dict[str, Any]:
    """A chart for a template: the title moves to the page's heading, so it is not shown twice.

    Args:
        name: the chart's name (its element id and CSV name).
        spec: the chart.
        definition: the link used when the chart's layout names no definition of its own.

    Returns:
        ``name``, ``spec`` (without its title), ``json`` (that spec as :func:`spec_json` text),
        ``title``, ``notes`` (the subtitle's lines as plain text) and ``definition``, for the chart macro.
    """
    layout = dict(spec["layout"])
    title = layout.pop("title", {}) or {}
    shown = {"data": spec["data"], "layout": layout}
    subtitle = title.get("subtitle", {}) if isinstance(title, dict) else {}
    text = subtitle.get("text", "") if isinstance(subtitle, dict) else ""
    return {
        "name": name,
        "spec": shown,
        "json": spec_json(shown),
        # The subtitle's lines (period, caveats such as "Showing 1,000 of 4,512 items"), shown under the heading.
        "notes": [html.unescape(line) for line in text.split("<br>") if line],
        "title": title.get("text", name) if isinstance(title, dict) else str(title),
        "definition": layout.get("meta", {}).get("definition", definition),
    }
