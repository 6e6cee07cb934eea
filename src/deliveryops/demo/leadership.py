"""Questions Product Ops puts to leadership in the demo's leadership packs (this quarter and the last)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.cockpit.leadership.service import add_question, current_quarter, decide_question, parse_period
from deliveryops.teams.models import Group

# group name (None: the whole organisation), question, context, decision (None: still open)
CURRENT: list[tuple[str | None, str, str, str | None]] = [
    (
        None,
        "Fund a shared staging environment for all six teams?",
        "Environment waits are the largest cross-team impediment cluster: four teams raised them this quarter. "
        "Options: one shared staging (about two engineer-months), per-team ephemeral environments (about five), or "
        "keep the status quo.",
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
                context=context,
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
