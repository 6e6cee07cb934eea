"""CSV export of objectives and their key results (one row per key result), shared by the page and the CLI."""

from __future__ import annotations

import io
from collections.abc import Sequence

from deliveryops.outcomes.schemas import ObjectiveRead
from deliveryops.web.csv_export import SafeCsvWriter

__all__ = ["COLUMNS", "objectives_csv"]

COLUMNS = (
    "objective_id",
    "objective",
    "scope",
    "period",
    "objective_owner",
    "key_result_id",
    "key_result",
    "key_result_owner",
    "source",
    "unit",
    "direction",
    "baseline",
    "target",
    "current",
    "progress",
    "expected_progress",
    "status",
)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def objectives_csv(objectives: Sequence[ObjectiveRead]) -> str:
    """The objectives as CSV: one row per key result (an objective without key results has one row)."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for o in objectives:
        head = [o.id, o.title, o.scope, o.period, o.owner or ""]
        if not o.key_results:
            writer.writerow([*head, *[""] * (len(COLUMNS) - len(head))])
        for kr in o.key_results:
            writer.writerow(
                [
                    *head,
                    kr.id,
                    kr.title,
                    kr.owner or "",
                    kr.source_label,
                    kr.unit,
                    kr.direction,
                    _number(kr.baseline),
                    _number(kr.target),
                    _number(kr.current),
                    _number(kr.progress),
                    _number(kr.expected_progress),
                    kr.status,
                ]
            )
    return buffer.getvalue()
