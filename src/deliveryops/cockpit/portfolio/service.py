"""The portfolio: every team the viewer may see on one page, with group roll-ups.

Who sees it: Product Ops, leaders and admins (the roles that read every team and the cross-team
roll-ups, DESIGN.md "Privacy and roles"). Delivery managers and members are refused: their teams'
pages hold the same numbers, and a roll-up is not theirs to see. Teams are listed by name, never
ordered by a metric, and no person appears. A group's roll-up is hidden when the group has fewer
teams than ``min_group_size`` (the same setting that hides small groups everywhere).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.analytics.change import Change, judge_latest
from deliveryops.analytics.percentiles import nearest_rank
from deliveryops.cockpit.portfolio import sources, stored
from deliveryops.cockpit.portfolio.jobs import request_refresh
from deliveryops.cockpit.portfolio.timeline import team_timeline
from deliveryops.db import utcnow
from deliveryops.errors import PermissionDeniedError
from deliveryops.flow.service import today_in
from deliveryops.impediments.models import Impediment, Status
from deliveryops.teams.models import Group, Team
from deliveryops.teams.service import get_group_or_raise, list_teams

__all__ = [
    "CROSS_TEAM_ROLES",
    "PAGE_INLINE_TEAMS",
    "GroupRollup",
    "Portfolio",
    "TeamRow",
    "build_portfolio",
    "require_cross_team",
    "team_timeline",
]

CROSS_TEAM_ROLES = (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN)
WEEKS = stored.WEEKS
RECENT_DAYS = stored.RECENT_DAYS
# A page computes at most this many teams' rows itself (those with no stored row, or one older than the data);
# the others are left to the job ``cockpit.refresh_portfolio`` and shown as stored ("computed at …, recomputing").
PAGE_INLINE_TEAMS = 8


def require_cross_team(actor: User, what: str = "The portfolio") -> None:
    """Refuse anyone but Product Ops, leaders and admins."""
    if actor.role not in CROSS_TEAM_ROLES:
        raise PermissionDeniedError(f"{what} is for Product Ops, leaders and admins.")


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
    state: str = "current"  # "current"; "stale": stored before the data changed, being computed again; "pending"
    computed_at: datetime | None = None  # when the stored cells were computed

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
    pending: list[str] = field(default_factory=list)  # teams whose rows are being computed (none stored yet)
    stale: int = 0  # rows stored before their data changed, being computed again
    oldest_computed_at: datetime | None = None  # when the oldest of those was computed


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
    team: Team,
    *,
    kept: stored.Stored | None,
    state: str,
    now: datetime,
    impediments: tuple[int, int],
    running: dict[int, int] | None,
) -> TeamRow:
    cells = kept.cells if kept is not None else None
    return TeamRow(
        team_id=team.id,
        name=team.name,
        slug=team.slug,
        group_id=team.group_id,
        group_name=team.group.name if team.group else None,
        weeks=stored.week_range(today_in(team, now))[2],
        throughput=list(cells.throughput) if cells else [0] * WEEKS,
        cycle_time_p85=cells.cycle_time_p85 if cells else None,
        sle_days=cells.sle_days if cells else None,
        finished_recent=cells.finished_recent if cells else 0,
        aging_past_sle=cells.aging_past_sle if cells else 0,
        wip=cells.wip if cells else 0,
        calibration_85=cells.calibration_85 if cells else None,
        calibration_scored=cells.calibration_scored if cells else 0,
        calibration_verdict=cells.calibration_verdict if cells else "",
        dora=cells.dora if cells else None,
        dora_available=cells is not None and cells.dora is not None,
        health=list(cells.health) if cells else None,
        impediments_open=impediments[0],
        impediments_escalated=impediments[1],
        actions=cells.actions if cells else 0,
        actions_done=cells.actions_done if cells else 0,
        actions_measured=cells.actions_measured if cells else 0,
        actions_improved=cells.actions_improved if cells else 0,
        experiments_running=None if running is None else running.get(team.id, 0),
        recent_cycle_times=list(cells.recent_cycle_times) if cells else [],
        state=state,
        computed_at=kept.computed_at if kept else None,
    )


def _rows(
    session: Session, teams: list[Team], *, now: datetime, min_group_size: int, inline_limit: int | None
) -> tuple[list[tuple[Team, stored.Stored | None, str]], bool]:
    """Each team's stored cells and state, computing (and storing) at most ``inline_limit`` teams' cells here.

    Returns:
        (team, cells or None, state) per team, and whether some were left to the job.
    """
    current = stored.versions(session, teams, now=now, min_group_size=min_group_size)
    kept = stored.read(session, [team.id for team in teams])
    computed, left = 0, False
    out: list[tuple[Team, stored.Stored | None, str]] = []
    for team in teams:
        found = kept.get(team.id)
        if found is not None and found.data_version == current[team.id]:
            out.append((team, found, "current"))
        elif inline_limit is None or computed < inline_limit:
            computed += 1
            out.append((team, stored.store(session, team, version=current[team.id], now=now), "current"))
        else:
            left = True
            out.append((team, found, "pending" if found is None else "stale"))
    return out, left


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
    *,
    session: Session,
    actor: User,
    group_slug: str | None = None,
    min_group_size: int = 3,
    now: datetime | None = None,
    inline_limit: int | None = None,
) -> Portfolio:
    """Compute the portfolio for ``actor``, optionally for one group.

    Each team's cells are read from what is stored (see :mod:`deliveryops.cockpit.portfolio.stored`); a team
    whose stored cells are missing or older than its data is computed here, up to ``inline_limit`` teams
    (None: every one), and the others are left to the job ``cockpit.refresh_portfolio`` (queued here): their
    rows show the stored cells as "stale", or nothing yet as "pending".

    Args:
        session: the unit of work (stores computed cells).
        actor: who asks: Product Ops, a leader or an admin.
        group_slug: only this group's teams and roll-up.
        min_group_size: groups with fewer teams get no roll-up.
        now: the current instant (tests pass it).
        inline_limit: at most this many teams computed in this call.

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
    cells, left = _rows(session, teams, now=moment, min_group_size=min_group_size, inline_limit=inline_limit)
    if left:
        request_refresh(session, requested_by=actor.email)
    rows = [
        _team_row(team, kept=kept, state=state, now=moment, impediments=counts[team.id], running=running)
        for team, kept, state in cells
    ]
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
            rollups.append(_rollup(candidate, [row for row in members if row.state != "pending"]))
    stale = [row for row in rows if row.state == "stale"]
    return Portfolio(
        today=moment.date(),
        weeks=rows[0].weeks if rows else stored.week_range(moment.date())[2],
        rows=rows,
        rollups=rollups,
        hidden_groups=hidden,
        groups=groups,
        group=group,
        min_group_size=min_group_size,
        dora_available=any(row.dora_available for row in rows),
        health_available=any(row.health is not None for row in rows),
        experiments_available=running is not None,
        pending=[row.name for row in rows if row.state == "pending"],
        stale=len(stale),
        oldest_computed_at=min((row.computed_at for row in stale if row.computed_at), default=None),
    )
