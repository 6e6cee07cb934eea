"""Plotly figures of the team flow page over time: cycle time, throughput, WIP, net flow, cumulative flow.

Each builder returns a :class:`~deliveryops.charts.ChartSpec`; with no data it returns
a valid figure whose annotation says what is missing, never an error.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from deliveryops.analytics.flow import FlowSummary, Frequency, net_flow, throughput
from deliveryops.charts import (
    BLACK,
    BLUE,
    GREEN,
    GREY,
    NO_FINISHED_MESSAGE,
    ORANGE,
    PURPLE,
    SKY_BLUE,
    VERMILLION,
    YELLOW,
    ChartSpec,
    Figure,
    daily_x,
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
    percentile_groups,
    thin_points,
    thinning_note,
    to_spec,
    vertical_line,
)

__all__ = [
    "SCATTER_POINTS",
    "cumulative_flow_diagram",
    "cycle_time_histogram",
    "cycle_time_scatter",
    "net_flow_chart",
    "summary_frequency",
    "throughput_run_chart",
    "wip_run_chart",
]

NO_DAYS = "No days in this period"
SCATTER_POINTS = 1_000
"""The most dots the cycle time scatterplot draws; above it the cloud is thinned (the subtitle says so)."""
_PERCENTILE_COLOUR = "#4d5560"
_CFD_COLOURS = (SKY_BLUE, ORANGE, GREEN, YELLOW, BLUE, VERMILLION, PURPLE, GREY)
_HORIZONTAL_LABELS = ("end", "start")  # neighbouring percentile labels alternate ends, so they do not overlap
_WEEK_MILLISECONDS = 7 * 24 * 3600 * 1000
_WEEK_TICKS = 6


def _iso(dates: pl.Series) -> list[str | None]:
    return dates.dt.to_string("%Y-%m-%d").to_list()


def _period(summary: FlowSummary) -> str:
    return f"{summary.start.isoformat()} to {summary.end.isoformat()}"


def _percentile_text(levels: list[float], value: str) -> str:
    return f"{', '.join(percent_label(level) for level in levels)}: {value}"


def _percentile_name(levels: list[float]) -> str:
    return "percentile-" + "-".join(f"{level:g}" for level in levels)


def summary_frequency(summary: FlowSummary) -> Frequency:
    """Return the bucket size the summary's throughput and net flow were computed with.

    Args:
        summary: the flow summary.

    Returns:
        "day" when there is one bucket per day of the period starting on its first day, else "week".
    """
    days = (summary.end - summary.start).days + 1
    starts = summary.throughput["period_start"].to_list()
    return "day" if days > 0 and len(starts) == days and starts[0] == summary.start else "week"


def _bucketed(summary: FlowSummary, freq: Frequency | None, frame: pl.DataFrame, metric: str) -> tuple[Frequency, pl.DataFrame]:
    """Use the summary's own buckets when they have the asked size; recompute from the timeline otherwise."""
    own = summary_frequency(summary)
    if freq is None or freq == own:
        return own, frame
    compute = throughput if metric == "throughput" else net_flow
    return freq, compute(summary.timeline, start=summary.start, end=summary.end, freq=freq)


def _bucket_axis(freq: Frequency) -> tuple[str, str]:
    return ("Week (labelled by its Monday)", "week") if freq == "week" else ("Date", "day")


def _week_ticks(figure: Figure, starts: list[date]) -> None:
    """Put the ticks of a weekly axis on Mondays (Plotly's own weekly ticks fall on Sundays)."""
    if starts:
        step = max(1, -(-len(starts) // _WEEK_TICKS))
        figure.update_xaxes(tick0=starts[0].isoformat(), dtick=_WEEK_MILLISECONDS * step)


def _percentile_labels(percentiles: dict[float, int | None], sle_days: int | None) -> tuple[list[tuple[str, str, int]], str]:
    """Return (shape name, label, value) per group of equal percentiles, and the SLE's label.

    An SLE equal to a percentile (as it usually is: it is the 85th over a window) is named in that
    percentile's label and gets none of its own, so the two labels never sit on top of each other.
    """
    lines = []
    for levels, value in percentile_groups(percentiles):
        text = _percentile_text(levels, days_text(value)) + (" (SLE)" if value == sle_days else "")
        lines.append((_percentile_name(levels), text, value))
    shared = any(value == sle_days for _, _, value in lines)
    return lines, "" if sle_days is None or shared else f"SLE: {days_text(sle_days)}"


def _horizontal_percentiles(figure: Figure, percentiles: dict[float, int | None], sle_days: int | None) -> None:
    lines, sle_text = _percentile_labels(percentiles, sle_days)
    for index, (name, text, value) in enumerate(lines):
        horizontal_line(figure, y=value, name=name, text=text, colour=_PERCENTILE_COLOUR, at=_HORIZONTAL_LABELS[index % 2])
    if sle_days is not None:
        horizontal_line(figure, y=sle_days, name="sle", text=sle_text, colour=VERMILLION, dash="solid", at="middle")


def cycle_time_scatter(summary: FlowSummary) -> ChartSpec:
    """Return the cycle time scatterplot: one dot per finished item, with percentile and SLE lines.

    Above :data:`SCATTER_POINTS` finished items the cloud is thinned (:func:`~deliveryops.charts.thin_points`):
    every item above the highest percentile line is drawn and the others are sampled evenly by
    finish date; the subtitle says how many are shown. Percentiles, lines and the CSV use every item.

    Args:
        summary: the flow summary.

    Returns:
        The chart spec; x = finished date, y = cycle time in days; hover "KEY · title · N days",
        then the start and finish dates (the label is the trace's ``text``, the start date its
        ``customdata``).
    """
    frame = summary.cycle_times
    lines = [value for value in summary.cycle_time_percentiles.values() if value is not None]
    days_all = frame["cycle_time_days"].to_list()
    drawn = thin_points(days_all, SCATTER_POINTS, keep_above=max(lines) if lines else None)
    figure = new_chart(
        title="Cycle time of finished items",
        subtitle=f"Finished {_period(summary)}",
        note=thinning_note(len(drawn), frame.height, "finished items"),
        x_title="Finished date",
        y_title="Cycle time (days)",
        definition="cycle-time",
    )
    if frame.is_empty():
        return empty_chart(figure, NO_FINISHED_MESSAGE)
    shown = frame[drawn] if len(drawn) < frame.height else frame
    days = shown["cycle_time_days"].to_list()
    figure.add_trace(
        {
            "type": "scatter",
            "x": _iso(shown["finished_date"]),
            "y": days,
            "mode": "markers",
            "name": "Finished item",
            "text": [f"{label} · {days_text(value)}" for label, value in zip(item_labels(shown), days, strict=True)],
            "customdata": _iso(shown["started_date"]),
            "hovertemplate": "%{text}<br>Started %{customdata}, finished %{x|%Y-%m-%d}<extra></extra>",
            "marker": {"color": BLUE, "size": 9, "opacity": 0.75, "line": {"color": "#ffffff", "width": 1}},
        }
    )
    _horizontal_percentiles(figure, summary.cycle_time_percentiles, summary.sle_days)
    # Room above the highest line for its label, which would otherwise fall outside the plot.
    label_headroom(figure, top=max([*days_all, *lines, summary.sle_days or 0]), rows=1)
    figure.update_xaxes(type="date")
    return to_spec(figure)


def cycle_time_histogram(summary: FlowSummary) -> ChartSpec:
    """Return the cycle time histogram: one bar per cycle time value, with percentile markers.

    Args:
        summary: the flow summary.

    Returns:
        The chart spec; x = cycle time in days, y = finished items with that cycle time.
    """
    figure = new_chart(
        title="Cycle time distribution",
        subtitle=f"Finished {_period(summary)}",
        x_title="Cycle time (days)",
        y_title="Finished items (count)",
        definition="percentiles",
    )
    frame = summary.cycle_times
    if frame.is_empty():
        return empty_chart(figure, NO_FINISHED_MESSAGE)
    keys_by_days: dict[int, list[str]] = {}
    for value, label in zip(frame["cycle_time_days"].to_list(), item_labels(frame, with_title=False), strict=True):
        keys_by_days.setdefault(int(value), []).append(label)
    values = sorted(keys_by_days)
    counts = [len(keys_by_days[value]) for value in values]
    figure.add_trace(
        {
            "type": "bar",
            "x": values,
            "y": counts,
            "name": "Finished items",
            "marker": {"color": BLUE},
            "hovertext": [
                f"{days_text(value)}: {items_text(count)}<br>{key_list(keys_by_days[value])}"
                for value, count in zip(values, counts, strict=True)
            ],
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
    )
    lines, sle_text = _percentile_labels(summary.cycle_time_percentiles, summary.sle_days)
    for row, (name, text, value) in enumerate(lines):
        vertical_line(figure, x=value, name=name, text=text, colour=_PERCENTILE_COLOUR, row=row)
    if summary.sle_days is not None:
        vertical_line(figure, x=summary.sle_days, name="sle", text=sle_text, colour=VERMILLION, dash="solid", row=len(lines))
    label_headroom(figure, top=max(counts), rows=len(lines) + bool(sle_text))
    figure.update_layout(bargap=0.15)
    return to_spec(figure)


def _finished_keys_by_bucket(summary: FlowSummary, freq: Frequency) -> dict[date, list[str]]:
    frame = summary.cycle_times
    keys: dict[date, list[str]] = {}
    for finished, label in zip(frame["finished_date"].to_list(), item_labels(frame, with_title=False), strict=True):
        bucket = finished if freq == "day" else finished - timedelta(days=finished.weekday())
        keys.setdefault(bucket, []).append(label)
    return keys


def throughput_run_chart(summary: FlowSummary, freq: Frequency | None = None) -> ChartSpec:
    """Return the throughput run chart: items finished per day or per ISO week, with the mean.

    The mean line is the period's rate, total finished ÷ days × bucket length, so partial weeks at
    either end of the period do not drag it down; partial weeks are drawn paler.

    Args:
        summary: the flow summary.
        freq: "day" or "week"; None uses the summary's own buckets.

    Returns:
        The chart spec; bars sum to the items finished in the period.
    """
    freq, frame = _bucketed(summary, freq, summary.throughput, "throughput")
    x_title, unit = _bucket_axis(freq)
    figure = new_chart(
        title=f"Throughput per {unit}",
        subtitle=f"Finished {_period(summary)}",
        x_title="Finished date" if freq == "day" else x_title,
        y_title=f"Items finished per {unit}",
        definition="throughput",
    )
    if frame.is_empty():
        return empty_chart(figure, NO_DAYS)
    starts = frame["period_start"].to_list()
    finished = frame["finished"].to_list()
    days = frame["days"].to_list()
    length = 7 if freq == "week" else 1
    keys = _finished_keys_by_bucket(summary, freq)
    hover = []
    for start, count, in_period in zip(starts, finished, days, strict=True):
        label = f"Week of {start.isoformat()}" if freq == "week" else start.isoformat()
        partial = f" (partial week: {days_text(in_period)} in the period)" if in_period < length else ""
        names = key_list(keys.get(start, []))
        hover.append(f"{label}{partial}: {items_text(count)} finished" + (f"<br>{names}" if names else ""))
    figure.add_trace(
        {
            "type": "bar",
            "x": iso_dates(starts),
            "y": finished,
            "name": f"Items finished per {unit}",
            "marker": {"color": BLUE, "opacity": [1.0 if in_period == length else 0.5 for in_period in days]},
            "hovertext": hover,
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
    )
    figure.update_xaxes(type="date")
    if freq == "week":
        _week_ticks(figure, starts)
    total = sum(finished)
    if total == 0:
        return empty_chart(figure, NO_FINISHED_MESSAGE)
    mean = total / sum(days) * length
    horizontal_line(figure, y=mean, name="mean", text=f"Mean: {mean:.1f} items/{unit}", colour=BLACK)
    return to_spec(figure)


def wip_run_chart(summary: FlowSummary) -> ChartSpec:
    """Return the WIP run chart: items in progress at the end of each day, with the average.

    Args:
        summary: the flow summary.

    Returns:
        The chart spec; x = date, y = items in progress at the end of that day.
    """
    figure = new_chart(
        title="Work in progress",
        subtitle=f"End of day, {_period(summary)}",
        x_title="Date (end of day)",
        y_title="Work in progress (items)",
        definition="wip",
    )
    frame = summary.wip
    if frame.is_empty():
        return empty_chart(figure, NO_DAYS)
    counts = frame["wip"].to_list()
    figure.add_trace(
        {
            "type": "scatter",
            **daily_x(frame["date"].to_list()),
            "y": counts,
            "mode": "lines",
            "line": {"color": BLUE, "width": 2, "shape": "hv"},
            "name": "Work in progress",
            "hovertemplate": "%{x|%Y-%m-%d}: %{y} in progress<extra></extra>",
        }
    )
    figure.update_xaxes(type="date")
    if sum(counts) == 0:
        return empty_chart(figure, "No work in progress in this period")
    average = sum(counts) / len(counts)
    horizontal_line(figure, y=average, name="mean", text=f"Average: {average:.1f} items", colour=BLACK)
    return to_spec(figure)


def net_flow_chart(summary: FlowSummary, freq: Frequency | None = None) -> ChartSpec:
    """Return arrivals (items started) against departures (items finished) per bucket, and the net.

    Args:
        summary: the flow summary.
        freq: "day" or "week"; None uses the summary's own buckets.

    Returns:
        The chart spec: grouped bars of arrivals, departures (and discards after start, when any)
        and a line of net flow = arrivals − departures − discarded (the change in WIP).
    """
    freq, frame = _bucketed(summary, freq, summary.net_flow, "net_flow")
    x_title, unit = _bucket_axis(freq)
    figure = new_chart(
        title="Net flow: started vs finished",
        subtitle=f"Per {unit}, {_period(summary)}",
        x_title=x_title,
        y_title=f"Items per {unit}",
        definition="wip",
    )
    if frame.is_empty():
        return empty_chart(figure, NO_DAYS)
    x = iso_dates(frame["period_start"].to_list())
    series = [
        ("arrivals", "Started (arrivals)", ORANGE, "started"),
        ("departures", "Finished (departures)", BLUE, "finished"),
        ("discarded", "Discarded after start", GREY, "discarded after start"),
    ]
    for column, name, colour, verb in series:
        values = frame[column].to_list()
        if column == "discarded" and not any(values):
            continue
        figure.add_trace(
            {
                "type": "bar",
                "x": x,
                "y": values,
                "name": name,
                "marker": {"color": colour},
                "customdata": [items_text(count) for count in values],
                "hovertemplate": f"%{{x|%Y-%m-%d}}: %{{customdata}} {verb}<extra></extra>",
            }
        )
    net = frame["net"].to_list()
    figure.add_trace(
        {
            "type": "scatter",
            "x": x,
            "y": net,
            "mode": "lines+markers",
            "name": "Net flow (change in WIP)",
            "line": {"color": BLACK, "width": 2},
            "marker": {"symbol": "diamond", "size": 7},
            "hovertemplate": "%{x|%Y-%m-%d}: net %{y:+d} items<extra></extra>",
        }
    )
    figure.update_layout(barmode="group")
    figure.update_xaxes(type="date")
    if freq == "week":
        _week_ticks(figure, frame["period_start"].to_list())
    figure.update_yaxes(rangemode="normal", zeroline=True)
    if not any(frame["arrivals"].to_list()) and not any(frame["departures"].to_list()) and not any(net):
        return empty_chart(figure, "No items started or finished in this period")
    return to_spec(figure)


def cumulative_flow_diagram(summary: FlowSummary) -> ChartSpec:
    """Return the cumulative flow diagram: per status, the items at or beyond it, stacked in board order.

    Later statuses are drawn first, so the finished stages lie at the bottom and the earliest stage
    on top; the height of each band is the number of items in that status.

    Args:
        summary: the flow summary.

    Returns:
        The chart spec; one filled trace per status, in reverse board order.
    """
    figure = new_chart(
        title="Cumulative flow",
        subtitle=f"End of day, {_period(summary)}",
        x_title="Date (end of day)",
        y_title="Items (cumulative)",
        definition="wip",
    )
    frame = summary.cumulative_flow
    if frame.is_empty():
        return empty_chart(figure, NO_DAYS)
    first_day = frame["date"][0]
    statuses = frame.filter(pl.col("date") == first_day)["status"].to_list()
    dates = frame.filter(pl.col("status") == statuses[0])["date"].to_list()
    x = daily_x(dates)
    lines = [frame.filter(pl.col("status") == status)["items"].to_list() for status in statuses]
    # The diagram starts at the period's start: items already in the last stage by then are left out of every
    # band (each band counts items at or beyond its status, so each keeps its height), or they would fill the
    # chart and flatten the active stages.
    before = lines[-1][0] if lines and lines[-1] else 0
    if before:
        lines = [[value - before for value in line] for line in lines]
        left_out = f"End of day, {_period(summary)}; {before} items in {statuses[-1]} before it left out"
        figure.update_layout(title={"subtitle": {"text": escape(left_out)}})
    colours = [_CFD_COLOURS[index % len(_CFD_COLOURS)] for index in range(len(statuses))]
    for index in reversed(range(len(statuses))):
        later = lines[index + 1] if index + 1 < len(lines) else [0] * len(dates)
        in_status = [total - beyond for total, beyond in zip(lines[index], later, strict=True)]
        figure.add_trace(
            {
                "type": "scatter",
                **x,
                "y": lines[index],
                "mode": "lines",
                "name": escape(statuses[index]),
                "fill": "tozeroy" if index == len(statuses) - 1 else "tonexty",
                "line": {"color": "#ffffff", "width": 0.5},
                "fillcolor": colours[index],
                "customdata": in_status,
                "hovertemplate": "%{fullData.name}: %{customdata} in it, %{y} at or beyond<extra></extra>",
            }
        )
    figure.update_layout(hovermode="x unified", legend={"traceorder": "reversed"})
    figure.update_xaxes(type="date")
    if not any(any(line) for line in lines):
        return empty_chart(figure, "No items on the board in this period")
    return to_spec(figure)
