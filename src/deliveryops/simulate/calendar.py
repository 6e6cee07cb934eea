"""Working calendars: weekdays, public holidays and working hours in a team's time zone.

The simulator measures time in *working days*: a float ``t`` whose integer part is the index of a
working day in the calendar and whose fraction is the share of that day's working window that has
passed. Mapping ``t`` to wall-clock time is monotonic, so events that are ordered in working time
stay ordered in UTC, and no event can land on a weekend, a public holiday or outside working hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

# A small fixed list of public holidays per region: fixed dates, Easter offsets (Good Friday = -2,
# Easter Monday = +1, Whit Monday = +50) and "n-th weekday of a month" rules (n = -1: the last one).
_FIXED_HOLIDAYS: dict[str, tuple[tuple[int, int], ...]] = {
    "DE": ((1, 1), (5, 1), (10, 3), (12, 24), (12, 25), (12, 26), (12, 31)),
    "GB": ((1, 1), (12, 25), (12, 26)),
    "US": ((1, 1), (6, 19), (7, 4), (12, 25)),
}
_EASTER_OFFSETS: dict[str, tuple[int, ...]] = {"DE": (-2, 1, 39, 50), "GB": (-2, 1), "US": ()}
# (month, weekday with Monday = 0, n)
_NTH_WEEKDAY: dict[str, tuple[tuple[int, int, int], ...]] = {
    "DE": (),
    "GB": ((5, 0, 1), (5, 0, -1), (8, 0, -1)),
    "US": ((1, 0, 3), (5, 0, -1), (9, 0, 1), (11, 3, 4)),
}

HOLIDAY_REGIONS: tuple[str, ...] = tuple(sorted(_FIXED_HOLIDAYS))


def easter_sunday(year: int) -> date:
    """Return the date of (Western) Easter Sunday.

    Args:
        year: the Gregorian year.

    Returns:
        Easter Sunday of that year (anonymous Gregorian algorithm).
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@lru_cache(maxsize=256)
def public_holidays(region: str, year: int) -> frozenset[date]:
    """Return the public holidays the simulator observes in a region and year.

    Args:
        region: one of ``HOLIDAY_REGIONS`` ("DE", "GB", "US").
        year: the year.

    Returns:
        The set of holiday dates (some may fall on weekends).

    Raises:
        ValueError: if the region is unknown.
    """
    if region not in _FIXED_HOLIDAYS:
        raise ValueError(f"holiday_region: unknown region {region!r}; expected one of {HOLIDAY_REGIONS}")
    days = {date(year, month, day) for month, day in _FIXED_HOLIDAYS[region]}
    easter = easter_sunday(year)
    days.update(easter + timedelta(days=offset) for offset in _EASTER_OFFSETS[region])
    days.update(_nth_weekday(year, *rule) for rule in _NTH_WEEKDAY[region])
    return frozenset(days)


def working_days(start: date, end: date, region: str) -> tuple[date, ...]:
    """List the working days (Monday to Friday, not a public holiday) from start to end inclusive.

    Args:
        start: first calendar day.
        end: last calendar day.
        region: holiday region.

    Returns:
        The working days in order.
    """
    holidays: set[date] = set()
    for year in range(start.year, end.year + 1):
        holidays |= public_holidays(region, year)
    count = (end - start).days + 1
    candidates: Iterable[date] = (start + timedelta(days=offset) for offset in range(max(count, 0)))
    return tuple(day for day in candidates if day.weekday() < 5 and day not in holidays)


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Working days of one team and the wall-clock position of their working window.

    Attributes:
        days: the working days, in order; index ``d`` is working day ``d``.
        day_start_epoch: UTC epoch seconds of the start of each day's working window.
        window_seconds: length of the working window in seconds.
    """

    days: tuple[date, ...]
    day_start_epoch: NDArray[np.float64]
    window_seconds: float

    @property
    def size(self) -> int:
        """Number of working days."""
        return len(self.days)

    def to_epoch_seconds(self, t: NDArray[np.float64]) -> NDArray[np.int64]:
        """Map working-day times to UTC epoch seconds.

        Args:
            t: times in working days (``day index + fraction of the working window``).

        Returns:
            Whole UTC epoch seconds; times past the last day are clamped into its window.
        """
        day = np.clip(np.floor(t).astype(np.int64), 0, self.size - 1)
        fraction = np.clip(t - day, 0.0, 0.9999)
        return np.rint(self.day_start_epoch[day] + fraction * self.window_seconds).astype(np.int64)


@lru_cache(maxsize=64)
def work_calendar(start: date, end: date, *, zone: ZoneInfo, region: str, day_start: time, hours: float) -> WorkCalendar:
    """Build (and cache) the working calendar of a team.

    Args:
        start: first calendar day simulated.
        end: last calendar day simulated.
        zone: the team's time zone, e.g. ``ZoneInfo("Europe/Berlin")``.
        region: holiday region.
        day_start: local time at which the working window opens.
        hours: length of the working window in hours.

    Returns:
        The calendar; raises ValueError if it holds no working day.
    """
    days = working_days(start, end, region)
    if not days:
        raise ValueError(f"no working day between {start} and {end}")
    epochs = np.array([datetime.combine(day, day_start, tzinfo=zone).timestamp() for day in days])
    return WorkCalendar(days=days, day_start_epoch=epochs, window_seconds=hours * 3600.0)
