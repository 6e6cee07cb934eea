"""The portfolio: every team the viewer may see on one page, with group roll-ups.

Who sees it: Product Ops, leaders and admins (the roles that read every team and the cross-team
roll-ups, DESIGN.md "Privacy and roles"). Delivery managers and members are refused: their teams'
pages hold the same numbers, and a roll-up is not theirs to see. Teams are listed by name, never
ordered by a metric, and no person appears. A group's roll-up is hidden when the group has fewer
teams than ``min_group_size`` (the same setting that hides small groups everywhere).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

import numpy as np
import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.actions.models import ImprovementAction
from deliveryops.actions.service import FollowThrough, follow_through
from deliveryops.analytics.change import Change, judge_latest
from deliveryops.analytics.flow import item_timeline
from deliveryops.analytics.flow.metrics import cycle_time_percentiles, sle, throughput, work_item_age
from deliveryops.analytics.percentiles import nearest_rank
from deliveryops.cockpit.portfolio import sources
from deliveryops.db import utcnow
from deliveryops.errors import PermissionDeniedError
from deliveryops.flow.data import load_team_data
from deliveryops.flow.service import calibration, default_types, today_in
from deliveryops.impediments.models import Impediment, Status
from deliveryops.teams.models import Group, Team
from deliveryops.teams.service import get_group_or_raise, list_teams

__all__ = ["CROSS_TEAM_ROLES", "GroupRollup", "Portfolio", "TeamRow", "build_portfolio", "require_cross_team", "team_timeline"]

CROSS_TEAM_ROLES = (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN)
WEEKS = 12
RECENT_DAYS = 28
_CACHE: OrderedDict[tuple[int, str, int, str], pl.DataFrame] = OrderedDict()
_CACHE_SIZE = 48
_LOCK = threading.Lock()
_CELLS_CACHE_SIZE = 4096
_FLOW_CELLS: OrderedDict[tuple[object, ...], Any] = OrderedDict()
_DORA_CELLS: OrderedDict[tuple[object, ...], Any] = OrderedDict()
_FOLLOW_THROUGH: OrderedDict[tuple[object, ...], Any] = OrderedDict()


def require_cross_team(actor: User, what: str = "The portfolio") -> None:
    """Refuse anyone but Product Ops, leaders and admins."""
    if actor.role not in CROSS_TEAM_ROLES:
        raise PermissionDeniedError(f"{what} is for Product Ops, leaders and admins.")


def team_timeline(session: Session, team: Team) -> pl.DataFrame:
    """The team's per-item timeline (epics left out), cached per team data version like its frames."""
    key = (team.id, team.created_at.isoformat(), team.data_version or 0, team.time_zone)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    data = load_team_data(session, team)
    subset = data.only_types(default_types(data))
    timeline = item_timeline(subset.transitions, workflow=subset.workflow, tz=subset.tz, items=subset.items)
    with _LOCK:
        _CACHE[key] = timeline
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return timeline


def _data_key(team: Team, today: date) -> tuple[int, str, int, str, date]:
    # Every import, sync, DORA ingest and settings change bumps the team's data version.
    return (team.id, team.created_at.isoformat(), team.data_version or 0, team.time_zone, today)


def _cached(cache: OrderedDict[tuple[object, ...], Any], key: tuple[object, ...], compute: Callable[[], Any]) -> Any:
    with _LOCK:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    value = compute()
    with _LOCK:
        cache[key] = value
        while len(cache) > _CELLS_CACHE_SIZE:
            cache.popitem(last=False)
    return value


def _dora_cell(session: Session, team: Team, today: date) -> sources.DoraCell | None:
    # Kept per team data version and day: a few numbers per team, so an organisation of hundreds of
    # teams fits (the DORA tables behind them are cached for a few teams only).
    return cast(
        sources.DoraCell | None,
        _cached(
            _DORA_CELLS,
            _data_key(team, today),
            lambda: sources.dora_keys(session, team_id=team.id, start=today - timedelta(days=89), end=today),
        ),
    )


def _follow_through(session: Session, team: Team, today: date) -> FollowThrough:
    """The team's action follow-through, kept while its actions and its history stay the same.

    Measuring an action reads the team's history (its verdict is a process behaviour chart), which
    costs tens of milliseconds per team; the key holds every column of every action of the team, so
    any edit computes it again.
    """
    rows = session.execute(
        select(*ImprovementAction.__table__.columns).where(ImprovementAction.team_id == team.id).order_by(ImprovementAction.id)
    ).all()
    key = (*_data_key(team, today), repr([tuple(row) for row in rows]))
    return cast(FollowThrough, _cached(_FOLLOW_THROUGH, key, lambda: follow_through(session, team)))


@dataclass(frozen=True)
class _FlowCells:
    """A team's flow numbers on the portfolio, derived from its history only."""

    throughput: list[int]
    cycle_time_p85: int | None
    sle_days: int | None
    finished_recent: int
    aging_past_sle: int
    wip: int
    recent_cycle_times: list[int]


def _flow_cells(session: Session, team: Team, today: date) -> _FlowCells:
    """The team's flow cells, kept per team data version and day (a few numbers, unlike its timeline)."""

    def compute() -> _FlowCells:
        start, end, _weeks = _week_range(today)
        timeline = team_timeline(session, team)
        weekly = throughput(timeline, start=start, end=end, freq="week")
        recent_start = today - timedelta(days=RECENT_DAYS - 1)
        recent = timeline.filter(pl.col("finished_date").is_between(recent_start, today))
        target = sle(timeline, today=today)
        aging = work_item_age(timeline, today=today)
        return _FlowCells(
            throughput=[int(v) for v in weekly["finished"].to_list()],
            cycle_time_p85=cycle_time_percentiles(timeline, start=recent_start, end=today, percents=[85])[85],
            sle_days=target,
            finished_recent=recent.height,
            aging_past_sle=0 if target is None else aging.filter(pl.col("age_days") > target).height,
            wip=aging.height,
            recent_cycle_times=[int(v) for v in recent["cycle_time_days"].to_list()],
        )

    return cast(_FlowCells, _cached(_FLOW_CELLS, _data_key(team, today), compute))


@dataclass
class TeamRow:
    """One team's cells; None means "no data" and a missing capability is None too."""

    team_id: int
    name: str
    slug: str
    group_id: int | None
    group_name: str | None
    weeks: list[date]
    throughput: list[int]
    cycle_time_p85: int | None
    sle_days: int | None
    finished_recent: int
    aging_past_sle: int
    wip: int
    calibration_85: float | None
    calibration_scored: int
    calibration_verdict: str  # the 85% level's verdict in words (analytics.calibration); "" when none
    dora: sources.DoraCell | None
    dora_available: bool
    health: list[sources.HealthPoint] | None
    impediments_open: int
    impediments_escalated: int
    actions: int
    actions_done: int
    actions_measured: int
    actions_improved: int
    experiments_running: int | None
    recent_cycle_times: list[int] = field(default_factory=list, repr=False)

    @property
    def within_sle(self) -> bool | None:
        """Whether the recent 85th percentile is within the SLE."""
        if self.cycle_time_p85 is None or self.sle_days is None:
            return None
        return self.cycle_time_p85 <= self.sle_days

    @property
    def health_latest(self) -> float | None:
        """The latest health-check score."""
        return self.health[-1].score if self.health else None

    @property
    def throughput_change(self) -> Change:
        """Last week's throughput against the natural process limits of the weeks before it."""
        return judge_latest(self.throughput)


@dataclass
class GroupRollup:
    """A group's sums over its teams (shown only for groups of at least ``min_group_size`` teams)."""

    group_id: int
    name: str
    slug: str
    teams: int
    throughput: list[int]
    cycle_time_p85: int | None
    aging_past_sle: int
    wip: int
    impediments_open: int
    impediments_escalated: int
    actions: int
    actions_done: int
    experiments_running: int | None
    health_latest_mean: float | None


@dataclass
class Portfolio:
    """Everything the portfolio page shows."""

    today: date
    weeks: list[date]
    rows: list[TeamRow]
    rollups: list[GroupRollup]
    hidden_groups: list[str]
    groups: list[Group]
    group: Group | None
    min_group_size: int
    dora_available: bool
    health_available: bool
    experiments_available: bool


def _week_range(today: date) -> tuple[date, date, list[date]]:
    # The last WEEKS complete ISO weeks (Monday first), ending the Sunday before this week.
    this_monday = today - timedelta(days=today.weekday())
    end = this_monday - timedelta(days=1)
    start = this_monday - timedelta(weeks=WEEKS)
    return start, end, [start + timedelta(weeks=i) for i in range(WEEKS)]


def _impediment_counts(session: Session, team_ids: list[int]) -> dict[int, tuple[int, int]]:
    closed = [Status.RESOLVED, Status.WONT_FIX]
    rows = session.execute(
        select(Impediment.team_id, Impediment.status, func.count())
        .where(Impediment.team_id.in_(team_ids), Impediment.status.not_in(closed))
        .group_by(Impediment.team_id, Impediment.status)
    ).all()
    counts: dict[int, tuple[int, int]] = dict.fromkeys(team_ids, (0, 0))
    for team_id, status, count in rows:
        total, escalated = counts[team_id]
        counts[team_id] = (total + count, escalated + (count if status == Status.ESCALATED else 0))
    return counts


def _team_row(
    session: Session, team: Team, *, now: datetime, impediments: tuple[int, int], running: dict[int, int] | None
) -> TeamRow:
    today = today_in(team, now)
    weeks = _week_range(today)[2]
    cells = _flow_cells(session, team, today)
    report = calibration(session, team, now=now)
    level = report.levels.get(85)
    follow = _follow_through(session, team, today)
    dora = _dora_cell(session, team, today)
    return TeamRow(
        team_id=team.id,
        name=team.name,
        slug=team.slug,
        group_id=team.group_id,
        group_name=team.group.name if team.group else None,
        weeks=weeks,
        throughput=list(cells.throughput),
        cycle_time_p85=cells.cycle_time_p85,
        sle_days=cells.sle_days,
        finished_recent=cells.finished_recent,
        aging_past_sle=cells.aging_past_sle,
        wip=cells.wip,
        calibration_85=level.hit_rate if level else None,
        calibration_scored=level.scored if level else 0,
        calibration_verdict=level.outcome.label if level else "",
        dora=dora,
        dora_available=dora is not None,
        health=sources.health_trend(session, team_id=team.id),
        impediments_open=impediments[0],
        impediments_escalated=impediments[1],
        actions=follow.actions,
        actions_done=follow.done,
        actions_measured=follow.measured,
        actions_improved=follow.improved,
        experiments_running=None if running is None else running.get(team.id, 0),
        recent_cycle_times=list(cells.recent_cycle_times),
    )


def _rollup(group: Group, rows: list[TeamRow]) -> GroupRollup:
    pooled = [float(v) for row in rows for v in row.recent_cycle_times]
    p85 = nearest_rank(np.array(pooled, dtype=np.float64), 85) if pooled else None
    latest = [row.health_latest for row in rows if row.health_latest is not None]
    running = [row.experiments_running for row in rows if row.experiments_running is not None]
    return GroupRollup(
        group_id=group.id,
        name=group.name,
        slug=group.slug,
        teams=len(rows),
        throughput=[sum(values) for values in zip(*(row.throughput for row in rows), strict=True)],
        cycle_time_p85=None if p85 is None else round(p85),
        aging_past_sle=sum(row.aging_past_sle for row in rows),
        wip=sum(row.wip for row in rows),
        impediments_open=sum(row.impediments_open for row in rows),
        impediments_escalated=sum(row.impediments_escalated for row in rows),
        actions=sum(row.actions for row in rows),
        actions_done=sum(row.actions_done for row in rows),
        experiments_running=sum(running) if running else None,
        health_latest_mean=round(sum(latest) / len(latest), 3) if latest else None,
    )


def build_portfolio(
    *, session: Session, actor: User, group_slug: str | None = None, min_group_size: int = 3, now: datetime | None = None
) -> Portfolio:
    """Compute the portfolio for ``actor``, optionally for one group.

    Args:
        session: the unit of work (only read).
        actor: who asks: Product Ops, a leader or an admin.
        group_slug: only this group's teams and roll-up.
        min_group_size: groups with fewer teams get no roll-up.
        now: the current instant (tests pass it).

    Returns:
        The rows by team name, the roll-ups of large enough groups and the names of hidden ones.
    """
    require_cross_team(actor)
    moment = now or utcnow()
    group = get_group_or_raise(session=session, actor=actor, slug=group_slug) if group_slug else None
    teams = list_teams(session=session, actor=actor, group_id=group.id if group else None)
    team_ids = [team.id for team in teams]
    counts = _impediment_counts(session, team_ids) if team_ids else {}
    running = sources.experiments_running(session, team_ids=team_ids) if team_ids else None
    rows = [_team_row(session, team, now=moment, impediments=counts[team.id], running=running) for team in teams]
    groups = list(session.scalars(select(Group).order_by(Group.name)))
    rollups: list[GroupRollup] = []
    hidden: list[str] = []
    for candidate in [group] if group else groups:
        members = [row for row in rows if row.group_id == candidate.id]
        if not members:
            continue
        if len(members) < min_group_size:
            hidden.append(candidate.name)
        else:
            rollups.append(_rollup(candidate, members))
    return Portfolio(
        today=moment.date(),
        weeks=rows[0].weeks if rows else _week_range(moment.date())[2],
        rows=rows,
        rollups=rollups,
        hidden_groups=hidden,
        groups=groups,
        group=group,
        min_group_size=min_group_size,
        dora_available=any(row.dora_available for row in rows),
        health_available=any(row.health is not None for row in rows),
        experiments_available=running is not None,
    )
