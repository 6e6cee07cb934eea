"""Working calendars and team profiles of the simulator."""

from __future__ import annotations

import dataclasses
from datetime import date, time
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from deliveryops.simulate import TeamProfile, demo_profiles, make_workflow, public_holidays, working_days
from deliveryops.simulate.calendar import easter_sunday, work_calendar
from deliveryops.simulate.organisation import months_before
from deliveryops.work.records import StageCategory


@pytest.mark.parametrize(("year", "expected"), [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5))])
def test_easter_sunday(year: int, expected: date) -> None:
    assert easter_sunday(year) == expected


def test_public_holidays_per_region() -> None:
    germany = public_holidays("DE", 2025)
    assert {
        date(2025, 1, 1),
        date(2025, 4, 18),
        date(2025, 4, 21),
        date(2025, 10, 3),
        date(2025, 12, 26),
    } <= germany
    united_states = public_holidays("US", 2025)
    assert {date(2025, 5, 26), date(2025, 7, 4), date(2025, 9, 1), date(2025, 11, 27)} <= united_states
    assert date(2025, 4, 18) not in united_states
    assert {date(2025, 5, 5), date(2025, 5, 26), date(2025, 8, 25)} <= public_holidays("GB", 2025)
    with pytest.raises(ValueError, match="holiday_region: unknown region 'XX'"):
        public_holidays("XX", 2025)


def test_working_days_skip_weekends_and_holidays() -> None:
    days = working_days(date(2025, 12, 22), date(2026, 1, 4), "DE")
    assert days == (
        date(2025, 12, 22),
        date(2025, 12, 23),
        date(2025, 12, 29),
        date(2025, 12, 30),
        date(2026, 1, 2),
    )


def test_calendar_maps_working_time_into_the_local_window() -> None:
    calendar = work_calendar(
        date(2025, 3, 28),
        date(2025, 3, 31),
        zone=ZoneInfo("Europe/Berlin"),
        region="DE",
        day_start=time(9),
        hours=8.0,
    )
    # Friday 28 March (CET, UTC+1) and Monday 31 March (CEST, UTC+2, after the switch).
    seconds = calendar.to_epoch_seconds(np.array([0.0, 0.5, 1.0, 1.9999, 7.0]))
    friday_9 = 1743148800  # 2025-03-28 08:00 UTC
    monday_9 = 1743404400  # 2025-03-31 07:00 UTC
    assert seconds.tolist() == [friday_9, friday_9 + 4 * 3600, monday_9, monday_9 + 28797, monday_9 + 28797]


def test_months_before_clamps_to_month_length() -> None:
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 6, 30), 18) == date(2024, 12, 30)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


def test_profile_refuses_a_bad_workflow_and_region() -> None:
    payments = demo_profiles()[0]
    shuffled = tuple(reversed(make_workflow()))
    with pytest.raises(ValueError, match="workflow: categories must be"):
        dataclasses.replace(payments, workflow=shuffled)
    with pytest.raises(ValueError, match="holiday_region: expected one of"):
        dataclasses.replace(payments, holiday_region="FR")
    with pytest.raises(ValueError, match="time_zone: unknown time zone 'Mars/Olympus'"):
        dataclasses.replace(payments, time_zone="Mars/Olympus")
    with pytest.raises(ValueError, match="reopen_probability: expected a probability between 0 and 1"):
        dataclasses.replace(payments, reopen_probability=1.5)
    with pytest.raises(ValueError, match="working_hours: the working window must end by midnight"):
        dataclasses.replace(payments, working_hours=16.0)
    with pytest.raises(ValueError, match="workflow: expected 8 distinct status names"):
        make_workflow(("Backlog", "Done"))


def test_default_workflow_stages() -> None:
    workflow = make_workflow()
    assert [(s.name, s.category, s.position) for s in workflow] == [
        ("Backlog", StageCategory.BACKLOG, 0),
        ("Ready", StageCategory.BACKLOG, 1),
        ("In Progress", StageCategory.ACTIVE, 2),
        ("Ready for Review", StageCategory.WAITING, 3),
        ("In Review", StageCategory.ACTIVE, 4),
        ("Ready to Deploy", StageCategory.WAITING, 5),
        ("Done", StageCategory.DONE, 6),
        ("Discarded", StageCategory.DISCARDED, 7),
    ]


def test_scaling_keeps_the_team_and_multiplies_volume() -> None:
    payments: TeamProfile = demo_profiles()[0]
    big = payments.scaled(10)
    assert (big.name, big.arrivals_per_day, big.people, big.reviewers) == ("Payments", 8.0, 40.0, 20)
    assert big.expected_items(100) == pytest.approx(10 * payments.expected_items(100), rel=0.02)
    with pytest.raises(ValueError, match="factor: expected a positive number"):
        payments.scaled(0)
