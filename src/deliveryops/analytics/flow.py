"""Flow metrics (Kanban Guide terms), as pinned in DESIGN.md "Metric definitions", Flow.

Pure functions on polars frames; nothing here touches a database or the network, and ``now`` /
``today`` are always passed in. The inputs are:

- ``transitions``: ``item_id`` (Int64), ``status`` (Utf8, the status entered), ``at`` (UTC
  datetime), one row per status entry, in any order;
- ``workflow``: status name -> (:class:`~deliveryops.work.records.StageCategory`, position);
- ``items``: ``item_id``, ``key``, ``title``, ``item_type``, ``created_at``;
- ``blocked``: ``item_id``, ``start``, ``end`` (null while still blocked), ``reason``;
- ``tz``: the team's time zone; day-level metrics use dates in it.

:func:`item_timeline` builds the one per-item table that the other metrics derive from
(jira-agile-metrics style); :func:`flow_summary` computes everything the team flow page needs.
The implementation is split by responsibility into the ``flow_*`` modules; import from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from deliveryops.analytics.flow_aging import AgingWip, aging_wip, aging_wip_from_known
from deliveryops.analytics.flow_blocked import (
    FlowEfficiency,
    blocked_time,
    blocker_clusters,
    flow_efficiency,
    flow_efficiency_from_known,
)
from deliveryops.analytics.flow_cfd import cumulative_flow, cumulative_flow_from_known
from deliveryops.analytics.flow_common import (
    Frequency,
    Workflow,
    known_transitions,
    workflow_frame,
    workflow_from_statuses,
)
from deliveryops.analytics.flow_littles import LittlesLawCheck, littles_law_check
from deliveryops.analytics.flow_metrics import (
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
from deliveryops.analytics.flow_timeline import (
    TIMELINE_SCHEMA,
    item_timeline,
    timeline_from_known,
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
    "Workflow",
    "aging_wip",
    "blocked_time",
    "blocker_clusters",
    "cumulative_flow",
    "cycle_time_percentiles",
    "cycle_times",
    "discarded_after_start",
    "flow_efficiency",
    "flow_summary",
    "item_timeline",
    "littles_law_check",
    "net_flow",
    "sle",
    "throughput",
    "unknown_statuses",
    "wip",
    "work_item_age",
    "workflow_from_statuses",
]


@dataclass(frozen=True, slots=True)
class FlowSummary:
    """Everything the team flow page shows, for one period.

    Attributes:
        start: first day of the period.
        end: last day of the period.
        today: today in the team's time zone (ages and the SLE window end here).
        timeline: the per-item table (:func:`item_timeline`).
        unknown_statuses: transitions ignored because their status is not in the workflow.
        cycle_times: items finished in the period (:func:`cycle_times`).
        cycle_time_percentiles: nearest-rank 50/70/85/95th percentiles of those cycle times.
        sle_days: 85th percentile cycle time over the SLE window ending today, or the one given.
        throughput: finished items per bucket over the period.
        wip: end-of-day WIP per day of the period.
        net_flow: arrivals against departures per bucket.
        aging: items in progress today with their age, band and per-stage history.
        cumulative_flow: CFD counts per day and status.
        flow_efficiency: of the items finished in the period.
        blocked_time: per started item, blocked time up to ``now``.
        blocker_clusters: blocked time per reason.
        littles_law: Little's Law check over the period.
        discarded: items discarded after starting, in the period.
    """

    start: date
    end: date
    today: date
    timeline: pl.DataFrame
    unknown_statuses: pl.DataFrame
    cycle_times: pl.DataFrame
    cycle_time_percentiles: dict[float, int | None]
    sle_days: int | None
    throughput: pl.DataFrame
    wip: pl.DataFrame
    net_flow: pl.DataFrame
    aging: AgingWip
    cumulative_flow: pl.DataFrame
    flow_efficiency: FlowEfficiency
    blocked_time: pl.DataFrame
    blocker_clusters: pl.DataFrame
    littles_law: LittlesLawCheck
    discarded: pl.DataFrame


def flow_summary(
    transitions: pl.DataFrame,
    items: pl.DataFrame | None,
    blocked: pl.DataFrame,
    *,
    workflow: Workflow,
    tz: str,
    start: date,
    end: date,
    now: datetime,
    freq: Frequency = "week",
    window_days: int = 90,
    sle_days: int | None = None,
) -> FlowSummary:
    """Compute every flow metric of the team flow page in one call, building the timeline once.

    Args:
        transitions: ``item_id``, ``status``, ``at``.
        items: ``item_id``, ``key``, ``title``, ``item_type`` (or None to leave them out).
        blocked: ``item_id``, ``start``, ``end`` (null while still blocked), ``reason``.
        workflow: status name -> (stage category, board position).
        tz: the team's IANA time zone.
        start: first day of the period.
        end: last day of the period (inclusive).
        now: the current instant (timezone-aware); ``today`` is its date in ``tz``.
        freq: bucket of throughput and net flow, "day" or "week".
        window_days: the SLE and aging-history window, ending today.
        sle_days: an SLE set by hand; None computes it from the window.

    Returns:
        A :class:`FlowSummary`.
    """
    today = pl.select(pl.lit(now).dt.convert_time_zone(tz).dt.date()).item()
    # Sort and classify the transitions once; four metrics read them.
    known = known_transitions(transitions, workflow)
    statuses = workflow_frame(workflow)
    timeline = timeline_from_known(known, tz=tz, items=items)
    target = sle(timeline, today=today, window_days=window_days) if sle_days is None else sle_days
    return FlowSummary(
        start=start,
        end=end,
        today=today,
        timeline=timeline,
        unknown_statuses=unknown_statuses(transitions, workflow=workflow),
        cycle_times=cycle_times(timeline, start=start, end=end),
        cycle_time_percentiles=cycle_time_percentiles(timeline, start=start, end=end),
        sle_days=target,
        throughput=throughput(timeline, start=start, end=end, freq=freq),
        wip=wip(timeline, start=start, end=end),
        net_flow=net_flow(timeline, start=start, end=end, freq=freq),
        aging=aging_wip_from_known(
            timeline,
            known,
            statuses=statuses,
            tz=tz,
            today=today,
            window_days=window_days,
            sle_days=target,
        ),
        cumulative_flow=cumulative_flow_from_known(known, statuses=statuses, tz=tz, start=start, end=end),
        flow_efficiency=flow_efficiency_from_known(known, blocked, timeline=timeline, start=start, end=end),
        blocked_time=blocked_time(blocked, timeline, now=now),
        blocker_clusters=blocker_clusters(blocked, timeline, now=now),
        littles_law=littles_law_check(timeline, start=start, end=end),
        discarded=discarded_after_start(timeline, start=start, end=end),
    )
