"""A believable impediment history for the demo organisation, including cross-team clusters."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.impediments import clusters, service
from deliveryops.impediments.models import Category, Severity, Status
from deliveryops.teams.models import Membership, Team, TeamRole
from deliveryops.work.models import BlockedInterval, WorkItem

# (team, days ago, title, description, category, severity, escalate to, resolved after days or None)
STORIES: list[tuple[str, int, str, str, str, Severity, str | None, int | None]] = [
    (
        "Payments",
        120,
        "Card test environment down every Monday",
        "The PSP sandbox resets over the weekend.",
        "Environment or tooling",
        Severity.HIGH,
        "delivery_manager",
        None,
    ),
    (
        "Checkout",
        116,
        "Staging payments sandbox unavailable",
        "Cannot run end-to-end checkout tests.",
        "Environment or tooling",
        Severity.HIGH,
        None,
        None,
    ),
    (
        "Payments",
        80,
        "Waiting for security approval of tokenisation",
        "Go-live blocked on the security sign-off.",
        "Approval or process",
        Severity.CRITICAL,
        "product_ops",
        15,
    ),
    (
        "Search",
        70,
        "Ranking model needs data science capacity",
        "No one to retrain the model this quarter.",
        "Capacity",
        Severity.MEDIUM,
        "delivery_manager",
        None,
    ),
    (
        "Mobile",
        64,
        "App store review rejected build twice",
        "Privacy labels incomplete.",
        "External supplier",
        Severity.HIGH,
        None,
        6,
    ),
    (
        "Growth",
        50,
        "Unclear success metric for onboarding test",
        "Product and analytics disagree on activation.",
        "Unclear requirements",
        Severity.MEDIUM,
        None,
        8,
    ),
    (
        "Data Platform",
        45,
        "Warehouse quota exhausted",
        "Nightly jobs fail on the BigQuery slot quota.",
        "Environment or tooling",
        Severity.HIGH,
        "product_ops",
        10,
    ),
    (
        "Checkout",
        40,
        "Waiting on Payments API for saved cards",
        "Saved-card endpoint not released yet.",
        "Dependency on another team",
        Severity.MEDIUM,
        "delivery_manager",
        14,
    ),
    # The cross-team problem of the last month, written by four teams in their own words.
    (
        "Data Platform",
        26,
        "No access to production logs",
        "We cannot debug the failing ingestion in prod.",
        "Permissions",
        Severity.HIGH,
        "delivery_manager",
        None,
    ),
    (
        "Payments",
        21,
        "Still waiting for Splunk permissions",
        "Requested read access three weeks ago.",
        "Permissions",
        Severity.HIGH,
        None,
        None,
    ),
    (
        "Search",
        17,
        "Can't see prod logging for the search API",
        "Kibana shows nothing for production.",
        "Permissions",
        Severity.MEDIUM,
        None,
        None,
    ),
    (
        "Mobile",
        12,
        "Need read rights on live log dashboards",
        "Crash reports point to backend errors we cannot see.",
        "Permissions",
        Severity.MEDIUM,
        None,
        None,
    ),
    (
        "Growth",
        9,
        "Experiment flag service returns stale variants",
        "Feature flags take hours to propagate.",
        "Environment or tooling",
        Severity.MEDIUM,
        None,
        None,
    ),
    (
        "Checkout",
        5,
        "Acceptance criteria missing for address autocomplete",
        "Story started without criteria.",
        "Unclear requirements",
        Severity.LOW,
        None,
        None,
    ),
]
# An older cross-team problem that Product Ops confirmed and resolved.
RESOLVED_CLUSTER_NOTE = "Platform team now keeps the PSP sandbox alive over weekends."


def _person(session: Session, team: Team, role: TeamRole) -> User | None:
    return session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team.id, Membership.team_role == role)
        .limit(1)
    )


def build_impediments(session: Session, *, now: datetime, seed: int) -> int:
    """Create the demo's impediments; returns how many."""
    rng = random.Random(seed)
    teams = {t.name: t for t in session.scalars(select(Team))}
    categories = {c.name: c.id for c in session.scalars(select(Category))}
    ops = session.scalar(select(User).where(User.role == Role.PRODUCT_OPS).limit(1))
    made = []
    for index, (team_name, days_ago, title, description, category, severity, escalate_to, resolved_after) in enumerate(STORIES):
        team = teams[team_name]
        raised_at = now - timedelta(days=days_ago, hours=rng.randrange(8))
        member = _person(session, team, TeamRole.MEMBER)
        dm = _person(session, team, TeamRole.DELIVERY_MANAGER)
        blocked = session.scalars(
            select(WorkItem)
            .join(BlockedInterval, BlockedInterval.item_id == WorkItem.id)
            .where(
                WorkItem.team_id == team.id,
                BlockedInterval.start <= raised_at + timedelta(days=3),
                (BlockedInterval.end.is_(None)) | (BlockedInterval.end >= raised_at - timedelta(days=3)),
            )
            .limit(2)
        ).all()
        impediment = service.raise_(
            session=session,
            actor=member,
            team_id=team.id,
            title=title,
            description=description,
            category_id=categories.get(category),
            severity=severity,
            work_item_keys=[item.external_key for item in blocked],
            now=raised_at,
        )
        if member is not None:
            service.set_status(
                session=session,
                actor=member,
                impediment_id=impediment.id,
                status=Status.IN_PROGRESS,
                now=raised_at + timedelta(hours=3),
            )
        if escalate_to and member is not None:
            service.escalate(
                session=session,
                actor=member,
                impediment_id=impediment.id,
                tried="Asked the owning team directly and waited a week.",
                needed="Someone who can make the decision.",
                now=raised_at + timedelta(days=2),
            )
            if escalate_to == "product_ops" and dm is not None:
                service.escalate(
                    session=session,
                    actor=dm,
                    impediment_id=impediment.id,
                    tried="Raised it in the weekly DM sync; no owner found.",
                    needed="Product Ops to find the owner across departments.",
                    now=raised_at + timedelta(days=5),
                )
        if resolved_after is not None:
            service.resolve(
                session=session,
                actor=None,
                impediment_id=impediment.id,
                now=raised_at + timedelta(days=resolved_after),
                note="Fixed by the owning team after escalation.",
            )
        made.append(impediment)
        if index == 1:
            # The sandbox problem of Payments and Checkout was one problem: Product Ops confirmed the
            # proposed cluster and resolved it for both teams.
            for cluster in clusters.propose(session, now=now - timedelta(days=110)):
                clusters.confirm(
                    session,
                    actor=ops,
                    cluster_id=cluster.id,
                    owner_id=ops.id if ops else None,
                    title="Payment sandbox unavailable",
                    now=now - timedelta(days=110),
                )
                clusters.resolve_cluster(
                    session, actor=ops, cluster_id=cluster.id, note=RESOLVED_CLUSTER_NOTE, now=now - timedelta(days=100)
                )
    clusters.propose(session, now=now)
    session.flush()
    return len(made)
