"""Plotly figures of the team flow page about items: aging work in progress, flow efficiency, blocked time.

Each builder takes a :class:`~deliveryops.analytics.flow.FlowSummary` and returns a
:class:`~deliveryops.charts.ChartSpec`; with no data it returns a valid figure whose
annotation says what is missing.
"""

from __future__ import annotations

import re

import polars as pl
from plotly.colors import sample_colorscale

from deliveryops.analytics.flow import FlowSummary
from deliveryops.charts import (
    BAND_COLOURS,
    BLUE,
    NO_FINISHED_MESSAGE,
    VERMILLION,
    ChartSpec,
    days_text,
    empty_chart,
    escape,
    horizontal_line,
    iso_dates,
    item_labels,
    items_text,
    key_list,
    label_headroom,
    new_chart,
    percent_label,
    to_spec,
    wrap_label,
    wrapped_height,
)

__all__ = ["aging_wip_chart", "blocker_chart", "flow_efficiency_chart"]

_PERCENTILE_COLUMN = re.compile(r"p(\d+(?:\.\d+)?)_days")
_BAND_NAMES = {
    "green": ("Younger than half the SLE", "circle"),
    "amber": ("Within the SLE", "diamond"),
    "red": ("Older than the SLE", "square"),
    None: ("No SLE yet", "circle"),
}
_BLOCKERS_SHOWN = 10
_REASON_CHARACTERS = 28
_STAGE_CHARACTERS = 12
_EFFICIENCY_BIN = 10


def _period(summary: FlowSummary) -> str:
    return f"{summary.start.isoformat()} to {summary.end.isoformat()}"


def aging_wip_chart(summary: FlowSummary) -> ChartSpec:
    """Return the aging WIP chart: each item in progress by stage and age, against stage history and the SLE.

    Dots are coloured (and shaped) by band; within a stage they are spread by a fixed
    golden-ratio jitter, so the chart is the same on every load. Per stage, short lines mark the
    percentiles of the age past items had when they left it.

    Args:
        summary: the flow summary.

    Returns:
        The chart spec; x = stage (numeric positions labelled with the status names, in board order),
        y = work item age in days.
    """
    aging = summary.aging
    figure = new_chart(
        title="Aging work in progress",
        subtitle=f"In progress on {summary.today.isoformat()}",
        x_title="Workflow stage (board order)",
        y_title="Work item age (days)",
        definition="age",
    )
    stages = aging.stages["status"].to_list()
    items = aging.items
    stages += [status for status in dict.fromkeys(items["current_status"].to_list()) if status not in stages]
    if not stages:
        return empty_chart(figure, "No work in progress today")
    percent_columns = [(float(match[1]), name) for name in aging.stages.columns if (match := _PERCENTILE_COLUMN.fullmatch(name))]
    shades = sample_colorscale(
        "Blues", [0.35 + 0.6 * index / max(len(percent_columns) - 1, 1) for index in range(len(percent_columns))]
    )
    samples = aging.stages["samples"].to_list()
    levels = "/".join(f"{percent:g}" for percent, _ in percent_columns)
    for position, ((percent, column), shade) in enumerate(zip(percent_columns, shades, strict=True)):
        xs: list[float | None] = []
        ys: list[int | None] = []
        texts: list[str | None] = []
        for index, (value, count) in enumerate(zip(aging.stages[column].to_list(), samples, strict=True)):
            if value is None:
                continue
            text = (
                f"{escape(stages[index])}: {percent_label(percent)} of past items left it by age {days_text(value)}"
                f" ({items_text(count)})"
            )
            xs += [index - 0.4, index + 0.4, None]
            ys += [value, value, None]
            texts += [text, text, None]
        figure.add_trace(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines",
                # One legend entry for all the levels keeps the legend short on a phone; hover tells them apart.
                "name": f"Past items left by ({levels}%)",
                "legendgroup": "history",
                "showlegend": position == 0,
                "line": {"color": shade, "width": 3},
                "hovertext": texts,
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    column_of = {status: index for index, status in enumerate(stages)}
    seen: dict[int, int] = {}
    offsets = []
    for status in items["current_status"].to_list():
        rank = seen[column_of[status]] = seen.get(column_of[status], -1) + 1
        offsets.append(column_of[status] + (((rank * 0.6180339887 + 0.5) % 1) - 0.5) * 0.5)
    labels = item_labels(items)
    frame = items.select("age_days", "band", "current_status", "started_date").with_columns(
        pl.Series("x", offsets, dtype=pl.Float64), pl.Series("label", labels, dtype=pl.Utf8)
    )
    for band, (name, symbol) in _BAND_NAMES.items():
        rows = frame.filter(pl.col("band").is_null() if band is None else pl.col("band") == band)
        if rows.is_empty():
            continue
        figure.add_trace(
            {
                "type": "scatter",
                "x": rows["x"].to_list(),
                "y": rows["age_days"].to_list(),
                "mode": "markers",
                "name": name,
                "marker": {"color": BAND_COLOURS[band], "symbol": symbol, "size": 10, "line": {"color": "#ffffff", "width": 1}},
                "hovertext": [
                    f"{label} · {days_text(age)}<br>In {escape(status)}; started {started}"
                    for label, age, status, started in zip(
                        rows["label"].to_list(),
                        rows["age_days"].to_list(),
                        rows["current_status"].to_list(),
                        iso_dates(rows["started_date"].to_list()),
                        strict=True,
                    )
                ],
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    history = [value for _, column in percent_columns for value in aging.stages[column].to_list() if value is not None]
    # Room above the highest dot or line for the SLE label, which would otherwise fall outside the plot.
    label_headroom(figure, top=max([*items["age_days"].to_list(), *history, aging.sle_days or 0]), rows=1)
    if aging.sle_days is not None:
        horizontal_line(
            figure,
            y=aging.sle_days,
            name="sle",
            text=f"SLE: {days_text(aging.sle_days)}",
            colour=VERMILLION,
            dash="solid",
            at="start",
        )
    figure.update_xaxes(
        tickmode="array",
        tickvals=list(range(len(stages))),
        # Long stage names wrap (side by side they overlap, or Plotly tilts them over the axis title); hover has them whole.
        ticktext=[wrap_label(stage, _STAGE_CHARACTERS) for stage in stages],
        range=[-0.5, len(stages) - 0.5],
        showgrid=False,
        zeroline=False,
    )
    if items.is_empty():
        return empty_chart(figure, "No work in progress today")
    return to_spec(figure)


def flow_efficiency_chart(summary: FlowSummary) -> ChartSpec:
    """Return the histogram of per-item flow efficiency, with the period's aggregate in the title.

    Args:
        summary: the flow summary.

    Returns:
        The chart spec: ten bars of 10 percentage points each (100% falls in the last one).
    """
    efficiency = summary.flow_efficiency
    overall = "" if efficiency.efficiency is None else f": {efficiency.efficiency * 100:.0f}% overall"
    items = efficiency.items.filter(pl.col("efficiency").is_not_null())
    left_out = efficiency.items.height - items.height
    figure = new_chart(
        title=f"Flow efficiency{overall}",
        subtitle=f"Finished {_period(summary)}",
        note=f"Not shown: {items_text(left_out)} with no started time" if left_out else None,
        x_title="Flow efficiency (%)",
        y_title="Finished items (count)",
        definition="flow-efficiency",
    )
    if items.is_empty():
        return empty_chart(figure, NO_FINISHED_MESSAGE)
    bins: list[list[str]] = [[] for _ in range(100 // _EFFICIENCY_BIN)]
    for value, label in zip(items["efficiency"].to_list(), item_labels(items, with_title=False), strict=True):
        bins[min(int(round(value * 100, 9) // _EFFICIENCY_BIN), len(bins) - 1)].append(label)
    lows = [index * _EFFICIENCY_BIN for index in range(len(bins))]
    figure.add_trace(
        {
            "type": "bar",
            "x": [low + _EFFICIENCY_BIN / 2 for low in lows],
            "y": [len(keys) for keys in bins],
            "width": _EFFICIENCY_BIN,
            "name": "Finished items",
            "marker": {"color": BLUE, "line": {"color": "#ffffff", "width": 1}},
            "hovertext": [
                f"{low}–{low + _EFFICIENCY_BIN}%: {items_text(len(keys))}" + (f"<br>{key_list(keys)}" if keys else "")
                for low, keys in zip(lows, bins, strict=True)
            ],
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
    )
    figure.update_xaxes(range=[0, 101], dtick=_EFFICIENCY_BIN * 2, ticksuffix="%")
    return to_spec(figure)


def blocker_chart(summary: FlowSummary) -> ChartSpec:
    """Return blocked time per reason, the ten costliest reasons as horizontal bars.

    An item blocked for two reasons at once counts under both, so the bars can add up to more than
    the items' blocked time.

    Args:
        summary: the flow summary.

    Returns:
        The chart spec; x = blocked days, one bar per reason, costliest on top.
    """
    clusters = summary.blocker_clusters
    more = f"The top {_BLOCKERS_SHOWN} of {clusters.height} reasons" if clusters.height > _BLOCKERS_SHOWN else None
    figure = new_chart(
        title="Blocked time by reason",
        subtitle="Inside started periods",
        note=more,
        x_title="Blocked time (days)",
        y_title="Blocker reason",
        definition="blocked-time",
    )
    if clusters.is_empty():
        return empty_chart(figure, "No blocked time recorded")
    top = clusters.head(_BLOCKERS_SHOWN)
    reasons = [reason or "(no reason given)" for reason in top["reason"].to_list()]
    # Long reasons wrap onto up to three short lines (one long line squeezes the bars off a phone's
    # screen, and Plotly cuts what does not fit); hover has them whole.
    ticks: list[str] = []
    for reason in reasons:
        tick = wrap_label(reason, _REASON_CHARACTERS)
        while tick in ticks:  # two very long reasons can shorten to the same text; keep their bars apart
            tick += " "
        ticks.append(tick)
    figure.add_trace(
        {
            "type": "bar",
            "x": top["blocked_days"].to_list(),
            "y": ticks,
            "orientation": "h",
            "name": "Blocked time",
            "marker": {"color": VERMILLION},
            "hovertext": [
                f"{escape(reason)}: {days:.1f} days ({hours:.0f} hours) blocked<br>{items_text(count)}, {blocks:,} blocks"
                for reason, days, hours, count, blocks in zip(
                    reasons,
                    top["blocked_days"].to_list(),
                    top["blocked_hours"].to_list(),
                    top["items"].to_list(),
                    top["blocks"].to_list(),
                    strict=True,
                )
            ],
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
    )
    figure.update_yaxes(type="category", autorange="reversed", rangemode="normal")
    if (height := wrapped_height(ticks)) is not None:
        figure.update_layout(height=height)
    return to_spec(figure)
