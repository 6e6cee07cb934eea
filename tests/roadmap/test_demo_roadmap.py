"""The demo's roadmap: every team has a holiday calendar, and sharing moves dates visibly later in both groups."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.roadmap import service
from deliveryops.teams.models import Group

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the shared demo's today (tests/conftest.py)


def test_demo_roadmap_for_both_groups(demo_session: Session) -> None:
    session = demo_session
    for group in session.scalars(select(Group).order_by(Group.name)):
        roadmap = service.group_roadmap(session=session, actor=None, group_id=group.id, now=NOW)
        assert all(lane.country for lane in roadmap.teams), group.name
        assert all(lane.holidays for lane in roadmap.teams), group.name  # Christmas is within six months
        later = [e.days_later_p85 for lane in roadmap.teams for e in lane.epics if e.days_later_p85 is not None]
        assert min(later) >= 0, group.name  # never earlier than the epic alone
        assert max(later) >= 14, group.name  # sharing moves some epic at least two weeks later
