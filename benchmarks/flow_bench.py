"""Benchmark of the flow metrics (deliveryops.analytics.flow) on synthetic, seeded histories.

Scenarios:

- a team: 5,000 items with about 12 status entries each; every metric is timed on its own, and
  ``flow_summary`` (everything the team flow page needs, in one call) is timed as a whole;
  the target is <= 200 ms for the summary;
- an organisation: many teams' items in one frame (default 200,000 items, about 2.4 million
  transitions, so it runs in under a minute); the full size is
  ``--org-items 1000000`` (about 12 million transitions). Timed four ways, each the full
  metric set (product issue 4: <= 5 s):

  1. ``flow_summary`` over the whole organisation frame in one call;
  2. every team separately (the organisation split into teams of ``--team-items`` items, the
     way the product computes them), one after the other in this process;
  3. every team in one pass (:func:`flow.team_flow_summaries`: the teams share a workflow and a
     zone here), then the first 6 teams both ways;
  4. the same per-team calls through :func:`flow.flow_summaries` on a pool of ``--workers``
     worker processes (spawned and warmed up before timing; sending the frames to the workers
     and the results back is included). The pool's start-up is printed separately.

  With ``--alternate``, only the organisation call and the one pass are timed, alternated run by
  run (so both see the same load), in CPU time: the organisation call; the one pass from the teams'
  own frames (:func:`flow.team_flow_summaries`, which joins them; every team's tables as one frame,
  nothing cut per team); the one pass from the organisation's frames with a ``team`` column
  (:func:`flow.stacked_flow_summaries`, as the portfolio job reads every team at once: the same
  frames the organisation call gets, plus that column, added before timing); the same and the
  three tables the portfolio job reads; the same with every team's summary cut out. The ratio of
  each run's call to the organisation call of the same run is printed with the load average.

Each figure is the median of ``--runs`` runs (default 5), in milliseconds. Peak memory is the
process's maximum resident set size (and the workers' own peak, for the pool).

Usage::

    .venv/bin/python benchmarks/flow_bench.py
    .venv/bin/python benchmarks/flow_bench.py --org-items 1000000 --runs 3
    .venv/bin/python benchmarks/flow_bench.py --org-items 1000000 --runs 3 --per-metric
    .venv/bin/python benchmarks/flow_bench.py --org-items 0   # team only
    .venv/bin/python benchmarks/flow_bench.py --org-items 1000000 --runs 5 --alternate
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from deliveryops.analytics import flow
from deliveryops.work.records import StageCategory

WORKFLOW: dict[str, tuple[StageCategory, int]] = {
    "Backlog": (StageCategory.BACKLOG, 0),
    "Ready": (StageCategory.BACKLOG, 1),
    "In Progress": (StageCategory.ACTIVE, 2),
    "Ready for Review": (StageCategory.WAITING, 3),
    "In Review": (StageCategory.ACTIVE, 4),
    "Ready for Test": (StageCategory.WAITING, 5),
    "Testing": (StageCategory.ACTIVE, 6),
    "Done": (StageCategory.DONE, 7),
    "Won't Do": (StageCategory.DISCARDED, 8),
}
STATUSES = list(WORKFLOW)
DONE = 7
DISCARDED = 8
ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 6, 30, 16, 0, tzinfo=UTC)
HISTORY_DAYS = 730
REASONS = ["waiting for API", "environment down", "approval", "dependency on other team", "unclear spec"]


def synthetic_history(items: int, *, seed: int, walk_steps: int = 16) -> dict[str, pl.DataFrame]:
    """Build a seeded synthetic history: forward-biased walks over the workflow.

    Args:
        items: number of items.
        seed: numpy seed.
        walk_steps: walk length; repeated statuses are dropped, leaving about 12 entries per item.

    Returns:
        ``transitions``, ``items`` and ``blocked`` frames.
    """
    rng = np.random.default_rng(seed)
    steps = walk_steps
    positions = np.zeros((items, steps), dtype=np.int64)
    position = np.zeros(items, dtype=np.int64)
    for step in range(1, steps):
        draw = rng.random(items)
        move = np.where(draw < 0.62, 1, np.where(draw < 0.70, 2, np.where(draw < 0.97, -1, -position)))
        at_done = position == DONE
        reopen = rng.random(items) < 0.03
        position = np.where(at_done, np.where(reopen, 4, DONE), np.clip(position + move, 0, DONE))
        positions[:, step] = position
    discard = rng.random(items) < 0.03
    positions[discard, -1] = DISCARDED
    created = NOW - timedelta(days=HISTORY_DAYS)
    start_us = rng.uniform(0, (HISTORY_DAYS - 20) * 86_400e6, items)
    gaps = rng.exponential(1.5 * 86_400e6, (items, steps))
    gaps[:, 0] = 0
    offsets = (start_us[:, None] + np.cumsum(gaps, axis=1)).astype(np.int64)
    at = np.datetime64(created.replace(tzinfo=None), "us") + offsets.astype("timedelta64[us]")
    item_ids = np.repeat(np.arange(1, items + 1, dtype=np.int64), steps)
    keep = np.ones((items, steps), dtype=bool)
    keep[:, 1:] = positions[:, 1:] != positions[:, :-1]
    keep &= at <= np.datetime64(NOW.replace(tzinfo=None), "us")
    keep[:, 0] = True
    flat = keep.reshape(-1)
    transitions = pl.DataFrame(
        {
            "item_id": item_ids[flat],
            "status": np.asarray(STATUSES, dtype=object)[positions.reshape(-1)[flat]],
            "at": at.reshape(-1)[flat],
        },
        schema={"item_id": pl.Int64, "status": pl.Utf8, "at": pl.Datetime("us")},
    ).with_columns(pl.col("at").dt.replace_time_zone("UTC"))
    ids = np.arange(1, items + 1, dtype=np.int64)
    item_frame = pl.DataFrame(
        {
            "item_id": ids,
            "key": [f"T-{i}" for i in ids],
            "title": [f"Item {i}" for i in ids],
            "item_type": np.asarray(["Story", "Bug", "Task"], dtype=object)[rng.integers(0, 3, items)],
            "created_at": at[:, 0],
        }
    ).with_columns(pl.col("created_at").dt.replace_time_zone("UTC"))
    blocked_items = ids[rng.random(items) < 0.25]
    block_start = at[blocked_items - 1, 2] + (rng.uniform(0, 3, blocked_items.size) * 86_400e6).astype("timedelta64[us]")
    block_end = block_start + (rng.exponential(2, blocked_items.size) * 86_400e6).astype("timedelta64[us]")
    blocked = pl.DataFrame(
        {
            "item_id": blocked_items,
            "start": block_start,
            "end": block_end,
            "reason": np.asarray(REASONS, dtype=object)[rng.integers(0, len(REASONS), blocked_items.size)],
        }
    ).with_columns(
        pl.col("start").dt.replace_time_zone("UTC"),
        pl.when(pl.Series(rng.random(blocked_items.size) < 0.05))
        .then(None)
        .otherwise(pl.col("end"))
        .dt.replace_time_zone("UTC")
        .alias("end"),
    )
    return {"transitions": transitions, "items": item_frame, "blocked": blocked}


CPU_MS: dict[int, float] = {}
"""The median process CPU time (all threads) of the last :func:`median_ms` call, under key 0."""


def median_ms(function: Callable[[], Any], runs: int) -> float:
    """Run ``function`` ``runs`` times and return the median wall time in milliseconds.

    The median CPU time of the process (every thread) is left in ``CPU_MS[0]``: on a machine shared
    with other work it is steadier than the wall time.
    """
    times, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        function()
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    CPU_MS[0] = statistics.median(cpu)
    return statistics.median(times)


def metric_calls(data: dict[str, pl.DataFrame]) -> dict[str, Callable[[], Any]]:
    """Return one zero-argument call per metric, all on the same data and period."""
    transitions, items, blocked = data["transitions"], data["items"], data["blocked"]
    end = date(2025, 6, 30)
    start = end - timedelta(days=179)
    timeline = flow.item_timeline(transitions, workflow=WORKFLOW, zone=ZONE, items=items)
    return {
        "item_timeline": lambda: flow.item_timeline(transitions, workflow=WORKFLOW, zone=ZONE, items=items),
        "cycle_times + percentiles": lambda: flow.cycle_time_percentiles(timeline, start=start, end=end),
        "throughput (week)": lambda: flow.throughput(timeline, start=start, end=end, freq="week"),
        "wip": lambda: flow.wip(timeline, start=start, end=end),
        "net_flow (week)": lambda: flow.net_flow(timeline, start=start, end=end, freq="week"),
        "work_item_age": lambda: flow.work_item_age(timeline, today=end),
        "aging_wip": lambda: flow.aging_wip(timeline, transitions, workflow=WORKFLOW, zone=ZONE, today=end),
        "cumulative_flow": lambda: flow.cumulative_flow(transitions, workflow=WORKFLOW, zone=ZONE, start=start, end=end),
        "flow_efficiency": lambda: flow.flow_efficiency(
            transitions, blocked, workflow=WORKFLOW, timeline=timeline, start=start, end=end
        ),
        "blocked_time": lambda: flow.blocked_time(blocked, timeline, now=NOW),
        "blocker_clusters": lambda: flow.blocker_clusters(blocked, timeline, now=NOW),
        "littles_law_check": lambda: flow.littles_law_check(timeline, start=start, end=end),
        "sle": lambda: flow.sle(timeline, today=end),
        "discarded_after_start": lambda: flow.discarded_after_start(timeline, start=start, end=end),
        "flow_summary (all metrics)": lambda: flow.flow_summary(
            transitions, items, blocked, workflow=WORKFLOW, zone=ZONE, start=start, end=end, now=NOW
        ),
    }


def run(label: str, items: int, *, seed: int, runs: int) -> dict[str, float]:
    """Build a history of ``items`` items and time every metric on it; print a table."""
    began = time.perf_counter()
    data = synthetic_history(items, seed=seed)
    built = time.perf_counter() - began
    print(
        f"\n{label}: {items:,} items, {data['transitions'].height:,} transitions, "
        f"{data['blocked'].height:,} blocked intervals (built in {built:.1f} s)"
    )
    results = {name: median_ms(call, runs) for name, call in metric_calls(data).items()}
    width = max(len(name) for name in results)
    print(f"{'metric':<{width}}  median ms ({runs} runs)")
    for name, milliseconds in results.items():
        print(f"{name:<{width}}  {milliseconds:10.1f}")
    return results


def peak_memory_mib() -> float:
    """Return the maximum resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def own_peak_memory_mib() -> float:
    """Return this process's own peak resident set size in MiB (``VmHWM``; Linux only, else 0).

    Unlike ``ru_maxrss``, this is not inherited through the fork that starts a spawned worker.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def reset_own_peak_memory() -> bool:
    """Reset this process's ``VmHWM`` to its current resident set size (Linux); False if it cannot."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def split_by_team(data: dict[str, pl.DataFrame], team_items: int) -> dict[str, flow.TeamFlowData]:
    """Split an organisation's frames into teams of ``team_items`` consecutive item ids."""
    team = ((pl.col("item_id") - 1) // team_items).alias("team")
    parts = {
        name: {key[0]: part.drop("team") for key, part in frame.with_columns(team).partition_by("team", as_dict=True).items()}
        for name, frame in data.items()
    }
    empty = data["blocked"].clear()
    return {
        f"team {number:03d}": flow.TeamFlowData(
            transitions=transitions,
            items=parts["items"].get(number),
            blocked=parts["blocked"].get(number, empty),
            workflow=WORKFLOW,
            zone=ZONE,
        )
        for number, transitions in sorted(parts["transitions"].items())
    }


def run_organisation(items: int, team_items: int, *, seed: int, runs: int, workers: int) -> dict[str, float]:
    """Time the full metric set of an organisation: in one call, per team, in one pass, and per team in a pool."""
    began = time.perf_counter()
    data = synthetic_history(items, seed=seed)
    built = time.perf_counter() - began
    print(
        f"\norganisation: {items:,} items, {data['transitions'].height:,} transitions, "
        f"{data['blocked'].height:,} blocked intervals (built in {built:.1f} s)"
    )
    print(f"peak memory after building the data: {peak_memory_mib():,.0f} MiB")
    end = date(2025, 6, 30)
    start = end - timedelta(days=179)
    results: dict[str, float] = {}
    cpu: dict[str, float] = {}
    resident = own_peak_memory_mib() if reset_own_peak_memory() else 0.0
    results["whole organisation, one flow_summary call"] = median_ms(
        lambda: flow.flow_summary(
            data["transitions"], data["items"], data["blocked"], workflow=WORKFLOW, zone=ZONE, start=start, end=end, now=NOW
        ),
        runs,
    )
    cpu["whole organisation, one flow_summary call"] = CPU_MS[0]
    if resident:
        print(
            f"organisation-wide call: peak resident {own_peak_memory_mib():,.0f} MiB, "
            f"{max(own_peak_memory_mib() - resident, 0):,.0f} MiB above the {resident:,.0f} MiB held before it"
        )
    teams = split_by_team(data, team_items)
    resident = own_peak_memory_mib() if reset_own_peak_memory() else 0.0
    label = f"{len(teams)} teams of {team_items:,} items, one after the other"
    results[label] = median_ms(lambda: flow.flow_summaries(teams, start=start, end=end, now=NOW), runs)
    cpu[label] = CPU_MS[0]
    if resident:
        print(
            f"per-team calls: peak resident {own_peak_memory_mib():,.0f} MiB, "
            f"{max(own_peak_memory_mib() - resident, 0):,.0f} MiB above the {resident:,.0f} MiB held before them"
        )
    label = f"{len(teams)} teams, team_flow_summaries (one pass per workflow and zone)"
    results[label] = median_ms(lambda: flow.team_flow_summaries(teams, start=start, end=end, now=NOW), runs)
    cpu[label] = CPU_MS[0]
    few = dict(list(teams.items())[:6])
    label = f"{len(few)} teams of {team_items:,} items, one after the other"
    results[label] = median_ms(lambda: flow.flow_summaries(few, start=start, end=end, now=NOW), runs)
    cpu[label] = CPU_MS[0]
    label = f"{len(few)} teams, team_flow_summaries (one pass)"
    results[label] = median_ms(lambda: flow.team_flow_summaries(few, start=start, end=end, now=NOW), runs)
    cpu[label] = CPU_MS[0]
    if workers > 1:
        began = time.perf_counter()
        pool = flow.new_flow_pool(workers)
        # Warm up: start every worker and import the package in it.
        first_team = dict([next(iter(teams.items()))])
        warm = [pool.submit(flow.flow_summaries, first_team, start=start, end=end, now=NOW) for _ in range(workers * 2)]
        for future in warm:
            future.result()
        print(f"pool of {workers} worker processes started and warmed up in {time.perf_counter() - began:.1f} s")
        try:
            label = f"{len(teams)} teams, flow_summaries(workers={workers}) on a warm pool"
            results[label] = median_ms(lambda: flow.flow_summaries(teams, start=start, end=end, now=NOW, executor=pool), runs)
            worker_peaks = [pool.submit(own_peak_memory_mib).result() for _ in range(workers * 4)]
        finally:
            pool.shutdown()
        print(f"peak memory of the largest worker (of those asked): {max(worker_peaks):,.0f} MiB")
    width = max(len(name) for name in results)
    print(f"\n{'full metric set of the organisation':<{width}}  median ms ({runs} runs)")
    for name, milliseconds in results.items():
        verdict = "within" if milliseconds <= 5000 else "OVER"
        used = f", CPU {cpu[name]:,.0f} ms" if name in cpu else ""
        print(f"{name:<{width}}  {milliseconds:10.1f}  ({verdict} the 5 s budget{used})")
    return results


def run_alternated(items: int, team_items: int, *, seed: int, runs: int) -> None:
    """Time the organisation call and the one pass alternated, ``runs`` rounds, CPU time of every thread."""
    data = synthetic_history(items, seed=seed)
    teams = split_by_team(data, team_items)
    end = date(2025, 6, 30)
    start = end - timedelta(days=179)
    print(f"\norganisation: {items:,} items, {data['transitions'].height:,} transitions, {len(teams)} teams; alternated")

    def organisation() -> object:
        return flow.flow_summary(
            data["transitions"], data["items"], data["blocked"], workflow=WORKFLOW, zone=ZONE, start=start, end=end, now=NOW
        )

    def one_pass() -> flow.TeamFlowSummaries:
        return flow.team_flow_summaries(teams, start=start, end=end, now=NOW)

    team = ((pl.col("item_id") - 1) // team_items).cast(pl.Int32).alias("team")
    frames = flow.TeamFrames(
        names=list(teams),
        transitions=data["transitions"].with_columns(team),
        items=data["items"].with_columns(team),
        blocked=data["blocked"].with_columns(team),
        workflow=WORKFLOW,
        zone=ZONE,
    )

    def whole_frames() -> flow.TeamFlowSummaries:
        return flow.stacked_flow_summaries(frames, start=start, end=end, now=NOW)

    def portfolio_reads() -> object:
        result = whole_frames()
        return [
            result.table("timeline", ["finished_date", "cycle_time_days"]),
            result.table("throughput", ["finished"]),
            result.table("aging_items", ["age_days"]),
            [result.sle_days(name) for name in result],
        ]

    def every_team_cut() -> object:
        result = whole_frames()
        return [result[name] for name in result]

    calls: dict[str, Callable[[], object]] = {
        "whole organisation, one flow_summary call": organisation,
        "one pass, teams' own frames (joined in the pass)": one_pass,
        "one pass, frames whole with a team column": whole_frames,
        "frames whole + the portfolio's three tables": portfolio_reads,
        "frames whole + every team's summary cut": every_team_cut,
    }
    for call in calls.values():
        call()  # warm-up
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for round_number in range(runs):
        line = []
        for name, call in calls.items():
            began = time.process_time()
            call()
            cpu[name].append((time.process_time() - began) * 1000)
            line.append(f"{cpu[name][-1]:,.0f}")
        print(f"round {round_number + 1}: CPU ms {' / '.join(line)}; load {load_average()}", flush=True)
    base = cpu["whole organisation, one flow_summary call"]
    width = max(len(name) for name in calls)
    print(f"\n{'call':<{width}}  CPU ms, median of {runs}  × the organisation call (median of the rounds' ratios)")
    for name, values in cpu.items():
        ratio = statistics.median(value / org for value, org in zip(values, base, strict=True))
        print(f"{name:<{width}}  {statistics.median(values):10,.0f}  {ratio:.2f}×")
    print(f"POLARS_MAX_THREADS={os.environ.get('POLARS_MAX_THREADS', 'unset')}; load average now: {load_average()}")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the team and organisation scenarios and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--team-items", type=int, default=5_000, help="items of the team scenario")
    parser.add_argument("--org-items", type=int, default=200_000, help="items of the organisation scenario (0 skips it)")
    parser.add_argument("--runs", type=int, default=5, help="runs per metric; the median is printed")
    parser.add_argument("--seed", type=int, default=20250630, help="numpy seed of the synthetic history")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the parallel per-team variant (1 skips it)")
    parser.add_argument("--per-metric", action="store_true", help="also time every metric on its own at organisation size")
    parser.add_argument(
        "--alternate", action="store_true", help="only the organisation call against the one pass, alternated (CPU time)"
    )
    arguments = parser.parse_args(argv)
    print(f"polars {pl.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}")
    if arguments.alternate:
        run_alternated(arguments.org_items, arguments.team_items, seed=arguments.seed + 1, runs=arguments.runs)
        return 0
    team = run("team", arguments.team_items, seed=arguments.seed, runs=arguments.runs)
    print(f"peak memory so far: {peak_memory_mib():,.0f} MiB")
    print(f"load average: {load_average()}, {os.cpu_count()} CPUs")
    if arguments.org_items > 0:
        run_organisation(
            arguments.org_items, arguments.team_items, seed=arguments.seed + 1, runs=arguments.runs, workers=arguments.workers
        )
        if arguments.per_metric:
            run("organisation, per metric", arguments.org_items, seed=arguments.seed + 1, runs=arguments.runs)
        print(f"peak memory: {peak_memory_mib():,.0f} MiB; load average now: {load_average()}")
    summary = team["flow_summary (all metrics)"]
    verdict = "within" if summary <= 200 else "OVER"
    print(f"\nteam flow_summary: {summary:.1f} ms, {verdict} the 200 ms budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
