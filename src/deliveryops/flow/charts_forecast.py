"""Plotly figures of the forecast page: Monte Carlo "when" and "how many", and their calibration.

Each builder returns a :class:`~deliveryops.charts.ChartSpec`; a forecast that has no
distribution to show (nothing remaining, no throughput) gives a figure carrying its message.
"""

from __future__ import annotations

from datetime import timedelta

from deliveryops.analytics.forecast import CalibrationReport, ForecastInputs, HowManyForecast, WhenForecast
from deliveryops.charts import (
    BLACK,
    BLUE,
    VERMILLION,
    ChartSpec,
    empty_chart,
    items_text,
    label_headroom,
    new_chart,
    percent_label,
    percentile_groups,
    to_spec,
    vertical_line,
)

__all__ = ["calibration_chart", "forecast_how_many_chart", "forecast_when_chart"]

NO_DISTRIBUTION = "This forecast has no distribution to show"
_PERCENTILE_COLOUR = "#4d5560"
_KIND_NAMES = {"when": '"When" forecasts', "how_many": '"How many" forecasts'}


def _levels_text(levels: list[float]) -> str:
    return ", ".join(percent_label(level) for level in levels)


def _levels_name(levels: list[float]) -> str:
    return "percentile-" + "-".join(f"{level:g}" for level in levels)


def _inputs_text(inputs: ForecastInputs) -> str:
    return f"{inputs.trials:,} trials, {inputs.window_days:,}-day window, seed {inputs.seed}"


def forecast_when_chart(forecast: WhenForecast) -> ChartSpec:
    """Return the distribution of completion dates of a "when" forecast, with its percentile dates.

    Args:
        forecast: the forecast.

    Returns:
        The chart spec: one bar per completion date (share of trials in %), a vertical line at each
        percentile's date and at the target date when one was set.
    """
    inputs = forecast.inputs
    unfinished = forecast.not_finished_trials
    figure = new_chart(
        title=f"When will {items_text(forecast.remaining_items)} be done?",
        subtitle=_inputs_text(inputs),
        note=f"{unfinished:,} trials not done within {forecast.max_days:,} days" if unfinished else None,
        x_title="Completion date",
        y_title="Share of trials (%)",
        definition="forecast-when",
    )
    if forecast.remaining_items == 0 or not forecast.histogram:
        return empty_chart(figure, forecast.message or NO_DISTRIBUTION)
    days = sorted(forecast.histogram)
    dates = [(forecast.start_date + timedelta(days=day)).isoformat() for day in days]
    shares = [forecast.histogram[day] / inputs.trials * 100 for day in days]
    done = 0
    hover = []
    for day, when, share in zip(days, dates, shares, strict=True):
        done += forecast.histogram[day]
        hover.append(f"{when} (day {day}): {share:.1f}% of trials<br>{done / inputs.trials:.1%} done by then")
    figure.add_trace(
        {
            "type": "bar",
            "x": dates,
            "y": shares,
            "name": "Trials finishing that day",
            "marker": {"color": BLUE},
            "hovertext": hover,
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
    )
    groups = percentile_groups(forecast.days)
    for row, (levels, day) in enumerate(groups):
        when = (forecast.start_date + timedelta(days=day)).isoformat()
        vertical_line(
            figure, x=when, name=_levels_name(levels), text=f"{_levels_text(levels)}: {when}", colour=_PERCENTILE_COLOUR, row=row
        )
    if forecast.target_date is not None:
        chance = "" if forecast.probability_by_target is None else f": {forecast.probability_by_target:.0%} chance"
        vertical_line(
            figure,
            x=forecast.target_date.isoformat(),
            name="target",
            text=f"Target {forecast.target_date.isoformat()}{chance}",
            colour=VERMILLION,
            dash="solid",
            row=len(groups),
        )
    label_headroom(figure, top=max(shares), rows=len(groups) + (forecast.target_date is not None))
    figure.update_xaxes(type="date")
    return to_spec(figure)


def forecast_how_many_chart(forecast: HowManyForecast) -> ChartSpec:
    """Return the distribution of items finished by the date of a "how many" forecast.

    The line at P% is the count reached or exceeded in at least P% of trials, so the 85% line lies
    to the left of the 50% one.

    Args:
        forecast: the forecast.

    Returns:
        The chart spec: one bar per total (share of trials in %) and a vertical line per level.
    """
    inputs = forecast.inputs
    figure = new_chart(
        title=f"How many items by {forecast.by_date.isoformat()}?",
        subtitle=_inputs_text(inputs),
        x_title="Items finished (count)",
        y_title="Share of trials (%)",
        definition="forecast-how-many",
    )
    if not forecast.histogram:
        return empty_chart(figure, forecast.message or NO_DISTRIBUTION)
    totals = sorted(forecast.histogram)
    shares = [forecast.histogram[total] / inputs.trials * 100 for total in totals]
    at_least = inputs.trials
    hover = []
    for total, share in zip(totals, shares, strict=True):
        hover.append(f"{items_text(total)}: {share:.1f}% of trials<br>{at_least / inputs.trials:.1%} finished {total:,} or more")
        at_least -= forecast.histogram[total]
    figure.add_trace(
        {
            "type": "bar",
            "x": totals,
            "y": shares,
            "name": "Trials finishing that many",
            "marker": {"color": BLUE},
            "hovertext": hover,
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
    )
    # Listed from the highest count (the least confident level) down, so rows read 50% first.
    groups = list(reversed(percentile_groups(forecast.counts)))
    for row, (levels, count) in enumerate(groups):
        vertical_line(
            figure,
            x=count,
            name=_levels_name(levels),
            text=f"{_levels_text(levels)}: {count:,} or more",
            colour=_PERCENTILE_COLOUR,
            row=row,
        )
    label_headroom(figure, top=max(shares), rows=len(groups))
    figure.update_layout(bargap=0.1)
    return to_spec(figure)


def calibration_chart(report: CalibrationReport, kind: str | None = None) -> ChartSpec:
    """Return how often past forecasts held at each percentile level, against the ideal.

    A well-calibrated 85% forecast holds 85% of the time: the bar should reach its ideal mark. Each bar
    carries the 95% Wilson interval of its hit rate; the hover text gives the verdict.

    Args:
        report: the calibration report.
        kind: "when" or "how_many" for one kind of forecast; None for all of them.

    Returns:
        The chart spec: a bar of the observed hit rate (%) per level and a mark at the level itself;
        levels with nothing scored yet are left out.
    """
    levels = report.levels if kind is None else report.by_kind.get(kind, {})
    figure = new_chart(
        title="Forecast calibration",
        subtitle=f"{_KIND_NAMES.get(kind or '', 'Past forecasts')} that held",
        note=f"{report.pending:,} more not yet due" if report.pending else None,
        x_title="Forecast confidence level (%)",
        y_title="Forecasts that held (%)",
        definition="forecast-calibration",
    )
    scored = [level for level in levels.values() if level.scored and level.hit_rate is not None]
    if not scored:
        return empty_chart(figure, "No forecasts have been scored yet")
    names = [percent_label(level.level) for level in scored]
    figure.add_trace(
        {
            "type": "bar",
            "x": names,
            "y": [(level.hit_rate or 0.0) * 100 for level in scored],
            "name": "Observed: share that held",
            "marker": {"color": BLUE},
            "error_y": {
                "type": "data",
                "symmetric": False,
                "array": [((level.high or 0.0) - (level.hit_rate or 0.0)) * 100 for level in scored],
                "arrayminus": [((level.hit_rate or 0.0) - (level.low or 0.0)) * 100 for level in scored],
                "color": BLACK,
            },
            "hovertext": [
                f"{percent_label(level.level)} level: held {level.held:,} of {level.scored:,} scored"
                f" ({(level.hit_rate or 0.0):.0%}; 95% interval {(level.low or 0.0):.0%} to {(level.high or 0.0):.0%})"
                f": {level.outcome.label}"
                for level in scored
            ],
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
    )
    figure.add_trace(
        {
            "type": "scatter",
            "x": names,
            "y": [level.level for level in scored],
            "mode": "markers",
            "name": "Ideal: the level itself",
            "marker": {"color": BLACK, "symbol": "line-ew-open", "size": 36, "line": {"width": 3, "color": BLACK}},
            "hovertext": [f"Ideal: {percent_label(level.level)} of forecasts hold" for level in scored],
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
    )
    figure.update_xaxes(type="category")
    figure.update_yaxes(range=[0, 105], ticksuffix="%")
    return to_spec(figure)
