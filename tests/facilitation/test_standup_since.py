"""The stand-up's "since the last working day": weekends and the team's public holidays skipped, in its time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.facilitation import service
from deliveryops.facilitation.service import previous_working_day
from deliveryops.roadmap.models import TeamCalendar
from deliveryops.teams.models import Team

# December 2026: Friday 25 is Christmas Day; Monday 28 the substitute for Boxing Day (Saturday 26) in England.
CHRISTMAS = {date(2026, 12, 25), date(2026, 12, 28)}


def test_monday_looks_back_to_friday_and_midweek_to_the_day_before() -> None:
    assert previous_working_day(date(2026, 11, 23)) == date(2026, 11, 20)  # Monday → Friday
    assert previous_working_day(date(2026, 11, 24)) == date(2026, 11, 23)  # Tuesday → Monday
    assert previous_working_day(date(2026, 11, 22)) == date(2026, 11, 20)  # Sunday → Friday
    assert previous_working_day(date(2026, 11, 21)) == date(2026, 11, 20)  # Saturday → Friday


def test_public_holidays_are_skipped() -> None:
    assert previous_working_day(date(2026, 12, 29), CHRISTMAS) == date(2026, 12, 24)  # over Christmas and Boxing Day
    assert previous_working_day(date(2026, 12, 29)) == date(2026, 12, 28)  # without a calendar: Monday


def _search(session: Session) -> Team:
    return session.scalars(select(Team).where(Team.name == "Search")).one()


def test_a_monday_standup_shows_what_changed_since_friday(demo_session: Session) -> None:
    team = _search(demo_session)
    monday = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    tuesday = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    on_monday = service.team_board(demo_session, team, now=monday).since
    on_tuesday = service.team_board(demo_session, team, now=tuesday).since
    assert (on_monday["since"], on_monday["weekday"]) == ("2026-11-20", "Friday")
    assert (on_tuesday["since"], on_tuesday["weekday"]) == ("2026-11-23", "Monday")
    # Friday's changes count on Monday (a wider window), not on Tuesday.
    assert set(on_tuesday["moved"]) < set(on_monday["moved"])


def test_the_teams_public_holidays_extend_the_window(demo_session: Session) -> None:
    team = _search(demo_session)
    friday = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # the day after Thanksgiving (Thursday 26 November)
    calendar = demo_session.scalar(select(TeamCalendar).where(TeamCalendar.team_id == team.id))
    if calendar is None:
        calendar = TeamCalendar(team_id=team.id)
        demo_session.add(calendar)
    calendar.country, calendar.subdivision = None, None
    demo_session.flush()
    assert service.team_board(demo_session, team, now=friday).since["since"] == "2026-11-26"
    calendar.country = "US"
    demo_session.flush()
    since = service.team_board(demo_session, team, now=friday).since
    assert (since["since"], since["weekday"]) == ("2026-11-25", "Wednesday")
