"""Date forms, time zones around midnight and daylight-saving changes, and the day/month order."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from deliveryops.work.csv_dates import DateReader
from deliveryops.work.csv_formats import (
    AmbiguousDateOrderError,
    DateOrder,
    ImportFileError,
    ImportProblem,
    parse_full_history,
)

HEADER = "key,type,title,created_at,status,entered_at\n"
BAD = 'expected a date like 2026-03-01 or 2026-03-01T09:30:00+01:00, got "{}"'


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def read(text: str, zone: str = "Europe/Berlin", order: DateOrder | None = None) -> datetime | str:
    reader = DateReader(ZoneInfo(zone), order)
    reader.see(text, 2, "at")
    reader.decide()
    return reader.get(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", utc(2026, 2, 28, 23)),
        ("2026-03-01T09:30", utc(2026, 3, 1, 8, 30)),
        ("2026-03-01 09:30:00", utc(2026, 3, 1, 8, 30)),
        ("2026-03-01T09:30:00+02:00", utc(2026, 3, 1, 7, 30)),
        ("2026-03-01T09:30:00Z", utc(2026, 3, 1, 9, 30)),
        ("2026-03-01T09:30:00.000+0200", utc(2026, 3, 1, 7, 30)),
        (" 2026-03-01T09:30:00-05:00 ", utc(2026, 3, 1, 14, 30)),
        ("2026-3-1", utc(2026, 2, 28, 23)),
        ("2026/03/01 14:05", utc(2026, 3, 1, 13, 5)),
        ("01/Mar/26 2:05 PM", utc(2026, 3, 1, 13, 5)),
        ("01/Mar/26 12:00 AM", utc(2026, 2, 28, 23)),
        ("01/Mar/26 12:30 PM", utc(2026, 3, 1, 11, 30)),
        ("1 March 2026", utc(2026, 2, 28, 23)),
        ("01-Mar-2026 09:30:15", utc(2026, 3, 1, 8, 30, 15)),
        ("01/Sept/26", utc(2026, 8, 31, 22)),
        ("01/Mar/68", utc(2068, 2, 29, 23)),
        ("01/Mar/69", utc(1969, 2, 28, 23)),
    ],
)
def test_forms_without_a_day_month_question(text: str, expected: datetime) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("01/03/2026", DateOrder.DAY_FIRST, utc(2026, 2, 28, 23)),
        ("01/03/2026", DateOrder.MONTH_FIRST, utc(2026, 1, 2, 23)),
        ("3/1/2026 14:05", DateOrder.MONTH_FIRST, utc(2026, 3, 1, 13, 5)),
        ("1.3.2026", DateOrder.DAY_FIRST, utc(2026, 2, 28, 23)),
        ("01-03-26 2:05 PM", DateOrder.DAY_FIRST, utc(2026, 3, 1, 13, 5)),
        ("23/04/2026 09:30:05", None, utc(2026, 4, 23, 7, 30, 5)),
        ("04/23/2026", None, utc(2026, 4, 22, 22)),
    ],
)
def test_numeric_forms(text: str, order: DateOrder | None, expected: datetime) -> None:
    assert read(text, order=order) == expected


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2026-02-30",
        "2026-03-01T25:00",
        "13/13/2026",
        "31/02/2026",
        "02/31/2026",
        "45/03/2026",
        "01/Foo/26",
        "1/2/3",
        "01/03/2026 13:00 PM",
    ],
)
def test_not_a_date(text: str) -> None:
    assert read(text, order=DateOrder.DAY_FIRST) == BAD.format(text)


def test_numeric_date_invalid_in_the_chosen_order() -> None:
    assert read("04/23/2026", order=DateOrder.DAY_FIRST) == 'expected a day-first date (DD/MM/YYYY), got "04/23/2026"'
    assert read("23/04/2026", order=DateOrder.MONTH_FIRST) == ('expected a month-first date (MM/DD/YYYY), got "23/04/2026"')


@pytest.mark.parametrize(
    ("zone", "text", "expected"),
    [
        # Midnight: a date without a time is 00:00 in the team's time zone.
        ("UTC", "2026-03-01", utc(2026, 3, 1)),
        ("Europe/Berlin", "2026-03-01 00:30", utc(2026, 2, 28, 23, 30)),
        ("America/New_York", "2026-03-01", utc(2026, 3, 1, 5)),
        ("America/New_York", "2026-03-01T23:30", utc(2026, 3, 2, 4, 30)),
        ("Asia/Tokyo", "2026-03-01", utc(2026, 2, 28, 15)),
        # Berlin, spring forward on 2026-03-29 at 02:00 -> 03:00.
        ("Europe/Berlin", "2026-03-29", utc(2026, 3, 28, 23)),
        ("Europe/Berlin", "2026-03-29 01:59", utc(2026, 3, 29, 0, 59)),
        ("Europe/Berlin", "2026-03-29 02:00", utc(2026, 3, 29, 1)),  # does not exist: 03:00
        ("Europe/Berlin", "2026-03-29 02:30", utc(2026, 3, 29, 1, 30)),  # does not exist: 03:30
        ("Europe/Berlin", "2026-03-29 03:00", utc(2026, 3, 29, 1)),
        ("Europe/Berlin", "2026-03-30", utc(2026, 3, 29, 22)),
        # Berlin, fall back on 2026-10-25 at 03:00 -> 02:00: 02:00-02:59 happens twice.
        ("Europe/Berlin", "2026-10-25", utc(2026, 10, 24, 22)),
        ("Europe/Berlin", "2026-10-25 02:30", utc(2026, 10, 25, 0, 30)),  # first occurrence, summer time
        ("Europe/Berlin", "2026-10-25 03:30", utc(2026, 10, 25, 2, 30)),
        ("Europe/Berlin", "2026-10-26", utc(2026, 10, 25, 23)),
        # New York, spring forward on 2026-03-08 at 02:00, fall back on 2026-11-01 at 02:00.
        ("America/New_York", "2026-03-08 02:30", utc(2026, 3, 8, 7, 30)),  # does not exist: 03:30 EDT
        ("America/New_York", "2026-03-08 03:30", utc(2026, 3, 8, 7, 30)),
        ("America/New_York", "2026-11-01 01:30", utc(2026, 11, 1, 5, 30)),  # first occurrence, EDT
        ("America/New_York", "2026-11-01 02:30", utc(2026, 11, 1, 7, 30)),
        ("America/New_York", "11/01/2026 1:30 AM", utc(2026, 11, 1, 5, 30)),
        # An explicit offset is never moved.
        ("Europe/Berlin", "2026-10-25T02:30:00+01:00", utc(2026, 10, 25, 1, 30)),
    ],
)
def test_time_zones_around_midnight_and_daylight_saving(zone: str, text: str, expected: datetime) -> None:
    assert read(text, zone=zone, order=DateOrder.MONTH_FIRST) == expected


def test_zone_notes_name_the_moved_and_repeated_times() -> None:
    reader = DateReader(ZoneInfo("Europe/Berlin"))
    for text in ("2026-03-29 02:30", "2026-03-29 02:45", "2026-10-25 02:30", "2026-10-25T02:30:00Z"):
        reader.see(text, 2, "at")
    reader.decide()
    assert reader.zone_notes() == [
        "Times without a UTC offset, and dates without a time (read as 00:00), are in Europe/Berlin.",
        "2 local time(s) do not exist in Europe/Berlin (clocks went forward), e.g. 2026-03-29 02:30: "
        "moved forward by the length of the gap.",
        "1 local time(s) happen twice in Europe/Berlin (clocks went back), e.g. 2026-10-25 02:30: read as the first occurrence.",
    ]


def test_no_zone_note_when_every_time_has_an_offset() -> None:
    reader = DateReader(ZoneInfo("Europe/Berlin"))
    reader.see("2026-03-01T09:30:00Z", 2, "at")
    reader.decide()
    assert reader.zone_notes() == []


def history(*rows: str) -> str:
    return HEADER + "".join(f"{row}\n" for row in rows)


def test_day_first_decided_by_the_first_day_above_12() -> None:
    parsed = parse_full_history(
        history("A,Story,t,01/03/2026,Backlog,02/03/2026 9:00", "A,Story,t,,Done,23/04/2026 17:00"),
        zone=ZoneInfo("UTC"),
    )
    assert parsed.date_order is DateOrder.DAY_FIRST
    assert parsed.date_order_note == (
        'Dates read as day-first (DD/MM/YYYY), decided by line 3, column "entered_at": 23/04/2026 17:00'
    )
    assert [step.at for step in parsed.items[0].transitions] == [utc(2026, 3, 2, 9), utc(2026, 4, 23, 17)]
    assert parsed.items[0].created_at == utc(2026, 3, 1)


def test_month_first_decided_by_a_second_number_above_12() -> None:
    parsed = parse_full_history(
        history("A,Story,t,3/1/2026,Backlog,3/1/2026 2:05 PM", "A,Story,t,,Done,3/14/2026 9:00 AM"),
        zone=ZoneInfo("America/New_York"),
    )
    assert parsed.date_order is DateOrder.MONTH_FIRST
    assert parsed.date_order_note == (
        'Dates read as month-first (MM/DD/YYYY), decided by line 3, column "entered_at": 3/14/2026 9:00 AM'
    )
    assert parsed.items[0].created_at == utc(2026, 3, 1, 5)
    # 2026-03-14 is after New York's change to summer time (UTC-4).
    assert [step.at for step in parsed.items[0].transitions] == [utc(2026, 3, 1, 19, 5), utc(2026, 3, 14, 13)]


def test_ambiguous_dates_raise_and_ask_for_the_order() -> None:
    text = history("A,Story,t,01/03/2026,Backlog,02/03/2026", ",Story,t,01/03/2026,Done,05/03/2026")
    with pytest.raises(AmbiguousDateOrderError) as caught:
        parse_full_history(text, zone=ZoneInfo("UTC"))
    assert caught.value.problems == [
        ImportProblem(
            None,
            None,
            "cannot tell whether dates are day-first (DD/MM/YYYY) or month-first (MM/DD/YYYY): no date has "
            'a number above 12 in either place, e.g. line 2, column "created_at": "01/03/2026"; '
            "choose the date order",
        ),
        ImportProblem(3, "key", "expected a key, got an empty value"),
    ]


@pytest.mark.parametrize(("order", "expected"), [("day_first", utc(2026, 3, 2)), (DateOrder.MONTH_FIRST, utc(2026, 2, 3))])
def test_chosen_order_resolves_an_ambiguous_file(order: str, expected: datetime) -> None:
    parsed = parse_full_history(history("A,Story,t,01/03/2026,Backlog,02/03/2026"), zone=ZoneInfo("UTC"), date_order=order)
    assert parsed.items[0].transitions[0].at == expected
    assert parsed.date_order_note == f"Dates read as {DateOrder(order).label} ({DateOrder(order).pattern}), as chosen"


def test_same_day_and_month_numbers_are_not_ambiguous() -> None:
    parsed = parse_full_history(history("A,Story,t,01/01/2026,Backlog,02/02/2026"), zone=ZoneInfo("UTC"))
    assert parsed.items[0].transitions[0].at == utc(2026, 2, 2)
    assert parsed.date_order_note == (
        "Dates read as day-first (DD/MM/YYYY); every numeric date has the same day and month, so the order does not matter"
    )


def test_day_first_and_month_first_in_one_file_is_an_error() -> None:
    text = history("A,Story,t,23/03/2026,Backlog,23/03/2026", "B,Bug,t,03/14/2026,Backlog,03/15/2026")
    with pytest.raises(ImportFileError) as caught:
        parse_full_history(text, zone=ZoneInfo("UTC"))
    assert str(caught.value) == (
        'dates disagree: line 2, column "created_at": "23/03/2026" can only be day-first (DD/MM/YYYY), '
        'but line 3, column "created_at": "03/14/2026" can only be month-first (MM/DD/YYYY); '
        "use one date format in the file"
    )


def test_order_is_decided_from_the_history_and_blocked_files_together() -> None:
    parsed = parse_full_history(
        history("A,Story,t,01/03/2026,Backlog,02/03/2026"),
        zone=ZoneInfo("UTC"),
        blocked="key,from,to,reason\nA,04/03/2026,13/03/2026,waiting\n",
    )
    assert parsed.date_order_note == (
        'Dates read as day-first (DD/MM/YYYY), decided by blocked-periods file, line 2, column "to": 13/03/2026'
    )
    assert parsed.items[0].blocked_intervals[0].start == utc(2026, 3, 4)


def test_iso_dates_need_no_order_even_when_one_is_chosen() -> None:
    parsed = parse_full_history(
        history("A,Story,t,2026-03-01,Backlog,2026-03-02"), zone=ZoneInfo("UTC"), date_order="month_first"
    )
    assert parsed.date_order is None
    assert parsed.date_order_note == "Dates read as ISO 8601 (year-month-day), e.g. 2026-03-01"
