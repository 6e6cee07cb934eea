"""Flow metrics (Kanban Guide terms), as pinned in DESIGN.md "Metric definitions", Flow.

Pure functions on polars frames; nothing here touches a database or the network, and ``now`` /
``today`` are always passed in. The inputs are:

- ``transitions``: ``item_id`` (Int64), ``status`` (Utf8, the status entered), ``at`` (UTC
  datetime), one row per status entry, in any order;
- ``workflow``: status name -> (:class:`~deliveryops.analytics.records.StageCategory`, position);
- ``items``: ``item_id``, ``key``, ``title``, ``item_type``, ``created_at``;
- ``blocked``: ``item_id``, ``start``, ``end`` (null while still blocked), ``reason``;
- ``zone``: the team's time zone (a ``ZoneInfo``); day-level metrics use dates in it.

:func:`item_timeline` builds the one per-item table that the other metrics derive from
(jira-agile-metrics style); :func:`flow_summary` computes everything the team flow page needs.
The implementation is split by responsibility into the modules of this package; import from here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from multiprocessing import get_context

import polars as pl

from deliveryops.analytics.flow.aging import AgingWip, aging_wip
from deliveryops.analytics.flow.blocked import (
    FlowEfficiency,
    blocked_time,
    blocker_clusters,
    flow_efficiency,
)
from deliveryops.analytics.flow.cfd import cumulative_flow
from deliveryops.analytics.flow.common import (
    Frequency,
    Workflow,
    workflow_from_statuses,
)
from deliveryops.analytics.flow.grouped import TeamFlowSummaries, TeamFrames, stacked_flow_summaries, team_flow_summaries
from deliveryops.analytics.flow.littles import LittlesLawCheck, littles_law_check
from deliveryops.analytics.flow.metrics import (
    DEFAULT_PERCENTS,
    cycle_time_percentiles,
    cycle_times,
    discarded_after_start,
    net_flow,
    sle,
    throughput,
    wip,
    work_item_age,
)
from deliveryops.analytics.flow.summary import FlowSummary, Period, TeamFlowData, flow_summary, team_summary
from deliveryops.analytics.flow.timeline import (
    TIMELINE_SCHEMA,
    item_timeline,
    unknown_statuses,
)

__all__ = [
    "DEFAULT_PERCENTS",
    "TIMELINE_SCHEMA",
    "AgingWip",
    "FlowEfficiency",
    "FlowSummary",
    "Frequency",
    "LittlesLawCheck",
    "TeamFlowData",
    "TeamFlowSummaries",
    "TeamFrames",
    "Workflow",
    "aging_wip",
    "blocked_time",
    "blocker_clusters",
    "cumulative_flow",
    "cycle_time_percentiles",
    "cycle_times",
    "discarded_after_start",
    "flow_efficiency",
    "flow_summaries",
    "flow_summary",
    "item_timeline",
    "littles_law_check",
    "net_flow",
    "new_flow_pool",
    "sle",
    "stacked_flow_summaries",
    "team_flow_summaries",
    "throughput",
    "unknown_statuses",
    "wip",
    "work_item_age",
    "workflow_from_statuses",
]


_TASKS_PER_WORKER = 4
_POLARS_THREADS = "POLARS_MAX_THREADS"


def flow_summaries(
    teams: Mapping[str, TeamFlowData],
    *,
    start: date,
    end: date,
    now: datetime,
    freq: Frequency = "week",
    window_days: int = 90,
    sle_days: int | None = None,
    workers: int = 1,
    executor: ProcessPoolExecutor | None = None,
) -> dict[str, FlowSummary]:
    """Compute :func:`flow_summary` for each team separately, optionally in worker processes.

    Args:
        teams: team name -> its inputs.
        start: first day of the period.
        end: last day of the period (inclusive).
        now: the current instant (timezone-aware).
        freq: bucket of throughput and net flow, "day" or "week".
        window_days: the SLE and aging-history window, ending today.
        sle_days: an SLE set by hand for every team; None computes each team's own.
        workers: processes to use when no ``executor`` is given; 1 computes in this process.
        executor: a process pool to reuse (a long-lived worker pool amortises process start-up).

    Returns:
        Team name -> its :class:`FlowSummary`, in the order of ``teams``.
    """
    period = Period(start=start, end=end, now=now, freq=freq, window_days=window_days, sle_days=sle_days)
    if executor is None and workers <= 1:
        return {name: team_summary(team, period) for name, team in teams.items()}
    if executor is not None:
        return _submit_all(executor, teams, period)
    with new_flow_pool(workers) as pool:
        return _submit_all(pool, teams, period)


def new_flow_pool(workers: int, *, polars_threads: int | None = 1) -> ProcessPoolExecutor:
    """Return a started process pool for :func:`flow_summaries`.

    Workers are spawned, not forked (forking a process whose polars thread pool is running can
    deadlock), and all of them are started here. Each worker computes whole teams, so by default
    it runs polars on one thread: several multi-threaded workers on few cores only contend.
    polars reads ``POLARS_MAX_THREADS`` once, when a process starts, so it is set in this
    process's environment while the workers are spawned and restored afterwards.

    Args:
        workers: number of worker processes.
        polars_threads: polars threads per worker; None leaves polars' default.

    Returns:
        The pool; the caller shuts it down.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    saved = os.environ.get(_POLARS_THREADS)
    if polars_threads is not None:
        os.environ[_POLARS_THREADS] = str(polars_threads)
    try:
        # Each submit finds no idle worker (none has started yet) and spawns one.
        started = [pool.submit(os.getpid) for _ in range(workers)]
        for future in started:
            future.result()
    finally:
        if saved is None:
            os.environ.pop(_POLARS_THREADS, None)
        else:
            os.environ[_POLARS_THREADS] = saved
    return pool


def _submit_all(pool: ProcessPoolExecutor, teams: Mapping[str, TeamFlowData], period: Period) -> dict[str, FlowSummary]:
    # A few teams per task: fewer round trips, while every worker still gets several tasks.
    names = list(teams)
    size = max(1, len(names) // (_TASKS_PER_WORKER * _workers_of(pool)))
    chunks = [names[index : index + size] for index in range(0, len(names), size)]
    futures = [pool.submit(_team_summaries, {name: _compact(teams[name]) for name in chunk}, period) for chunk in chunks]
    results: dict[str, FlowSummary] = {}
    for future in futures:
        results.update(future.result())
    return {name: results[name] for name in names}


def _compact(team: TeamFlowData) -> TeamFlowData:
    # Statuses repeat: sent as categories they take a fraction of the bytes through the pipe.
    if team.transitions.schema.get("status") != pl.Utf8:
        return team
    transitions = team.transitions.with_columns(pl.col("status").cast(pl.Categorical))
    return TeamFlowData(transitions, team.items, team.blocked, team.workflow, team.zone)


def _team_summaries(teams: Mapping[str, TeamFlowData], period: Period) -> dict[str, FlowSummary]:
    return {name: team_summary(team, period) for name, team in teams.items()}


def _workers_of(pool: ProcessPoolExecutor) -> int:
    workers = getattr(pool, "_max_workers", None)
    return workers if isinstance(workers, int) and workers > 0 else 1
