"""Improvement actions for the demo: one measured improvement, one without effect, one still open."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.actions import service
from deliveryops.actions.models import ActionStatus, TargetMetric
from deliveryops.teams.models import Team

# team, title, description, source, days since it took effect, target metric, done after days (None: open)
ACTIONS: list[tuple[str, str, str, str, int, TargetMetric | None, int | None]] = [
    (
        "Checkout",
        "Limit WIP to 5 and swarm on reviews",
        "Agreed in the March retro after items aged in review.",
        "retro",
        182,
        TargetMetric.CYCLE_TIME_P85,
        30,
    ),
    (
        "Search",
        "Pair on code reviews",
        "Reviews waited days for the one reviewer who knew the ranking code.",
        "retro",
        182,
        TargetMetric.CYCLE_TIME_P85,
        45,
    ),
    (
        "Payments",
        "Split stories below three days",
        "From coaching: large stories hide risk until late.",
        "coaching",
        182,
        TargetMetric.CYCLE_TIME_P85,
        None,
    ),
    (
        "Data Platform",
        "Request data access at refinement, not at start",
        "Most blocked days were access waits.",
        "impediment",
        120,
        TargetMetric.BLOCKED_DAYS,
        20,
    ),
    (
        "Mobile",
        "Move the release train to weekly",
        "Fortnightly releases made items wait in Ready for Release.",
        "retro",
        60,
        TargetMetric.THROUGHPUT,
        None,
    ),
    ("Growth", "Write the success metric into every experiment ticket", "", "retro", 40, None, 14),
]


def build_actions(session: Session, *, now: datetime) -> int:
    """Create the demo's improvement actions; returns how many."""
    teams = {t.name: t for t in session.scalars(select(Team))}
    for team_name, title, description, source, days, metric, done_after in ACTIONS:
        team = teams[team_name]
        started = now.date() - timedelta(days=days)
        action = service.create(
            session=session,
            actor=None,
            team_id=team.id,
            title=title,
            description=description,
            source=source,
            started_on=started,
            due_date=started + timedelta(days=30),
            target_metric=metric,
        )
        if done_after is not None:
            action.status = ActionStatus.DONE
            action.done_on = started + timedelta(days=done_after)
        elif days > 30:
            action.status = ActionStatus.DOING
    session.flush()
    return len(ACTIONS)
