"""Plotly figures of the flow and forecast pages, from a hand-worked literal history (no database)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest

from deliveryops.analytics.flow import FlowSummary, flow_summary
from deliveryops.analytics.forecast import ForecastOutcome, calibration, forecast_how_many, forecast_when
from deliveryops.charts import wrap_label
from deliveryops.flow.charts import (
    CSV_NAMES,
    FLOW_CHARTS,
    ChartSpec,
    aging_wip_chart,
    blocker_chart,
    calibration_chart,
    csv_rows,
    cumulative_flow_diagram,
    cycle_time_histogram,
    cycle_time_scatter,
    flow_chart,
    flow_efficiency_chart,
    forecast_how_many_chart,
    forecast_when_chart,
    net_flow_chart,
    summary_frequency,
    throughput_run_chart,
    wip_run_chart,
)
from deliveryops.work.records import StageCategory
from tests.analytics.flow_histories import WORKFLOW, ZONE, blocks, history, utc

# Period: Monday 1 to Sunday 21 January 2024, three whole ISO weeks; today is 21 January in Berlin.
#   1: Dev 2, Review 4, Test 5, Done 8 Jan: cycle time 7 days; blocked 3-4 Jan in Dev ("approval")
#   2: Dev 10 (09:00), Review 10 (15:00), Test 12, Done 15 Jan: 6 days; blocked 11 Jan 12:00 to 13 Jan
#      00:00 ("environment", 36 hours), 12 of them in Test (active)
#   3: Backlog 1, Done 9 Jan: backfilled, 1 day, no time in a started stage
#   8: Dev 16 Jan 12:00, Done 16 Jan 15:00: 1 day, all active
#   In progress on 21 Jan: 6 (Dev since 1 Jan, 21 days), 5 (Review, started 12 Jan, 10 days),
#   7 (Dev since 15 Jan, 7 days), 4 (Dev since 18 Jan, 4 days)
# Cycle times by finish: [7, 1, 6, 1]; nearest rank: 50% -> 1, 70% -> 6, 85% and 95% -> 7.
TRANSITIONS = history(
    (1, "Dev", utc(1, 2)),
    (1, "Review", utc(1, 4)),
    (1, "Test", utc(1, 5)),
    (1, "Done", utc(1, 8)),
    (2, "Dev", utc(1, 10, 9)),
    (2, "Review", utc(1, 10, 15)),
    (2, "Test", utc(1, 12)),
    (2, "Done", utc(1, 15)),
    (3, "Backlog", utc(1, 1)),
    (3, "Done", utc(1, 9)),
    (4, "Dev", utc(1, 18)),
    (5, "Dev", utc(1, 12)),
    (5, "Review", utc(1, 13)),
    (6, "Dev", utc(1, 1)),
    (7, "Dev", utc(1, 15)),
    (8, "Dev", utc(1, 16)),
    (8, "Done", utc(1, 16, 15)),
)
ITEMS = pl.DataFrame(
    {
        "item_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "key": [f"OPS-{number}" for number in range(1, 9)],
        "title": ["Fix <script> login", "Export", "Docs", "Search", "Billing", "Migration", "Audit", "Typo"],
        "item_type": ["Story"] * 8,
        "created_at": [utc(1, 1)] * 8,
    }
)
BLOCKED = blocks((1, utc(1, 3), utc(1, 4), "approval"), (2, utc(1, 11), utc(1, 13, 0), "environment"))
START, END = date(2024, 1, 1), date(2024, 1, 21)
NOW = utc(1, 21, 18)
ANCHORS = {
    "started", "finished", "cycle-time", "age", "throughput", "wip", "percentiles", "sle", "flow-efficiency",
    "blocked-time", "forecast-when", "forecast-how-many", "forecast-calibration",
}  # fmt: skip
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]


def summarise(transitions: pl.DataFrame = TRANSITIONS, *, sle_days: int | None = 10, freq: str = "week") -> FlowSummary:
    return flow_summary(
        transitions,
        ITEMS,
        BLOCKED if transitions.height else blocks(),
        workflow=WORKFLOW,
        zone=ZONE,
        start=START,
        end=END,
        now=NOW,
        freq="week" if freq == "week" else "day",
        window_days=30,
        sle_days=sle_days,
    )


SUMMARY = summarise()
EMPTY = summarise(history())


def trace(spec: ChartSpec, name: str) -> dict[str, Any]:
    matches = [entry for entry in spec["data"] if entry.get("name") == name]
    assert len(matches) == 1, [entry.get("name") for entry in spec["data"]]
    return matches[0]


_FIELD = re.compile(r"%\{([a-zA-Z.]+)(?:[|:]([^}]*))?\}")


def xs(entry: dict[str, Any]) -> list[Any]:
    """A trace's x values, also when given as a start and a step of whole days (``x0``, ``dx``)."""
    if "x" in entry:
        return list(entry["x"])
    first = date.fromisoformat(entry["x0"])
    assert entry["dx"] == 24 * 3600 * 1000
    return [(first + timedelta(days=index)).isoformat() for index in range(len(entry["y"]))]


def hover(entry: dict[str, Any], index: int) -> str:
    """The hover text of one point as Plotly shows it: the trace's template filled with the point's values."""
    template = entry["hovertemplate"].replace("<extra></extra>", "")
    point = {"x": xs(entry)[index], "y": entry["y"][index], "fullData.name": entry.get("name")}
    point.update({name: entry[name][index] for name in ("hovertext", "text", "customdata") if name in entry})

    def fill(match: re.Match[str]) -> str:
        value = point[match[1]]
        if match[2] == "%Y-%m-%d":
            return date.fromisoformat(str(value)[:10]).isoformat()
        if match[2] == "+d":
            return f"{value:+d}"
        assert match[2] is None, match[2]
        return str(value)

    return _FIELD.sub(fill, template)


def shapes(spec: ChartSpec) -> dict[str, dict[str, Any]]:
    return {shape["name"]: shape for shape in spec["layout"].get("shapes", [])}


def labels(spec: ChartSpec) -> dict[str, str]:
    """Label per line: the shape's own label (horizontal lines) or its annotation (vertical lines)."""
    found = {name: shape["label"]["text"] for name, shape in shapes(spec).items() if shape.get("label", {}).get("text")}
    found.update({note["name"]: note["text"] for note in spec["layout"].get("annotations", []) if note.get("name") != "empty"})
    return found


def empty_message(spec: ChartSpec) -> str | None:
    notes = [note["text"] for note in spec["layout"].get("annotations", []) if note.get("name") == "empty"]
    return notes[0] if notes else None


def titles(spec: ChartSpec) -> tuple[str, str, str]:
    layout = spec["layout"]
    return layout["title"]["text"], layout["xaxis"]["title"]["text"], layout["yaxis"]["title"]["text"]


def all_flow_specs(summary: FlowSummary) -> dict[str, ChartSpec]:
    return {chart.name: flow_chart(summary, chart.name) for chart in FLOW_CHARTS}


def test_cycle_time_scatter_plots_each_finished_item_with_percentile_and_sle_lines() -> None:
    spec = cycle_time_scatter(SUMMARY)

    dots = trace(spec, "Finished item")
    assert dots["x"] == ["2024-01-08", "2024-01-09", "2024-01-15", "2024-01-16"]
    assert dots["y"] == [7, 1, 6, 1] == SUMMARY.cycle_times["cycle_time_days"].to_list()
    assert hover(dots, 0) == "OPS-1 · Fix &lt;script&gt; login · 7 days<br>Started 2024-01-02, finished 2024-01-08"
    assert hover(dots, 1).startswith("OPS-3 · Docs · 1 day<br>")
    lines = shapes(spec)
    assert {name: line["y0"] for name, line in lines.items()} == {
        "percentile-50": 1,
        "percentile-70": 6,
        "percentile-85-95": 7,
        "sle": 10,
    }
    assert all(line["y0"] == line["y1"] and line["xref"] == "paper" for line in lines.values())
    assert labels(spec) == {
        "percentile-50": "50%: 1 day",
        "percentile-70": "70%: 6 days",
        "percentile-85-95": "85%, 95%: 7 days",
        "sle": "SLE: 10 days",
    }
    assert spec["layout"]["yaxis"]["range"][1] > 10  # room for the SLE label above its line
    assert titles(spec) == ("Cycle time of finished items", "Finished date", "Cycle time (days)")
    assert spec["layout"]["title"]["subtitle"]["text"] == "Finished 2024-01-01 to 2024-01-21"
    assert spec["layout"]["meta"] == {"definition": "/definitions#cycle-time"}


def test_an_sle_equal_to_a_percentile_is_named_in_that_percentile_label() -> None:
    summary = summarise(sle_days=None)  # the 85th percentile over 30 days: 7
    spec = cycle_time_scatter(summary)

    assert summary.sle_days == 7
    assert shapes(spec)["sle"]["y0"] == 7
    assert labels(spec) == {
        "percentile-50": "50%: 1 day",
        "percentile-70": "70%: 6 days",
        "percentile-85-95": "85%, 95%: 7 days (SLE)",
    }


def test_cycle_time_histogram_counts_items_per_cycle_time_with_percentile_markers() -> None:
    spec = cycle_time_histogram(SUMMARY)

    bars = trace(spec, "Finished items")
    assert bars["x"] == [1, 6, 7]
    assert bars["y"] == [2, 1, 1]
    assert bars["hovertext"][0] == "1 day: 2 items<br>OPS-3, OPS-8"
    assert {name: shape["x0"] for name, shape in shapes(spec).items()} == {
        "percentile-50": 1,
        "percentile-70": 6,
        "percentile-85-95": 7,
        "sle": 10,
    }
    assert labels(spec)["percentile-85-95"] == "85%, 95%: 7 days"
    assert labels(spec)["sle"] == "SLE: 10 days"
    # Four label rows above the highest bar (2 items) leave the bars uncovered.
    assert spec["layout"]["yaxis"]["range"][1] > 2
    assert titles(spec) == ("Cycle time distribution", "Cycle time (days)", "Finished items (count)")
    assert spec["layout"]["meta"]["definition"] == "/definitions#percentiles"


def test_weekly_throughput_bars_sum_to_the_finished_items_with_the_mean_rate() -> None:
    spec = throughput_run_chart(SUMMARY)

    bars = trace(spec, "Items finished per week")
    assert bars["x"] == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert bars["y"] == [0, 2, 2]
    assert sum(bars["y"]) == SUMMARY.cycle_times.height == 4
    assert bars["hovertext"][1] == "Week of 2024-01-08: 2 items finished<br>OPS-1, OPS-3"
    assert shapes(spec)["mean"]["y0"] == pytest.approx(4 / 21 * 7)
    assert labels(spec)["mean"] == "Mean: 1.3 items/week"
    assert titles(spec) == ("Throughput per week", "Week (labelled by its Monday)", "Items finished per week")
    # Weekly ticks fall on Mondays.
    assert spec["layout"]["xaxis"]["tick0"] == "2024-01-01"
    assert spec["layout"]["xaxis"]["dtick"] == 7 * 24 * 3600 * 1000
    assert spec["layout"]["meta"]["definition"] == "/definitions#throughput"
    assert summary_frequency(SUMMARY) == "week"


def test_daily_throughput_is_recomputed_from_the_timeline() -> None:
    spec = throughput_run_chart(SUMMARY, "day")

    bars = trace(spec, "Items finished per day")
    assert len(bars["x"]) == 21
    assert sum(bars["y"]) == 4
    assert bars["y"][7:9] == [1, 1]  # 8 and 9 January
    assert shapes(spec)["mean"]["y0"] == pytest.approx(4 / 21)
    assert titles(spec) == ("Throughput per day", "Finished date", "Items finished per day")
    assert summary_frequency(summarise(freq="day")) == "day"


def test_a_partial_week_is_drawn_paler_and_said_to_be_partial() -> None:
    summary = flow_summary(
        TRANSITIONS, ITEMS, BLOCKED, workflow=WORKFLOW, zone=ZONE, start=date(2024, 1, 3), end=END, now=NOW, sle_days=10
    )
    spec = throughput_run_chart(summary)

    bars = trace(spec, "Items finished per week")
    assert bars["marker"]["opacity"] == [0.5, 1.0, 1.0]
    assert bars["hovertext"][0] == "Week of 2024-01-01 (partial week: 5 days in the period): 0 items finished"
    assert shapes(spec)["mean"]["y0"] == pytest.approx(4 / 19 * 7)


def test_wip_run_chart_shows_end_of_day_wip_and_its_average() -> None:
    spec = wip_run_chart(SUMMARY)

    line = trace(spec, "Work in progress")
    assert xs(line)[0] == "2024-01-01"
    assert xs(line) == [day.isoformat() for day in SUMMARY.wip["date"].to_list()]
    assert line["y"] == SUMMARY.wip["wip"].to_list()
    assert (line["y"][0], line["y"][-1]) == (1, 4)  # item 6 on 1 January; items 4-7 on 21 January
    assert hover(line, 20) == "2024-01-21: 4 in progress"
    assert shapes(spec)["mean"]["y0"] == pytest.approx(sum(line["y"]) / 21)
    assert titles(spec) == ("Work in progress", "Date (end of day)", "Work in progress (items)")
    assert spec["layout"]["meta"]["definition"] == "/definitions#wip"


def test_net_flow_groups_arrivals_and_departures_with_the_net_line() -> None:
    spec = net_flow_chart(SUMMARY)

    assert trace(spec, "Started (arrivals)")["y"] == [2, 3, 3]
    assert trace(spec, "Finished (departures)")["y"] == [0, 2, 2]
    net = trace(spec, "Net flow (change in WIP)")
    assert net["y"] == [2, 1, 1]
    assert sum(net["y"]) == SUMMARY.wip["wip"][-1]
    assert hover(net, 0) == "2024-01-01: net +2 items"
    assert hover(trace(spec, "Started (arrivals)"), 1) == "2024-01-08: 3 items started"
    assert [entry["name"] for entry in spec["data"]] == [
        "Started (arrivals)",
        "Finished (departures)",
        "Net flow (change in WIP)",
    ]
    assert spec["layout"]["barmode"] == "group"
    assert titles(spec) == ("Net flow: started vs finished", "Week (labelled by its Monday)", "Items per week")
    assert len(trace(net_flow_chart(SUMMARY, "day"), "Started (arrivals)")["y"]) == 21


def test_net_flow_shows_discards_after_start_when_there_are_any() -> None:
    transitions = pl.concat([TRANSITIONS, history((7, "Dropped", utc(1, 17)))])
    spec = net_flow_chart(summarise(transitions))

    assert trace(spec, "Discarded after start")["y"] == [0, 0, 1]
    assert trace(spec, "Net flow (change in WIP)")["y"] == [2, 1, 0]


def test_cumulative_flow_stacks_later_statuses_first() -> None:
    spec = cumulative_flow_diagram(SUMMARY)

    assert [entry["name"] for entry in spec["data"]] == ["Released", "Done", "Test", "Review", "Dev", "Backlog"]
    assert [entry["fill"] for entry in spec["data"]] == ["tozeroy"] + ["tonexty"] * 5
    assert [entry["y"][-1] for entry in spec["data"]] == [0, 4, 4, 5, 8, 8]
    assert all(xs(entry) == xs(spec["data"][0]) and len(xs(entry)) == 21 for entry in spec["data"])
    assert xs(spec["data"][0])[::20] == ["2024-01-01", "2024-01-21"]
    review = trace(spec, "Review")
    assert review["y"] == SUMMARY.cumulative_flow.filter(pl.col("status") == "Review")["items"].to_list()
    assert hover(review, 20) == "Review: 1 in it, 5 at or beyond"
    assert len({entry["fillcolor"] for entry in spec["data"]}) == 6
    assert spec["layout"]["legend"]["traceorder"] == "reversed"
    assert titles(spec) == ("Cumulative flow", "Date (end of day)", "Items (cumulative)")


def test_aging_wip_places_items_by_stage_and_age_against_stage_history_and_the_sle() -> None:
    spec = aging_wip_chart(SUMMARY)

    assert spec["layout"]["xaxis"]["tickvals"] == [0, 1, 2]
    assert spec["layout"]["xaxis"]["ticktext"] == ["Dev", "Review", "Test"]
    assert trace(spec, "Older than the SLE")["y"] == [21]
    assert trace(spec, "Within the SLE")["y"] == [10, 7]
    assert trace(spec, "Younger than half the SLE")["y"] == [4]
    assert trace(spec, "Older than the SLE")["hovertext"] == ["OPS-6 · Migration · 21 days<br>In Dev; started 2024-01-01"]
    within = trace(spec, "Within the SLE")
    assert within["marker"]["color"] == "#E69F00"
    assert within["marker"]["symbol"] == "diamond"
    # Items in Dev (6, 7, 4) sit in the Dev column, each at its own place.
    dev_x = [trace(spec, "Older than the SLE")["x"][0], within["x"][1], trace(spec, "Younger than half the SLE")["x"][0]]
    assert all(-0.25 <= x <= 0.25 for x in dev_x)
    assert len(set(dev_x)) == 3
    assert 0.75 <= within["x"][0] <= 1.25  # item 5, in Review
    # Dev history: left Dev aged 3 (item 1), 1 (item 2), 1 (item 8) -> 50% = 1 day, 85% = 3 days.
    p50, _p70, p85, _p95 = [entry for entry in spec["data"] if entry.get("legendgroup") == "history"]
    assert p50["y"][:2] == [1, 1]
    assert p85["y"][:2] == [3, 3]
    assert p50["x"][:2] == [-0.4, 0.4]
    assert p50["hovertext"][0] == "Dev: 50% of past items left it by age 1 day (3 items)"
    assert p50["y"][0::3] == [value for value in SUMMARY.aging.stages["p50_days"].to_list() if value is not None]
    assert shapes(spec)["sle"]["y0"] == 10
    assert titles(spec) == ("Aging work in progress", "Workflow stage (board order)", "Work item age (days)")
    assert spec["layout"]["meta"]["definition"] == "/definitions#age"


def test_aging_wip_wraps_long_stage_names() -> None:
    transitions = history((1, "Waiting for code review", utc(1, 18)))
    workflow = {**WORKFLOW, "Waiting for code review": (StageCategory.WAITING, 2)}
    summary = flow_summary(transitions, None, blocks(), workflow=workflow, zone=ZONE, start=START, end=END, now=NOW)
    spec = aging_wip_chart(summary)

    assert "Waiting for<br>code review" in spec["layout"]["xaxis"]["ticktext"]
    assert trace(spec, "No SLE yet")["hovertext"] == ["#1 · 4 days<br>In Waiting for code review; started 2024-01-18"]


def test_aging_wip_without_an_sle_draws_grey_dots() -> None:
    transitions = history((1, "Dev", utc(1, 18)))
    summary = flow_summary(transitions, None, blocks(), workflow=WORKFLOW, zone=ZONE, start=START, end=END, now=NOW)
    spec = aging_wip_chart(summary)

    dots = trace(spec, "No SLE yet")
    assert dots["y"] == [4]
    assert dots["marker"]["color"] == "#8C8C8C"
    assert dots["hovertext"] == ["#1 · 4 days<br>In Dev; started 2024-01-18"]
    assert "sle" not in shapes(spec)


def test_flow_efficiency_histogram_bins_items_and_titles_the_period_aggregate() -> None:
    spec = flow_efficiency_chart(SUMMARY)

    bars = trace(spec, "Finished items")
    assert bars["x"] == [5, 15, 25, 35, 45, 55, 65, 75, 85, 95]
    # Item 2: 66 of 123 hours active (54%); item 1: 96 of 144 (67%); item 8: 3 of 3 (100%).
    assert bars["y"] == [0, 0, 0, 0, 0, 1, 1, 0, 0, 1]
    assert bars["hovertext"][6] == "60–70%: 1 item<br>OPS-1"
    assert titles(spec) == ("Flow efficiency: 61% overall", "Flow efficiency (%)", "Finished items (count)")
    assert SUMMARY.flow_efficiency.efficiency == pytest.approx(165 / 270)
    assert (
        spec["layout"]["title"]["subtitle"]["text"]
        == "Finished 2024-01-01 to 2024-01-21<br>Not shown: 1 item with no started time"
    )
    assert spec["layout"]["meta"]["definition"] == "/definitions#flow-efficiency"


def test_blocker_chart_shows_blocked_days_per_reason_costliest_first() -> None:
    spec = blocker_chart(SUMMARY)

    bars = trace(spec, "Blocked time")
    assert bars["orientation"] == "h"
    assert bars["y"] == ["environment", "approval"]
    assert bars["x"] == [1.5, 1.0]
    assert bars["hovertext"][0] == "environment: 1.5 days (36 hours) blocked<br>1 item, 1 blocks"
    assert spec["layout"]["yaxis"]["autorange"] == "reversed"
    assert titles(spec) == ("Blocked time by reason", "Blocked time (days)", "Blocker reason")
    assert spec["layout"]["meta"]["definition"] == "/definitions#blocked-time"


def test_blocker_chart_keeps_the_ten_costliest_and_wraps_long_reasons() -> None:
    long_reason = "waiting for the platform team to approve the firewall change"
    rows = [(6, utc(1, 2), utc(1, 2, 12 + hours), f"reason {hours:02d}") for hours in range(1, 12)]
    rows.append((7, utc(1, 16), utc(1, 17), long_reason))
    summary = flow_summary(TRANSITIONS, ITEMS, blocks(*rows), workflow=WORKFLOW, zone=ZONE, start=START, end=END, now=NOW)
    spec = blocker_chart(summary)

    bars = trace(spec, "Blocked time")
    assert len(bars["y"]) == 10
    # Wrapped at word boundaries, nothing cut: the lines read back as the whole reason.
    assert bars["y"][0] == "waiting for the platform<br>team to approve the firewall<br>change"
    assert " ".join(bars["y"][0].split("<br>")) == long_reason
    assert all(len(line) <= 28 for tick in bars["y"] for line in tick.split("<br>"))
    assert bars["hovertext"][0].startswith(f"{long_reason}: 1.0 days")
    assert "reason 01" not in bars["y"]
    assert spec["layout"]["title"]["subtitle"]["text"] == "Inside started periods<br>The top 10 of 12 reasons"
    # Ten one-line labels fit the page's usual 320 px; a three-line one makes every category band three lines high.
    assert spec["layout"]["height"] == 140 + (15 * 3 + 3) * 10
    assert "height" not in blocker_chart(SUMMARY)["layout"]


def test_blocker_chart_grows_to_give_every_wrapped_line_room() -> None:
    reasons = [f"waiting {index} for the platform team to approve the firewall change {index}" for index in range(10)]
    rows = [(6, utc(1, 2), utc(1, 2, 13 + index), reason) for index, reason in enumerate(reasons)]
    summary = flow_summary(TRANSITIONS, ITEMS, blocks(*rows), workflow=WORKFLOW, zone=ZONE, start=START, end=END, now=NOW)
    spec = blocker_chart(summary)

    ticks = trace(spec, "Blocked time")["y"]
    assert [tick.count("<br>") + 1 for tick in ticks] == [3] * 10
    assert all(len(line) <= 28 for tick in ticks for line in tick.split("<br>"))
    assert spec["layout"]["height"] == 140 + (15 * 3 + 3) * 10
    assert sorted(trace(spec, "Blocked time")["hovertext"])[0].startswith(reasons[0])


@pytest.mark.parametrize(
    ("text", "wrapped"),
    [
        ("environment", "environment"),
        ("Waiting for security approval", "Waiting for security<br>approval"),
        ("R&D <sign-off>", "R&amp;D &lt;sign-off&gt;"),
        ("a" * 30, "a" * 28 + "<br>aa"),
        ("word " * 30, "<br>".join(["word word word word word", "word word word word word", "word word word word word…"])),
    ],
)
def test_wrap_label_breaks_at_word_boundaries_and_escapes(text: str, wrapped: str) -> None:
    assert wrap_label(text, 28) == wrapped
    assert all(len(html.unescape(line)) <= 28 for line in wrap_label(text, 28).split("<br>"))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (cycle_time_scatter, "No finished items in this period"),
        (cycle_time_histogram, "No finished items in this period"),
        (throughput_run_chart, "No finished items in this period"),
        (wip_run_chart, "No work in progress in this period"),
        (net_flow_chart, "No items started or finished in this period"),
        (cumulative_flow_diagram, "No items on the board in this period"),
        (aging_wip_chart, "No work in progress today"),
        (flow_efficiency_chart, "No finished items in this period"),
        (blocker_chart, "No blocked time recorded"),
    ],
)
def test_every_flow_chart_of_an_empty_period_says_what_is_missing(build: Any, message: str) -> None:
    spec = build(EMPTY)

    assert empty_message(spec) == message
    assert json.loads(json.dumps(spec)) == spec
    assert all(titles(spec))
    assert empty_message(build(SUMMARY)) is None


AXES = {
    "aging-wip": ("Workflow stage (board order)", "Work item age (days)"),
    "cycle-times": ("Finished date", "Cycle time (days)"),
    "cycle-time-histogram": ("Cycle time (days)", "Finished items (count)"),
    "throughput": ("Week (labelled by its Monday)", "Items finished per week"),
    "wip": ("Date (end of day)", "Work in progress (items)"),
    "cumulative-flow": ("Date (end of day)", "Items (cumulative)"),
    "net-flow": ("Week (labelled by its Monday)", "Items per week"),
    "flow-efficiency": ("Flow efficiency (%)", "Finished items (count)"),
    "blockers": ("Blocked time (days)", "Blocker reason"),
}


def test_every_flow_chart_has_titles_with_units_its_definition_and_a_phone_friendly_layout() -> None:
    for name, spec in all_flow_specs(SUMMARY).items():
        layout = spec["layout"]
        chart = next(chart for chart in FLOW_CHARTS if chart.name == name)
        assert layout["meta"] == {"definition": f"/definitions#{chart.definition}"}, name
        title, x_title, y_title = titles(spec)
        assert title.startswith(chart.title), name
        assert (x_title, y_title) == AXES[name]
        assert layout["autosize"] is True
        assert layout["legend"]["orientation"] == "h"
        assert layout["legend"]["yanchor"] == "bottom"
        assert layout["legend"]["y"] == 0
        assert max(layout["margin"][side] for side in ("l", "r", "b")) <= 48
        assert layout["colorway"] == OKABE_ITO
        assert all(entry.get("hovertemplate", "").endswith("<extra></extra>") for entry in spec["data"]), name


def test_specs_are_plain_json_without_numpy_encodings_or_external_resources() -> None:
    specs = list(all_flow_specs(SUMMARY).values()) + list(all_flow_specs(EMPTY).values())
    for spec in specs:
        text = json.dumps(spec)
        assert json.loads(text) == spec
        assert "bdata" not in text
        assert "http" not in text
        assert set(spec) == {"data", "layout"}


def test_flow_charts_are_listed_in_page_order_with_known_anchors() -> None:
    names = [chart.name for chart in FLOW_CHARTS]

    assert names == [
        "aging-wip",
        "cycle-times",
        "cycle-time-histogram",
        "throughput",
        "wip",
        "cumulative-flow",
        "net-flow",
        "flow-efficiency",
        "blockers",
    ]
    assert all(chart.definition in ANCHORS for chart in FLOW_CHARTS)
    assert [name for name, _title, _anchor in FLOW_CHARTS] == names
    with pytest.raises(ValueError, match="Unknown chart 'velocity'; expected one of: aging-wip, cycle-times"):
        flow_chart(SUMMARY, "velocity")


def test_csv_rows_give_the_data_behind_each_chart() -> None:
    expected = {
        "cycle-times": (
            ["key", "title", "item_type", "started_date", "finished_date", "cycle_time_days", "cycle_time_hours"],
            4,
        ),
        "throughput": (["period_start", "days", "finished"], 3),
        "wip": (["date", "wip"], 21),
        "net-flow": (["period_start", "days", "arrivals", "departures", "discarded", "net"], 3),
        "cumulative-flow": (["date", "status", "category", "position", "items"], 21 * 6),
        "aging-wip": (["key", "title", "item_type", "current_status", "started_date", "age_days", "band"], 4),
        "flow-efficiency": (
            [
                "key",
                "title",
                "item_type",
                "finished_date",
                "active_hours",
                "waiting_hours",
                "blocked_in_active_hours",
                "efficiency_percent",
            ],
            4,
        ),
        "blockers": (["reason", "blocks", "items", "blocked_hours", "blocked_days"], 2),
    }
    assert set(CSV_NAMES) == set(expected)
    for name, (header, count) in expected.items():
        got_header, rows = csv_rows(SUMMARY, name)
        assert got_header == header, name
        assert len(rows) == count, name
        assert all(len(row) == len(header) for row in rows), name

    assert csv_rows(SUMMARY, "cycle-times")[1][0] == [
        "OPS-1",
        "Fix <script> login",
        "Story",
        "2024-01-02",
        "2024-01-08",
        7,
        144.0,
    ]
    assert csv_rows(SUMMARY, "throughput")[1] == [["2024-01-01", 7, 0], ["2024-01-08", 7, 2], ["2024-01-15", 7, 2]]
    assert csv_rows(SUMMARY, "aging-wip")[1][0] == ["OPS-6", "Migration", "Story", "Dev", "2024-01-01", 21, "red"]
    assert csv_rows(SUMMARY, "flow-efficiency")[1][0][4:] == [96.0, 48.0, 24.0, 66.67]
    assert csv_rows(SUMMARY, "blockers")[1] == [["environment", 1, 1, 36.0, 1.5], ["approval", 1, 1, 24.0, 1.0]]
    assert csv_rows(SUMMARY, "cycle-time-histogram") == csv_rows(SUMMARY, "cycle-times")
    assert all(csv_rows(SUMMARY, chart.name)[1] for chart in FLOW_CHARTS)
    assert csv_rows(EMPTY, "cycle-times") == (expected["cycle-times"][0], [])
    with pytest.raises(ValueError, match="Unknown chart 'velocity'; expected one of: cycle-times, throughput"):
        csv_rows(SUMMARY, "velocity")


def test_csv_rows_without_item_details_leave_them_empty() -> None:
    summary = flow_summary(TRANSITIONS, None, BLOCKED, workflow=WORKFLOW, zone=ZONE, start=START, end=END, now=NOW)

    header, rows = csv_rows(summary, "cycle-times")
    assert header[:3] == ["key", "title", "item_type"]
    assert rows[0][:3] == [None, None, None]


WINDOW = [0, 1, 2, 0, 3, 1, 0, 2] * 5
TODAY = date(2024, 2, 1)


def test_forecast_when_chart_draws_the_completion_dates_and_percentile_lines() -> None:
    forecast = forecast_when(WINDOW, remaining_items=30, start_date=TODAY, trials=10_000, seed=7, target_date=date(2024, 3, 1))
    spec = forecast_when_chart(forecast)

    bars = trace(spec, "Trials finishing that day")
    first = min(forecast.histogram)
    assert bars["x"][0] == (TODAY + timedelta(days=first)).isoformat()
    assert bars["y"][0] == pytest.approx(forecast.histogram[first] / 100)
    assert sum(bars["y"]) == pytest.approx(100)
    lines = shapes(spec)
    for level in (50, 70, 85, 95):
        when = forecast.dates[level]
        assert when is not None
        names = [name for name in lines if name.startswith("percentile-") and str(level) in name.split("-")[1:]]
        assert len(names) == 1
        assert lines[names[0]]["x0"] == when.isoformat()
        assert f"{level}%" in labels(spec)[names[0]]
        assert when.isoformat() in labels(spec)[names[0]]
    assert lines["target"]["x0"] == "2024-03-01"
    assert labels(spec)["target"] == f"Target 2024-03-01: {forecast.probability_by_target:.0%} chance"
    assert titles(spec) == ("When will 30 items be done?", "Completion date", "Share of trials (%)")
    assert spec["layout"]["title"]["subtitle"]["text"] == "10,000 trials, 40-day window, seed 7"
    assert spec["layout"]["meta"] == {"definition": "/definitions#forecast-when"}
    assert json.loads(json.dumps(spec)) == spec


@pytest.mark.parametrize(
    ("window", "remaining", "message"),
    [
        (WINDOW, 0, "There are no remaining items, so the work is already done."),
        ([0, 0, 0], 5, "The throughput window has no completed items, so no forecast is possible; choose a longer window."),
    ],
)
def test_forecast_when_chart_without_a_distribution_shows_the_forecast_message(
    window: list[int], remaining: int, message: str
) -> None:
    spec = forecast_when_chart(forecast_when(window, remaining_items=remaining, start_date=TODAY, trials=10_000, seed=7))

    assert spec["data"] == []
    assert empty_message(spec) == message
    assert titles(spec)[1:] == ("Completion date", "Share of trials (%)")


def test_forecast_when_chart_notes_trials_beyond_the_horizon() -> None:
    forecast = forecast_when([0] * 99 + [1], remaining_items=3, start_date=TODAY, trials=10_000, seed=7, max_days=100)
    spec = forecast_when_chart(forecast)

    assert forecast.not_finished_trials > 0
    assert spec["layout"]["title"]["subtitle"]["text"].endswith(
        f"<br>{forecast.not_finished_trials:,} trials not done within 100 days"
    )


def test_forecast_how_many_chart_puts_each_level_at_the_count_reached_or_exceeded() -> None:
    forecast = forecast_how_many(WINDOW, by_date=date(2024, 3, 1), start_date=TODAY, trials=10_000, seed=7)
    spec = forecast_how_many_chart(forecast)

    bars = trace(spec, "Trials finishing that many")
    assert bars["x"] == sorted(forecast.histogram)
    assert sum(bars["y"]) == pytest.approx(100)
    lines = shapes(spec)
    positions = {}
    for level in (50, 70, 85, 95):
        count = forecast.counts[level]
        assert count is not None
        name = next(name for name in lines if str(level) in name.split("-")[1:])
        assert lines[name]["x0"] == count
        assert labels(spec)[name].endswith(f": {count:,} or more")
        # "85%" means at least 85% of trials finished that many or more.
        reached = sum(trials for total, trials in forecast.histogram.items() if total >= count)
        assert reached >= level * 100
        positions[level] = count
    assert positions[95] <= positions[85] <= positions[70] <= positions[50]
    assert titles(spec) == ("How many items by 2024-03-01?", "Items finished (count)", "Share of trials (%)")
    assert spec["layout"]["meta"] == {"definition": "/definitions#forecast-how-many"}


def test_forecast_how_many_chart_without_throughput_shows_the_message() -> None:
    spec = forecast_how_many_chart(forecast_how_many([0, 0], by_date=date(2024, 3, 1), start_date=TODAY, trials=10_000, seed=7))

    assert (
        empty_message(spec) == "The throughput window has no completed items, so no forecast is possible; choose a longer window."
    )


def test_calibration_chart_compares_observed_hit_rates_with_the_ideal() -> None:
    predicted = {50: date(2024, 1, 10), 85: date(2024, 1, 20)}
    outcomes = [
        ForecastOutcome("when", predicted, date(2024, 1, 8)),  # both held
        ForecastOutcome("when", predicted, date(2024, 1, 15)),  # 85 held
        ForecastOutcome("when", predicted, date(2024, 1, 25)),  # neither
        ForecastOutcome("when", predicted, date(2024, 1, 19)),  # 85 held
        ForecastOutcome("how_many", {50: 10, 85: 6}, 8, horizon=date(2024, 1, 31)),  # 85 held
        ForecastOutcome("when", {50: date(2024, 3, 1)}, None),  # pending
    ]
    report = calibration(outcomes, as_of=date(2024, 2, 1))
    spec = calibration_chart(report)

    observed = trace(spec, "Observed: share that held")
    assert observed["x"] == ["50%", "85%"]
    assert observed["y"] == [20.0, 80.0]
    assert observed["hovertext"] == [
        "50% level: held 1 of 5 scored (20%; 95% interval 4% to 62%): not enough forecasts",
        "85% level: held 4 of 5 scored (80%; 95% interval 38% to 96%): not enough forecasts",
    ]
    # The error bar is the Wilson interval: 1 of 5 is 3.6% to 62.4%, 4 of 5 is 37.6% to 96.4%.
    assert observed["error_y"]["arrayminus"] == pytest.approx([20 - 3.6223, 80 - 37.5535], abs=1e-3)
    assert observed["error_y"]["array"] == pytest.approx([62.4465 - 20, 96.3776 - 80], abs=1e-3)
    assert trace(spec, "Ideal: the level itself")["y"] == [50, 85]
    assert spec["layout"]["title"]["subtitle"]["text"] == "Past forecasts that held<br>1 more not yet due"
    assert titles(spec) == ("Forecast calibration", "Forecast confidence level (%)", "Forecasts that held (%)")
    assert spec["layout"]["meta"] == {"definition": "/definitions#forecast-calibration"}

    when_only = calibration_chart(report, "when")
    assert trace(when_only, "Observed: share that held")["y"] == [25.0, 75.0]
    assert when_only["layout"]["title"]["subtitle"]["text"].startswith('"When" forecasts that held')


def test_calibration_chart_with_nothing_scored_says_so() -> None:
    spec = calibration_chart(calibration([], as_of=date(2024, 2, 1)))

    assert spec["data"] == []
    assert empty_message(spec) == "No forecasts have been scored yet"
    assert json.loads(json.dumps(spec)) == spec


def test_cumulative_flow_starts_at_the_period_start() -> None:
    # Three items were already released before the period: they are left out of every band, not stacked under them.
    frame = SUMMARY.cumulative_flow.with_columns(pl.col("items") + 3)
    spec = cumulative_flow_diagram(replace(SUMMARY, cumulative_flow=frame))

    assert [entry["y"][-1] for entry in spec["data"]] == [0, 4, 4, 5, 8, 8]
    assert trace(spec, "Released")["y"][0] == 0
    assert "3 items in Released before it left out" in spec["layout"]["title"]["subtitle"]["text"]
