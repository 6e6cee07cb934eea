"""The demo organisation's cross-team dependencies: negotiated, one overdue, one delivered late, one declined."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.dependencies import detection, risk, service
from deliveryops.dependencies.models import Dependency, DependencyFunction
from deliveryops.dependencies.schemas import DependencyCreate, DependencyTransition
from deliveryops.impediments import clusters
from deliveryops.risks import service as risks_service
from deliveryops.risks.models import Impact, RoamStatus
from deliveryops.risks.schemas import RiskWrite
from deliveryops.teams.models import Membership, Team, TeamRole
from deliveryops.work.models import BlockedInterval, ItemLink, StatusTransition, WorkflowStatus, WorkItem
from deliveryops.work.records import StageCategory

# (requester, provider team or "function:<name>", what, why, requested days ago, needed-by in days from today,
#  steps: (days ago, side, action, extra fields with dates as day offsets from today))
STORIES: list[tuple[str, str, str, str, int, int, list[tuple[int, str, str, dict[str, object]]]]] = [
    (
        "Checkout",
        "Payments",
        "Partial refunds in the refund API",
        "One-click returns need partial refunds before the returns campaign.",
        45,
        -12,
        [
            (43, "provider", "counter", {"countered_on": -14, "reason": "PSP migration first"}),
            (42, "requester", "accept_counter", {}),
            (7, "provider", "deliver", {"delivered_on": -7, "provider_keys": ["PAY-D1"]}),
        ],
    ),
    (
        "Mobile",
        "Search",
        "Search suggestions endpoint for the apps",
        "The app's new search screen shows suggestions while typing.",
        30,
        -4,
        [(28, "provider", "accept", {"committed_on": -5})],
    ),
    (
        "Payments",
        "function:Security",
        "Security review of card tokenisation",
        "Go-live of tokenisation needs the security sign-off.",
        20,
        10,
        [
            (18, "provider", "counter", {"countered_on": 14, "reason": "Pen-test slot is booked until then"}),
            (17, "requester", "reject_counter", {"reason": "Launch date is fixed; can part of it be reviewed earlier?"}),
            (15, "provider", "accept", {"committed_on": 10}),
        ],
    ),
    (
        "Search",
        "Data Platform",
        "Daily export of click data for ranking",
        "Retraining the ranking model needs last quarter's clicks.",
        6,
        21,
        [],
    ),
    (
        "Checkout",
        "function:Legal",
        "Updated terms for one-click checkout",
        "Stored cards for one-click need new wording in the terms.",
        25,
        5,
        [(20, "provider", "decline", {"reason": "Covered by the current terms (section 7.2); no change needed."})],
    ),
    (
        "Growth",
        "Checkout",
        "Referral code field on the checkout page",
        "The referral experiment needs a code field at checkout.",
        12,
        16,
        [(10, "provider", "accept", {"committed_on": 14})],
    ),
]


def _dm(session: Session, team: Team) -> User | None:
    return session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team.id, Membership.team_role == TeamRole.DELIVERY_MANAGER)
        .limit(1)
    )


def _blocked_keys(session: Session, team: Team, around: datetime) -> list[str]:
    """Keys of the requester's items blocked around the request, so the dependency points at real waiting."""
    rows = session.scalars(
        select(WorkItem.external_key)
        .join(BlockedInterval, BlockedInterval.item_id == WorkItem.id)
        .where(WorkItem.team_id == team.id, BlockedInterval.start <= around + timedelta(days=10))
        .where((BlockedInterval.end.is_(None)) | (BlockedInterval.end >= around))
        .order_by(BlockedInterval.start.desc())
        .limit(2)
    ).all()
    return list(dict.fromkeys(rows))


def build_dependencies(session: Session, *, now: datetime, seed: int) -> int:
    """Create the demo's dependencies with their negotiation history; returns how many."""
    rng = random.Random(seed)
    today = now.date()
    teams = {t.name: t for t in session.scalars(select(Team))}
    functions = {f.name: f for f in session.scalars(select(DependencyFunction))}
    ops = session.scalar(select(User).where(User.role == Role.PRODUCT_OPS).order_by(User.id).limit(1))
    if ops is not None and "Security" in functions and functions["Security"].owner_id is None:
        functions["Security"].owner_id = ops.id
    made = 0
    for requester_name, provider_name, title, why, asked_days_ago, needed_in, steps in STORIES:
        requester = teams[requester_name]
        asked_at = now - timedelta(days=asked_days_ago, hours=rng.randrange(6))
        provider_team = None if provider_name.startswith("function:") else teams[provider_name]
        function = functions[provider_name.removeprefix("function:")] if provider_team is None else None
        body = DependencyCreate(
            requester_team_id=requester.id,
            provider_team_id=provider_team.id if provider_team else None,
            provider_function_id=function.id if function else None,
            title=title,
            why=why,
            needed_by=today + timedelta(days=needed_in),
            requester_keys=_blocked_keys(session, requester, asked_at),
        )
        requester_dm = _dm(session, requester)
        dependency = service.create(session=session, actor=requester_dm, body=body)
        dependency.created_at = dependency.events[-1].at = asked_at
        for days_ago, side, action, extra in steps:
            fields = {k: (today + timedelta(days=v)) if isinstance(v, int) else v for k, v in extra.items()}
            if provider_team is not None:
                actor = _dm(session, provider_team) if side == "provider" else requester_dm
            else:
                actor = ops if side == "provider" else requester_dm
            step = DependencyTransition.model_validate({"action": action, **fields})
            step_day = today - timedelta(days=days_ago)
            service.transition(session=session, actor=actor, dependency_id=dependency.id, body=step, today=step_day)
            at = datetime.combine(step_day, time(9 + rng.randrange(8), rng.randrange(60)), tzinfo=now.tzinfo)
            dependency.events[-1].at = dependency.updated_at = at
        made += 1
    session.flush()
    return made


AT_RISK_TITLE = "Referral code field on the checkout page"


def _backlog_keys(session: Session, team: Team) -> list[str]:
    """The team's items not started yet (no transition out of the first status), oldest first."""
    started = select(StatusTransition.item_id).where(StatusTransition.from_status.is_not(None))
    return list(
        session.scalars(
            select(WorkItem.external_key)
            .where(WorkItem.team_id == team.id, WorkItem.id.not_in(started), WorkItem.item_type != "Epic")
            .order_by(WorkItem.created_at, WorkItem.id)
        )
    )


def build_dependency_risks(session: Session, *, now: datetime, seed: int) -> int:
    """Chances of delivery for the demo's accepted dependencies, one of them at risk, and a small ROAM register.

    Checkout links the referral field to items of its backlog, as many as make the chance of delivery by the
    needed-by date fall below 60% on Checkout's own throughput: the demo's at-risk dependency. At-risk and
    overdue dependencies then reach Product Ops as impediments, as the refresh job would raise them.
    """
    today = now.date()
    referral = session.scalar(select(Dependency).where(Dependency.title == AT_RISK_TITLE))
    if referral is not None and referral.provider_team_id is not None:
        checkout = session.get_one(Team, referral.provider_team_id)
        backlog = _backlog_keys(session, checkout)
        for count in range(1, len(backlog) + 1):
            referral.provider_keys = " ".join(backlog[:count])
            if (risk.compute(session, referral, today=today, seed=seed).chance_needed or 0.0) < 0.6:
                break
    risk.refresh_all(session, today=today)
    risk.escalate_at_risk(session, today=today, now=now)
    clusters.propose(session, now=now)  # as the job queued by raising them would, so the demo starts settled
    ops = session.scalar(select(User).where(User.role == Role.PRODUCT_OPS).order_by(User.id).limit(1))
    teams = {t.name: t for t in session.scalars(select(Team))}
    made = 0
    for title, team, status, impact, review_in, response in RISKS:
        links = [referral.id] if referral is not None and team == "Growth" else []
        body = RiskWrite(
            title=title,
            team_id=teams[team].id if team else None,
            owner_id=ops.id if ops else None,
            status=status,
            impact=impact,
            review_on=today + timedelta(days=review_in),
            response=response,
            dependency_ids=links,
        )
        risks_service.create(session=session, actor=None, body=body)
        made += 1
    session.flush()
    return made


# (title, team or None for the organisation, ROAM status, impact, review in days from today, response)
RISKS: list[tuple[str, str | None, RoamStatus, Impact, int, str]] = [
    (
        "Referral experiment starts before Checkout can ship the code field",
        "Growth",
        RoamStatus.OWNED,
        Impact.HIGH,
        -3,
        "Growth's delivery manager agrees a smaller first version with Checkout.",
    ),
    (
        "December release freeze overlaps the returns campaign",
        None,
        RoamStatus.ACCEPTED,
        Impact.MEDIUM,
        14,
        "Campaign changes go live before the freeze; nothing ships during it.",
    ),
    (
        "Single PSP for card payments",
        "Payments",
        RoamStatus.MITIGATED,
        Impact.CRITICAL,
        30,
        "A second PSP is configured as fallback for card payments.",
    ),
]


# Tracker links between teams' open items, as a Jira sync brings them: (requesting team, providing team, phrase).
TRACKER_LINKS: list[tuple[str, str, str]] = [
    ("Mobile", "Payments", "depends on"),
    ("Growth", "Data Platform", "is blocked by"),
]


def _open_item(session: Session, team: Team) -> WorkItem | None:
    """The team's most recently created item that is neither finished nor in its backlog."""
    active = select(WorkflowStatus.name).where(
        WorkflowStatus.team_id == team.id, WorkflowStatus.category.in_((StageCategory.ACTIVE, StageCategory.WAITING))
    )
    return session.scalars(
        select(WorkItem)
        .where(WorkItem.team_id == team.id, WorkItem.current_status.in_(active))
        .order_by(WorkItem.created_at.desc(), WorkItem.id.desc())
        .limit(1)
    ).first()


def build_dependency_proposals(session: Session, *, now: datetime, seed: int) -> int:
    """Dependencies the data shows (tracker links between teams, blocked reasons naming another team), proposed.

    The same detection a job runs after data changes; the demo shows its proposals without waiting for it.
    """
    del seed  # nothing random here
    teams = {team.name: team for team in session.scalars(select(Team))}
    for requester, provider, phrase in TRACKER_LINKS:
        if requester not in teams or provider not in teams:
            continue
        needs, gives = _open_item(session, teams[requester]), _open_item(session, teams[provider])
        if needs is not None and gives is not None:
            session.add(ItemLink(item_id=needs.id, kind="outward", other_key=gives.external_key, label=phrase))
    session.flush()
    found = detection.detect(session)
    for proposal in found.proposed:
        proposal.created_at = now
    session.flush()
    return len(found.proposed)
