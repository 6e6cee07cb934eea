"""The leadership pack's epic dates follow each team's roadmap plan, and its commitments store those same dates."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from deliveryops.cockpit.leadership import service as leadership
from deliveryops.flow import service as flow
from deliveryops.roadmap import service as roadmap
from deliveryops.roadmap.engine import Rule
from tests.flow.test_flow_service import epics_team


def test_pack_follows_the_roadmap_plan(session: Session) -> None:
    team = epics_team(session)
    made = datetime(2026, 3, 1, 8, tzinfo=UTC)
    before = {e.key: e for e in leadership.build_pack(session=session, actor=None, period="2026-Q1", now=made).epics}
    assert before["EP-2"].allocation == "priority order: after EP-1 (2 of 2)"
    roadmap.set_plan(session=session, actor=None, team_id=team.id, rule=Rule.PRIORITY, order=["EP-2", "EP-1"])
    pack = leadership.build_pack(session=session, actor=None, period="2026-Q1", now=made)
    after = {e.key: e for e in pack.epics}
    assert after["EP-1"].allocation == "priority order: after EP-2 (2 of 2)"
    assert after["EP-1"].p85 is not None
    assert before["EP-1"].p85 is not None
    assert after["EP-1"].p85 > before["EP-1"].p85  # now waits for EP-2's five items
    assert leadership.commit_pack_epics(session=session, actor=None, period="2026-Q1", now=made) == 2
    stored = flow.list_forecasts(session=session, actor=None, team_id=team.id, committed=True)
    dates = {row.item_keys[0].split("-C")[0]: row.predicted["85"] for row in stored}
    assert dates == {e.key: e.p85.isoformat() if e.p85 else None for e in pack.epics}
    roadmap.set_plan(session=session, actor=None, team_id=team.id, rule=Rule.EVEN, order=["EP-1", "EP-2"])
    even = {e.key: e for e in leadership.build_pack(session=session, actor=None, period="2026-Q1", now=made).epics}
    assert even["EP-1"].allocation.startswith("shared evenly")
