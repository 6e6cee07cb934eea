"""The demo organisation's dependencies: negotiated, one overdue, one delivered late, linked to blocked items."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.dependencies import service
from deliveryops.dependencies.models import Dependency, DependencyProposal, ProposalStatus
from deliveryops.dependencies.schemas import DependencyFilter
from deliveryops.schemas import PageParams
from deliveryops.work.models import BlockedInterval, WorkItem

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.slow


def test_demo_dependencies(demo_session: Session) -> None:
    session = demo_session  # the demo organisation, built once per run (seed 3, today NOW)
    today = NOW.date()
    listed = service.list_(session=session, actor=None, filters=DependencyFilter(), page=PageParams(), today=today)
    by_title = {d.title: d for d in listed.items}
    assert listed.total == 6
    late = by_title["Partial refunds in the refund API"]
    assert (late.state.value, late.days_late, late.overdue) == ("delivered", 5, False)
    overdue = service.list_(session=session, actor=None, filters=DependencyFilter(overdue=True), page=PageParams(), today=today)
    assert [d.title for d in overdue.items] == ["Search suggestions endpoint for the apps"]
    assert overdue.items[0].days_late == 4
    assert by_title["Updated terms for one-click checkout"].state.value == "declined"
    security = session.scalars(select(Dependency).where(Dependency.title == "Security review of card tokenisation")).one()
    assert [e.action for e in security.events] == ["request", "counter", "reject_counter", "accept"]
    assert [e.at for e in security.events] == sorted(e.at for e in security.events)
    # The requesters' linked items are items of the requesting team that were blocked around the request.
    linked = [(d, key) for d in listed.items for key in d.requester_keys]
    assert linked
    for dependency, key in linked:
        item = session.scalars(
            select(WorkItem).where(WorkItem.external_key == key, WorkItem.team_id == dependency.requester_team_id)
        ).one()
        assert session.scalar(select(BlockedInterval.id).where(BlockedInterval.item_id == item.id).limit(1)) is not None
    grid = service.matrix(session=session, actor=None, today=today)
    assert sum(c.overdue for c in grid.cells) == 1
    assert "Legal" in grid.columns


def test_demo_shows_dependencies_found_in_its_data(demo_session: Session) -> None:
    proposals = demo_session.scalars(select(DependencyProposal)).all()
    assert proposals, "the demo's blocked reasons that name another team are proposed as dependencies"
    for proposal in proposals:
        assert proposal.status is ProposalStatus.PROPOSED
        assert proposal.provider_team_id != proposal.requester_team_id
        assert proposal.evidence
