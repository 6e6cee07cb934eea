"""Improvement actions for the demo, on top of the simulator's known changes.

Two actions truly worked: the simulator applies a step change on their date (Payments' stories need 45% of
the development time, Data Platform's items stay blocked a quarter as long; see
``deliveryops.simulate.demo``). Three truly did nothing: nothing changes in Growth's or Payments' process on
their dates, nor in Mobile's, nor in Growth's or Payments' delivery (their DORA profiles stay the same; two
actions aim at lead time and deployment frequency). Checkout and Search drift by design (a gradual trend,
not a step).
``KNOWN_EFFECTS`` records the truth so a test can check the verdicts against it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.actions import service
from deliveryops.actions.models import ActionStatus, TargetMetric
from deliveryops.simulate.demo import DATA_ACCESS_DAYS, PAYMENTS_SPLIT_DAYS
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
        "Agreed in the Q2 retro: stories took three weeks and hid their risk until late.",
        "retro",
        PAYMENTS_SPLIT_DAYS,
        TargetMetric.CYCLE_TIME_P85,
        40,
    ),
    (
        "Payments",
        "Post the week's finished items in the team channel",
        "To make finishing visible; nothing about how the work flows changed.",
        "retro",
        126,
        TargetMetric.THROUGHPUT,
        7,
    ),
    (
        "Data Platform",
        "Request data access at refinement, not at start",
        "Most blocked days were access waits.",
        "impediment",
        DATA_ACCESS_DAYS,
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
    (
        "Growth",
        "Review pull requests within the hour",
        "Hoped it would shorten lead time for changes; how the team reviews and ships did not change.",
        "retro",
        120,
        TargetMetric.LEAD_TIME,
        10,
    ),
    (
        "Payments",
        "Generate release notes automatically",
        "Hoped it would make deploying cheaper; the team already deployed several times a day.",
        "retro",
        100,
        TargetMetric.DEPLOYMENT_FREQUENCY,
        14,
    ),
    (
        "Growth",
        "Move the stand-up to 10:00",
        "Hoped it would shorten cycle time; the way items flow did not change.",
        "retro",
        140,
        TargetMetric.CYCLE_TIME_P85,
        3,
    ),
]

# The truth behind the measured actions: "worked" (a step change in the simulator on that date), "nothing"
# (no change in the process), "drift" (a gradual trend by design, not a step at the action's date).
KNOWN_EFFECTS: dict[str, str] = {
    "Split stories below three days": "worked",
    "Request data access at refinement, not at start": "worked",
    "Post the week's finished items in the team channel": "nothing",
    "Move the stand-up to 10:00": "nothing",
    "Limit WIP to 5 and swarm on reviews": "drift",
    "Pair on code reviews": "drift",
    "Move the release train to weekly": "nothing",
    # DORA keys: Growth's and Payments' delivery profiles stay the same throughout (deliveryops.demo.dora).
    "Review pull requests within the hour": "nothing",
    "Generate release notes automatically": "nothing",
}


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
