"""Every flow metric of the team flow page in one call (:func:`flow_summary`), and a team's inputs to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import polars as pl

from deliveryops.analytics.flow.aging import AgingWip, aging_wip_from_known
from deliveryops.analytics.flow.blocked import FlowEfficiency, blocked_time_and_clusters, flow_efficiency_from_known
from deliveryops.analytics.flow.cfd import cumulative_flow_from_known
from deliveryops.analytics.flow.common import Frequency, Workflow, known_transitions, workflow_frame
from deliveryops.analytics.flow.littles import LittlesLawCheck, littles_law_check
from deliveryops.analytics.flow.metrics import (
    cycle_times,
    discarded_after_start,
    net_flow,
    percentiles_of,
    sle,
    throughput,
    wip,
)
from deliveryops.analytics.flow.timeline import timeline_from_known, unknown_statuses

__all__ = ["FlowSummary", "Period", "TeamFlowData", "flow_summary", "team_summary"]


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
    zone: ZoneInfo,
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
        zone: the team's time zone.
        start: first day of the period.
        end: last day of the period (inclusive).
        now: the current instant (timezone-aware); ``today`` is its date in ``zone``.
        freq: bucket of throughput and net flow, "day" or "week".
        window_days: the SLE and aging-history window, ending today.
        sle_days: an SLE set by hand; None computes it from the window.

    Returns:
        A :class:`FlowSummary`.
    """
    today = now.astimezone(zone).date()
    # Sort and classify the transitions once; four metrics read them.
    known = known_transitions(transitions, workflow)
    statuses = workflow_frame(workflow)
    timeline = timeline_from_known(known, statuses=statuses, zone=zone, items=items)
    target = sle(timeline, today=today, window_days=window_days) if sle_days is None else sle_days
    blocked_per_item, clusters = blocked_time_and_clusters(blocked, timeline, now=now)
    counted = transitions.clear() if known.height == transitions.height else transitions  # all known: none to count
    finished = cycle_times(timeline, start=start, end=end)
    return FlowSummary(
        start=start,
        end=end,
        today=today,
        timeline=timeline,
        unknown_statuses=unknown_statuses(counted, workflow=workflow),
        cycle_times=finished,
        cycle_time_percentiles=percentiles_of(finished),
        sle_days=target,
        throughput=throughput(timeline, start=start, end=end, freq=freq),
        wip=wip(timeline, start=start, end=end),
        net_flow=net_flow(timeline, start=start, end=end, freq=freq),
        aging=aging_wip_from_known(
            timeline,
            known,
            statuses=statuses,
            zone=zone,
            today=today,
            window_days=window_days,
            sle_days=target,
        ),
        cumulative_flow=cumulative_flow_from_known(known, statuses=statuses, zone=zone, start=start, end=end),
        flow_efficiency=flow_efficiency_from_known(known, blocked, timeline=timeline, start=start, end=end),
        blocked_time=blocked_per_item,
        blocker_clusters=clusters,
        littles_law=littles_law_check(timeline, start=start, end=end),
        discarded=discarded_after_start(timeline, start=start, end=end),
    )


@dataclass(frozen=True, slots=True)
class TeamFlowData:
    """One team's inputs to :func:`flow_summary` (see there for the columns).

    Attributes:
        transitions: ``item_id``, ``status``, ``at``.
        items: ``item_id``, ``key``, ``title``, ``item_type``, or None.
        blocked: ``item_id``, ``start``, ``end``, ``reason``.
        workflow: the team's workflow.
        zone: the team's time zone.
    """

    transitions: pl.DataFrame
    items: pl.DataFrame | None
    blocked: pl.DataFrame
    workflow: Workflow
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class Period:
    """A period and the options of :func:`flow_summary`, shared by every team of a multi-team call."""

    start: date
    end: date
    now: datetime
    freq: Frequency
    window_days: int
    sle_days: int | None


def team_summary(team: TeamFlowData, period: Period) -> FlowSummary:
    return flow_summary(
        team.transitions,
        team.items,
        team.blocked,
        workflow=team.workflow,
        zone=team.zone,
        start=period.start,
        end=period.end,
        now=period.now,
        freq=period.freq,
        window_days=period.window_days,
        sle_days=period.sle_days,
    )
