"""The roadmap from the database: hand-worked dates, holidays in two time zones, what-ifs that store nothing, roles."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.roadmap import service
from deliveryops.roadmap.engine import Absence, Rule
from deliveryops.roadmap.models import RoadmapEpic, TeamAbsence
from deliveryops.teams.models import TeamRole
from tests.factories import join, make_user
from tests.roadmap.helpers import small_group

# Sunday 29 November 2026, 09:00 UTC: the same Sunday in Berlin and (20:00) in Auckland.
NOW = datetime(2026, 11, 29, 9, tzinfo=UTC)


def test_hand_worked_roadmap_shares_the_team(session: Session) -> None:
    org = small_group(session, NOW.date())
    roadmap = service.group_roadmap(session=session, actor=None, group_id=org.group.id, cut_date=date(2026, 12, 7), now=NOW)
    berlin = next(lane for lane in roadmap.teams if lane.team.id == org.berlin.id)
    first, second = berlin.epics
    # One item each working day, priority order: B-1 (3 items) on Wed 2 Dec; B-2 after 7 items, Tue 8 Dec,
    # though alone (4 items) it would be done on Thu 3 Dec.
    assert (first.key, first.p50, first.p85, first.alone_p85) == ("B-1", date(2026, 12, 2), date(2026, 12, 2), date(2026, 12, 2))
    assert (second.key, second.p85, second.alone_p85, second.days_later_p85) == ("B-2", date(2026, 12, 8), date(2026, 12, 3), 5)
    # Cut line on Mon 7 December: B-1 fits, B-2 does not.
    assert (first.fits, second.fits) == (True, False)


def test_holidays_in_two_time_zones(session: Session) -> None:
    # Thursday 24 December 2026, 22:00 UTC: still the 24th in Berlin (23:00), already Friday the 25th in Auckland.
    now = datetime(2026, 12, 24, 22, tzinfo=UTC)
    org = small_group(session, date(2026, 12, 24))
    service.set_calendar(session=session, actor=None, team_id=org.berlin.id, country="DE", subdivision=None)
    service.set_calendar(session=session, actor=None, team_id=org.auckland.id, country="NZ", subdivision=None)
    what_if = {
        org.berlin.id: service.TeamWhatIf(order=("B-1",)),
        org.auckland.id: service.TeamWhatIf(),
    }
    roadmap = service.group_roadmap(
        session=session, actor=None, group_id=org.group.id, cut_date=date(2027, 1, 31), now=now, what_if=what_if
    )
    berlin = next(lane for lane in roadmap.teams if lane.team.id == org.berlin.id)
    auckland = next(lane for lane in roadmap.teams if lane.team.id == org.auckland.id)
    assert berlin.today == date(2026, 12, 24)
    assert auckland.today == date(2026, 12, 25)
    # Berlin: Christmas Day (Fri) and the weekend off; B-1's 3 items on Mon 28, Tue 29, Wed 30 December.
    assert berlin.epics[0].p85 == date(2026, 12, 30)
    # Auckland: weekend, then Boxing Day observed on Monday 28 December; A-1's 2 items on 29 and 30 December.
    assert auckland.epics[0].p85 == date(2026, 12, 30)
    assert date(2026, 12, 28) in auckland.holidays
    assert date(2026, 12, 28) not in berlin.holidays
    # Without a calendar, Auckland would work on Monday 28 December.
    service.set_calendar(session=session, actor=None, team_id=org.auckland.id, country=None, subdivision=None)
    plain = service.team_roadmap(session, org.auckland, now=now)
    assert plain.epics[0].p85 == date(2026, 12, 29)


def test_what_if_is_shown_beside_and_stores_nothing(session: Session) -> None:
    org = small_group(session, NOW.date())
    before = session.scalar(select(func.count()).select_from(RoadmapEpic))
    half_away = Absence(date(2026, 11, 30), date(2026, 12, 4), 1.0)
    roadmap = service.group_roadmap(
        session=session,
        actor=None,
        group_id=org.group.id,
        now=NOW,
        what_if={org.berlin.id: service.TeamWhatIf(order=("B-2", "B-1"), absences=(half_away,))},
    )
    assert roadmap.what_if is not None
    changed = next(lane for lane in roadmap.what_if if lane.team.id == org.berlin.id)
    assert changed.changed
    assert [e.key for e in changed.epics] == ["B-2", "B-1"]
    # A week away, then 1 a working day: B-2 (4 items) on Thu 10 December.
    assert changed.epics[0].p85 == date(2026, 12, 10)
    assert session.scalar(select(func.count()).select_from(RoadmapEpic)) == before
    assert session.scalar(select(func.count()).select_from(TeamAbsence)) == 0
    stored = next(lane for lane in roadmap.teams if lane.team.id == org.berlin.id)
    assert [e.key for e in stored.epics] == ["B-1", "B-2"]


def test_stored_plan_and_absence_move_the_dates(session: Session) -> None:
    org = small_group(session, NOW.date())
    service.set_plan(
        session=session, actor=None, team_id=org.berlin.id, rule=Rule.SHARES, order=["B-1", "B-2"], shares={"B-1": 50, "B-2": 50}
    )
    lane = service.team_roadmap(session, org.berlin, now=NOW)
    # Even halves: B-1 (3) after 6 items (Mon 7 Dec), B-2 after 7 (Tue 8 Dec).
    assert [(e.key, e.threshold, e.p85) for e in lane.epics] == [("B-1", 6, date(2026, 12, 7)), ("B-2", 7, date(2026, 12, 8))]
    service.add_absence(
        session=session, actor=None, team_id=org.berlin.id, start=date(2026, 12, 7), end=date(2026, 12, 8), percent=100
    )
    later = service.team_roadmap(session, org.berlin, now=NOW)
    assert [e.p85 for e in later.epics] == [date(2026, 12, 9), date(2026, 12, 10)]


def test_plan_validation(session: Session) -> None:
    org = small_group(session, NOW.date())
    with pytest.raises(ValidationFailedError, match="No open epic"):
        service.set_plan(session=session, actor=None, team_id=org.berlin.id, rule=Rule.PRIORITY, order=["A-1"])
    with pytest.raises(ValidationFailedError, match="every open epic a share"):
        service.set_plan(session=session, actor=None, team_id=org.berlin.id, rule=Rule.SHARES, order=["B-1"], shares={"B-1": 50})
    with pytest.raises(ValidationFailedError, match="country"):
        service.set_calendar(session=session, actor=None, team_id=org.berlin.id, country="XX", subdivision=None)
    with pytest.raises(ValidationFailedError):
        service.add_absence(
            session=session, actor=None, team_id=org.berlin.id, start=date(2026, 12, 8), end=date(2026, 12, 7), percent=50
        )


def test_permission_walk(session: Session) -> None:
    org = small_group(session, NOW.date())
    member = make_user(session)
    join(session, org.auckland, member)
    outsider = make_user(session)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, org.berlin, dm, TeamRole.DELIVERY_MANAGER)
    ops = make_user(session, role=Role.PRODUCT_OPS)
    leader = make_user(session, role=Role.LEADER)
    # Everyone in the group reads the whole roadmap; someone outside it does not.
    for reader in (member, dm, ops, leader):
        assert len(service.group_roadmap(session=session, actor=reader, group_id=org.group.id, now=NOW).teams) == 2
    with pytest.raises(PermissionDeniedError):
        service.group_roadmap(session=session, actor=outsider, group_id=org.group.id, now=NOW)
    # Product Ops, leaders and the team's delivery manager edit; a member and another team's DM do not.
    for editor in (ops, leader, dm):
        service.set_calendar(session=session, actor=editor, team_id=org.berlin.id, country="DE", subdivision="BY")
    for reader in (member,):
        with pytest.raises(PermissionDeniedError):
            service.set_calendar(session=session, actor=reader, team_id=org.berlin.id, country="DE", subdivision=None)
    with pytest.raises(PermissionDeniedError):
        service.add_absence(
            session=session, actor=dm, team_id=org.auckland.id, start=date(2026, 12, 1), end=date(2026, 12, 2), percent=50
        )
    with pytest.raises(PermissionDeniedError):
        service.set_plan(session=session, actor=member, team_id=org.auckland.id, rule=Rule.EVEN, order=[])
