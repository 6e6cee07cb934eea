"""A key result measured by a team metric: the weekly throughput DeliveryOps computes from the team's history."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from deliveryops.actions.measure import weekly_series
from deliveryops.actions.models import TargetMetric
from deliveryops.db import utcnow
from deliveryops.flow.data import load_team_data
from deliveryops.flow.service import default_types
from deliveryops.outcomes import service
from deliveryops.outcomes.models import SourceKind
from deliveryops.outcomes.schemas import KeyResultCreate, ObjectiveCreate
from deliveryops.simulate import demo_profiles, simulate_team
from deliveryops.work.importing import import_records
from tests.factories import make_group, make_team


def test_throughput_key_result_reads_the_teams_complete_weeks(session: Session) -> None:
    team = make_team(session, name="Payments", group=make_group(session, name="Commerce"))
    today = utcnow().date()
    history = simulate_team(demo_profiles()[0], start=today - timedelta(days=300), end=today, seed=5)
    import_records(
        session=session, actor=None, team=team, records=history.items, import_format="simulated", workflow=history.workflow
    )
    start = today - timedelta(days=56)
    period = f"{start.isoformat()}..{(start + timedelta(days=90)).isoformat()}"
    objective = service.create_objective(
        session=session, actor=None, body=ObjectiveCreate(title="Flow", team_id=team.id, period=period), today=today
    )
    body = KeyResultCreate(
        title="Throughput up",
        source=SourceKind.METRIC,
        metric="throughput",
        metric_team_id=team.id,
        baseline=5,
        target=8,
        direction="increase",
    )
    row = service.add_key_result(session=session, actor=None, objective=objective, body=body)
    measured = service.measure(session, row, today=today)
    data = load_team_data(session, team)
    last_complete = today - timedelta(days=today.weekday() + 1)
    expected = weekly_series(
        data.only_types(default_types(data)), TargetMetric.THROUGHPUT, start=start - timedelta(weeks=26), end=last_complete
    )
    assert measured.points == expected
    assert all(on.weekday() == 0 and on <= last_complete for on, _ in measured.points)
    assert measured.source_label == "Payments: Throughput (items per week)"
    assert measured.unit == "items per week"
    in_period = [v for on, v in expected if on >= start]
    assert measured.current == sum(in_period[-4:]) / len(in_period[-4:])
