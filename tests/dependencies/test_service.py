"""The negotiation state machine, who may take each step, and the reads (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.dependencies import service
from deliveryops.dependencies.models import DependencyFunction, DependencyState
from deliveryops.dependencies.schemas import DependencyCreate, DependencyFilter, DependencyTransition, FunctionCreate
from deliveryops.errors import ConflictError, PermissionDeniedError, ValidationFailedError, validation_failed
from deliveryops.schemas import PageParams
from deliveryops.teams.models import TeamRole
from tests.factories import join, make_team, make_user

TODAY = date(2026, 12, 7)


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    app, payments = make_team(session, name="App"), make_team(session, name="Payments")
    app_dm, pay_dm = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, app, app_dm, TeamRole.DELIVERY_MANAGER)
    join(session, payments, pay_dm, TeamRole.DELIVERY_MANAGER)
    app_member = make_user(session)
    join(session, app, app_member)
    return {"app": app, "payments": payments, "app_dm": app_dm, "pay_dm": pay_dm, "app_member": app_member}


def _request(session: Session, world: dict[str, Any], needed_by: date = date(2026, 12, 20)) -> int:
    body = DependencyCreate(
        requester_team_id=world["app"].id,
        provider_team_id=world["payments"].id,
        title="Refund API",
        why="Self-service refunds",
        needed_by=needed_by,
        requester_keys="APP-1, APP-2",
    )
    return service.create(session=session, actor=world["app_dm"], body=body).id


def _step(session: Session, actor: Any, dependency_id: int, **values: object) -> DependencyState:
    body = DependencyTransition.model_validate(values)
    return service.transition(session=session, actor=actor, dependency_id=dependency_id, body=body, today=TODAY).state


def test_seeded_functions_are_there(session: Session) -> None:
    names = {f.name for f in service.functions(session)}
    assert {"Design", "Data", "Security", "Legal", "Marketing", "Sales", "Support"} <= names


def test_counter_then_accept_the_counter_records_every_step(session: Session, world: dict[str, Any]) -> None:
    dep_id = _request(session, world)
    assert _step(session, world["pay_dm"], dep_id, action="counter", countered_on="2027-01-10", reason="Freeze") == "countered"
    assert _step(session, world["app_dm"], dep_id, action="accept_counter") == "accepted"
    dependency = service.get_or_raise(session=session, actor=None, dependency_id=dep_id)
    assert dependency.committed_on == date(2027, 1, 10)
    assert [(e.action, e.from_state, e.to_state, e.actor_id) for e in dependency.events] == [
        ("request", None, "requested", world["app_dm"].id),
        ("counter", "requested", "countered", world["pay_dm"].id),
        ("accept_counter", "countered", "accepted", world["app_dm"].id),
    ]
    assert dependency.events[1].on_date == date(2027, 1, 10)
    assert dependency.requester_keys == "APP-1 APP-2"


def test_reject_counter_goes_back_to_requested_and_provider_may_decline(session: Session, world: dict[str, Any]) -> None:
    dep_id = _request(session, world)
    _step(session, world["pay_dm"], dep_id, action="counter", countered_on="2027-01-10")
    assert _step(session, world["app_dm"], dep_id, action="reject_counter", reason="Too late for launch") == "requested"
    assert _step(session, world["pay_dm"], dep_id, action="decline", reason="No capacity this quarter") == "declined"
    dependency = service.get_or_raise(session=session, actor=None, dependency_id=dep_id)
    assert dependency.decline_reason == "No capacity this quarter"
    assert dependency.countered_on is None


def test_sides_are_enforced(session: Session, world: dict[str, Any]) -> None:
    dep_id = _request(session, world)
    with pytest.raises(PermissionDeniedError):
        _step(session, world["app_dm"], dep_id, action="accept", committed_on="2026-12-18")  # requester cannot accept
    with pytest.raises(PermissionDeniedError):
        _step(session, world["app_member"], dep_id, action="accept", committed_on="2026-12-18")
    ops = make_user(session, role=Role.PRODUCT_OPS)
    assert _step(session, ops, dep_id, action="accept", committed_on="2026-12-18") == "accepted"
    leader = make_user(session, role=Role.LEADER)
    with pytest.raises(PermissionDeniedError):
        _step(session, leader, dep_id, action="deliver")
    outsider = make_user(session, role=Role.DELIVERY_MANAGER)
    with pytest.raises(PermissionDeniedError):
        service.get_or_raise(session=session, actor=outsider, dependency_id=dep_id)


def test_only_the_requesting_teams_managers_request(session: Session, world: dict[str, Any]) -> None:
    body = DependencyCreate(requester_team_id=world["app"].id, provider_team_id=world["payments"].id, title="X", needed_by=TODAY)
    with pytest.raises(PermissionDeniedError):
        service.create(session=session, actor=world["pay_dm"], body=body)
    with pytest.raises(PermissionDeniedError):
        service.create(session=session, actor=world["app_member"], body=body)


def test_bad_transitions_are_conflicts_naming_the_state(session: Session, world: dict[str, Any]) -> None:
    dep_id = _request(session, world)
    with pytest.raises(ConflictError, match="requested; 'deliver' needs it to be accepted or missed"):
        _step(session, world["pay_dm"], dep_id, action="deliver")
    with pytest.raises(ConflictError) as caught:
        _step(session, world["app_dm"], dep_id, action="accept_counter")
    assert caught.value.status == 409
    assert "action" in caught.value.details["fields"]
    _step(session, world["pay_dm"], dep_id, action="accept", committed_on="2026-12-18")
    with pytest.raises(ConflictError, match="2026-12-18 has not passed"):
        _step(session, world["app_dm"], dep_id, action="miss", reason="Not there")


def test_missing_date_or_reason_names_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        DependencyTransition.model_validate({"action": "accept"})
    fields = validation_failed(caught.value.errors(), DependencyTransition).fields
    assert list(fields) == ["committed_on"]
    assert "committed date" in fields["committed_on"]
    with pytest.raises(ValidationError, match="Give a reason"):
        DependencyTransition.model_validate({"action": "decline"})
    with pytest.raises(ValidationError, match="either a team or a function"):
        DependencyCreate.model_validate({"requester_team_id": 1, "title": "X", "needed_by": "2026-12-01"})
    with pytest.raises(ValidationError, match="cannot depend on itself"):
        DependencyCreate.model_validate({"requester_team_id": 1, "provider_team_id": 1, "title": "X", "needed_by": "2026-12-01"})
    with pytest.raises(ValidationError, match="not a work item key"):
        DependencyCreate.model_validate(
            {"requester_team_id": 1, "provider_team_id": 2, "title": "X", "needed_by": "2026-12-01", "requester_keys": "A=B"}
        )


def test_missed_then_delivered_late_and_the_reads(session: Session, world: dict[str, Any]) -> None:
    dep_id = _request(session, world, needed_by=date(2026, 11, 30))
    _step(session, world["pay_dm"], dep_id, action="accept", committed_on="2026-11-28", provider_keys="PAY-9")
    assert _step(session, world["app_dm"], dep_id, action="miss", reason="Not delivered on the 28th") == "missed"
    listed = service.list_(
        session=session, actor=world["app_member"], filters=DependencyFilter(overdue=True), page=PageParams(), today=TODAY
    )
    assert [d.id for d in listed.items] == [dep_id]
    assert listed.items[0].days_late == 7
    with pytest.raises(ValidationFailedError) as caught:
        _step(session, world["pay_dm"], dep_id, action="deliver", delivered_on="2026-12-08")
    assert "delivered_on" in caught.value.fields
    assert _step(session, world["pay_dm"], dep_id, action="deliver", delivered_on="2026-12-03") == "delivered"
    read = service.reads(session, [service.get_or_raise(session=session, actor=None, dependency_id=dep_id)], today=TODAY)[0]
    assert (read.overdue, read.days_late, read.provider_keys) == (False, 3, ["PAY-9"])
    assert (
        service.list_(session=session, actor=None, filters=DependencyFilter(overdue=True), page=PageParams(), today=TODAY).total
        == 0
    )


def test_lists_matrix_and_team_view_respect_scope(session: Session, world: dict[str, Any]) -> None:
    first = _request(session, world, needed_by=date(2026, 12, 1))  # overdue
    legal = session.scalar(select(DependencyFunction).where(DependencyFunction.name == "Legal"))
    assert legal is not None
    body = DependencyCreate(
        requester_team_id=world["app"].id, provider_function_id=legal.id, title="Terms", needed_by=date(2026, 12, 24)
    )
    service.create(session=session, actor=world["app_dm"], body=body)
    other = make_team(session, name="Search")
    body = DependencyCreate(requester_team_id=other.id, provider_team_id=world["payments"].id, title="Other", needed_by=TODAY)
    service.create(session=session, actor=None, body=body)

    mine = service.list_(session=session, actor=world["app_member"], filters=DependencyFilter(), page=PageParams(), today=TODAY)
    assert mine.total == 2
    assert [d.provider for d in mine.items] == ["Payments", "Legal"]
    payments_side = service.list_(
        session=session, actor=world["pay_dm"], filters=DependencyFilter(), page=PageParams(limit=1), today=TODAY
    )
    assert (payments_side.total, len(payments_side.items)) == (2, 1)
    by_state = service.list_(
        session=session,
        actor=None,
        filters=DependencyFilter(team_id=world["payments"].id, state="requested"),
        page=PageParams(),
        today=TODAY,
    )
    assert by_state.total == 2

    grid = service.matrix(session=session, actor=world["app_member"], today=TODAY)
    assert grid.rows == ["App"]
    assert grid.columns == ["Payments", "Legal"]
    cell = next(c for c in grid.cells if c.provider == "Payments")
    assert (cell.open, cell.overdue, cell.total) == (1, 1, 1)
    assert len(service.matrix(session=session, actor=make_user(session, role=Role.LEADER), today=TODAY).rows) == 2

    view = service.team_view(session=session, team=world["payments"], today=TODAY)
    assert [d.title for d in view.owes] == ["Refund API", "Other"]
    assert view.waits_for == []
    assert view.owes[0].id == first
    assert view.owes[0].overdue


def test_function_owner_responds_and_admin_adds_functions(session: Session, world: dict[str, Any]) -> None:
    owner = make_user(session)
    admin = make_user(session, role=Role.ADMIN)
    with pytest.raises(PermissionDeniedError):
        service.create_function(session=session, actor=world["pay_dm"], body=FunctionCreate(name="Finance"))
    finance = service.create_function(session=session, actor=admin, body=FunctionCreate(name="Finance", owner_id=owner.id))
    with pytest.raises(ValidationFailedError) as caught:
        service.create_function(session=session, actor=admin, body=FunctionCreate(name="Finance"))
    assert "name" in caught.value.fields
    body = DependencyCreate(requester_team_id=world["app"].id, provider_function_id=finance.id, title="Budget", needed_by=TODAY)
    dep = service.create(session=session, actor=world["app_dm"], body=body)
    assert service.allowed_actions(session, owner, dep) == ["accept", "counter", "decline"]
    assert service.allowed_actions(session, world["app_dm"], dep) == []
    assert _step(session, owner, dep.id, action="accept", committed_on="2026-12-07") == "accepted"
