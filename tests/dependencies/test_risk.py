"""The chance of delivery against hand-worked Monte Carlo cases, stored and refreshed (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.analytics.dependency_chance import chance_of_delivery, judgement_rates, simulate_cases
from deliveryops.dependencies import risk, service
from deliveryops.dependencies.models import Dependency
from deliveryops.dependencies.schemas import DependencyCreate, DependencyTransition, ThresholdUpdate
from deliveryops.errors import PermissionDeniedError
from deliveryops.teams.models import TeamRole
from deliveryops.work.importing import import_records
from deliveryops.work.records import StageCategory, TransitionRecord, WorkflowStatus, WorkItemRecord
from tests.factories import join, make_team, make_user

TODAY = date(2026, 12, 7)
WORKFLOW = [
    WorkflowStatus("Backlog", StageCategory.BACKLOG, 0),
    WorkflowStatus("Doing", StageCategory.ACTIVE, 1),
    WorkflowStatus("Done", StageCategory.DONE, 2),
]


def test_hand_worked_two_items_at_zero_or_two_a_day() -> None:
    # Each simulated day finishes 0 or 2 items, half the time each. Two items are done by day d unless every
    # day so far was 0: 1 - 1/2^d, so 50% by day 1 and 75% by day 2. Three items need two days of 2:
    # by day 3 that is P(at least 2 of 3) = 4/8 = 50%; by day 2, 1/4.
    start = TODAY
    two = chance_of_delivery(
        [0, 2], remaining_items=2, start_date=start, dates=[start + timedelta(1), start + timedelta(2)], seed=7
    )
    assert two.by_date[start + timedelta(1)] == pytest.approx(0.5, abs=0.015)
    assert two.by_date[start + timedelta(2)] == pytest.approx(0.75, abs=0.015)
    three = chance_of_delivery(
        [2, 0], remaining_items=3, start_date=start, dates=[start + timedelta(2), start + timedelta(3)], seed=8
    )
    assert three.by_date[start + timedelta(2)] == pytest.approx(0.25, abs=0.015)
    assert three.by_date[start + timedelta(3)] == pytest.approx(0.5, abs=0.015)


def test_deterministic_and_special_cases() -> None:
    one_a_day = chance_of_delivery(
        [1], remaining_items=3, start_date=TODAY, dates=[TODAY + timedelta(2), TODAY + timedelta(3)], seed=1
    )
    assert one_a_day.by_date == {TODAY + timedelta(2): 0.0, TODAY + timedelta(3): 1.0}
    assert chance_of_delivery([1], remaining_items=1, start_date=TODAY, dates=[TODAY], seed=1).by_date[TODAY] == 0.0
    assert chance_of_delivery([0, 0], remaining_items=1, start_date=TODAY, dates=[TODAY], seed=1).status == "no_throughput"
    assert chance_of_delivery([0], remaining_items=0, start_date=TODAY, dates=[TODAY], seed=1).by_date[TODAY] == 1.0


def test_judgement_rates_count_false_alarms_and_misses() -> None:
    outcomes = simulate_cases(5, 40, drift=False)
    rates = judgement_rates(outcomes)
    assert rates.cases == 40 == rates.at_risk + rates.on_track
    assert 0 <= rates.false_alarm_rate <= 1
    assert 0 <= rates.miss_rate <= 1
    assert sum(b[2] for b in rates.bins) == 40


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _item(key: str, start: date, finish: date | None, item_type: str = "Story") -> WorkItemRecord:
    steps = [TransitionRecord("Backlog", _at(start, 8)), TransitionRecord("Doing", _at(start, 9), "Backlog")]
    if finish is not None:
        steps.append(TransitionRecord("Done", _at(finish, 15), "Doing"))
    return WorkItemRecord(
        source="test", external_key=key, item_type=item_type, title=key, created_at=_at(start, 8), transitions=tuple(steps)
    )


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    """Payments finished 2 items on every other day of the 90-day window, none in between; 3 items in progress."""
    app, payments = make_team(session, name="App"), make_team(session, name="Payments")
    window_end = TODAY - timedelta(days=1)
    records = []
    for offset in range(0, 90, 2):
        day = window_end - timedelta(days=offset)
        records += [_item(f"PAY-{offset}a", day, day), _item(f"PAY-{offset}b", day, day)]
    records += [_item(k, TODAY - timedelta(days=3), None) for k in ("PAY-X", "PAY-A", "PAY-B")]
    records.append(_item("PAY-E", TODAY - timedelta(days=30), None, item_type="Epic"))  # epics are not counted
    import_records(session=session, actor=None, team=payments, records=records, import_format="test", workflow=WORKFLOW)
    app_dm, pay_dm = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, app, app_dm, TeamRole.DELIVERY_MANAGER)
    join(session, payments, pay_dm, TeamRole.DELIVERY_MANAGER)
    body = DependencyCreate(
        requester_team_id=app.id, provider_team_id=payments.id, title="Refund API", needed_by=TODAY + timedelta(days=3)
    )
    dependency = service.create(session=session, actor=app_dm, body=body)
    accept = DependencyTransition.model_validate(
        {"action": "accept", "committed_on": TODAY + timedelta(days=2), "provider_keys": "PAY-X"}
    )
    service.transition(session=session, actor=pay_dm, dependency_id=dependency.id, body=accept, today=TODAY)
    return {"app": app, "payments": payments, "app_dm": app_dm, "pay_dm": pay_dm, "dependency": dependency}


def test_chance_from_the_providers_own_forecast(session: Session, world: dict[str, Any]) -> None:
    dependency: Dependency = world["dependency"]
    row = risk.compute(session, dependency, today=TODAY, seed=11)
    # PAY-X waits behind PAY-A and PAY-B (in progress): 3 items at 0 or 2 a day, as hand-worked above.
    assert (row.remaining_items, row.ahead_items) == (3, 2)
    assert row.chance_needed == pytest.approx(0.5, abs=0.015)
    assert row.chance_committed == pytest.approx(0.25, abs=0.015)
    assert "1 unfinished linked item of 1" in row.basis
    [read] = risk.chance_reads(session, [dependency], today=TODAY)
    assert read.at_risk
    assert read.threshold == 70
    assert [r.dependency.id for r in risk.at_risk(session, actor=world["app_dm"], today=TODAY)] == [dependency.id]


def test_threshold_is_the_requesters_and_reads_refresh_when_inputs_change(session: Session, world: dict[str, Any]) -> None:
    dependency: Dependency = world["dependency"]
    with pytest.raises(PermissionDeniedError):
        risk.set_threshold(
            session=session, actor=world["pay_dm"], dependency_id=dependency.id, body=ThresholdUpdate(threshold=40)
        )
    risk.set_threshold(session=session, actor=world["app_dm"], dependency_id=dependency.id, body=ThresholdUpdate(threshold=40))
    [read] = risk.chance_reads(session, [dependency], today=TODAY)
    assert read.threshold == 40
    assert not read.at_risk
    assert risk.refresh_all(session, today=TODAY) == 0  # nothing changed since the read
    dependency.needed_by = TODAY + timedelta(days=60)
    assert risk.refresh_all(session, today=TODAY) == 1
    [read] = risk.chance_reads(session, [dependency], today=TODAY)
    assert read.chance_needed == pytest.approx(1.0, abs=0.001)
    assert read.threshold == 40  # the threshold survives a new computation
