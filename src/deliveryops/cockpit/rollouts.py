"""A rollout's measured effect: teams' weekly outcome before and after they adopted a catalogue entry,
against teams that had not adopted yet (``deliveryops.analytics.rollouts``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.actions.measure import weekly_series
from deliveryops.actions.models import TargetMetric
from deliveryops.analytics.rollouts import RolloutEffect, align_weeks, estimate_effect
from deliveryops.cockpit.models import AdoptionLevel, AdoptionState
from deliveryops.flow.data import load_team_data
from deliveryops.teams.models import Team

__all__ = ["FLOW_METRICS", "adopted_since", "measure_rollout"]

FLOW_METRICS = (
    TargetMetric.THROUGHPUT,
    TargetMetric.CYCLE_TIME_P85,
    TargetMetric.WIP,
    TargetMetric.FLOW_EFFICIENCY,
    TargetMetric.BLOCKED_DAYS,
)


def adopted_since(session: Session, *, entry_id: int, team_ids: Sequence[int]) -> dict[int, date | None]:
    """Per team, the day its current run of "adopted" began in the declared history (None: not adopted now)."""
    rows = session.scalars(
        select(AdoptionState)
        .where(AdoptionState.entry_id == entry_id, AdoptionState.team_id.in_(list(team_ids)))
        .order_by(AdoptionState.set_at, AdoptionState.id)
    )
    since: dict[int, date | None] = dict.fromkeys(team_ids)
    for row in rows:
        if row.state is not AdoptionLevel.ADOPTED:
            since[row.team_id] = None
        elif since[row.team_id] is None:
            since[row.team_id] = row.set_at.date()
    return since


def measure_rollout(
    session: Session,
    *,
    entry_id: int,
    teams: Sequence[Team],
    today: date,
    metric: TargetMetric = TargetMetric.THROUGHPUT,
    weeks: int = 26,
) -> RolloutEffect:
    """The effect of adopting a catalogue entry on a flow metric across the given teams.

    Args:
        session: the unit of work.
        entry_id: the catalogue entry rolled out.
        teams: the teams of the rollout and the comparison (already authorised by the caller); teams
            not adopted serve as comparison teams.
        today: the last complete week is the one before ``today``'s.
        metric: one of :data:`FLOW_METRICS`.
        weeks: how many complete weeks of history to compare.

    Returns:
        The :class:`deliveryops.analytics.rollouts.RolloutEffect`.
    """
    if metric not in FLOW_METRICS:
        raise ValueError(f"{metric.value} is not a flow metric")
    end = today - timedelta(days=today.weekday() + 1)  # the Sunday closing the last complete week
    start = end - timedelta(weeks=weeks) + timedelta(days=1)
    weekly = {str(team.id): weekly_series(load_team_data(session, team), metric, start=start, end=end) for team in teams}
    since = adopted_since(session, entry_id=entry_id, team_ids=[team.id for team in teams])
    return estimate_effect(align_weeks(weekly, {str(key): day for key, day in since.items()}))
