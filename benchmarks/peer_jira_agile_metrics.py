"""Peer comparison with jira-agile-metrics (jam): speed and values on the same simulated data.

jira-agile-metrics 0.24 (PyPI) needs pandas < 2 and numpy < 2, so it runs in its own virtualenv,
``benchmarks/.jam-venv`` (git-ignored), created here when missing from the pins in
``benchmarks/peer/requirements-jam.txt``. The steps:

1. simulate the data with ``deliveryops.simulate`` (one team scaled to about 5,000 items, and the
   six demo teams) and export it to a neutral JSON file; epics are left out on both sides;
2. compute our metrics (``deliveryops.analytics.flow`` and ``...forecast``) from that file, timing
   each call (median of ``--runs`` runs);
3. run ``benchmarks/peer/jam_runner.py`` with the jam virtualenv's Python on the same file: it feeds
   jam's real ``QueryManager`` a fake Jira client with the items' changelogs and runs jam's own
   calculators, timing each the same way, and writes its results to JSON;
4. compare metric by metric and print Markdown tables: speed (ratio = theirs / ours) and values
   (how many agree), then every disagreement with its cause and count. Each cause is checked,
   not asserted: jam's values are rebuilt from ours plus the named cause, and the script reports
   whether that rebuild matches jam exactly; ablations (the same run without discarded items,
   without items that moved backwards, without both) show what each cause accounts for.

jam configuration (the mapping of our workflow onto jam's): jam's columns are the backlog column
(our backlog-category statuses, Backlog and Ready, in one column, so that cycle time starts at the
first started status as ours does), one column per started status (active and waiting), and the
done column holding Done *and* Discarded. jam has no discard concept: its README's example query
keeps withdrawn items (``Resolution IN (Completed, Withdrawn)``) with ``Done`` as the last column,
i.e. withdrawn items are in the data and counted as done; the alternative (Discarded unmapped, so
ignored) would leave them in the backlog or in WIP for ever, which the notes quantify.

Usage::

    .venv/bin/python benchmarks/peer_jira_agile_metrics.py              # full run (~15 min, jam is slow)
    .venv/bin/python benchmarks/peer_jira_agile_metrics.py --per-team   # plus one table per demo team
    .venv/bin/python benchmarks/peer_jira_agile_metrics.py --runs 1 --no-demo   # quick
    .venv/bin/python benchmarks/peer_jira_agile_metrics.py --keep /tmp/jam   # keep the JSON files
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from scipy import stats

from deliveryops.analytics import flow
from deliveryops.analytics import forecast as mc
from deliveryops.analytics.percentiles import nearest_rank_many
from deliveryops.simulate import demo_profiles, simulate_team
from deliveryops.simulate.organisation import SimulatedTeam
from deliveryops.work.records import StageCategory

HERE = Path(__file__).resolve().parent
JAM_VENV = HERE / ".jam-venv"
JAM_PYTHON = JAM_VENV / "bin" / "python"
JAM_REQUIREMENTS = HERE / "peer" / "requirements-jam.txt"
JAM_RUNNER = HERE / "peer" / "jam_runner.py"
JAM_VERSION = "0.24"

START, END = date(2023, 1, 1), date(2025, 6, 30)
BIG_SCALE = 10  # Payments x10 over 30 months: about 5,000 items (epics excluded)
SEED = 1
WINDOW_DAYS = 90
TRIALS = mc.MIN_TRIALS
PERCENTS = (50, 70, 85, 95)
JAM_QUANTILES = ("0.5", "0.85", "0.95")
STARTED = (StageCategory.ACTIVE, StageCategory.WAITING)


# --------------------------------------------------------------------------------------------
# jam virtualenv


def ensure_jam_venv() -> None:
    """Create ``benchmarks/.jam-venv`` with the pinned versions unless it already has them."""
    if JAM_PYTHON.exists():
        check = subprocess.run(
            [
                str(JAM_PYTHON),
                "-c",
                "from importlib.metadata import version; print(version('jira-agile-metrics'), version('pandas'))",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode == 0 and check.stdout.split()[:1] == [JAM_VERSION] and check.stdout.split()[1].startswith("1."):
            return
        print(f"jam venv unusable ({check.stdout.strip() or check.stderr.strip()[-200:]}); reinstalling", file=sys.stderr)
    print(f"creating {JAM_VENV} (pins: {JAM_REQUIREMENTS.relative_to(HERE.parent)})", file=sys.stderr)
    # venv bases the new environment on the interpreter behind this one (sys._base_executable).
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(JAM_VENV)], check=True)
    subprocess.run([str(JAM_PYTHON), "-m", "pip", "install", "--quiet", "-r", str(JAM_REQUIREMENTS)], check=True)


# --------------------------------------------------------------------------------------------
# data


def jam_cycle(team: SimulatedTeam) -> list[dict[str, Any]]:
    """Map the team's workflow onto jam's columns (see the module docstring)."""
    ordered = sorted(team.workflow, key=lambda status: status.position)
    backlog = [s.name for s in ordered if s.category == StageCategory.BACKLOG]
    started = [s.name for s in ordered if s.category in STARTED]
    done = [s.name for s in ordered if s.category == StageCategory.DONE]
    discarded = [s.name for s in ordered if s.category == StageCategory.DISCARDED]
    return (
        [{"name": backlog[0], "statuses": backlog, "type": "backlog"}]
        + [{"name": name, "statuses": [name], "type": "accepted"} for name in started]
        + [{"name": done[0], "statuses": done + discarded, "type": "complete"}]
    )


def export(team: SimulatedTeam, name: str) -> dict[str, Any]:
    """The neutral form of a team's data both sides read: items with status entries (epoch s)."""
    items = [
        {
            "key": item.external_key,
            "type": item.item_type,
            "title": item.title,
            "resolution": item.resolution,
            "transitions": [[t.to_status, int(t.at.timestamp())] for t in item.transitions],
        }
        for item in team.items
        if item.item_type != "Epic" and item.transitions
    ]
    cycle = jam_cycle(team)
    return {
        "name": name,
        "tz": team.time_zone,
        "start": team.start.isoformat(),
        "end": team.end.isoformat(),
        "now": datetime.combine(team.end + timedelta(days=1), datetime.min.time(), UTC).isoformat(),
        "workflow": [{"name": s.name, "category": s.category.value, "position": s.position} for s in team.workflow],
        "items": items,
        "settings": {
            "cycle": cycle,
            "backlog_column": cycle[0]["name"],
            "committed_column": cycle[1]["name"],
            "final_column": cycle[-2]["name"],
            "done_column": cycle[-1]["name"],
            # jam's window is [end - N days, end], so N = 89 gives the same 90 days as ours.
            "burnup_forecast_chart_throughput_window": WINDOW_DAYS - 1,
            "burnup_forecast_chart_throughput_window_end": team.end.isoformat(),
        },
    }


def frames(data: dict[str, Any], leave_out: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    """Our inputs from the exported data: transitions, items, workflow."""
    keys, ids, statuses, ats = [], [], [], []
    for number, item in enumerate(data["items"], start=1):
        if item["key"] in leave_out:
            continue
        keys.append((number, item["key"], item["title"], item["type"]))
        for status, at in item["transitions"]:
            ids.append(number)
            statuses.append(status)
            ats.append(at)
    transitions = pl.DataFrame(
        {"item_id": ids, "status": statuses, "at": ats}, schema={"item_id": pl.Int64, "status": pl.Utf8, "at": pl.Int64}
    ).with_columns(pl.from_epoch("at", time_unit="s").dt.replace_time_zone("UTC").cast(pl.Datetime("us", "UTC")))
    items = pl.DataFrame(keys, schema={"item_id": pl.Int64, "key": pl.Utf8, "title": pl.Utf8, "item_type": pl.Utf8}, orient="row")
    workflow = {s["name"]: (StageCategory(s["category"]), s["position"]) for s in data["workflow"]}
    return {"transitions": transitions, "items": items, "workflow": workflow, "tz": data["tz"]}


def cause_keys(data: dict[str, Any]) -> dict[str, set[str]]:
    """Items that were ever discarded, and items that ever moved back to an earlier jam column
    (``backward``), split by kind: out of the done column (``reopened``), back to the backlog
    column (``parked``), between started columns (``rework``)."""
    cycle = data["settings"]["cycle"]
    column_of = {status: index for index, step in enumerate(cycle) for status in step["statuses"]}
    category = {s["name"]: s["category"] for s in data["workflow"]}
    last = len(cycle) - 1
    found: dict[str, set[str]] = {name: set() for name in ("discarded", "backward", "reopened", "parked", "rework")}
    for item in data["items"]:
        entries = [status for status, _ in item["transitions"]]
        if any(category.get(status) == StageCategory.DISCARDED.value for status in entries):
            found["discarded"].add(item["key"])
        columns = [column_of[status] for status in entries if status in column_of]
        for before, after in pairwise(columns):
            if after < before:
                found["backward"].add(item["key"])
                kind = "reopened" if before == last else "parked" if after == 0 else "rework"
                found[kind].add(item["key"])
    return found


def variants(data: dict[str, Any]) -> dict[str, list[str]]:
    causes = cause_keys(data)
    return {
        "no_discarded": sorted(causes["discarded"]),
        "no_backward": sorted(causes["backward"]),
        "neither": sorted(causes["discarded"] | causes["backward"]),
    }


# --------------------------------------------------------------------------------------------
# our side


def median_ms(function: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def our_metrics(inputs: dict[str, Any], start: date, end: date) -> dict[str, Any]:
    transitions, workflow, zone = inputs["transitions"], inputs["workflow"], ZoneInfo(inputs["tz"])
    timeline = flow.item_timeline(transitions, workflow=workflow, zone=zone, items=inputs["items"])
    return {
        "timeline": timeline,
        "cycle_times": flow.cycle_times(timeline, start=start, end=end),
        "percentiles": flow.cycle_time_percentiles(timeline, start=start, end=end, percents=(50, 85, 95)),
        "throughput_day": flow.throughput(timeline, start=start, end=end, freq="day"),
        "throughput_week": flow.throughput(timeline, start=start, end=end, freq="week"),
        "wip": flow.wip(timeline, start=start, end=end),
        "cfd": flow.cumulative_flow(transitions, workflow=workflow, zone=zone, start=start, end=end),
    }


def our_side(data: dict[str, Any], runs: int) -> dict[str, Any]:
    """Compute and time our metrics on the exported data (same period, window and trials as jam)."""
    start, end = date.fromisoformat(data["start"]), date.fromisoformat(data["end"])
    today = end + timedelta(days=1)
    window_end = today - timedelta(days=1)  # complete days only, as the forecast service does
    window_start = window_end - timedelta(days=WINDOW_DAYS - 1)
    inputs = frames(data)
    transitions, workflow, zone, items = inputs["transitions"], inputs["workflow"], ZoneInfo(inputs["tz"]), inputs["items"]
    result = our_metrics(inputs, start, end)
    timeline = result["timeline"]
    remaining = timeline.filter(pl.col("finished_at").is_null() & pl.col("discarded_at").is_null()).height
    window = flow.throughput(timeline, start=window_start, end=window_end, freq="day")["finished"].to_list()

    def forecast() -> mc.WhenForecast:
        daily = flow.throughput(timeline, start=window_start, end=window_end, freq="day")["finished"].to_numpy()
        return mc.forecast_when(
            daily, remaining_items=remaining, start_date=today, trials=TRIALS, seed=SEED, percentiles=PERCENTS
        )

    when = forecast()

    def everything() -> None:
        line = flow.item_timeline(transitions, workflow=workflow, zone=zone, items=items)
        flow.cycle_times(line, start=start, end=end)
        flow.cycle_time_percentiles(line, start=start, end=end, percents=(50, 85, 95))
        flow.throughput(line, start=start, end=end, freq="day")
        flow.throughput(line, start=start, end=end, freq="week")
        flow.wip(line, start=start, end=end)
        flow.cumulative_flow(transitions, workflow=workflow, zone=zone, start=start, end=end)
        daily = flow.throughput(line, start=window_start, end=window_end, freq="day")["finished"].to_numpy()
        mc.forecast_when(daily, remaining_items=remaining, start_date=today, trials=TRIALS, seed=SEED, percentiles=PERCENTS)

    calls: dict[str, Callable[[], Any]] = {
        "cycle_time": lambda: flow.cycle_times(
            flow.item_timeline(transitions, workflow=workflow, zone=zone, items=items), start=start, end=end
        ),
        "percentiles": lambda: flow.cycle_time_percentiles(timeline, start=start, end=end, percents=(50, 85, 95)),
        "throughput_day": lambda: flow.throughput(timeline, start=start, end=end, freq="day"),
        "throughput_week": lambda: flow.throughput(timeline, start=start, end=end, freq="week"),
        "cfd": lambda: flow.cumulative_flow(transitions, workflow=workflow, zone=zone, start=start, end=end),
        "wip": lambda: flow.wip(timeline, start=start, end=end),
        "forecast_equal_trials": forecast,
        "forecast_default_trials": forecast,
        "all": everything,
    }
    result["timings_ms"] = {name: median_ms(call, runs) for name, call in calls.items()}
    result["forecast"] = {
        "remaining": remaining,
        "window": window,
        "window_start": window_start,
        "window_end": window_end,
        "days": when.days,
        "status": str(when.status),
        "completion_days": completion_days(window, remaining),
    }
    result["variants"] = {name: our_metrics(frames(data, set(keys)), start, end) for name, keys in variants(data).items()}
    return result


def completion_days(window: list[int] | list[float], remaining: float) -> np.ndarray | None:
    """Our engine's per-trial completion days (what forecast_when ranks), or None if it cannot run."""
    if remaining < 1 or sum(window) <= 0:
        return None
    return mc.simulate_completion_days(
        np.asarray(window, dtype=np.int64),
        remaining_items=int(remaining),
        trials=TRIALS,
        rng=np.random.default_rng(SEED),
        max_days=3650,
    )


# --------------------------------------------------------------------------------------------
# comparison


def as_date(text: str) -> date:
    return date.fromisoformat(text)


def compare_series(ours: dict[date, float], theirs: dict[date, float], days: list[date]) -> tuple[int, int]:
    """(days equal, days compared); a day missing on a side counts as 0 there."""
    return sum(ours.get(d, 0) == theirs.get(d, 0) for d in days), len(days)


def cfd_cells(
    ours_cfd: pl.DataFrame, jam_cfd: dict[str, dict[str, float]], lines: dict[str, str], columns: list[str]
) -> dict[str, Any]:
    """Compare CFD cells (day x jam column) on the days both cover."""
    ours = {(row["date"], row["status"]): row["items"] for row in ours_cfd.iter_rows(named=True)}
    jam_days = {as_date(d): row for d, row in jam_cfd.items()}
    days = sorted({d for d, _ in ours} & set(jam_days))
    by_column: Counter[str] = Counter()
    for d in days:
        for column in columns:
            if jam_days[d][column] != ours[(d, lines[column])]:
                by_column[column] += 1
    total = len(days) * len(columns)
    return {"agree": total - sum(by_column.values()), "total": total, "by_column": by_column}


def week_closing_monday(d: date) -> date:
    """The label pandas' ``W-MON`` gives a day: the Monday that closes its Tuesday-Monday week."""
    return d + timedelta(days=(0 - d.weekday()) % 7)


def linear_quantile(values: list[float], q: float) -> float:
    """pandas' default quantile (linear interpolation), which jam's percentiles use."""
    return float(np.quantile(np.asarray(values, dtype=float), q)) if values else float("nan")


def nearest(days: Any) -> dict[int, int | None]:
    """Nearest-rank percentiles (ours) of per-trial completion days."""
    if days is None or len(days) == 0:
        return dict.fromkeys(PERCENTS)
    ranked = nearest_rank_many(np.asarray(days, dtype=float), PERCENTS)
    return {p: None if ranked[p] is None else int(ranked[p] or 0) for p in PERCENTS}


def close(a: int | None, b: int | None) -> bool:
    """Both known and at most one day apart."""
    return a is not None and b is not None and abs(a - b) <= 1


def compare(data: dict[str, Any], ours: dict[str, Any], jam: dict[str, Any]) -> dict[str, Any]:
    """Compare every metric; return counts (summable across datasets) and a few values to show."""
    start, end = as_date(data["start"]), as_date(data["end"])
    all_days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    rows = {row["key"]: row for row in ours["timeline"].iter_rows(named=True)}
    cycle = jam["cycle"]
    columns = [step["name"] for step in data["settings"]["cycle"]]
    accepted, done_column = columns[1:-1], columns[-1]
    lines = {step["name"]: step["statuses"][0] for step in data["settings"]["cycle"]}  # jam column -> our CFD line
    causes = cause_keys(data)
    backfilled = {k for k, r in rows.items() if r["finished_at"] is not None and r["started_at"] == r["finished_at"]}
    discarded_started = {k for k, r in rows.items() if r["discarded_at"] is not None and r["started_at"] is not None}
    discarded_backlog = {k for k, r in rows.items() if r["discarded_at"] is not None and r["started_at"] is None}
    c: dict[str, Any] = {
        "parsing": dict(jam["parsing"]),
        "datasets": 1,
        "items": len(data["items"]),
        "entries": sum(len(item["transitions"]) for item in data["items"]),
        "causes": {
            "discarded": len(causes["discarded"]),
            "discarded_started": len(discarded_started),
            "discarded_backlog": len(discarded_backlog),
            "backward": len(causes["backward"]),
            "reopened": len(causes["reopened"]),
            "parked": len(causes["parked"]),
            "rework": len(causes["rework"]),
            "backfilled": len(backfilled),
            "entries_other_date_in_utc": other_date_in_utc(data),
        },
    }

    # 1. Cycle time per item, and the start/finish dates behind it.
    diffs: Counter[int] = Counter()
    jam_only, ours_only = set(), set()
    start_same = finish_same = 0
    for key, row in rows.items():
        theirs = cycle[key]
        ct_ours, ct_jam = row["cycle_time_days"], theirs["cycle_time_days"]
        if ct_ours is not None and ct_jam is not None:
            diffs[ct_ours - ct_jam] += 1
            jam_start = next(theirs["columns"][name] for name in accepted if theirs["columns"][name] is not None)
            start_same += as_date(jam_start) == row["started_date"]
            finish_same += as_date(theirs["columns"][done_column]) == row["finished_date"]
        elif ct_jam is not None:
            jam_only.add(key)
        elif ct_ours is not None:
            ours_only.add(key)
    both = sum(diffs.values())
    c["cycle"] = {
        "union": both + len(jam_only) + len(ours_only),
        "both": both,
        "equal": diffs.get(0, 0),
        "plus1": diffs.get(1, 0),
        "other": both - diffs.get(0, 0) - diffs.get(1, 0),
        "start_same": start_same,
        "finish_same": finish_same,
        "jam_only": len(jam_only),
        "jam_only_discarded_started": len(jam_only & discarded_started),
        "ours_only": len(ours_only),
        "ours_only_backfilled_ct1": sum(1 for k in ours_only & backfilled if rows[k]["cycle_time_days"] == 1),
    }

    # 2. Percentiles. jam's are rebuilt from ours: (our days - 1) of the items jam also finishes,
    # plus (discard date - start date) of items discarded after start, pandas-interpolated.
    rebuilt = [r["cycle_time_days"] - 1 for k, r in rows.items() if r["cycle_time_days"] is not None and k not in backfilled]
    rebuilt += [(rows[k]["discarded_date"] - rows[k]["started_date"]).days for k in discarded_started]
    pct = {
        q: (ours["percentiles"][float(q) * 100], jam["percentiles"].get(q), linear_quantile(rebuilt, float(q)))
        for q in JAM_QUANTILES
    }
    c["pct"] = {
        "equal": sum(o == j for o, j, _ in pct.values()),
        "total": len(JAM_QUANTILES),
        "rebuilt_equal": sum(j is not None and abs(r - j) < 1e-9 for _, j, r in pct.values()),
        "values": pct,
    }

    # 3. Throughput per day; rebuilt = ours + items discarded after start (on the discard day) - backfilled.
    ours_day = {r["period_start"]: r["finished"] for r in ours["throughput_day"].iter_rows(named=True)}
    jam_day = {as_date(d): v for d, v in jam["throughput_day"].items()}
    rebuilt_day: Counter[date] = Counter(ours_day)
    for key in discarded_started:
        rebuilt_day[rows[key]["discarded_date"]] += 1
    for key in backfilled:
        rebuilt_day[rows[key]["finished_date"]] -= 1
    agree, total = compare_series(ours_day, jam_day, all_days)
    c["tp_day"] = {
        "agree": agree,
        "total": total,
        "rebuilt_agree": compare_series(dict(rebuilt_day), jam_day, all_days)[0],
        "sum_ours": sum(ours_day.values()),
        "sum_jam": int(sum(jam_day.values())),
        "jam_outside": int(sum(v for d, v in jam_day.items() if not start <= d <= end)),
    }

    # 4. Throughput per week: jam's 1W-MON weeks are Tuesday-Monday labelled by the closing Monday;
    # ours are ISO weeks (Monday-Sunday) labelled by their Monday.
    ours_week = {r["period_start"]: r["finished"] for r in ours["throughput_week"].iter_rows(named=True)}
    jam_week = {as_date(d): v for d, v in jam["throughput_week"].items()}
    labels = sorted(set(ours_week) & set(jam_week))
    rebucketed: Counter[date] = Counter()
    rebuilt_week: Counter[date] = Counter()
    for d, v in ours_day.items():
        rebucketed[week_closing_monday(d)] += v
    for d, v in rebuilt_day.items():
        rebuilt_week[week_closing_monday(d)] += v
    c["tp_week"] = {
        "by_label_agree": sum(ours_week[d] == jam_week[d] for d in labels),
        "labels": len(labels),
        "jam_weeks": len(jam_week),
        "rebucketed_agree": sum(rebucketed[d] == v for d, v in jam_week.items()),
        "rebuilt_agree": sum(rebuilt_week[d] == v for d, v in jam_week.items()),
    }

    # 5. WIP per day, on the days both cover (jam's run from its first to its last event).
    ours_wip = {r["date"]: r["wip"] for r in ours["wip"].iter_rows(named=True)}
    jam_wip = {as_date(d): v for d, v in jam["wip"].items()}
    agree, total = compare_series(ours_wip, jam_wip, sorted(set(ours_wip) & set(jam_wip)))
    extra = [d for d in ours_wip if d not in jam_wip]
    c["wip"] = {
        "agree": agree,
        "total": total,
        "ours_extra_days": len(extra),
        "ours_extra_nonzero": sum(1 for d in extra if ours_wip[d]),
    }
    c["wip_variants"] = {}
    c["tp_variants"] = {}
    for name, v_jam in jam["variants"].items():
        v_ours = ours["variants"][name]
        o = {r["date"]: r["wip"] for r in v_ours["wip"].iter_rows(named=True)}
        j = {as_date(d): v for d, v in v_jam["wip"].items()}
        c["wip_variants"][name] = dict(zip(("agree", "total"), compare_series(o, j, sorted(set(o) & set(j))), strict=True))
        o = {r["period_start"]: r["finished"] for r in v_ours["throughput_day"].iter_rows(named=True)}
        j = {as_date(d): v for d, v in v_jam["throughput_day"].items()}
        c["tp_variants"][name] = dict(zip(("agree", "total"), compare_series(o, j, all_days), strict=True))

    # 6. CFD per day and jam column, and 7. the burn-up lines (jam's backlog and done columns);
    # the same without discarded items, without items that moved backwards, and without both.
    scope = [columns[0], done_column]
    c["cfd"] = cfd_cells(ours["cfd"], jam["cfd"], lines, columns)
    c["burnup"] = cfd_cells(ours["cfd"], jam["cfd"], lines, scope)
    for name, v_jam in jam["variants"].items():
        c["cfd"][name] = cfd_cells(ours["variants"][name]["cfd"], v_jam["cfd"], lines, columns)["agree"]
        c["burnup"][name] = cfd_cells(ours["variants"][name]["cfd"], v_jam["cfd"], lines, scope)["agree"]
    c["cfd"]["rebuilt_agree"] = rebuilt_cfd_agreement(data, jam["cfd"], columns)

    # 8. Burn-up forecast: end to end (each side's own inputs), then jam's engine on our inputs.
    fj, fo = jam["forecast"], ours["forecast"]
    jam_remaining = fj["target"] - fj["start_value"]
    rebuilt_window = list(fo["window"])
    for key in discarded_started | discarded_backlog:
        offset = (rows[key]["discarded_date"] - fo["window_start"]).days
        if 0 <= offset < len(rebuilt_window):
            rebuilt_window[offset] += 1
    ours_days = {p: fo["days"].get(p) for p in PERCENTS}
    jam_days = nearest(fj["completion_days"])
    ours_on_jam_inputs = nearest(completion_days(fj["window"], jam_remaining))
    c["fc"] = {
        "ran": int(fj["completion_days"] is not None),
        "errors": [f"{data['name']}: {fj['error']}"] if fj.get("error") else [],
        "remaining_equal": int(jam_remaining == fo["remaining"]),
        "ours_remaining": fo["remaining"],
        "jam_remaining": int(jam_remaining),
        "ours_window_sum": sum(fo["window"]),
        "jam_window_sum": sum(fj["window"]),
        "window_rebuilt_equal": int(rebuilt_window == fj["window"]),
        "pct_equal": sum(ours_days[p] is not None and ours_days[p] == jam_days[p] for p in PERCENTS),
        "pct_total": len(PERCENTS) if fj["completion_days"] is not None else 0,
        "rebuilt_pct_equal": sum(jam_days[p] is not None and ours_on_jam_inputs[p] == jam_days[p] for p in PERCENTS),
        "rebuilt_pct_close": sum(close(ours_on_jam_inputs[p], jam_days[p]) for p in PERCENTS),
        "ours_days": ours_days,
        "jam_days": jam_days,
        "jam_chart_days": fj["jam_quantile_days"],
        "ours_on_jam_inputs": ours_on_jam_inputs,
        "jam_start": fj["start_date"],
    }
    engine = jam["engine"] or {}
    e_jam = engine.get("completion_days")
    e_ours = fo["completion_days"]
    c["engine"] = {
        "ran": int(e_jam is not None and e_ours is not None),
        "errors": [f"{data['name']}: {engine['error']}"] if engine.get("error") else [],
        "pct_equal": sum(nearest(e_ours)[p] == nearest(e_jam)[p] for p in PERCENTS) if e_jam is not None else 0,
        "pct_total": len(PERCENTS) if e_jam is not None else 0,
        "pct_close": sum(close(nearest(e_ours)[p], nearest(e_jam)[p]) for p in PERCENTS) if e_jam is not None else 0,
        "ks": [stats.ks_2samp(e_ours, e_jam)] if e_jam is not None and e_ours is not None else [],
        "means": [(float(np.mean(e_ours)), float(np.mean(e_jam)))] if e_jam is not None and e_ours is not None else [],
        "ours_days": nearest(e_ours),
        "jam_days": nearest(e_jam),
        "jam_chart_days": engine.get("jam_quantile_days"),
    }
    return c


def rebuilt_cfd_agreement(data: dict[str, Any], jam_cfd: dict[str, dict[str, float]], columns: list[str]) -> int:
    """Rebuild jam's CFD from the exported transitions with jam's rules, written independently of its
    code, and count the cells equal to jam's: each column's date is the first entry into it, a move
    back to an earlier column wipes the later columns' dates, a skipped column takes the next
    column's date, Discarded is in the done column, dates are in the team's zone."""
    zone = ZoneInfo(data["tz"])
    column_of = {status: index for index, step in enumerate(data["settings"]["cycle"]) for status in step["statuses"]}
    arrivals: list[Counter[date]] = [Counter() for _ in columns]
    for item in data["items"]:
        dates: list[date | None] = [None] * len(columns)
        for status, at in item["transitions"]:
            index = column_of.get(status)
            if index is None:
                continue
            if dates[index] is None:
                dates[index] = datetime.fromtimestamp(at, zone).date()
            for later in range(index + 1, len(columns)):
                dates[later] = None
        following = None
        for index in range(len(columns) - 1, -1, -1):
            if dates[index] is None:
                dates[index] = following
            following = dates[index]
        for index, d in enumerate(dates):
            if d is not None:
                arrivals[index][d] += 1
    agree = 0
    for text, row in jam_cfd.items():
        d = as_date(text)
        for index, column in enumerate(columns):
            agree += sum(n for day_, n in arrivals[index].items() if day_ <= d) == row[column]
    return agree


def other_date_in_utc(data: dict[str, Any]) -> int:
    """Status entries whose calendar date in UTC differs from the date in the team's zone."""
    zone = ZoneInfo(data["tz"])
    return sum(
        datetime.fromtimestamp(at, zone).date() != datetime.fromtimestamp(at, UTC).date()
        for item in data["items"]
        for _, at in item["transitions"]
    )


def notes(summed: dict[str, Any]) -> str:
    """What the tables do not show: causes that could not occur in this data, and what was not compared."""
    ca = summed["causes"]
    return "\n".join(
        [
            "Notes (all datasets):",
            "",
            f"- Time zone: jam dates each change by the offset in Jira's timestamp string (the API user's profile zone); "
            f"we use the team's zone. The export renders the team's zone, and {ca['entries_other_date_in_utc']} of "
            f"{summed['entries']:,} status entries would fall on another date in UTC (the simulated teams work "
            "9:00-17:30 local), so this cause cannot show here.",
            f"- Backfill: items done without a started status get a 1-day cycle time from us and none from jam "
            f"(its cycle_time needs an accepted column), but the simulator produced {ca['backfilled']} such items.",
            "- Discarded mapping: with Discarded left out of jam's workflow instead (unmapped statuses are ignored), "
            f"jam would keep the {ca['discarded_backlog']} items discarded from the backlog in its backlog column and the "
            f"{ca['discarded_started']} discarded after start in WIP forever (not run; from jam's cycletime.py).",
            "- Forecast dates: jam starts its trials on the last CFD day and, by default, ends its throughput window on "
            "the last done date (here set to the last simulated day, like ours: the day before 'today'). Only day "
            "counts are compared, so the labelling of dates is not.",
            "- Not compared: our Ready CFD line (inside jam's backlog column); histogram, scatterplot, ageing WIP, net "
            "flow and impediments (not in the requirement; blocked flags were not exported).",
        ]
    )


def add(total: Any, part: Any) -> Any:
    """Sum two comparison results leaf by leaf (numbers and counters add, lists concatenate)."""
    if isinstance(total, dict) and not isinstance(total, Counter):
        return {key: add(total[key], part[key]) if key in total else part[key] for key in part}
    if isinstance(total, (int, float, Counter, list)) and not isinstance(total, bool):
        return total + part
    return None  # values that do not add (percentile values) are shown for one dataset only


# --------------------------------------------------------------------------------------------
# report


def ratio(ours_ms: float | None, jam_ms: float | None) -> str:
    return "—" if not ours_ms or not jam_ms else f"{jam_ms / ours_ms:,.1f}×"


def ms(value: float | None) -> str:
    return "—" if value is None else (f"{value:,.1f}" if value < 100 else f"{value:,.0f}")


def fmt_days(days: dict[Any, Any] | None, keys: tuple[Any, ...] = PERCENTS) -> str:
    return "—" if not days else "/".join("—" if days.get(k) is None else str(days[k]) for k in keys)


def table(title: str, c: dict[str, Any], to: Mapping[str, float], tj: Mapping[str, float | None]) -> str:
    """The Markdown table of one dataset, or of several summed (then values are only counted)."""
    single = c["datasets"] == 1
    ca, cy, pc, td, tw, wp, cf, bu, fc, en = (
        c[k] for k in ("causes", "cycle", "pct", "tp_day", "tp_week", "wip", "cfd", "burnup", "fc", "engine")
    )
    q = JAM_QUANTILES
    pct_values = ""
    if single:
        ours_p, jam_p, rebuilt_p = ("/".join(f"{pc['values'][k][i]:g}" for k in q) for i in range(3))
        pct_values = (
            f"ours {ours_p} d (nearest rank, +1) vs jam {jam_p} d (pandas linear interpolation, no +1, includes items "
            f"discarded after start); rebuilt from ours: {rebuilt_p} d. "
        )
    fc_values = (
        f"P50/70/85/95 days ours {fmt_days(fc['ours_days'])}, jam {fmt_days(fc['jam_days'])} (nearest rank of its "
        f"trials; its chart's pandas quantiles {fmt_days(fc['jam_chart_days'], ('0.5', '0.7', '0.85', '0.95'))}); "
        f"our engine on jam's inputs {fmt_days(fc['ours_on_jam_inputs'])}. "
        if single
        else ""
    )
    en_values = (
        f"ours {fmt_days(en['ours_days'])} vs jam {fmt_days(en['jam_days'])} (chart quantiles "
        f"{fmt_days(en['jam_chart_days'], ('0.5', '0.7', '0.85', '0.95'))}); "
        if single and en["ran"]
        else ""
    )
    ks = en["ks"]
    parse_share = c["parsing"]["parse_s"] / c["parsing"]["total_s"]
    ks_text = (
        f"two-sample KS on the {TRIALS:,} completion days: D ≤ {max(k.statistic for k in ks):.4f}, "
        f"p ≥ {min(k.pvalue for k in ks):.2f}"
        if ks
        else "not run"
    )
    means = "; ".join(f"mean {a:.2f} vs {b:.2f} d" for a, b in en["means"]) if single else ""
    errors = fc["errors"] + en["errors"]
    rows = [
        (
            "cycle time per item",
            to["cycle_time"],
            tj["cycle_time"],
            f"{cy['equal']} / {cy['union']} equal; ours − 1 = jam on {cy['plus1']} / {cy['both']} finished on both sides",
            f"+1 day convention (ours = finish date − start date + 1, jam's = the difference) on every item both finish; "
            f"other differences: {cy['other']}; same start date {cy['start_same']} / {cy['both']}, same finish date "
            f"{cy['finish_same']} / {cy['both']}. Only jam has a cycle time for {cy['jam_only']} items "
            f"({cy['jam_only_discarded_started']} of them discarded after start: jam has no discard, Discarded is in its done "
            f"column). Only ours for {cy['ours_only']} ({cy['ours_only_backfilled_ct1']} done without a started status: we "
            f"backfill 1 day, jam leaves it empty). jam's step parses {c['parsing']['calls']:,} Jira timestamp strings "
            f"with dateutil (two per change, two per issue): {parse_share:.0%} of its time under cProfile; ours "
            "starts from parsed datetimes",
        ),
        (
            "cycle-time percentiles 50/85/95",
            to["percentiles"],
            tj["percentiles"],
            f"{pc['equal']} / {pc['total']}",
            f"{pct_values}jam's values rebuilt from ours (days − 1, + discarded-after-start items, linear interpolation) "
            f"equal jam's on {pc['rebuilt_equal']} / {pc['total']}",
        ),
        (
            "throughput per day",
            to["throughput_day"],
            tj["throughput_day"],
            f"{td['agree']} / {td['total']} days",
            f"totals ours {td['sum_ours']} vs jam {td['sum_jam']}: jam also counts the {ca['discarded_started']} items "
            f"discarded after start (on the discard day) and does not count the {ca['backfilled']} backfilled ones; "
            f"ours + those − these = jam on {td['rebuilt_agree']} / {td['total']} days",
        ),
        (
            "throughput per week (jam default 1W-MON)",
            to["throughput_week"],
            tj["throughput_week"],
            f"{tw['by_label_agree']} / {tw['labels']} weeks with the same label",
            f"jam's 1W-MON weeks run Tuesday–Monday, labelled by the closing Monday; ours are ISO weeks Monday–Sunday "
            f"labelled by their Monday. Ours re-bucketed into jam's weeks: {tw['rebucketed_agree']} / {tw['jam_weeks']}; "
            f"re-bucketed and corrected for the per-day causes: {tw['rebuilt_agree']} / {tw['jam_weeks']}",
        ),
        (
            "WIP per day",
            to["wip"],
            tj["wip"],
            f"{wp['agree']} / {wp['total']} days",
            ("same values" if wp["agree"] == wp["total"] else "DIFFERENT, unexplained")
            + f"; ours also has {wp['ours_extra_days']} day(s) before jam's first event ({wp['ours_extra_nonzero']} non-zero). "
            "Ours counts from the item table, jam subtracts its CFD's done from its committed column; both count a "
            "reopened item from its start to its final finish and a parked item from its restart",
        ),
        (
            "CFD per day × jam column",
            to["cfd"],
            tj["cfd"],
            f"{cf['agree']} / {cf['total']} cells",
            f"differing cells by column {dict(cf['by_column'])}. (a) discarded items ({ca['discarded']}: "
            f"{ca['discarded_started']} after start, {ca['discarded_backlog']} from the backlog) stay in all jam lines as done, "
            f"ours drops them from the discard day; (b) items that moved back a column ({ca['backward']}: {ca['rework']} rework, "
            f"{ca['reopened']} reopened, {ca['parked']} parked; an item can be in several): a move back wipes jam's "
            f"dates of the later columns, so jam counts the item in them only from its final pass, while ours counts each "
            f"day's actual status (including the earlier passes). Agreement "
            f"without (a): {cf['no_discarded']} / {cf['total']}; without (b): {cf['no_backward']} / {cf['total']}; "
            f"without both: {cf['neither']} / {cf['total']}. jam's rules re-implemented on our data reproduce jam on "
            f"{cf['rebuilt_agree']} / {cf['total']} cells. Our Ready line has no jam column (it is in jam's backlog column)",
        ),
        (
            "burn-up lines (scope, done) per day",
            None,
            tj["burnup"],
            f"{bu['agree']} / {bu['total']} cells",
            f"these are jam's backlog and done CFD columns (ours: the Backlog and Done CFD lines, no separate step); "
            f"differing {dict(bu['by_column'])}. Without discarded items: {bu['no_discarded']} / {bu['total']}; without both "
            f"causes: {bu['neither']} / {bu['total']}",
        ),
        (
            f"burn-up forecast, {TRIALS:,} trials each, each side's own inputs",
            to["forecast_equal_trials"],
            tj["forecast_equal_trials"],
            f"{fc['pct_equal']} / {fc['pct_total']} percentiles"
            + (f" (ran on {fc['ran']} / {c['datasets']})" if not single else ""),
            f"{fc_values}Remaining items equal on {fc['remaining_equal']} / {c['datasets']} (ours {fc['ours_remaining']}, jam "
            f"{fc['jam_remaining']}). Same 90-day window, but jam samples its done column, so its window holds "
            f"{fc['jam_window_sum']} items vs our {fc['ours_window_sum']}: every discard counts as throughput (ours + discards "
            f"per day = jam's window on {fc['window_rebuilt_equal']} / {c['datasets']}); our engine on jam's inputs matches "
            f"jam on {fc['rebuilt_pct_equal']} / {fc['pct_total']} percentiles (within 1 day: {fc['rebuilt_pct_close']})"
            + (f". Errors: {errors}" if errors else ""),
        ),
        (
            f"burn-up forecast engine only: same window & remaining, {TRIALS:,} trials",
            None,
            None,
            f"{en['pct_equal']} / {en['pct_total']} percentiles (within 1 day: {en['pct_close']})",
            f"{en_values}{means}{'; ' if means else ''}{ks_text}. Both sample days uniformly with replacement from the "
            "window; differences are RNG noise (numpy Generator vs pandas Series.sample)",
        ),
        (
            "burn-up forecast, each at its default trials (jam 100, ours 10,000)",
            to["forecast_default_trials"],
            tj["forecast_default_trials"],
            "—",
            "timing only",
        ),
        (
            "all of the above in one chain",
            to["all"],
            tj["all"],
            "—",
            "ours: item_timeline → cycle times, percentiles, throughput day & week, WIP, CFD (from transitions), forecast; "
            "jam: CycleTime → CFD → WIP, Percentiles, Burnup, Throughput day & week, BurnupForecast (10,000 trials)",
        ),
    ]
    out = [
        f"### {title}",
        "",
        "| metric | ours ms | theirs ms | ratio (theirs/ours) | values agree (n / total) | explanation of differences |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    out += [f"| {m} | {ms(o)} | {ms(t)} | {ratio(o, t)} | {a} | {w} |" for m, o, t, a, w in rows]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------


def load_average() -> str:
    """The 1-minute load average, to show how busy the machine was."""
    return f"{os.getloadavg()[0]:.1f}"


def datasets(include_demo: bool) -> list[tuple[str, SimulatedTeam]]:
    profiles = demo_profiles()
    big = profiles[0]
    out = [(f"{big.name} ×{BIG_SCALE}", simulate_team(big.scaled(BIG_SCALE), start=START, end=END, seed=SEED))]
    if include_demo:
        out += [(profile.name, simulate_team(profile, start=START, end=END, seed=SEED)) for profile in profiles]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per metric; the median is reported")
    parser.add_argument("--no-demo", action="store_true", help="only the ~5,000-item team, not the six demo teams")
    parser.add_argument("--per-team", action="store_true", help="also print one table per demo team")
    parser.add_argument("--keep", type=Path, help="directory to keep the exchanged JSON files in")
    args = parser.parse_args(argv)

    load_before = load_average()
    ensure_jam_venv()
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="jam-peer-"))
    workdir.mkdir(parents=True, exist_ok=True)

    exported = [export(team, name) for name, team in datasets(not args.no_demo)]
    ours: dict[str, dict[str, Any]] = {}
    for data in exported:
        began = time.perf_counter()
        ours[data["name"]] = our_side(data, args.runs)
        print(f"  ours: {data['name']} done in {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
        fo = ours[data["name"]]["forecast"]
        data["variants"] = variants(data)
        data["engine"] = {"window": fo["window"], "remaining": fo["remaining"], "trials": TRIALS}
        data["engine_start"] = data["end"]
    request, response = workdir / "jam_input.json", workdir / "jam_output.json"
    request.write_text(json.dumps({"runs": args.runs, "datasets": exported}))
    subprocess.run([str(JAM_PYTHON), str(JAM_RUNNER), str(request), str(response)], check=True)
    jam = json.loads(response.read_text())

    v = jam["versions"]
    print(
        f"## jira-agile-metrics {v['jira-agile-metrics']} (pandas {v['pandas']}, numpy {v['numpy']}, matplotlib "
        f"{v['matplotlib']}, Python {v['python']}) vs deliveryops\n\nMedian wall time of {args.runs} runs in ms, each side "
        "in its own process, inputs prepared outside the timing; ratio > 1: ours is faster. Machine: "
        f"{os.cpu_count()} CPUs, load average {load_before} before and {load_average()} after the run (other work was "
        "running on it, so sub-millisecond figures are noisy).\n\n"
        "What is timed. Ours: cycle time = item_timeline (from the transitions frame) + cycle_times; percentiles, "
        "throughput, WIP from that timeline; CFD from the transitions; forecast = 90-day daily throughput + "
        "forecast_when. jam: cycle time = CycleTimeCalculator.run (reads the fake issues' changelogs through its "
        "QueryManager, parsing every Jira timestamp string); every other calculator from the results of the ones "
        "before it, as its run_calculators does (CFD from the cycle table, WIP and burn-up from the CFD, forecast "
        "from the burn-up and the cycle table).\n"
    )
    summed: dict[str, Any] | None = None
    timings: tuple[dict[str, float], dict[str, float | None]] = ({}, {})
    for index, data in enumerate(exported):
        name = data["name"]
        result = compare(data, ours[name], jam["datasets"][name])
        t_ours, t_jam = ours[name]["timings_ms"], jam["datasets"][name]["timings_ms"]
        title = (
            f"{name}: {result['items']:,} items (epics excluded), {result['entries']:,} status entries, "
            f"{data['start']} – {data['end']}, {data['tz']}"
        )
        if index == 0 or args.per_team:
            print(table(title, result, t_ours, t_jam) + "\n")
        if index == 0:
            continue
        summed = result if summed is None else add(summed, result)
        for key, value in t_ours.items():
            timings[0][key] = timings[0].get(key, 0.0) + value
        for key, value in t_jam.items():
            so_far = timings[1].get(key, 0.0)
            timings[1][key] = None if value is None or so_far is None else so_far + value
    if summed is not None:
        names = ", ".join(data["name"] for data in exported[1:])
        print(
            table(
                f"the {summed['datasets']} demo teams ({names}), summed: {summed['items']:,} items, {summed['entries']:,} "
                f"status entries, {exported[1]['start']} – {exported[1]['end']} (times are sums of per-team medians)",
                summed,
                timings[0],
                timings[1],
            )
            + "\n"
        )
    every: dict[str, Any] = {}
    for data in exported:
        result = compare(data, ours[data["name"]], jam["datasets"][data["name"]])
        every = add(every, result) if every else result
    print(notes(every) + "\n")
    print(f"(exchanged data: {workdir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
