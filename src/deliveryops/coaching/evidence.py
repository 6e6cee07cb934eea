"""Gather a team's TeamEvidence from the services: flow, forecasts, impediments, actions, retros, DORA, health.

Everything the rules read is computed here, once per refresh; the flow frames come from the cache
keyed by the team's data version, so a refresh costs one flow summary and two weekly series.
"""

from __future__ import annotations

import importlib
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from deliveryops.actions import service as actions
from deliveryops.actions.measure import weekly_series
from deliveryops.actions.models import ActionStatus, ImprovementAction, TargetMetric
from deliveryops.analytics.flow import flow_summary
from deliveryops.coaching.findings import (
    ActionEffect,
    BlockedGroup,
    DoraSignals,
    ForecastLevel,
    HealthStreak,
    ItemAge,
    OverdueImpediment,
    TeamEvidence,
)
from deliveryops.flow import service as flow
from deliveryops.flow.data import TeamData, load_team_data
from deliveryops.impediments import service as impediments
from deliveryops.impediments.models import Impediment, Status
from deliveryops.retros.models import Retro
from deliveryops.teams.models import Team
from deliveryops.work.models import ItemLink, WorkItem

__all__ = ["PERIOD_DAYS", "WEEKS", "gather"]

PERIOD_DAYS = 90
WEEKS = 26
_OPEN = (Status.OPEN, Status.IN_PROGRESS, Status.ESCALATED)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _optional(module: str, name: str) -> Any:
    """A function of a capability that may not be installed yet (DORA, health), or None."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def gather(session: Session, team: Team, *, now: datetime) -> TeamEvidence:
    """Compute everything the rules read about ``team`` as of ``now``.

    Args:
        session: the unit of work.
        team: the team (already authorised by the caller).
        now: the current instant.

    Returns:
        The team's evidence.
    """
    today = flow.today_in(team, now)
    start = today - timedelta(days=PERIOD_DAYS - 1)
    data = load_team_data(session, team)
    subset = data.only_types(flow.default_types(data))
    frames = subset.transitions, subset.items, subset.blocked
    summary = flow_summary(*frames, workflow=subset.workflow, zone=subset.zone, start=start, end=today, now=now)
    wip_frame = summary.wip
    wip_now = int(wip_frame["wip"][-1]) if wip_frame.height else 0
    littles = summary.littles_law
    aging = summary.aging.items
    over = aging.filter(pl.col("band") == "red") if "band" in aging.columns else aging.clear()
    aging_items = tuple(
        ItemAge(str(row["key"]), str(row["title"] or ""), int(row["age_days"])) for row in over.iter_rows(named=True)
    )
    last_week = _monday(today) - timedelta(days=1)  # complete weeks only
    first_week = _monday(today) - timedelta(weeks=WEEKS)
    throughput = tuple(weekly_series(subset, TargetMetric.THROUGHPUT, start=first_week, end=last_week))
    cycle = tuple(weekly_series(subset, TargetMetric.CYCLE_TIME_P85, start=first_week, end=last_week))
    total, by_reason, by_team = _blocked(session, team, subset, start=start, now=now)
    notes: list[str] = []
    return TeamEvidence(
        team_slug=team.slug,
        today=today,
        period_start=start,
        period_end=today,
        wip_now=wip_now,
        throughput_per_day=littles.average_throughput_per_day,
        average_cycle_time_days=littles.average_cycle_time_days,
        sle_days=summary.sle_days,
        wip_items=aging.height,
        aging_over_sle=aging_items,
        weekly_throughput=throughput,
        weekly_cycle_time_p85=cycle,
        flow_efficiency=summary.flow_efficiency.efficiency,
        blocked_total_days=total,
        blocked_by_reason=by_reason,
        blocked_by_team=by_team,
        overdue_impediments=_overdue(session, team, now=now),
        actions=_actions(session, team, today=today),
        forecast_levels=_forecasts(session, team, now=now),
        retros_finished=_retros(session, team, start=start, now=now),
        retro_actions=_retro_actions(session, team, start),
        health_streaks=_health(session, team, notes),
        dora=_dora(session, team, start=start, end=today, notes=notes),
        notes=tuple(notes),
    )


def _blocked(
    session: Session, team: Team, data: TeamData, *, start: date, now: datetime
) -> tuple[float, tuple[BlockedGroup, ...], tuple[BlockedGroup, ...]]:
    """Blocked days over the period: in total, per reason, and per other team that caused them.

    An interval is put on another team when its reason names that team, or when its item "is blocked
    by" an item of that team.
    """
    window_start = datetime.combine(start, time(), tzinfo=UTC)
    others = list(session.scalars(select(Team.name).where(Team.id != team.id)))
    patterns = {name: re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE) for name in others}
    other_item = aliased(WorkItem)
    linked: dict[int, str] = {
        int(item_id): str(name)
        for item_id, name in session.execute(
            select(ItemLink.item_id, Team.name)
            .join(WorkItem, WorkItem.id == ItemLink.item_id)
            .join(other_item, other_item.external_key == ItemLink.other_key)
            .join(Team, Team.id == other_item.team_id)
            .where(WorkItem.team_id == team.id, ItemLink.kind == "is_blocked_by", other_item.team_id != team.id)
        )
    }
    reasons: dict[str, tuple[float, set[int]]] = {}
    teams: dict[str, tuple[float, set[int]]] = {}
    total = 0.0
    for item_id, begin, end, reason in data.blocked.select("item_id", "start", "end", "reason").iter_rows():
        stop = min(end or now, now)
        first = max(begin, window_start)
        if stop <= first:
            continue
        days = (stop - first).total_seconds() / 86400
        total += days
        label = (reason or "").strip() or "(no reason given)"
        spent, items = reasons.get(label, (0.0, set()))
        reasons[label] = (spent + days, items | {item_id})
        other = next((name for name, pattern in patterns.items() if pattern.search(label)), linked.get(item_id))
        if other is not None:
            spent, items = teams.get(other, (0.0, set()))
            teams[other] = (spent + days, items | {item_id})

    def groups(rows: dict[str, tuple[float, set[int]]]) -> tuple[BlockedGroup, ...]:
        return tuple(
            sorted(
                (BlockedGroup(label, round(days, 2), len(items)) for label, (days, items) in rows.items()),
                key=lambda group: (-group.blocked_days, group.label),
            )
        )

    return round(total, 2), groups(reasons), groups(teams)


def _overdue(session: Session, team: Team, *, now: datetime) -> tuple[OverdueImpediment, ...]:
    levels = impediments.service_levels(session)
    rows = session.scalars(
        select(Impediment).where(Impediment.team_id == team.id, Impediment.status.in_(_OPEN)).order_by(Impediment.id)
    )
    return tuple(
        OverdueImpediment(
            row.id,
            row.title,
            row.severity.value,
            row.level.value,
            impediments.working_days_at_level(row, now=now),
            levels[(row.level, row.severity)],
        )
        for row in rows
        if impediments.is_overdue(row, levels, now=now)
    )


def _actions(session: Session, team: Team, *, today: date) -> tuple[ActionEffect, ...]:
    out: list[ActionEffect] = []
    for action in actions.list_team(session=session, actor=None, team_id=team.id):
        if action.target_metric is None or action.status is ActionStatus.DROPPED:
            continue
        measured = actions.measurement(session, action)
        if measured is None:
            continue
        out.append(
            ActionEffect(
                action.id,
                action.title,
                action.target_label or action.target_metric.label,
                action.started_on,
                max((today - action.started_on).days // 7, 0),
                measured.verdict.outcome.value,
                measured.verdict.explanation,
                measured.verdict.result.final,
            )
        )
    return tuple(out)


def _forecasts(session: Session, team: Team, *, now: datetime) -> tuple[ForecastLevel, ...]:
    report = flow.calibration(session, team, now=now)
    return tuple(ForecastLevel(row.level, row.scored, row.held) for row in report.levels.values())


def _retros(session: Session, team: Team, *, start: date, now: datetime) -> int:
    since = datetime.combine(start, time(), tzinfo=UTC)
    return (
        session.scalar(
            select(func.count())
            .select_from(Retro)
            .where(Retro.team_id == team.id, Retro.finished_at.is_not(None), Retro.finished_at >= since, Retro.finished_at <= now)
        )
        or 0
    )


def _retro_actions(session: Session, team: Team, start: date) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ImprovementAction)
            .where(
                ImprovementAction.team_id == team.id,
                ImprovementAction.started_on >= start,
                (ImprovementAction.source == "retro") | ImprovementAction.retro_id.is_not(None),
            )
        )
        or 0
    )


def _health(session: Session, team: Team, notes: list[str]) -> tuple[HealthStreak, ...]:
    card_streaks = _optional("deliveryops.health.service", "card_streaks")
    if card_streaks is None:
        notes.append("Health checks are not available.")
        return ()
    return tuple(
        HealthStreak(str(row.card_key), str(row.card_title), int(row.red_rounds))
        for row in card_streaks(session, team_id=team.id)
    )


def _band(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def _dora(session: Session, team: Team, *, start: date, end: date, notes: list[str]) -> DoraSignals | None:
    team_keys = _optional("deliveryops.dora.service", "team_keys")
    if team_keys is None:
        notes.append("DORA metrics are not available.")
        return None
    keys = team_keys(session, team_id=team.id, start=start, end=end)
    if not keys.deployments:
        return None
    return DoraSignals(
        deployment_days_per_week=keys.deployment_days_per_week,
        deployment_frequency_band=_band(keys.deployment_frequency_band),
        lead_time_hours=keys.lead_time_hours,
        lead_time_band=_band(keys.lead_time_band),
        change_failure_rate=keys.change_failure_rate,
        change_failure_rate_band=_band(keys.change_failure_rate_band),
        deployments=int(keys.deployments),
    )
