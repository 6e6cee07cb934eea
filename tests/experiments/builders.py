"""Builders shared by the experiment tests: a team with its people, and experiments at any status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.experiments import service, statistics
from deliveryops.experiments.models import Experiment, ExperimentStatus
from deliveryops.experiments.schemas import ExperimentDesign, MetricIn, VariationIn
from deliveryops.experiments.statistics import StatRow
from deliveryops.teams.models import Team, TeamRole
from tests.factories import join, make_team, make_user

DAY = date(2026, 11, 2)


@dataclass
class Crew:
    """A team, its member and delivery manager, Product Ops, a leader, an outsider in another team."""

    team: Team
    other_team: Team
    member: User
    dm: User
    ops: User
    leader: User
    outsider: User


def crew(session: Session) -> Crew:
    """People around one team."""
    team, other = make_team(session), make_team(session)
    member, dm = make_user(session), make_user(session, role=Role.DELIVERY_MANAGER)
    outsider = make_user(session)
    join(session, team, member)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    join(session, other, outsider)
    return Crew(
        team=team,
        other_team=other,
        member=member,
        dm=dm,
        ops=make_user(session, role=Role.PRODUCT_OPS),
        leader=make_user(session, role=Role.LEADER),
        outsider=outsider,
    )


def complete_fields(title: str = "Shorter checkout", **changes: object) -> ExperimentDesign:
    """A design that passes every pre-launch check (no reviewer required)."""
    fields: dict[str, object] = {
        "title": title,
        "observation": "half of the carts are abandoned at the address step",
        "belief": "a one-page checkout",
        "outcome": "more completed orders",
        "measure": "checkout conversion",
        "variations": [VariationIn(name="control", is_control=True), VariationIn(name="one-page")],
        "metrics": [
            MetricIn(name="conversion", kind="proportion", role="primary"),
            MetricIn(name="order value", kind="mean", role="secondary"),
            MetricIn(name="errors", kind="proportion", role="guardrail", higher_is_better=False),
        ],
        "tags": ["Checkout", "growth"],
        "planned_sample_size": 1000,
        "mde": 0.05,
        "expected_daily_traffic": 400,
        "planned_start": DAY,
        "planned_end": DAY + timedelta(days=14),
    }
    return ExperimentDesign.model_validate({**fields, **changes})


def running(session: Session, actor: User, team: Team, **changes: Any) -> Experiment:
    """A running experiment."""
    experiment = service.create(session=session, actor=actor, team_id=team.id, design=complete_fields(**changes))
    service.transition(session=session, actor=actor, experiment_id=experiment.id, to=ExperimentStatus.IN_REVIEW)
    service.transition(session=session, actor=actor, experiment_id=experiment.id, to=ExperimentStatus.RUNNING)
    return experiment


def rows(
    day: date = DAY,
    *,
    control: tuple[int, int] = (4000, 400),
    treatment: tuple[int, int] = (4000, 520),
    errors: tuple[int, int] = (80, 84),
) -> list[StatRow]:
    """Cumulative statistics for one day: conversions (n, converted) per arm, order value, errors."""
    result = []
    for variation, (n, converted), failed in (("control", control, errors[0]), ("one-page", treatment, errors[1])):
        result += [
            StatRow(day=day, metric="conversion", variation=variation, n=n, sum=converted, sum_squares=converted),
            StatRow(day=day, metric="order value", variation=variation, n=n, sum=50.0 * n, sum_squares=2600.0 * n),
            StatRow(day=day, metric="errors", variation=variation, n=n, sum=failed, sum_squares=failed),
        ]
    return result


def with_statistics(session: Session, actor: User, experiment: Experiment, data: list[StatRow]) -> None:
    """Import cumulative rows."""
    statistics.import_statistics(session=session, actor=actor, experiment_id=experiment.id, rows=data, cumulative=True)
