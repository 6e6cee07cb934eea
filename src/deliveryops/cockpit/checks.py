"""Checks that confirm a declared practice from the team's own data.

Each check returns a :class:`CheckResult`: ``confirmed`` is True (the data shows the practice), False
(the data contradicts it) or None (there is not enough data to say), with evidence in words and
numbers, and a link to where the data can be seen. The definitions are in docs/tools-and-practices.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.analytics.flow import item_timeline, wip
from deliveryops.cockpit.models import DataCheck, TeamPracticeSetting
from deliveryops.db import utcnow
from deliveryops.experiments import service as experiments
from deliveryops.flow.data import load_team_data
from deliveryops.flow.service import default_types, today_in
from deliveryops.retros.models import Phase, Retro
from deliveryops.teams.models import Team

__all__ = [
    "RETRO_WINDOW_DAYS",
    "WIP_SHARE",
    "WIP_WINDOW_DAYS",
    "CheckResult",
    "experiment_preregistration",
    "regular_retrospectives",
    "run_check",
    "wip_limit_of",
    "wip_limits",
]

RETRO_WINDOW_DAYS = 28
WIP_WINDOW_DAYS = 90
WIP_SHARE = 0.8
PREREGISTRATION_WINDOW_DAYS = 365
PREREGISTRATION_SHARE = 0.8


@dataclass(frozen=True)
class CheckResult:
    """What the data says about one team's practice."""

    check: DataCheck
    confirmed: bool | None
    evidence: str
    link: str


def regular_retrospectives(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """Confirmed when the team finished a retro in DeliveryOps in the last 4 weeks (28 days).

    Args:
        session: the unit of work.
        team: the team (already authorised by the caller).
        now: the clock.

    Returns:
        The result; False when the last finished retro is older, or there is none.
    """
    now = now or utcnow()
    since = now - timedelta(days=RETRO_WINDOW_DAYS)
    link = f"/teams/{team.slug}/retros"
    finished = Retro.team_id == team.id, Retro.phase == Phase.FINISHED, Retro.finished_at.is_not(None)
    last = session.scalar(select(func.max(Retro.finished_at)).where(*finished))
    recent = session.scalar(select(func.count(Retro.id)).where(*finished, Retro.finished_at >= since)) or 0
    if last is None:
        return CheckResult(DataCheck.REGULAR_RETROSPECTIVES, False, "No retro has been finished in DeliveryOps.", link)
    days = (now - last).days
    when = f"the last on {last.date().isoformat()} ({days} days ago)"
    if recent:
        return CheckResult(
            DataCheck.REGULAR_RETROSPECTIVES,
            True,
            f"{recent} retro{'s' if recent != 1 else ''} finished in the last {RETRO_WINDOW_DAYS} days; {when}.",
            link,
        )
    return CheckResult(
        DataCheck.REGULAR_RETROSPECTIVES, False, f"No retro finished in the last {RETRO_WINDOW_DAYS} days; {when}.", link
    )


def wip_limit_of(session: Session, team_id: int) -> int | None:
    """The team's WIP limit, if one is set."""
    return session.scalar(select(TeamPracticeSetting.wip_limit).where(TeamPracticeSetting.team_id == team_id))


def wip_limits(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """Confirmed when WIP was at or under the team's limit on at least 80% of the last 90 days.

    WIP is the pinned definition (items started and not finished at the end of a day, in the
    team's time zone), over every item type except containers such as epics.

    Args:
        session: the unit of work.
        team: the team (already authorised by the caller).
        now: the clock.

    Returns:
        The result; None when no limit is set or the team has no flow data.
    """
    link = f"/teams/{team.slug}/flow"
    limit = wip_limit_of(session, team.id)
    if limit is None:
        return CheckResult(
            DataCheck.WIP_LIMITS,
            None,
            "No WIP limit is set for the team, so it cannot be checked.",
            f"/teams/{team.slug}/practices",
        )
    data = load_team_data(session, team)
    data = data.only_types(default_types(data))
    if data.items.is_empty():
        return CheckResult(DataCheck.WIP_LIMITS, None, "The team has no flow data yet.", link)
    today = today_in(team, now)
    start = today - timedelta(days=WIP_WINDOW_DAYS - 1)
    timeline = item_timeline(data.transitions, workflow=data.workflow, tz=data.tz, items=data.items)
    daily = wip(timeline, start=start, end=today)
    days = daily.height
    within = daily.filter(pl.col("wip") <= limit).height
    highest = int(daily["wip"].max() or 0)  # type: ignore[arg-type]
    share = within / days if days else 0.0
    evidence = (
        f"WIP was at or under the limit of {limit} on {within} of {days} days ({round(share * 100)}%) "
        f"from {start.isoformat()} to {today.isoformat()}; the highest WIP was {highest}."
    )
    return CheckResult(DataCheck.WIP_LIMITS, share >= WIP_SHARE, evidence, link)


def experiment_preregistration(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """Confirmed when at least 80% of the team's experiments started in the last 365 days were pre-registered.

    Pre-registered (the experiment registry's definition): its planned sample size was set before it
    started running. The figures come from ``deliveryops.experiments.service.portfolio``.

    Args:
        session: the unit of work.
        team: the team (already authorised by the caller).
        now: the clock.

    Returns:
        The result; None when the team started no experiment in the period.
    """
    today = today_in(team, now)
    start = today - timedelta(days=PREREGISTRATION_WINDOW_DAYS - 1)
    link = f"/teams/{team.slug}/experiments"
    rows = experiments.portfolio(session, team_ids=[team.id], start=start, end=today).rows
    row = rows[0] if rows else None
    if row is None or not row.started or row.preregistered_share is None:
        return CheckResult(
            DataCheck.EXPERIMENT_PREREGISTRATION,
            None,
            f"The team started no experiment between {start.isoformat()} and {today.isoformat()}.",
            link,
        )
    registered = round(row.preregistered_share * row.started)
    share = row.preregistered_share
    return CheckResult(
        DataCheck.EXPERIMENT_PREREGISTRATION,
        share >= PREREGISTRATION_SHARE,
        f"{registered} of {row.started} experiments started between {start.isoformat()} and "
        f"{today.isoformat()} had a planned sample size before they started ({round(share * 100)}%).",
        link,
    )


def run_check(session: Session, team: Team, check: DataCheck, *, now: datetime | None = None) -> CheckResult:
    """Run one check for a team.

    Args:
        session: the unit of work.
        team: the team (already authorised by the caller).
        check: which check.
        now: the clock.

    Returns:
        The result.
    """
    if check is DataCheck.REGULAR_RETROSPECTIVES:
        return regular_retrospectives(session, team, now=now)
    if check is DataCheck.WIP_LIMITS:
        return wip_limits(session, team, now=now)
    return experiment_preregistration(session, team, now=now)
