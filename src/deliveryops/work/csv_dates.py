"""Dates in import files: the forms accepted, the day/month order decided from the whole file, time zones.

Accepted forms (docs/import-formats.md, "Dates"):

- ISO 8601: ``2026-03-01``, ``2026-03-01T09:30``, ``2026-03-01 09:30:00``, ``2026-03-01T09:30:00+02:00``,
  ``2026-03-01T09:30:00Z``, ``2026-3-1``, ``2026/03/01``;
- numeric day/month forms: ``01/03/2026``, ``3/1/2026 14:05``, ``1.3.2026``, ``01-03-26 2:05 PM``: whether
  the first number is the day or the month is decided once for the whole file;
- month names (English): ``01/Mar/26 2:05 PM`` (Jira's default export), ``1 March 2026``, ``01-Mar-2026``.

Two-digit years 00–68 are 2000–2068 and 69–99 are 1969–1999 (as POSIX ``strptime``). A time without
a UTC offset, and a date without a time (read as 00:00), is local time in the team's time zone: a
local time that does not exist (the spring-forward gap) is moved forward by the length of the gap;
a local time that happens twice (fall-back) is the first occurrence.

Parsing is cached by the cell's text, so a file with many repeated dates parses each text once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deliveryops.work.csv_common import (
    AmbiguousDateOrderError,
    DateOrder,
    ImportFileError,
    ImportProblem,
    ProblemLog,
    raise_problems,
)

DATE_EXAMPLES = "2026-03-01 or 2026-03-01T09:30:00+01:00"
_NOON = timedelta(hours=12)

_TIME = (
    r"(?:,?[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6}))?)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)
_NUMERIC = re.compile(r"(?P<a>\d{1,4})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})\.?" + _TIME)
_MONTH_NAME = re.compile(r"(?P<day>\d{1,2})(?P<sep>[/\- ])(?P<month>[A-Za-z]{3,9})\.?(?P=sep)(?P<year>\d{4}|\d{2})" + _TIME)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def zone_named(name: str) -> ZoneInfo:
    """The time zone called ``name``, for a name given by a user (the parsers take a ZoneInfo).

    Args:
        name: an IANA name such as "Europe/Berlin".

    Returns:
        The ZoneInfo.

    Raises:
        ImportFileError: the name is not a known time zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        message = f'unknown time zone "{name}"; expected an IANA name such as Europe/Berlin or UTC'
        raise ImportFileError([ImportProblem(None, None, message)]) from None


class _Numeric(NamedTuple):
    """A date whose first two numbers are day and month in an order still to be decided."""

    first: int
    second: int
    year: int
    hour: int
    minute: int
    second_of_minute: int
    microsecond: int


class _Cell(NamedTuple):
    """Where a date text was first seen, to quote it in messages."""

    file: str | None
    line: int
    column: str
    text: str

    def where(self) -> str:
        return str(ImportProblem(self.line, self.column, "", self.file)).removesuffix(": ")


_Value = datetime | _Numeric | str  # a UTC datetime, a date awaiting its order, or an error message


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 69 else 1900
    return year


def _time(match: re.Match[str]) -> tuple[int, int, int, int] | None:
    """Hour, minute, second, microsecond of a matched time; None if out of range."""
    if match["hour"] is None:
        return 0, 0, 0, 0
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    microsecond = int((match["fraction"] or "0").ljust(6, "0"))
    ampm = match["ampm"]
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm[0] in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second, microsecond


class DateReader:
    """Reads the date cells of one import (one file, or a file and its companion files).

    Use in two passes: :meth:`see` every date text while reading rows (callers skip texts already in
    :attr:`values`), then :meth:`decide` the day/month order once, then :meth:`get` each cell's value.
    """

    def __init__(self, zone: ZoneInfo, date_order: DateOrder | str | None = None) -> None:
        """Prepare to read dates.

        Args:
            zone: the team's time zone, for times without a UTC offset.
            date_order: force the order of numeric dates; None decides it from the file.
        """
        self.zone = zone
        self.chosen_order = DateOrder(date_order) if date_order is not None else None
        self.order: DateOrder | None = None
        self.values: dict[str, _Value] = {}
        self._day_first: _Cell | None = None
        self._month_first: _Cell | None = None
        self._ambiguous: _Cell | None = None
        self._numeric: _Cell | None = None
        self._month_name: _Cell | None = None
        self._iso: _Cell | None = None
        self._invalid: list[tuple[_Cell, str]] = []  # numeric dates that exist in neither order, with why
        self._local_seen = False
        self._change_days: dict[int, bool] = {}
        self._gap: list[str] = []
        self._repeated: list[str] = []
        self.resolved: dict[str, datetime | str] = {}
        """After :meth:`decide`: every text seen -> its UTC datetime or an error message."""

    def see(self, text: str, line: int, column: str, file: str | None = None) -> None:
        """Parse a date text seen for the first time (its value is cached in :attr:`values`).

        Args:
            text: the cell as read (not yet stripped).
            line: the cell's file line, quoted if the text decides or blocks the date order.
            column: the cell's column header.
            file: the file's label, when an import reads several files.
        """
        value = text.strip()
        if len(value) >= 10 and value[4] == "-" and value[7] == "-" and value[:4].isdigit():
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                self._iso = self._iso or _Cell(file, line, column, value)
                self.values[text] = self._utc(parsed, value)
                return
        match = _NUMERIC.fullmatch(value)
        if match:
            cell = _Cell(file, line, column, value)
            numeric = self.values[text] = self._numeric_value(match, cell)
            if isinstance(numeric, str):
                self._invalid.append((cell, numeric))
            return
        match = _MONTH_NAME.fullmatch(value)
        if match:
            month = _MONTHS.get(match["month"].lower())
            clock = _time(match)
            if month is not None and clock is not None:
                try:
                    parsed = datetime(_year(match["year"]), month, int(match["day"]), *clock)  # noqa: DTZ001
                except ValueError:
                    pass
                else:
                    self._month_name = self._month_name or _Cell(file, line, column, value)
                    self.values[text] = self._utc(parsed, value)
                    return
        self.values[text] = f'expected a date like {DATE_EXAMPLES}, got "{value}"'

    def _numeric_value(self, match: re.Match[str], cell: _Cell) -> _Value:
        clock = _time(match)
        a, b, c = match["a"], match["b"], match["c"]
        invalid = f'expected a date like {DATE_EXAMPLES}, got "{cell.text}"'
        if clock is None:
            return invalid
        if len(a) == 4:  # year first: 2026/03/01, 2026-3-1
            try:
                parsed = datetime(int(a), int(b), int(c), *clock)  # noqa: DTZ001
            except ValueError:
                return invalid
            self._iso = self._iso or cell
            return self._utc(parsed, cell.text)
        if len(a) == 3 or len(c) not in (2, 4):
            return invalid
        first, second, year = int(a), int(b), _year(c)
        if first > 12 or second > 12:
            # Only one order can be meant: the date must exist in it to count as evidence.
            day, month = (first, second) if first > 12 else (second, first)
            try:
                datetime(year, month, day)  # noqa: DTZ001 - only checks that the date exists
            except ValueError:
                return invalid
        self._numeric = self._numeric or cell
        if first > 12:
            self._day_first = self._day_first or cell
        elif second > 12:
            self._month_first = self._month_first or cell
        elif first != second:
            self._ambiguous = self._ambiguous or cell
        return _Numeric(first, second, year, *clock)

    def _utc(self, parsed: datetime, text: str) -> datetime:
        """``parsed`` in UTC; a naive ``parsed`` is local time in :attr:`zone`.

        ``datetime.replace`` and ``astimezone`` cost over a microsecond each, so the UTC value is built
        from ``zone.utcoffset`` and the constructor; a local time is checked for a daylight-saving change
        only on the days around one.
        """
        if parsed.tzinfo is not None:
            offset = parsed.utcoffset()
        else:
            self._local_seen = True
            offset = self.zone.utcoffset(parsed)  # fold=0: the first occurrence, and forward in a gap
            day = parsed.toordinal()
            changes = self._change_days.get(day)
            if changes is None:
                changes = self._change_days[day] = self._offset_changes_near(day)
            if changes:
                other_offset = self.zone.utcoffset(parsed.replace(fold=1))
                if offset is not None and other_offset is not None and offset != other_offset:
                    # fold=0 reads a gap time with the offset before the change: that is "moved forward".
                    (self._gap if offset < other_offset else self._repeated).append(text)
        if offset:
            parsed -= offset
        return datetime(
            parsed.year,
            parsed.month,
            parsed.day,
            parsed.hour,
            parsed.minute,
            parsed.second,
            parsed.microsecond,
            UTC,
        )

    def _offset_changes_near(self, day: int) -> bool:
        """Whether the UTC offset of :attr:`zone` changes between noon the day before and noon the day after."""
        before = datetime.fromordinal(day - 1) + _NOON
        after = datetime.fromordinal(day + 1) + _NOON
        return self.zone.utcoffset(before) != self.zone.utcoffset(after)

    def decide(self, *logs: ProblemLog) -> None:
        """Decide the order of numeric dates from every date seen, then convert them.

        Args:
            logs: the problems found so far, raised together with an order problem.

        Raises:
            AmbiguousDateOrderError: no date tells the order and none was chosen.
            ImportFileError: some dates can only be day-first and others only month-first.
        """
        if self._numeric is None:
            self.resolved = cast("dict[str, datetime | str]", self.values)
            return
        order = self.chosen_order
        if order is None:
            # A date that exists in neither order is a problem of its own line, whatever the order turns out to be.
            invalid = ProblemLog()
            for cell, message in self._invalid:
                invalid.problems.append(ImportProblem(cell.line, cell.column, message, cell.file))
            logs = (*logs, invalid)
            if self._day_first and self._month_first:
                day_cell, month_cell = self._day_first, self._month_first
                message = (
                    f'dates disagree: {day_cell.where()}: "{day_cell.text}" can only be day-first '
                    f"({DateOrder.DAY_FIRST.pattern}), "
                    f'but {month_cell.where()}: "{month_cell.text}" can only be month-first'
                    f" ({DateOrder.MONTH_FIRST.pattern}); use one date format in the file"
                )
                raise_problems(logs, first=ImportProblem(None, None, message))
            elif self._day_first:
                order = DateOrder.DAY_FIRST
            elif self._month_first:
                order = DateOrder.MONTH_FIRST
            elif self._ambiguous:
                cell = self._ambiguous
                message = (
                    f"cannot tell whether dates are day-first ({DateOrder.DAY_FIRST.pattern}) or "
                    f"month-first ({DateOrder.MONTH_FIRST.pattern}): no date has a number above 12 "
                    f'in either place, e.g. {cell.where()}: "{cell.text}"; choose the date order'
                )
                raise_problems(logs, first=ImportProblem(None, None, message), error_type=AmbiguousDateOrderError)
            else:  # every numeric date has day == month (01/01/2026): either order reads the same
                order = DateOrder.DAY_FIRST
        self.order = order
        self._convert(order)

    def _convert(self, order: DateOrder) -> None:
        day_first = order is DateOrder.DAY_FIRST
        invalid = f"expected a {order.label} date ({order.pattern}), got "
        for text, value in self.values.items():
            if isinstance(value, _Numeric):
                day, month = (value.first, value.second) if day_first else (value.second, value.first)
                try:
                    parsed = datetime(value.year, month, day, *value[3:])  # noqa: DTZ001
                except ValueError:
                    self.values[text] = f'{invalid}"{text.strip()}"'
                else:
                    self.values[text] = self._utc(parsed, text.strip())
        self.resolved = cast("dict[str, datetime | str]", self.values)

    def get(self, text: str) -> datetime | str:
        """The UTC datetime of a date text, or the message saying why it is not a date.

        Args:
            text: a text previously passed to :meth:`see`, after :meth:`decide`.

        Returns:
            An aware UTC datetime, or an error message.
        """
        value = self.values[text]
        if isinstance(value, _Numeric):  # pragma: no cover - decide() converts every _Numeric
            raise RuntimeError("decide() was not called")
        return value

    def order_note(self) -> str:
        """The sentence saying how dates were read, for the preview (empty when there were no dates).

        Returns:
            E.g. 'Dates read as day-first (DD/MM/YYYY), decided by line 14, column "Done": 23/04/2026'.
        """
        if self.order is not None:
            sentence = f"Dates read as {self.order.label} ({self.order.pattern})"
            cell = self._day_first or self._month_first
            if self.chosen_order is not None:
                return f"{sentence}, as chosen"
            if cell is not None:
                return f"{sentence}, decided by {cell.where()}: {cell.text}"
            return f"{sentence}; every numeric date has the same day and month, so the order does not matter"
        if self._month_name is not None:
            return f"Dates read with English month names, e.g. {self._month_name.text}"
        if self._iso is not None:
            return f"Dates read as ISO 8601 (year-month-day), e.g. {self._iso.text}"
        return ""

    def zone_notes(self) -> list[str]:
        """Sentences about local times, for the preview.

        Returns:
            The time zone used, and the local times moved by a daylight-saving change, if any.
        """
        notes = []
        name = self.zone.key
        if self._local_seen:
            notes.append(f"Times without a UTC offset, and dates without a time (read as 00:00), are in {name}.")
        if self._gap:
            notes.append(
                f"{len(self._gap)} local time(s) do not exist in {name} (clocks went forward), "
                f"e.g. {self._gap[0]}: moved forward by the length of the gap."
            )
        if self._repeated:
            notes.append(
                f"{len(self._repeated)} local time(s) happen twice in {name} (clocks went back), "
                f"e.g. {self._repeated[0]}: read as the first occurrence."
            )
        return notes
