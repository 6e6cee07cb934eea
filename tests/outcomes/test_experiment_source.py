"""A key result measured by an experiment's result: the lift of its primary metric, judged by the experiment's
own analysis, and the experiment's result shown where it is linked."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from deliveryops.experiments.analysis import results_of
from deliveryops.outcomes import service
from deliveryops.outcomes.models import LinkKind, SourceKind
from deliveryops.outcomes.schemas import KeyResultCreate, LinkCreate, ObjectiveCreate
from tests.experiments.builders import crew, rows, running, with_statistics

TODAY = date(2026, 11, 20)


def test_an_experiment_key_result_and_link(session: Session) -> None:
    people = crew(session)
    experiment = running(session, people.dm, people.team)
    with_statistics(session, people.dm, experiment, rows())  # 10% → 13% conversion: +30% relative lift
    objective = service.create_objective(
        session=session, actor=None, body=ObjectiveCreate(title="Convert", team_id=people.team.id, period="2026-Q4"), today=TODAY
    )
    body = KeyResultCreate(
        title="Checkout lift of 20%",
        source=SourceKind.EXPERIMENT,
        experiment_id=experiment.id,
        baseline=0,
        target=0.2,
        direction="increase",
    )
    row = service.add_key_result(session=session, actor=None, objective=objective, body=body)
    service.add_link(
        session=session, actor=None, key_result=row, body=LinkCreate(kind=LinkKind.EXPERIMENT, target_id=experiment.id)
    )
    primary = next(r for r in results_of(session, experiment, over_time=False).results if r.role == "primary")
    assert primary.lift is not None
    assert primary.significant
    detail = service.key_result_detail(session, row, today=TODAY)
    assert (detail.status, detail.current, detail.progress) == ("on_track", primary.lift, primary.lift / 0.2)
    assert detail.points == []
    assert detail.confidence.startswith("On track: from the experiment's own analysis (lift +")
    assert detail.links[0].state == f"conversion: lift {primary.lift:+.3g}, significant"
