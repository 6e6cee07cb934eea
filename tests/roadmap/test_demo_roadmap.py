"""The demo's roadmap: every team has a holiday calendar, and sharing moves dates visibly later in both groups."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.demo.builder import build_demo
from deliveryops.roadmap import service
from deliveryops.teams.models import Group

NOW = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)

pytestmark = pytest.mark.slow


def test_demo_roadmap_for_both_groups(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the demo build takes minutes; the other demo tests build it on PostgreSQL")
    result = build_demo(session, seed=7, now=NOW)
    assert result.extras["roadmap calendars and plans"] == 6
    for group in session.scalars(select(Group).order_by(Group.name)):
        roadmap = service.group_roadmap(session=session, actor=None, group_id=group.id, now=NOW)
        assert all(lane.country for lane in roadmap.teams), group.name
        assert all(lane.holidays for lane in roadmap.teams), group.name  # Christmas is within six months
        later = [e.days_later_p85 for lane in roadmap.teams for e in lane.epics if e.days_later_p85 is not None]
        assert min(later) >= 0, group.name  # never earlier than the epic alone
        assert max(later) >= 14, group.name  # sharing moves some epic at least two weeks later
