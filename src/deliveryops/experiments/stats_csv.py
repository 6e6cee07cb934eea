"""Read an experiment statistics file (CSV) into the inputs of ``deliveryops.analytics.experiments``.

One row per (date, metric, variation) with sufficient statistics; the format is documented with
examples in ``docs/experiment-statistics.md`` and ``docs/examples/experiment-*.csv``. Reading is
all-or-nothing: every problem is reported with its line and column in one
:class:`~deliveryops.errors.ValidationFailedError`, and nothing is returned from a bad file.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from deliveryops.analytics.experiments import ArmStats, MetricInput, MetricKind, MetricRole
from deliveryops.errors import ValidationFailedError

__all__ = ["COLUMNS", "MAX_PROBLEMS", "StatisticsDay", "StatisticsFile", "read_statistics"]

MAX_PROBLEMS = 50
REQUIRED = ("metric", "variation", "n", "sum")
RATIO_COLUMNS = ("denominator_sum", "denominator_sum_squares", "cross_sum")
PRE_COLUMNS = ("pre_sum", "pre_sum_squares", "pre_cross_sum")
NUMBER_COLUMNS = ("sum", "sum_squares", *RATIO_COLUMNS, *PRE_COLUMNS)
COLUMNS = ("date", "metric", "kind", "variation", "n", *NUMBER_COLUMNS, "role", "higher_is_better", "period")
"""Every column the reader knows, in the documented order; only ``REQUIRED`` ones must be present."""
ROLES: tuple[MetricRole, ...] = ("primary", "secondary", "guardrail")
TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n"}
PERIODS = ("cumulative", "daily")


@dataclass(frozen=True, slots=True)
class StatisticsDay:
    """The statistics cumulated up to and including ``day``."""

    day: date
    metrics: tuple[MetricInput, ...]


@dataclass(frozen=True, slots=True)
class StatisticsFile:
    """What a statistics file holds.

    ``metrics`` are the cumulative statistics to analyse (of the last date when the file has dates);
    ``days`` the cumulative statistics per date, in date order (empty without a date column);
    ``variations`` in order of first appearance, the first being the control.
    """

    name: str
    metrics: tuple[MetricInput, ...]
    days: tuple[StatisticsDay, ...]
    variations: tuple[str, ...]
    daily: bool


@dataclass(slots=True)
class _Problems:
    found: dict[str, str] = field(default_factory=dict)
    count: int = 0

    def add(self, line: int | None, column: str | None, message: str) -> None:
        self.count += 1
        if len(self.found) >= MAX_PROBLEMS:
            return
        parts = ([f"line {line}"] if line is not None else []) + ([f"column {column}"] if column else [])
        key = ", ".join(parts) or "file"
        self.found[key] = f"{self.found[key]}; {message}" if key in self.found else message

    def raise_if_any(self, name: str) -> None:
        if not self.count:
            return
        first_key, first_message = next(iter(self.found.items()))
        where = "" if first_key == "file" else f"{first_key}: "
        if self.count == 1:
            message = f"{name}: {where}{first_message}"
        else:
            more = f" (the first {len(self.found)} are listed)" if self.count > len(self.found) else ""
            message = f"{name}: {self.count} problems{more}; first: {where}{first_message}"
        raise ValidationFailedError(message, fields=dict(self.found))


@dataclass(slots=True)
class _Row:
    line: int
    day: date | None
    metric: str
    kind: MetricKind
    variation: str
    n: int
    values: dict[str, float | None]
    role: MetricRole
    higher_is_better: bool


def _normalise(header: str) -> str:
    return "_".join(header.strip().lower().replace("-", " ").split())


def _text(data: bytes | str, name: str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValidationFailedError(
            f'{name}: line {line}: the file is not UTF-8 text; save it as "CSV UTF-8" and try again',
            fields={f"line {line}": "not UTF-8 text"},
        ) from None


def _number(text: str, line: int, column: str, problems: _Problems) -> float | None:
    try:
        value = float(text)
    except ValueError:
        problems.add(line, column, f'expected a number, got "{text}"')
        return None
    if not math.isfinite(value):
        problems.add(line, column, f'expected a finite number, got "{text}"')
        return None
    return value


def _parse_row(cells: dict[str, str], line: int, has_date: bool, problems: _Problems) -> _Row | None:
    before = problems.count
    day: date | None = None
    if has_date:
        try:
            day = date.fromisoformat(cells["date"])
        except ValueError:
            problems.add(line, "date", f'expected a date as YYYY-MM-DD, got "{cells["date"]}"')
    metric, variation = cells["metric"], cells["variation"]
    if not metric:
        problems.add(line, "metric", "expected a metric name, got an empty value")
    if not variation:
        problems.add(line, "variation", "expected a variation name, got an empty value")
    kind_text = cells.get("kind", "").lower() or MetricKind.MEAN.value
    try:
        kind = MetricKind(kind_text)
    except ValueError:
        problems.add(line, "kind", f'expected mean, proportion or ratio, got "{cells.get("kind", "")}"')
        kind = MetricKind.MEAN
    n = 0
    try:
        n = int(cells["n"])
        if n < 0:
            raise ValueError
    except ValueError:
        problems.add(line, "n", f'expected a whole number of units, 0 or more, got "{cells["n"]}"')
    values: dict[str, float | None] = {}
    for column in NUMBER_COLUMNS:
        text = cells.get(column, "")
        values[column] = _number(text, line, column, problems) if text else None
    if values["sum"] is None and cells["sum"] == "":
        problems.add(line, "sum", "expected a number, got an empty value")
    for column, total_column in (
        ("sum_squares", "sum"),
        ("denominator_sum_squares", "denominator_sum"),
        ("pre_sum_squares", "pre_sum"),
    ):
        value, total = values[column], values[total_column]
        if value is None:
            continue
        if value < 0:
            problems.add(line, column, f"a sum of squares cannot be negative, got {cells[column]}")
        elif total is not None and n > 0 and kind is not MetricKind.PROPORTION and value < total * total / n * (1 - 1e-9):
            # Σx² ≥ (Σx)²/n for any real values: a smaller value means the columns were swapped or mis-summed.
            problems.add(
                line,
                column,
                f"{column} ({cells[column]}) is smaller than {total_column}²/n "
                f"({total * total / n:.6g}), which no real values can give",
            )
    if kind is MetricKind.PROPORTION:
        conversions = values["sum"]
        if conversions is not None and not 0 <= conversions <= n:
            problems.add(line, "sum", f"conversions must be between 0 and n ({n}), got {cells['sum']}")
        if values["sum_squares"] is not None and values["sum_squares"] != conversions:
            problems.add(line, "sum_squares", "for a proportion, sum_squares must be empty or equal to sum")
        values["sum_squares"] = conversions
    elif values["sum_squares"] is None:
        problems.add(line, "sum_squares", f"a {kind.value} metric needs sum_squares")
    if kind is MetricKind.RATIO:
        for column in RATIO_COLUMNS:
            if values[column] is None and cells.get(column, "") == "":
                problems.add(line, column, f"a ratio metric needs {column}")
    present = [column for column in PRE_COLUMNS if cells.get(column, "")]
    if present and len(present) < len(PRE_COLUMNS):
        missing = [column for column in PRE_COLUMNS if column not in present]
        problems.add(line, missing[0], f"pre-period statistics need all of {', '.join(PRE_COLUMNS)}")
    role_text = cells.get("role", "").lower() or "primary"
    role: MetricRole = "primary"
    if role_text in ROLES:
        role = ROLES[ROLES.index(role_text)]
    else:
        problems.add(line, "role", f'expected primary, secondary or guardrail, got "{cells.get("role", "")}"')
    better_text = cells.get("higher_is_better", "").lower() or "true"
    if better_text not in TRUE_WORDS | FALSE_WORDS:
        problems.add(line, "higher_is_better", f'expected true or false, got "{cells.get("higher_is_better", "")}"')
    if problems.count > before:
        return None
    return _Row(
        line=line,
        day=day,
        metric=metric,
        kind=kind,
        variation=variation,
        n=n,
        values=values,
        role=role,
        higher_is_better=better_text in TRUE_WORDS,
    )


def _records(text: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """The file's records with their line numbers; a malformed record (e.g. a huge cell) names its line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            raise ValidationFailedError(
                f"{name}: line {line}: not a readable CSV file ({exc}). Nothing was imported.",
                fields={f"line {line}": f"not a readable CSV file ({exc})"},
            ) from None
        yield reader.line_num, cells


def _read_rows(text: str, name: str, problems: _Problems) -> tuple[list[_Row], bool, str | None]:
    reader = _records(text, name)
    try:
        _line, header_cells = next(reader)
    except StopIteration:
        raise ValidationFailedError(
            f"{name}: the file is empty; expected a header row with {', '.join(REQUIRED)}", fields={"file": "empty"}
        ) from None
    header = [_normalise(cell) for cell in header_cells]
    unknown = [cells for cells, normal in zip(header_cells, header, strict=True) if normal not in COLUMNS]
    for cell in unknown:
        problems.add(1, cell.strip() or "(empty)", f"unknown column; expected some of {', '.join(COLUMNS)}")
    for column in REQUIRED:
        if column not in header:
            problems.add(1, column, "this column is required")
    repeated = sorted({column for column in header if header.count(column) > 1})
    for column in repeated:
        problems.add(1, column, "the column appears twice")
    problems.raise_if_any(name)
    has_date = "date" in header
    rows: list[_Row] = []
    periods: set[str] = set()
    for line, cells_list in reader:
        if not any(cell.strip() for cell in cells_list):
            continue
        if len(cells_list) != len(header):
            problems.add(line, None, f"expected {len(header)} cells like the header, got {len(cells_list)}")
            continue
        cells = {column: cell.strip() for column, cell in zip(header, cells_list, strict=True)}
        if "period" in cells:
            period = cells["period"].lower()
            if period not in PERIODS:
                problems.add(line, "period", f'expected cumulative or daily, got "{cells["period"]}"')
            periods.add(period)
        row = _parse_row(cells, line, has_date, problems)
        if row is not None:
            rows.append(row)
    if not rows and not problems.count:
        problems.add(None, None, "the file has a header but no rows")
    if len(periods) > 1:
        problems.add(None, "period", "every row must have the same period (cumulative or daily)")
    return rows, has_date, next(iter(periods)) if len(periods) == 1 else None


def _consistency(rows: list[_Row], problems: _Problems) -> tuple[str, ...]:
    first_of_metric: dict[str, _Row] = {}
    seen: dict[tuple[date | None, str, str], int] = {}
    variations: list[str] = []
    for row in rows:
        if row.variation not in variations:
            variations.append(row.variation)
        first = first_of_metric.setdefault(row.metric, row)
        for column, mine, theirs in (
            ("kind", row.kind, first.kind),
            ("role", row.role, first.role),
            ("higher_is_better", row.higher_is_better, first.higher_is_better),
        ):
            if mine != theirs:
                problems.add(row.line, column, f'metric "{row.metric}" has {column} {theirs} on line {first.line}')
        if (row.values["pre_sum"] is None) != (first.values["pre_sum"] is None):
            problems.add(
                row.line,
                "pre_sum",
                f'metric "{row.metric}" has pre-period statistics on some rows only (compare line {first.line})',
            )
        key = (row.day, row.metric, row.variation)
        if key in seen:
            problems.add(
                row.line,
                "variation",
                f'duplicate row for metric "{row.metric}", variation "{row.variation}"'
                f"{' on ' + row.day.isoformat() if row.day else ''} (first on line {seen[key]})",
            )
        else:
            seen[key] = row.line
    if len(variations) < 2:
        problems.add(None, "variation", f"an experiment needs a control and at least one variation; found {len(variations)}")
    days = sorted({row.day for row in rows if row.day is not None})
    groups: dict[tuple[date | None, str], list[_Row]] = {}
    for row in rows:
        groups.setdefault((row.day, row.metric), []).append(row)
    checked_days: list[date | None] = list(days) if days else [None]
    for day in checked_days:
        for metric, first in first_of_metric.items():
            group = groups.get((day, metric))
            when = f" on {day.isoformat()}" if day else ""
            if group is None:
                problems.add(first.line, "date", f'metric "{metric}" has no rows{when}')
                continue
            have = {row.variation for row in group}
            missing = [variation for variation in variations if variation not in have]
            if missing:
                problems.add(group[0].line, "variation", f'metric "{metric}"{when} has no row for variation {", ".join(missing)}')
    return tuple(variations)


def _arm(variation: str, n: int, values: dict[str, float | None]) -> ArmStats:
    def sum_of(column: str) -> float:
        value = values[column]
        return 0.0 if value is None else value

    return ArmStats(
        variation=variation,
        n=n,
        sum=sum_of("sum"),
        sum_squares=sum_of("sum_squares"),
        denominator_sum=values["denominator_sum"],
        denominator_sum_squares=values["denominator_sum_squares"],
        cross_sum=values["cross_sum"],
        pre_sum=values["pre_sum"],
        pre_sum_squares=values["pre_sum_squares"],
        pre_cross_sum=values["pre_cross_sum"],
    )


def _add(total: dict[str, float | None], values: dict[str, float | None]) -> dict[str, float | None]:
    return {
        column: None if total[column] is None or values[column] is None else (total[column] or 0.0) + (values[column] or 0.0)
        for column in total
    }


def _metrics(
    rows: Iterable[_Row],
    variations: tuple[str, ...],
    metric_order: list[str],
    state: dict[tuple[str, str], tuple[int, dict[str, float | None]]],
    daily: bool,
) -> tuple[MetricInput, ...]:
    described: dict[str, _Row] = {}
    for row in rows:
        key = (row.metric, row.variation)
        if daily and key in state:
            n, values = state[key]
            state[key] = (n + row.n, _add(values, row.values))
        else:
            state[key] = (row.n, dict(row.values))
        described.setdefault(row.metric, row)
    metrics = []
    for metric in metric_order:
        first = described[metric]
        arms = tuple(_arm(variation, *state[(metric, variation)]) for variation in variations)
        metrics.append(
            MetricInput(name=metric, kind=first.kind, arms=arms, role=first.role, higher_is_better=first.higher_is_better)
        )
    return tuple(metrics)


def read_statistics(data: bytes | str, *, name: str, daily: bool | None = None) -> StatisticsFile:
    """Read and validate a statistics file.

    Args:
        data: the file's bytes (UTF-8) or text.
        name: the file's name, for messages.
        daily: rows hold per-day statistics to be summed into cumulative ones (True), or cumulative
            statistics (False); None reads the ``period`` column, and without one means cumulative.

    Returns:
        The metrics to analyse and, with a date column, the cumulative statistics per date.

    Raises:
        ValidationFailedError: every problem found, each under a key "line L, column C" (at most 50 listed).
    """
    problems = _Problems()
    rows, has_date, period = _read_rows(_text(data, name), name, problems)
    if daily is not None and period is not None and daily != (period == "daily"):
        problems.add(None, "period", f"the file says {period} but {'daily' if daily else 'cumulative'} was asked for")
    is_daily = daily if daily is not None else period == "daily"
    if is_daily and not has_date and rows:
        problems.add(1, "date", "daily statistics need a date column")
    problems.raise_if_any(name)
    variations = _consistency(rows, problems)
    problems.raise_if_any(name)
    metric_order = list(dict.fromkeys(row.metric for row in rows))
    state: dict[tuple[str, str], tuple[int, dict[str, float | None]]] = {}
    if not has_date:
        metrics = _metrics(rows, variations, metric_order, state, daily=False)
        return StatisticsFile(name=name, metrics=metrics, days=(), variations=variations, daily=False)
    by_day: dict[date, list[_Row]] = {}
    for row in rows:
        assert row.day is not None  # the file has a date column and each row's date was parsed
        by_day.setdefault(row.day, []).append(row)
    days = tuple(
        StatisticsDay(day=day, metrics=_metrics(by_day[day], variations, metric_order, state, daily=is_daily))
        for day in sorted(by_day)
    )
    return StatisticsFile(name=name, metrics=days[-1].metrics, days=days, variations=variations, daily=is_daily)
