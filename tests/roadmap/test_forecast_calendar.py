"""The team's forecast page ("when", "how many") on the team calendar, hand-worked in two time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.db import utcnow
from deliveryops.flow import service as flow
from deliveryops.roadmap import service
from tests.factories import join, login, make_user
from tests.roadmap.helpers import small_group

# Thursday 24 December 2026, 22:00 UTC: still the 24th in Berlin (23:00), already Friday the 25th in Auckland.
NOW = datetime(2026, 12, 24, 22, tzinfo=UTC)


def test_when_and_how_many_on_the_calendar_in_two_time_zones(session: Session) -> None:
    # Both teams finish one item every working day (not weekends, not their country's holidays), so on the
    # calendar every trial is the same and the dates can be worked by hand.
    org = small_group(session, date(2026, 12, 24))
    service.set_calendar(session=session, actor=None, team_id=org.berlin.id, country="DE", subdivision=None)
    service.set_calendar(session=session, actor=None, team_id=org.auckland.id, country="NZ", subdivision=None)
    berlin_row, _ = flow.create_when(session=session, actor=None, team_id=org.berlin.id, remaining_items=3, now=NOW, seed=1)
    auckland_row, _ = flow.create_when(session=session, actor=None, team_id=org.auckland.id, remaining_items=2, now=NOW, seed=1)
    assert (berlin_row.start_date, auckland_row.start_date) == (date(2026, 12, 24), date(2026, 12, 25))
    berlin = flow.calendar_forecast(session, org.berlin, berlin_row)
    auckland = flow.calendar_forecast(session, org.auckland, auckland_row)
    assert berlin is not None
    assert auckland is not None
    # Berlin: Christmas Day (Fri), Boxing Day (Sat) and Sunday off; 3 items on Mon 28, Tue 29, Wed 30 December.
    assert berlin.dates == {50: date(2026, 12, 30), 85: date(2026, 12, 30)}
    # Auckland: the weekend, then Boxing Day observed on Monday 28 December; 2 items on 29 and 30 December.
    assert auckland.dates == {50: date(2026, 12, 30), 85: date(2026, 12, 30)}
    assert berlin.note == "On the team calendar (DE): 1 public holiday on weekdays and 0 planned absences before 2026-12-30."
    assert auckland.note == "On the team calendar (NZ): 1 public holiday on weekdays and 0 planned absences before 2026-12-30."

    # How many by Thursday 31 December: Berlin works 28 to 31 (4 items), Auckland 29 to 31 (3 items).
    berlin_many, _ = flow.create_how_many(
        session=session, actor=None, team_id=org.berlin.id, by_date=date(2026, 12, 31), now=NOW, seed=1
    )
    auckland_many, _ = flow.create_how_many(
        session=session, actor=None, team_id=org.auckland.id, by_date=date(2026, 12, 31), now=NOW, seed=1
    )
    counts = flow.calendar_forecast(session, org.berlin, berlin_many)
    assert counts is not None
    assert set(counts.counts.values()) == {4}
    assert set(counts.counts) == {int(level) for level in berlin_many.predicted}
    auckland_counts = flow.calendar_forecast(session, org.auckland, auckland_many)
    assert auckland_counts is not None
    assert set(auckland_counts.counts.values()) == {3}

    # A team without a country or absence: the page shows the plain forecast only.
    service.set_calendar(session=session, actor=None, team_id=org.auckland.id, country=None, subdivision=None)
    assert flow.calendar_forecast(session, org.auckland, auckland_row) is None


def test_the_forecast_page_shows_the_calendar_column(client: TestClient, session: Session) -> None:
    org = small_group(session, utcnow().date())
    service.set_calendar(session=session, actor=None, team_id=org.berlin.id, country="DE", subdivision=None)
    member = make_user(session)
    join(session, org.berlin, member)
    session.commit()
    csrf = login(client, member.email)
    page = client.post(f"/teams/{org.berlin.slug}/forecasts", data={"kind": "when", "items": "5", "csrf_token": csrf})
    assert page.status_code == 200, page.text[:500]
    assert "On the team calendar</th>" in page.text
    assert 'id="calendar-forecast"' in page.text
