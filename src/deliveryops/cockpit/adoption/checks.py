"""Checks that confirm a declared practice from the team's own data.

Each check returns a :class:`CheckResult`: ``confirmed`` is True (the data shows the practice), False
(the data contradicts it) or None (there is not enough data to say), with evidence in words and
numbers, and a link to where the data can be seen. The definitions are in docs/tools-and-practices.md.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.analytics.flow import sle, throughput, wip
from deliveryops.analytics.signal_checks import judge
from deliveryops.cockpit.models import CustomCheck, DataCheck, HeldKind, HeldSession, Signal, TeamPracticeSetting
from deliveryops.db import utcnow
from deliveryops.dora.models import Deployment
from deliveryops.experiments import service as experiments
from deliveryops.flow.data import load_team_data
from deliveryops.flow.models import Forecast
from deliveryops.flow.service import default_types, today_in
from deliveryops.flow.timeline import counted_timeline
from deliveryops.health.models import HealthRound
from deliveryops.retros.models import Phase, Retro
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.teams.models import Membership, Team
from deliveryops.work.models import Change

__all__ = [
    "RETRO_WINDOW_DAYS",
    "STRONG_SAMPLE",
    "WIP_LIMIT_SLACK",
    "WIP_TEAM_FACTOR",
    "WIP_WINDOW_DAYS",
    "CheckResult",
    "code_review",
    "custom_check",
    "deployments",
    "experiment_preregistration",
    "forecasting",
    "github_actions",
    "health_checks",
    "judge_signal",
    "not_observable",
    "regular_retrospectives",
    "run_check",
    "signal_value",
    "tracker_sync",
    "trunk_based",
    "wip_limit_of",
    "wip_limits",
]

RETRO_WINDOW_DAYS = 28
WIP_WINDOW_DAYS = 90
WIP_LIMIT_SLACK = 2
WIP_TEAM_FACTOR = 2
PREREGISTRATION_WINDOW_DAYS = 365
PREREGISTRATION_SHARE = 0.8
DEPLOY_WEEKS = 8
DEPLOY_ACTIVE_WEEKS = 4
REVIEW_WINDOW_DAYS = 90
REVIEW_SHARE = 0.8
TRUNK_WINDOW_DAYS = 90
TRUNK_MEDIAN_HOURS = 24.0
SYNC_WINDOW_DAYS = 7
FORECAST_WINDOW_DAYS = 90
HEALTH_WINDOW_DAYS = 120
# Evidence from at least this many events (deployments, pull requests, finished items) is "strong".
STRONG_SAMPLE = 10


@dataclass(frozen=True)
class CheckResult:
    """What the data says about one team's practice.

    ``strength`` is how sure the verdict is: "strong" (enough events in the window), "weak" (few
    events, or a single record), "none" (nothing to judge by), or "not_observable" (the product holds
    no data that could show it); ``basis`` says what it rests on, ``window_days`` over how long.
    """

    check: DataCheck
    confirmed: bool | None
    evidence: str
    link: str
    strength: str = "none"
    basis: str = ""
    window_days: int | None = None

    @property
    def certainty(self) -> str:
        """How sure, in words: "strong: 34 deployments in 8 weeks"."""
        if self.strength == "not_observable":
            return "cannot be observed from the data DeliveryOps holds"
        return f"{self.strength}: {self.basis}" if self.basis else self.strength


def _held(session: Session, team: Team, kind: HeldKind, since: datetime) -> tuple[int, datetime | None]:
    """Sessions recorded as held outside DeliveryOps: how many on or after ``since``'s date, and the last."""
    where = HeldSession.team_id == team.id, HeldSession.kind == kind
    recent = session.scalar(select(func.count(HeldSession.id)).where(*where, HeldSession.held_on >= since.date())) or 0
    last = session.scalar(select(func.max(HeldSession.held_on)).where(*where))
    return recent, None if last is None else datetime.combine(last, datetime.min.time(), tzinfo=since.tzinfo)


def regular_retrospectives(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """Confirmed when the team finished a retro in DeliveryOps, or recorded one held outside, in the last 28 days.

    Args:
        session: the unit of work.
        team: the team (already authorised by the caller).
        now: the clock.

    Returns:
        The result; False when the last retro is older, or there is none.
    """
    now = now or utcnow()
    since = now - timedelta(days=RETRO_WINDOW_DAYS)
    link = f"/teams/{team.slug}/retros"
    finished = Retro.team_id == team.id, Retro.phase == Phase.FINISHED, Retro.finished_at.is_not(None)
    last = session.scalar(select(func.max(Retro.finished_at)).where(*finished))
    recent = session.scalar(select(func.count(Retro.id)).where(*finished, Retro.finished_at >= since)) or 0
    held, held_last = _held(session, team, HeldKind.RETRO, since)
    window = RETRO_WINDOW_DAYS
    if last is None and held_last is None:
        return CheckResult(
            DataCheck.REGULAR_RETROSPECTIVES,
            False,
            "No retro has been finished in DeliveryOps or recorded as held.",
            link,
            "weak",
            "no retro on record",
            window,
        )
    newest = max(t for t in (last, held_last) if t is not None)
    days = (now - newest).days
    when = f"the last on {newest.date().isoformat()} ({days} days ago)"
    outside = f" and {held} recorded as held outside" if held else ""
    basis = f"{recent + held} retro{'s' if recent + held != 1 else ''} in {window} days"
    if recent or held:
        return CheckResult(
            DataCheck.REGULAR_RETROSPECTIVES,
            True,
            f"{recent} retro{'s' if recent != 1 else ''} finished in the last {window} days{outside}; {when}.",
            link,
            "strong" if recent + held >= 2 else "weak",
            basis,
            window,
        )
    return CheckResult(
        DataCheck.REGULAR_RETROSPECTIVES,
        False,
        f"No retro finished or recorded as held in the last {window} days; {when}.",
        link,
        "weak",
        basis,
        window,
    )


def wip_limit_of(session: Session, team_id: int) -> int | None:
    """The team's WIP limit, if one is set."""
    return session.scalar(select(TeamPracticeSetting.wip_limit).where(TeamPracticeSetting.team_id == team_id))


def _team_size(session: Session, team_id: int) -> int:
    return session.scalar(select(func.count(Membership.id)).where(Membership.team_id == team_id)) or 0


def wip_limits(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """Judge the team's WIP limit by its peak WIP, Little's Law and the team's size (docs/metrics.md).

    WIP is the pinned definition (items started and not finished at the end of a day, in the
    team's time zone), over every item type except containers such as epics, on each of the last
    90 days. The rule, in order:

    1. peak WIP above the limit: False (a mismatch) — the limit was not kept;
    2. the limit above ``WIP_LIMIT_SLACK`` × what Little's Law needs (throughput per day over the
       90 days × the SLE, the 85th percentile cycle time of the items finished in the window, at
       least 1), or above ``WIP_TEAM_FACTOR`` × the team's members: None — a limit so loose it never
       has to bind cannot be confirmed;
    3. otherwise True.

    Args:
        session: the unit of work.
        team: the team (already authorised by the caller).
        now: the clock.

    Returns:
        The result; None also when no limit is set or the team has no flow data.
    """
    link = f"/teams/{team.slug}/flow"
    limit = wip_limit_of(session, team.id)
    if limit is None:
        return CheckResult(
            DataCheck.WIP_LIMITS,
            None,
            "No WIP limit is set for the team, so it cannot be checked.",
            f"/teams/{team.slug}/practices",
            strength="none",
            window_days=WIP_WINDOW_DAYS,
        )
    data = load_team_data(session, team)
    data = data.only_types(default_types(data))
    if data.items.is_empty():
        return CheckResult(
            DataCheck.WIP_LIMITS, None, "The team has no flow data yet.", link, strength="none", window_days=WIP_WINDOW_DAYS
        )
    today = today_in(team, now)
    start = today - timedelta(days=WIP_WINDOW_DAYS - 1)
    timeline = counted_timeline(session, team)
    daily = wip(timeline, start=start, end=today)
    days = daily.height
    over = daily.filter(pl.col("wip") > limit).height
    peak = int(daily["wip"].max() or 0)  # type: ignore[arg-type]
    finished = int(throughput(timeline, start=start, end=today)["finished"].sum())
    target = sle(timeline, today=today, window_days=WIP_WINDOW_DAYS)
    members = _team_size(session, team.id)
    needed = max(1, math.ceil(finished / days * target)) if target is not None and days else None
    period = f"from {start.isoformat()} to {today.isoformat()}"
    law = (
        f"Little's Law needs about {needed} ({finished} items finished in {days} days × an SLE of {target} days)"
        if needed is not None
        else "Little's Law cannot size it (no item finished in the period)"
    )
    size = f"the team has {members} member{'s' if members != 1 else ''}"
    evidence = f"Peak WIP {peak} against a limit of {limit} ({over} of {days} days over it) {period}; {law}; {size}."
    strength = "strong" if finished >= STRONG_SAMPLE else "weak"
    basis = f"{days} days of WIP, {finished} items finished"
    if peak > limit:
        return CheckResult(DataCheck.WIP_LIMITS, False, evidence, link, strength, basis, WIP_WINDOW_DAYS)
    loose = []
    if needed is not None and limit > WIP_LIMIT_SLACK * needed:
        loose.append(f"more than {WIP_LIMIT_SLACK} × what Little's Law needs")
    if members and limit > WIP_TEAM_FACTOR * members:
        loose.append(f"more than {WIP_TEAM_FACTOR} × the team's size")
    if loose:
        return CheckResult(
            DataCheck.WIP_LIMITS,
            None,
            f"{evidence} The limit is {' and '.join(loose)}, too loose to confirm.",
            link,
            strength,
            basis,
            WIP_WINDOW_DAYS,
        )
    return CheckResult(DataCheck.WIP_LIMITS, True, evidence, link, strength, basis, WIP_WINDOW_DAYS)


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
        "strong" if row.started >= 5 else "weak",
        f"{row.started} experiment{'s' if row.started != 1 else ''} in {PREREGISTRATION_WINDOW_DAYS} days",
        PREREGISTRATION_WINDOW_DAYS,
    )


def _deployment_weeks(
    session: Session, team: Team, check: DataCheck, now: datetime, *, runs_only: bool, link: str
) -> CheckResult:
    since = now - timedelta(weeks=DEPLOY_WEEKS)
    where = [Deployment.team_id == team.id, Deployment.started_at >= since, Deployment.started_at <= now]
    if runs_only:
        where += [Deployment.source == "github", Deployment.external_id.like("run:%")]
    times = list(session.scalars(select(Deployment.started_at).where(*where)))
    what = "GitHub Actions workflow runs recorded as deployments" if runs_only else "deployments"
    window = DEPLOY_WEEKS * 7
    if not times:
        return CheckResult(
            check,
            None if runs_only else False,
            f"No {what} in the last {DEPLOY_WEEKS} weeks."
            + (" The team may not use GitHub Actions, or its deploy workflows are not connected." if runs_only else ""),
            link,
            "weak",
            f"0 {what} in {DEPLOY_WEEKS} weeks",
            window,
        )
    weeks = {(now - t).days // 7 for t in times}
    active = len(weeks)
    evidence = (
        f"{len(times)} {what} in the last {DEPLOY_WEEKS} weeks, in {active} of the {DEPLOY_WEEKS} weeks "
        f"(the last on {max(times).date().isoformat()})."
    )
    return CheckResult(
        check,
        active >= DEPLOY_ACTIVE_WEEKS,
        evidence,
        link,
        "strong" if len(times) >= STRONG_SAMPLE else "weak",
        f"{len(times)} {what} in {DEPLOY_WEEKS} weeks",
        window,
    )


def deployments(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """CI/CD: confirmed when the team deployed (any source) in at least 4 of the last 8 weeks (7-day blocks back from now).

    Returns:
        The result; False when nothing was deployed in the 8 weeks.
    """
    return _deployment_weeks(
        session, team, DataCheck.DEPLOYMENTS, now or utcnow(), runs_only=False, link=f"/teams/{team.slug}/dora"
    )


def github_actions(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """GitHub Actions: as :func:`deployments`, counting only workflow runs imported as deployments.

    Only runs of the workflows a connection names as deploying are held, so no runs gives no verdict
    (None) rather than False: the team may run Actions for builds DeliveryOps does not fetch.
    """
    return _deployment_weeks(
        session, team, DataCheck.GITHUB_ACTIONS, now or utcnow(), runs_only=True, link=f"/teams/{team.slug}/dora"
    )


def _merged_changes(session: Session, team: Team, since: datetime, now: datetime) -> list[Change]:
    return list(
        session.scalars(
            select(Change).where(
                Change.team_id == team.id, Change.merged_at.is_not(None), Change.merged_at >= since, Change.merged_at <= now
            )
        )
    )


def code_review(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """Confirmed when at least 80% of the pull requests merged in the last 90 days had a review by someone else.

    A review by someone else is the stored first review (the connectors ignore the author's own
    reviews, pending reviews and bots). A review given after the merge does not count.

    Returns:
        The result; None when no pull request was merged in the period.
    """
    now = now or utcnow()
    since = now - timedelta(days=REVIEW_WINDOW_DAYS)
    link = f"/teams/{team.slug}/dora"
    merged = _merged_changes(session, team, since, now)
    if not merged:
        return CheckResult(
            DataCheck.CODE_REVIEW,
            None,
            f"No pull request was merged in the last {REVIEW_WINDOW_DAYS} days.",
            link,
            "none",
            "",
            REVIEW_WINDOW_DAYS,
        )
    reviewed = sum(
        1 for c in merged if c.first_review_at is not None and c.merged_at is not None and c.first_review_at <= c.merged_at
    )
    share = reviewed / len(merged)
    return CheckResult(
        DataCheck.CODE_REVIEW,
        share >= REVIEW_SHARE,
        f"{reviewed} of {len(merged)} pull requests merged in the last {REVIEW_WINDOW_DAYS} days "
        f"({round(share * 100)}%) were reviewed by someone other than the author before the merge.",
        link,
        "strong" if len(merged) >= STRONG_SAMPLE else "weak",
        f"{len(merged)} merged pull requests in {REVIEW_WINDOW_DAYS} days",
        REVIEW_WINDOW_DAYS,
    )


def trunk_based(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """Confirmed when the median lifetime of the pull requests merged in the last 90 days is at most 24 hours.

    A pull request's lifetime runs from its branch's first commit (when known, else its opening) to
    its merge: the branch lifetime trunk-based development keeps short.

    Returns:
        The result; None when no pull request was merged in the period.
    """
    now = now or utcnow()
    since = now - timedelta(days=TRUNK_WINDOW_DAYS)
    link = f"/teams/{team.slug}/dora"
    merged = _merged_changes(session, team, since, now)
    if not merged:
        return CheckResult(
            DataCheck.TRUNK_BASED,
            None,
            f"No pull request was merged in the last {TRUNK_WINDOW_DAYS} days.",
            link,
            "none",
            "",
            TRUNK_WINDOW_DAYS,
        )
    hours = [
        ((c.merged_at or now) - min(t for t in (c.first_commit_at, c.opened_at) if t is not None)).total_seconds() / 3600
        for c in merged
    ]
    median = statistics.median(hours)
    short = sum(1 for h in hours if h <= TRUNK_MEDIAN_HOURS)
    return CheckResult(
        DataCheck.TRUNK_BASED,
        median <= TRUNK_MEDIAN_HOURS,
        f"The median lifetime (first commit to merge) of {len(merged)} pull requests merged in the last "
        f"{TRUNK_WINDOW_DAYS} days was {median:.1f} hours; {short} lived at most {TRUNK_MEDIAN_HOURS:.0f} hours.",
        link,
        "strong" if len(merged) >= STRONG_SAMPLE else "weak",
        f"{len(merged)} merged pull requests in {TRUNK_WINDOW_DAYS} days",
        TRUNK_WINDOW_DAYS,
    )


def tracker_sync(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """Confirmed when a sync of one of the team's connections succeeded in the last 7 days.

    Returns:
        The result; None when the team has no connection (its work may come from file imports).
    """
    now = now or utcnow()
    since = now - timedelta(days=SYNC_WINDOW_DAYS)
    link = "/admin/connections"
    connections = session.scalar(select(func.count(Connection.id)).where(Connection.team_id == team.id)) or 0
    if not connections:
        return CheckResult(
            DataCheck.TRACKER_SYNC,
            None,
            "The team has no tracker connection, so its use of the tracker cannot be seen.",
            link,
            "none",
            "",
            SYNC_WINDOW_DAYS,
        )
    ok = SyncRun.status == "succeeded", Connection.team_id == team.id
    joined = select(func.count(SyncRun.id)).join(Connection, Connection.id == SyncRun.connection_id)
    recent = session.scalar(joined.where(*ok, SyncRun.finished_at >= since)) or 0
    last = session.scalar(
        select(func.max(SyncRun.finished_at)).join(Connection, Connection.id == SyncRun.connection_id).where(*ok)
    )
    when = f"the last on {last.date().isoformat()}" if last else "none has ever succeeded"
    return CheckResult(
        DataCheck.TRACKER_SYNC,
        recent > 0,
        f"{recent} successful sync{'s' if recent != 1 else ''} of the team's {connections} "
        f"connection{'s' if connections != 1 else ''} in the last {SYNC_WINDOW_DAYS} days; {when}.",
        link,
        "strong" if recent >= 2 else "weak",
        f"{recent} successful syncs in {SYNC_WINDOW_DAYS} days",
        SYNC_WINDOW_DAYS,
    )


def forecasting(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """SLE and forecasting: confirmed when the team committed a forecast in the last 90 days.

    A committed forecast is one marked as the team's plan, shared, exported or put in the pack;
    what-ifs do not count. The SLE itself is not stored, so its use is read from these forecasts.

    Returns:
        The result; False when no forecast was committed in the period.
    """
    now = now or utcnow()
    since = now - timedelta(days=FORECAST_WINDOW_DAYS)
    link = f"/teams/{team.slug}/forecasts"
    committed = Forecast.team_id == team.id, Forecast.commitment.is_not(None)
    when_col = func.coalesce(Forecast.committed_at, Forecast.created_at)
    recent = session.scalar(select(func.count(Forecast.id)).where(*committed, when_col >= since, when_col <= now)) or 0
    scored = session.scalar(select(func.count(Forecast.id)).where(*committed, Forecast.scored_at.is_not(None))) or 0
    return CheckResult(
        DataCheck.FORECASTING,
        recent > 0,
        f"{recent} forecast{'s' if recent != 1 else ''} committed in the last {FORECAST_WINDOW_DAYS} days; "
        f"{scored} committed forecast{'s' if scored != 1 else ''} scored against the outcome so far.",
        link,
        "strong" if recent >= 3 else "weak",
        f"{recent} committed forecasts in {FORECAST_WINDOW_DAYS} days",
        FORECAST_WINDOW_DAYS,
    )


def health_checks(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """Confirmed when a health check closed in DeliveryOps, or one was recorded as held, in the last 120 days.

    Returns:
        The result; False when there is none in the period.
    """
    now = now or utcnow()
    since = now - timedelta(days=HEALTH_WINDOW_DAYS)
    link = f"/teams/{team.slug}/health"
    closed = HealthRound.team_id == team.id, HealthRound.closed_at.is_not(None)
    recent = session.scalar(select(func.count(HealthRound.id)).where(*closed, HealthRound.closed_at >= since)) or 0
    held, _ = _held(session, team, HeldKind.HEALTH_CHECK, since)
    total = recent + held
    return CheckResult(
        DataCheck.HEALTH_CHECKS,
        total > 0,
        f"{recent} health check{'s' if recent != 1 else ''} closed in DeliveryOps and {held} recorded as held "
        f"outside in the last {HEALTH_WINDOW_DAYS} days.",
        link,
        "strong" if total >= 2 else "weak",
        f"{total} health checks in {HEALTH_WINDOW_DAYS} days",
        HEALTH_WINDOW_DAYS,
    )


def not_observable(session: Session, team: Team, *, now: datetime | None = None) -> CheckResult:
    """The marker result of an entry no data DeliveryOps holds can show: no verdict, said plainly."""
    del session, now
    return CheckResult(
        DataCheck.NOT_OBSERVABLE,
        None,
        "Cannot be observed from the data DeliveryOps holds; only the team's declaration counts.",
        f"/teams/{team.slug}/practices",
        "not_observable",
    )


# Admin-defined checks: a signal the built-in checks compute, a threshold and a window.

# The signals measured over merged pull requests give no verdict without one.
_NEEDS_EVENTS = (Signal.REVIEWED_SHARE, Signal.PR_LIFETIME_HOURS)


@dataclass(frozen=True)
class SignalValue:
    """A signal measured over a window: its value (None: nothing to measure) and how many events it rests on."""

    value: float | None
    events: int
    what: str


def judge_signal(signal: Signal, measured: SignalValue, threshold: float) -> bool | None:
    """The verdict of an admin-defined check: the value at or above (at or below, for signals kept low) the threshold.

    Args:
        signal: what was measured.
        measured: the value and the events it rests on.
        threshold: in the signal's unit.

    Returns:
        True or False; None when the signal needs events and there were none.
    """
    return judge(measured.value, threshold, at_most=signal.at_most)


def _count_held(session: Session, team: Team, kind: HeldKind, since: datetime, now: datetime) -> int:
    where = HeldSession.team_id == team.id, HeldSession.kind == kind
    return (
        session.scalar(
            select(func.count(HeldSession.id)).where(
                *where, HeldSession.held_on >= since.date(), HeldSession.held_on <= now.date()
            )
        )
        or 0
    )


def signal_value(session: Session, team: Team, signal: Signal, *, since: datetime, now: datetime) -> SignalValue:
    """Measure one signal for a team over ``since``..``now``, with the built-in checks' definitions.

    Args:
        session: the unit of work.
        team: the team (already authorised by the caller).
        signal: what to measure.
        since: the window's start.
        now: the window's end.

    Returns:
        The value in the signal's unit, and the number of events it rests on.
    """
    weeks = max((now - since).total_seconds() / (7 * 86400), 1 / 7)
    if signal in (Signal.DEPLOYMENTS_PER_WEEK, Signal.WORKFLOW_RUNS_PER_WEEK):
        where = [Deployment.team_id == team.id, Deployment.started_at >= since, Deployment.started_at <= now]
        if signal is Signal.WORKFLOW_RUNS_PER_WEEK:
            where += [Deployment.source == "github", Deployment.external_id.like("run:%")]
        count = session.scalar(select(func.count(Deployment.id)).where(*where)) or 0
        what = "workflow runs" if signal is Signal.WORKFLOW_RUNS_PER_WEEK else "deployments"
        return SignalValue(count / weeks, count, what)
    if signal in _NEEDS_EVENTS:
        merged = _merged_changes(session, team, since, now)
        if not merged:
            return SignalValue(None, 0, "merged pull requests")
        if signal is Signal.REVIEWED_SHARE:
            reviewed = sum(1 for c in merged if c.first_review_at and c.merged_at and c.first_review_at <= c.merged_at)
            return SignalValue(100 * reviewed / len(merged), len(merged), "merged pull requests")
        hours = [
            ((c.merged_at or now) - min(t for t in (c.first_commit_at, c.opened_at) if t is not None)).total_seconds() / 3600
            for c in merged
        ]
        return SignalValue(statistics.median(hours), len(merged), "merged pull requests")
    if signal is Signal.RETROS_HELD:
        finished = Retro.team_id == team.id, Retro.phase == Phase.FINISHED, Retro.finished_at >= since, Retro.finished_at <= now
        count = (session.scalar(select(func.count(Retro.id)).where(*finished)) or 0) + _count_held(
            session, team, HeldKind.RETRO, since, now
        )
        return SignalValue(count, count, "retros")
    if signal is Signal.HEALTH_CHECKS_HELD:
        closed = HealthRound.team_id == team.id, HealthRound.closed_at >= since, HealthRound.closed_at <= now
        count = (session.scalar(select(func.count(HealthRound.id)).where(*closed)) or 0) + _count_held(
            session, team, HeldKind.HEALTH_CHECK, since, now
        )
        return SignalValue(count, count, "health checks")
    if signal is Signal.SUCCESSFUL_SYNCS:
        joined = select(func.count(SyncRun.id)).join(Connection, Connection.id == SyncRun.connection_id)
        ok = (
            Connection.team_id == team.id,
            SyncRun.status == "succeeded",
            SyncRun.finished_at >= since,
            SyncRun.finished_at <= now,
        )
        count = session.scalar(joined.where(*ok)) or 0
        return SignalValue(count, count, "successful syncs")
    when_col = func.coalesce(Forecast.committed_at, Forecast.created_at)
    committed = Forecast.team_id == team.id, Forecast.commitment.is_not(None), when_col >= since, when_col <= now
    count = session.scalar(select(func.count(Forecast.id)).where(*committed)) or 0
    return SignalValue(count, count, "committed forecasts")


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def custom_check(session: Session, team: Team, rule: CustomCheck | None, *, now: datetime | None = None) -> CheckResult:
    """Run an admin-defined check: the signal over the last ``window_days`` against the threshold.

    Args:
        session: the unit of work.
        team: the team (already authorised by the caller).
        rule: the entry's signal, threshold and window (None: the entry says "custom" but has no rule yet).
        now: the clock.

    Returns:
        The result; None when no rule is defined, or the signal needs events and there were none.
    """
    link = f"/teams/{team.slug}/practices"
    if rule is None:
        return CheckResult(DataCheck.CUSTOM, None, "No signal, threshold and window are defined for this check yet.", link)
    now = now or utcnow()
    window = rule.window_days
    measured = signal_value(session, team, rule.signal, since=now - timedelta(days=window), now=now)
    verdict = judge_signal(rule.signal, measured, rule.threshold)
    unit = f" {rule.signal.unit}" if rule.signal.unit else ""
    rule_text = f"{'at most' if rule.signal.at_most else 'at least'} {_number(rule.threshold)}{unit}"
    basis = f"{measured.events} {measured.what} in {window} days"
    if measured.value is None:
        evidence = f"No {measured.what} in the last {window} days, so {rule.signal.label.lower()} cannot be measured."
        return CheckResult(DataCheck.CUSTOM, None, evidence, link, "none", basis, window)
    evidence = (
        f"{rule.signal.label}: {_number(measured.value)} over the last {window} days ({measured.events} "
        f"{measured.what}); the check asks for {rule_text}."
    )
    strength = "strong" if measured.events >= STRONG_SAMPLE else "weak"
    return CheckResult(DataCheck.CUSTOM, verdict, evidence, link, strength, basis, window)


_CHECKS = {
    DataCheck.REGULAR_RETROSPECTIVES: regular_retrospectives,
    DataCheck.WIP_LIMITS: wip_limits,
    DataCheck.EXPERIMENT_PREREGISTRATION: experiment_preregistration,
    DataCheck.DEPLOYMENTS: deployments,
    DataCheck.GITHUB_ACTIONS: github_actions,
    DataCheck.CODE_REVIEW: code_review,
    DataCheck.TRUNK_BASED: trunk_based,
    DataCheck.TRACKER_SYNC: tracker_sync,
    DataCheck.FORECASTING: forecasting,
    DataCheck.HEALTH_CHECKS: health_checks,
    DataCheck.NOT_OBSERVABLE: not_observable,
}


def run_check(
    session: Session, team: Team, check: DataCheck, *, now: datetime | None = None, entry_id: int | None = None
) -> CheckResult:
    """Run one check for a team.

    Args:
        session: the unit of work.
        team: the team (already authorised by the caller).
        check: which check.
        now: the clock.
        entry_id: the catalogue entry, for an admin-defined check (:attr:`DataCheck.CUSTOM`).

    Returns:
        The result.
    """
    if check is DataCheck.CUSTOM:
        rule = None if entry_id is None else session.scalar(select(CustomCheck).where(CustomCheck.entry_id == entry_id))
        return custom_check(session, team, rule, now=now)
    return _CHECKS[check](session, team, now=now)
