"""Drive jira-agile-metrics' own calculators on exported data, without a Jira server.

Runs with the Python of ``benchmarks/.jam-venv`` (jira-agile-metrics 0.24 needs pandas < 2), never
with the project's virtualenv; it imports nothing from ``deliveryops``. It is started by
``benchmarks/peer_jira_agile_metrics.py``, which writes its input and reads its output.

How jira-agile-metrics is driven (the least invasive way that still runs its real code path):

- Its ``CycleTimeCalculator`` reads issues through a ``QueryManager`` that wraps a ``jira.JIRA``
  client. We hand the real ``QueryManager`` a fake client with the two methods it calls
  (``fields()`` and ``search_issues()``) returning fake issues in the shape of the Jira REST API,
  as its own test suite does (``jira_agile_metrics/conftest.py``: ``FauxJIRA``, ``FauxIssue``...).
  So the changelog parsing (``QueryManager.iter_changes``), the backward-move wiping and the cycle
  time arithmetic are all jira-agile-metrics' own code, unchanged.
- Each item's first status is its initial status (Jira has no history entry for it: jam reads it
  as the ``fromString`` of the first change); every later status entry becomes one changelog
  history ``{created, items: [{field: "status", fromString, toString}]}``. Timestamps are rendered
  as Jira renders them, ``2024-01-02T11:04:06.000+0100``, in the team's time zone (a Jira user
  whose profile zone is the team's).
- The downstream calculators (CFD, WIP, throughput, percentiles, burn-up, burn-up forecast) are
  the package's classes, run with a settings dict and the shared results dict, exactly as
  ``jira_agile_metrics.calculator.run_calculators`` does; only ``write()`` (files, charts) is
  never called.

Input JSON: ``{"runs": R, "datasets": [dataset, ...]}``, a dataset being ``name``, ``tz``, ``now``,
``settings`` (jam settings: cycle, columns, forecast window...), ``items`` (``key``, ``type``,
``title``, ``resolution``, ``transitions`` = ``[[status, epoch seconds], ...]``), ``variants``
(``{name: [keys to leave out]}``, computed untimed) and ``engine`` (``window``, ``remaining``,
``trials``: a Monte Carlo run of jam's ``burnup_monte_carlo`` on given inputs).

Output JSON: per dataset, jam's results (per-item cycle data, throughput, WIP, CFD, percentiles,
forecasts) and the median wall time of each calculator over R runs, in milliseconds.

Usage: ``benchmarks/.jam-venv/bin/python benchmarks/peer/jam_runner.py IN.json OUT.json``
"""

from __future__ import annotations

import cProfile
import datetime as dt
import json
import logging
import platform
import pstats
import statistics
import sys
import time
from importlib.metadata import version
from itertools import pairwise
from zoneinfo import ZoneInfo

import dateutil.parser
import numpy as np
import pandas as pd
from jira_agile_metrics.calculators.burnup import BurnupCalculator
from jira_agile_metrics.calculators.cfd import CFDCalculator
from jira_agile_metrics.calculators.cycletime import CycleTimeCalculator
from jira_agile_metrics.calculators.forecast import (
    BurnupForecastCalculator,
    burnup_monte_carlo,
    throughput_sampler,
)
from jira_agile_metrics.calculators.percentiles import PercentilesCalculator
from jira_agile_metrics.calculators.throughput import ThroughputCalculator
from jira_agile_metrics.calculators.wip import WIPChartCalculator
from jira_agile_metrics.querymanager import QueryManager

FIELDS = [
    {"id": "summary", "name": "Summary"},
    {"id": "issuetype", "name": "Issue type"},
    {"id": "status", "name": "Status"},
    {"id": "resolution", "name": "Resolution"},
    {"id": "created", "name": "Created date"},
    {"id": "customfield_100", "name": "Flagged"},
]


class Obj:
    """A plain attribute bag (the fake Jira objects)."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)


class FakeJira:
    """The part of ``jira.JIRA`` that jam's ``QueryManager`` uses."""

    def __init__(self, issues):
        self._options = {"server": "https://jira.invalid"}
        self._issues = issues

    def fields(self):
        return FIELDS

    def search_issues(self, jql, expand=None, maxResults=None):  # noqa: N803 (Jira's name)
        return self._issues


def jira_time(epoch_seconds, zone):
    """Render an instant as Jira's REST API does, in the given zone."""
    return dt.datetime.fromtimestamp(epoch_seconds, zone).strftime("%Y-%m-%dT%H:%M:%S.000%z")


def fake_issues(dataset, leave_out=()):
    """Build fake Jira issues with changelogs from the exported items."""
    zone = ZoneInfo(dataset["tz"])
    leave_out = set(leave_out)
    issues = []
    for item in dataset["items"]:
        if item["key"] in leave_out:
            continue
        entries = item["transitions"]
        histories = [
            Obj(
                created=jira_time(at, zone),
                items=[Obj(field="status", fromString=before, toString=status, from_=before, to=status)],
            )
            for (before, _), (status, at) in pairwise(entries)
        ]
        final_status, final_at = entries[-1]
        resolution = item["resolution"]
        fields = Obj(
            issuetype=Obj(name=item["type"]),
            summary=item["title"],
            status=Obj(name=final_status, value=final_status),
            resolution=Obj(name=resolution) if resolution else None,
            resolutiondate=jira_time(final_at, zone) if resolution else None,
            created=jira_time(entries[0][1], zone),
            customfield_100=None,  # Flagged: blocked periods are not compared
        )
        issues.append(Obj(key=item["key"], fields=fields, changelog=Obj(histories=histories)))
    return issues


def settings_for(dataset, **overrides):
    """jam settings: the dataset's (cycle, columns, forecast window) plus what calculators read."""
    settings = {
        "attributes": {},
        "known_values": {},
        "max_results": None,
        "query_attribute": None,
        "queries": [{"jql": "project = SIM", "value": None}],
        "quantiles": [0.5, 0.85, 0.95],
        "throughput_frequency": "1W-MON",  # jam's default
        "throughput_window": None,
        "burnup_forecast_chart": "burnup-forecast.png",  # never written; its run() needs it set
        "burnup_forecast_chart_target": None,
        "burnup_forecast_chart_trials": 100,  # jam's default
    }
    settings.update(dataset["settings"])
    settings["burnup_forecast_chart_throughput_window_end"] = dt.date.fromisoformat(
        dataset["settings"]["burnup_forecast_chart_throughput_window_end"]
    )
    settings.update(overrides)
    return settings


def run_one(calculator, query_manager, settings, results, **kwargs):
    """Run one calculator class the way ``run_calculators`` does, storing its result."""
    results[calculator] = calculator(query_manager, settings, results).run(**kwargs)
    return results[calculator]


def median_ms(function, runs):
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def parsing_share(call):
    """How much of a call dateutil's timestamp parsing takes, from one run under cProfile: the
    number of parse calls and the share of the call's cumulative time spent in them. (Timing a
    parse-only loop against the whole step proved too noisy on a shared machine.)"""
    profile = cProfile.Profile()
    profile.enable()
    call()
    profile.disable()
    entries = pstats.Stats(profile).stats  # (file, line, function) -> (cc, nc, tt, ct, callers)
    total = max(ct for (_, _, function), (_, _, _, ct, _) in entries.items() if function == "calculate_cycle_times")
    parse = [
        (nc, ct)
        for (file, _, function), (_, nc, _, ct, _) in entries.items()
        if function == "parse" and file.replace("\\", "/").endswith("dateutil/parser/_parser.py")
    ]
    calls, spent = max(parse, key=lambda entry: entry[1])
    return {"calls": calls, "parse_s": spent, "total_s": total}


def day(value):
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def frame_by_day(frame):
    return {day(index): {column: float(value) for column, value in row.items()} for index, row in frame.iterrows()}


def series_by_day(series):
    return {day(index): float(value) for index, value in series.items()}


def completion_days(trials, start_date):
    """Days from ``start_date`` to each trial's last (finishing) step."""
    finish = trials.apply(pd.Series.last_valid_index)
    return [int((pd.Timestamp(value) - pd.Timestamp(start_date)).days) for value in finish]


def jam_quantile_days(trials, start_date, quantiles):
    """The finish-date quantiles as jam's forecast chart computes them (linear, then normalised)."""
    finish = trials.apply(pd.Series.last_valid_index)
    values = finish.quantile(quantiles).dt.normalize()
    return {str(q): int((value - pd.Timestamp(start_date)).days) for q, value in values.items()}


def compute(dataset, leave_out=(), *, now, cycle_only=False):
    """Run the calculators once and return (settings, results dict)."""
    settings = settings_for(dataset)
    query_manager = QueryManager(FakeJira(fake_issues(dataset, leave_out)), settings)
    results = {}
    run_one(CycleTimeCalculator, query_manager, settings, results, now=now)
    if not cycle_only:
        run_one(CFDCalculator, query_manager, settings, results)
        run_one(WIPChartCalculator, query_manager, settings, results)
        run_one(BurnupCalculator, query_manager, settings, results)
    return settings, query_manager, results


def cycle_output(cycle, settings):
    names = [step["name"] for step in settings["cycle"]]
    rows = {}
    for record in cycle.to_dict("records"):
        ct = record["cycle_time"]
        rows[record["key"]] = {
            "columns": {name: day(record[name]) for name in names},
            "cycle_time_days": None if pd.isna(ct) else int(pd.Timedelta(ct).days),
            "completed": day(record["completed_timestamp"]),
            "status": record["status"],
        }
    return rows


def throughput(query_manager, settings, results, frequency):
    run_one(ThroughputCalculator, query_manager, dict(settings, throughput_frequency=frequency), results)
    return results[ThroughputCalculator]


def metrics_output(query_manager, settings, results):
    cycle = results[CycleTimeCalculator]
    return {
        "cycle": cycle_output(cycle, settings),
        "cfd": frame_by_day(results[CFDCalculator]),
        "wip": series_by_day(results[WIPChartCalculator]["wip"]),
        "throughput_day": series_by_day(throughput(query_manager, settings, results, "1D")["count"]),
        "throughput_week": series_by_day(throughput(query_manager, settings, results, "1W-MON")["count"]),
    }


def run_dataset(dataset, runs):
    now = dt.datetime.fromisoformat(dataset["now"]).replace(tzinfo=None)
    settings, query_manager, results = compute(dataset, now=now)
    out = metrics_output(query_manager, settings, results)
    run_one(PercentilesCalculator, query_manager, settings, results)
    out["percentiles"] = {str(q): pd.Timedelta(v).total_seconds() / 86400 for q, v in results[PercentilesCalculator].items()}
    burnup = results[BurnupCalculator]
    out["burnup"] = frame_by_day(burnup)

    # The burn-up forecast, end to end, with jam's own inputs (its target and start value from the
    # burn-up, its daily throughput from the Done column), at the same trial count as ours.
    engine = dataset["engine"]
    quantiles = [0.5, 0.7, 0.85, 0.95]
    forecast_settings = dict(settings, burnup_forecast_chart_trials=engine["trials"])
    np.random.seed(1)  # pandas' Series.sample draws from numpy's global generator
    forecast_error = None
    try:
        forecast = BurnupForecastCalculator(query_manager, forecast_settings, results).run()
    except Exception as error:
        forecast, forecast_error = None, f"{type(error).__name__}: {error}"
    done_column, backlog_column = settings["done_column"], settings["backlog_column"]
    window_end = settings["burnup_forecast_chart_throughput_window_end"]
    window_start = window_end - dt.timedelta(days=settings["burnup_forecast_chart_throughput_window"])
    done_dates = results[CycleTimeCalculator][done_column].dropna().dt.date
    window = [int((done_dates == window_start + dt.timedelta(days=i)).sum()) for i in range((window_end - window_start).days + 1)]
    start_date = burnup.index.max()
    out["forecast"] = {
        "start_value": float(burnup[done_column].max()),
        "target": float(burnup[backlog_column].max()),
        "start_date": day(start_date),
        "window_start": window_start.isoformat(),
        "window_end": window_end.isoformat(),
        "window": window,
        "trials": engine["trials"],
        "error": forecast_error,
        "completion_days": None if forecast is None else completion_days(forecast, start_date),
        "jam_quantile_days": None if forecast is None else jam_quantile_days(forecast, start_date, quantiles),
    }

    # jam's Monte Carlo engine alone, on exactly our inputs (window and remaining items).
    out["engine"] = None
    if engine["remaining"] > 0 and sum(engine["window"]) > 0:
        np.random.seed(2)
        try:
            sampler = throughput_sampler(pd.DataFrame({"count": engine["window"]}), 0, engine["remaining"])
            engine_start = pd.Timestamp(dataset["engine_start"])
            trials = burnup_monte_carlo(0, engine["remaining"], engine_start, pd.offsets.Day(1), sampler, trials=engine["trials"])
            out["engine"] = {
                "completion_days": completion_days(trials, engine_start),
                "jam_quantile_days": jam_quantile_days(trials, engine_start, quantiles),
            }
        except Exception as error:
            out["engine"] = {"error": f"{type(error).__name__}: {error}"}

    # Timings: each calculator on the results of the ones before it, as in run_calculators.
    issues = fake_issues(dataset)
    timed_qm = QueryManager(FakeJira(issues), settings)
    timed = {CycleTimeCalculator: results[CycleTimeCalculator], CFDCalculator: results[CFDCalculator], BurnupCalculator: burnup}
    day_settings = dict(settings, throughput_frequency="1D")
    calls = {
        "cycle_time": lambda: CycleTimeCalculator(timed_qm, settings, {}).run(now=now),
        "percentiles": lambda: PercentilesCalculator(timed_qm, settings, timed).run(),
        "throughput_day": lambda: ThroughputCalculator(timed_qm, day_settings, timed).run(),
        "throughput_week": lambda: ThroughputCalculator(timed_qm, settings, timed).run(),
        "cfd": lambda: CFDCalculator(timed_qm, settings, timed).run(),
        "wip": lambda: WIPChartCalculator(timed_qm, settings, timed).run(),
        "burnup": lambda: BurnupCalculator(timed_qm, settings, timed).run(),
        "forecast_equal_trials": lambda: BurnupForecastCalculator(timed_qm, forecast_settings, timed).run(),
        "forecast_default_trials": lambda: BurnupForecastCalculator(timed_qm, settings, timed).run(),
    }

    def everything():
        chain = {}
        for calculator in (CycleTimeCalculator, CFDCalculator, WIPChartCalculator, PercentilesCalculator, BurnupCalculator):
            kwargs = {"now": now} if calculator is CycleTimeCalculator else {}
            run_one(calculator, timed_qm, settings, chain, **kwargs)
        ThroughputCalculator(timed_qm, day_settings, chain).run()
        ThroughputCalculator(timed_qm, settings, chain).run()
        BurnupForecastCalculator(timed_qm, forecast_settings, chain).run()

    def parse_only():
        # The timestamp parsing CycleTimeCalculator does (QueryManager.iter_changes): the created
        # date once per watched field (status, Flagged), each change twice (sort key, change date).
        for issue in issues:
            for _ in range(2):
                dateutil.parser.parse(issue.fields.created)
            for change in issue.changelog.histories:
                dateutil.parser.parse(change.created)
                dateutil.parser.parse(change.created, ignoretz=True)

    failed = set()

    def guarded(name, call):
        def run():
            try:
                call()
            except Exception:
                failed.add(name)

        return run

    for name in ("forecast_equal_trials", "forecast_default_trials", "all"):
        calls[name] = guarded(name, calls[name] if name != "all" else everything)
    out["timings_ms"] = {name: median_ms(call, runs) for name, call in calls.items()}
    out["parsing"] = parsing_share(lambda: CycleTimeCalculator(timed_qm, settings, {}).run(now=now))
    for name in failed:  # a call that raised has no meaningful time
        out["timings_ms"][name] = None

    # Ablations (untimed): the same calculators without some items, to attribute disagreements.
    out["variants"] = {}
    for name, keys in dataset["variants"].items():
        v_settings, v_qm, v_results = compute(dataset, keys, now=now)
        out["variants"][name] = metrics_output(v_qm, v_settings, v_results)
    return out


def main(argv):
    logging.basicConfig(level=logging.ERROR)
    with open(argv[1]) as handle:
        request = json.load(handle)
    output = {
        "versions": {
            "python": platform.python_version(),
            **{
                name: version(name)
                for name in ("jira-agile-metrics", "pandas", "numpy", "matplotlib", "statsmodels", "seaborn", "scipy")
            },
        },
        "datasets": {},
    }
    for dataset in request["datasets"]:
        began = time.perf_counter()
        output["datasets"][dataset["name"]] = run_dataset(dataset, request["runs"])
        print(f"  jam: {dataset['name']} done in {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
    with open(argv[2], "w") as handle:
        json.dump(output, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
