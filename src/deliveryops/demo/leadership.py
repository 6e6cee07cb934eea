"""Questions Product Ops puts to leadership in the demo's leadership packs (this quarter and the last)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from deliveryops.cockpit.leadership.service import add_question, current_quarter, decide_question, parse_period
from deliveryops.impediments.models import Cluster, ClusterMember, Impediment
from deliveryops.teams.models import Group

_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def largest_open_cluster(session: Session) -> tuple[str, int]:
    """The title and team count of the open cross-team cluster that the most teams raised."""
    teams = func.count(distinct(Impediment.team_id))
    row = session.execute(
        select(Cluster.title, teams)
        .join(ClusterMember, ClusterMember.cluster_id == Cluster.id)
        .join(Impediment, Impediment.id == ClusterMember.impediment_id)
        .where(Cluster.status.in_(("proposed", "confirmed")))
        .group_by(Cluster.id, Cluster.title)
        .order_by(teams.desc(), Cluster.id)
        .limit(1)
    ).one()
    return str(row[0]), int(row[1])


# group name (None: the whole organisation), question, context, decision (None: still open)
CURRENT: list[tuple[str | None, str, str, str | None]] = [
    (
        None,
        "Give every team read access to production logs?",
        # {cluster} and {teams} are filled in from the impediment clusters, so the question cites what the data holds.
        '"{cluster}" is the largest open cross-team impediment cluster: {teams} teams raised it this quarter. '
        "Options: a masked read-only log view for every engineer (about one engineer-month), access on request with "
        "a one-day service level (about a week of Platform's time), or keep the status quo.",
        None,
    ),
    (
        None,
        "Make the weekly delivery review the standard for every team?",
        "Teams that adopted it kept their 85th percentile cycle time within their SLE more often.",
        None,
    ),
    (
        "Commerce",
        "Should Checkout pause new discovery until the payments epic lands?",
        "The epic's 85% forecast moved out by three weeks; Checkout and Payments share two engineers.",
        None,
    ),
]
PREVIOUS: list[tuple[str | None, str, str, str | None]] = [
    (
        None,
        "Adopt one experiment registry for every product team?",
        "Three teams ran experiments without pre-registration last quarter.",
        "Yes: the registry is the standard from this quarter; Product Ops runs the onboarding.",
    ),
    (
        "Discovery & Platform",
        "Give Data Platform a dedicated on-call rotation?",
        "Recovery time sat in the low band for two months.",
        "Not yet: revisit after the incident review.",
    ),
]


def build_leadership(session: Session, *, now: datetime, seed: int) -> int:
    """Create the demo's questions for leadership; returns how many (deterministic for a seed)."""
    rng = random.Random(seed)
    groups = {g.name: g.id for g in session.scalars(select(Group))}
    this_quarter = current_quarter(now.date())
    last_quarter = parse_period(this_quarter).previous().label
    cluster, teams = largest_open_cluster(session)
    created = 0
    for period, questions in ((last_quarter, PREVIOUS), (this_quarter, CURRENT)):
        for group_name, text, context, decision in questions:
            if group_name is not None and group_name not in groups:
                continue
            question = add_question(
                session=session,
                actor=None,
                period=period,
                text=text,
                context=context.format(cluster=cluster, teams=_WORDS.get(teams, str(teams))),
                group_id=groups[group_name] if group_name else None,
            )
            question.created_at = now - timedelta(days=rng.randint(20, 60) if period == last_quarter else rng.randint(1, 14))
            if decision is not None:
                decide_question(
                    session=session,
                    actor=None,
                    question_id=question.id,
                    decision=decision,
                    now=question.created_at + timedelta(days=7),
                )
            created += 1
    session.flush()
    return created
