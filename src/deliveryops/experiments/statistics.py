"""Importing an experiment's sufficient statistics (from CSV or JSON rows) into cumulative snapshots.

Each import is the experiment's whole history so far and replaces what was there, all or nothing.
Rows are either cumulative (the totals up to and including the day) or daily (that day's units
only); daily rows are summed into cumulative snapshots. Every error names its line and column.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.experiments import service
from deliveryops.experiments.models import (
    Experiment,
    ExperimentStatus,
    MetricKind,
    MetricSnapshot,
)
from deliveryops.experiments.stats_csv import read_statistics

__all__ = ["EXTRA_FIELDS", "ImportSummary", "StatRow", "import_statistics", "rows_from_csv", "snapshot_rows"]

EXTRA_FIELDS = ("denominator_sum", "denominator_sum_squares", "cross_sum", "pre_sum", "pre_sum_squares", "pre_cross_sum")
IMPORT_STATUSES = (ExperimentStatus.RUNNING, ExperimentStatus.ANALYSING)
MAX_ROWS = 200_000


@dataclass(frozen=True)
class StatRow:
    """One row of statistics: a metric and a variation on a day (``line`` is the source line, if any)."""

    day: date
    metric: str
    variation: str
    n: int
    sum: float
    sum_squares: float
    denominator_sum: float | None = None
    denominator_sum_squares: float | None = None
    cross_sum: float | None = None
    pre_sum: float | None = None
    pre_sum_squares: float | None = None
    pre_cross_sum: float | None = None
    line: int | None = None


@dataclass(frozen=True)
class ImportSummary:
    """What an import stored."""

    rows: int
    days: int
    first_day: date | None
    last_day: date | None
    snapshots: int


def _where(row: StatRow, number: int, column: str) -> str:
    return f"Line {row.line}, column {column}" if row.line is not None else f"Row {number}, field {column}"


def _check_rows(experiment: Experiment, rows: Sequence[StatRow], *, cumulative: bool) -> None:
    if not rows:
        raise ValidationFailedError("The statistics are empty: give at least one row.", fields={"file": "no rows"})
    if len(rows) > MAX_ROWS:
        raise ValidationFailedError(f"At most {MAX_ROWS:,} rows per import.", fields={"file": "too many rows"})
    metrics = {m.name: m for m in experiment.metrics}
    variations = {v.name for v in experiment.variations}
    seen: dict[tuple[str, str, date], int] = {}
    for number, row in enumerate(rows, start=1):
        problem: tuple[str, str] | None = None
        if row.metric not in metrics:
            problem = (
                "metric",
                f"no metric {row.metric!r} in this experiment (it has: {', '.join(sorted(metrics)) or 'none yet'})",
            )
        elif row.variation not in variations:
            problem = (
                "variation",
                f"no variation {row.variation!r} in this experiment (it has: {', '.join(sorted(variations))})",
            )
        elif row.n < 0:
            problem = ("n", f"n must be 0 or more, got {row.n}")
        else:
            for column in ("sum", "sum_squares", *EXTRA_FIELDS):
                value = getattr(row, column)
                if value is not None and not math.isfinite(value):
                    problem = (column, "must be a finite number")
                    break
            if problem is None and row.sum_squares < 0:
                problem = ("sum_squares", f"a sum of squares cannot be negative, got {row.sum_squares:g}")
            kind = metrics[row.metric].kind
            if problem is None and kind is MetricKind.PROPORTION and not 0 <= row.sum <= row.n:
                problem = ("sum", f"a proportion's sum counts converted units, between 0 and n ({row.n}); got {row.sum:g}")
            if (
                problem is None
                and kind is MetricKind.RATIO
                and None in (row.denominator_sum, row.denominator_sum_squares, row.cross_sum)
            ):
                problem = (
                    "denominator_sum",
                    f"{row.metric!r} is a ratio metric: give denominator_sum, denominator_sum_squares and cross_sum",
                )
        if problem is None and (row.metric, row.variation, row.day) in seen:
            problem = (
                "day",
                f"{row.metric} / {row.variation} on {row.day.isoformat()} appears twice "
                f"(first on {'line' if row.line is not None else 'row'} "
                f"{seen[(row.metric, row.variation, row.day)]})",
            )
        if problem is not None:
            column, message = problem
            raise ValidationFailedError(
                f"{_where(row, number, column)}: {message}. Nothing was imported.", fields={column: message}
            )
        seen[(row.metric, row.variation, row.day)] = row.line if row.line is not None else number
    if cumulative:
        by_cell: dict[tuple[str, str], list[tuple[date, int, StatRow]]] = defaultdict(list)
        for number, row in enumerate(rows, start=1):
            by_cell[(row.metric, row.variation)].append((row.day, number, row))
        for cell in by_cell.values():
            cell.sort(key=lambda entry: entry[0])
            for (_day, _n, before), (_later, number, after) in itertools.pairwise(cell):
                if after.n < before.n:
                    message = (
                        f"cumulative n falls from {before.n} on {before.day.isoformat()} to {after.n} on "
                        f"{after.day.isoformat()}; were these daily rows?"
                    )
                    raise ValidationFailedError(
                        f"{_where(after, number, 'n')}: {message} Nothing was imported.", fields={"n": message}
                    )


def _add(total: float | None, value: float | None) -> float | None:
    return None if total is None or value is None else total + value


def import_statistics(
    *, session: Session, actor: User, experiment_id: int, rows: Sequence[StatRow], cumulative: bool
) -> ImportSummary:
    """Replace the experiment's statistics with ``rows`` (all or nothing).

    Args:
        session: the unit of work.
        actor: who imports (the team's people, Product Ops, admins).
        experiment_id: the experiment (running or analysing).
        rows: the statistics, per day, metric and variation.
        cumulative: True if each row holds the totals up to its day; False if it holds that day only.

    Returns:
        What was stored.

    Raises:
        ValidationFailedError: naming the line and column of the first bad row.
    """
    experiment = service.get_or_raise(session=session, actor=actor, experiment_id=experiment_id)
    if not service.can_edit(session, actor, experiment):
        raise PermissionDeniedError("Only the team's people, Product Ops and admins import its statistics.")
    if experiment.status not in IMPORT_STATUSES:
        raise ValidationFailedError(
            f"Statistics are imported while the experiment runs or is analysed; it is {experiment.status.label.lower()}.",
            fields={"status": experiment.status.value},
        )
    _check_rows(experiment, rows, cumulative=cumulative)
    metric_ids = {m.name: m.id for m in experiment.metrics}
    variation_ids = {v.name: v.id for v in experiment.variations}
    by_cell: dict[tuple[str, str], list[StatRow]] = defaultdict(list)
    for row in rows:
        by_cell[(row.metric, row.variation)].append(row)
    session.execute(delete(MetricSnapshot).where(MetricSnapshot.experiment_id == experiment.id))
    stored = 0
    for (metric, variation), cell in by_cell.items():
        cell.sort(key=lambda r: r.day)
        totals: dict[str, float | None] = {}
        for row in cell:
            if cumulative or not totals:
                totals = {name: getattr(row, name) for name in ("n", "sum", "sum_squares", *EXTRA_FIELDS)}
            else:
                totals = {name: _add(totals[name], getattr(row, name)) for name in ("n", "sum", "sum_squares", *EXTRA_FIELDS)}
            session.add(
                MetricSnapshot(
                    experiment_id=experiment.id,
                    metric_id=metric_ids[metric],
                    variation_id=variation_ids[variation],
                    day=row.day,
                    n=int(totals["n"] or 0),
                    sum=float(totals["sum"] or 0.0),
                    sum_squares=float(totals["sum_squares"] or 0.0),
                    **{name: totals[name] for name in EXTRA_FIELDS},
                )
            )
            stored += 1
    days = sorted({row.day for row in rows})
    session.flush()
    return ImportSummary(rows=len(rows), days=len(days), first_day=days[0], last_day=days[-1], snapshots=stored)


def snapshot_rows(session: Session, experiment: Experiment) -> list[StatRow]:
    """The stored cumulative snapshots as rows, by day, metric and variation (the CSV export)."""
    metrics = {m.id: m.name for m in experiment.metrics}
    variations = {v.id: v.name for v in experiment.variations}
    snapshots = session.scalars(
        select(MetricSnapshot)
        .where(MetricSnapshot.experiment_id == experiment.id)
        .order_by(MetricSnapshot.day, MetricSnapshot.metric_id, MetricSnapshot.variation_id)
    )
    return [
        StatRow(
            day=s.day,
            metric=metrics[s.metric_id],
            variation=variations[s.variation_id],
            n=s.n,
            sum=s.sum,
            sum_squares=s.sum_squares,
            **{name: getattr(s, name) for name in EXTRA_FIELDS},
        )
        for s in snapshots
    ]


def _lines(text: str) -> dict[tuple[str, str, str], int]:
    """The first line of each (date, metric, variation) in a statistics CSV (the reader validated it)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = ["_".join(cell.strip().lower().replace("-", " ").split()) for cell in next(reader, [])]
    found: dict[tuple[str, str, str], int] = {}
    for cells in reader:
        if len(cells) != len(header):
            continue
        row = dict(zip(header, (c.strip() for c in cells), strict=True))
        found.setdefault((row.get("date", ""), row.get("metric", ""), row.get("variation", "")), reader.line_num)
    return found


def rows_from_csv(
    data: bytes, *, name: str, experiment: Experiment, default_day: date, daily: bool | None = None
) -> list[StatRow]:
    """Read a statistics CSV (``docs/experiment-statistics.md``) into cumulative rows for this experiment.

    A file without a date column is one cumulative snapshot on ``default_day``. A metric whose kind in
    the file differs from the registered one is an error on its first line.

    Args:
        data: the file's bytes.
        name: the file's name, for messages.
        experiment: the experiment it belongs to.
        default_day: the day of a file without dates (the upload's date).
        daily: as for ``read_statistics`` (None reads the file's ``period`` column).

    Returns:
        Cumulative rows with their source lines.

    Raises:
        ValidationFailedError: naming the line and column.
    """
    parsed = read_statistics(data, name=name, daily=daily)
    text = data.decode("utf-8-sig")
    lines = _lines(text)
    registered = {m.name: m for m in experiment.metrics}
    snapshots = [(d.day, d.metrics) for d in parsed.days] or [(default_day, parsed.metrics)]
    result: list[StatRow] = []
    for day, metrics in snapshots:
        day_text = day.isoformat() if parsed.days else ""
        for metric in metrics:
            for arm in metric.arms:
                line = lines.get((day_text, metric.name, arm.variation))
                known = registered.get(metric.name)
                if known is not None and known.kind.value != metric.kind.value:
                    message = f"{metric.name!r} is registered as a {known.kind.value} metric, the file says {metric.kind.value}"
                    raise ValidationFailedError(
                        f"{name}: line {line}, column kind: {message}. Nothing was imported.",
                        fields={f"line {line}, column kind": message},
                    )
                result.append(
                    StatRow(
                        day=day,
                        metric=metric.name,
                        variation=arm.variation,
                        n=arm.n,
                        sum=arm.sum,
                        sum_squares=arm.sum_squares,
                        denominator_sum=arm.denominator_sum,
                        denominator_sum_squares=arm.denominator_sum_squares,
                        cross_sum=arm.cross_sum,
                        pre_sum=arm.pre_sum,
                        pre_sum_squares=arm.pre_sum_squares,
                        pre_cross_sum=arm.pre_cross_sum,
                        line=line,
                    )
                )
    return result
