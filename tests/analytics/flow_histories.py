"""Tiny literal histories shared by the flow tests (a helper module, not a test file)."""

from __future__ import annotations

import math
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from polars.testing import assert_frame_equal

from deliveryops.work.records import StageCategory

WORKFLOW: dict[str, tuple[StageCategory, int]] = {
    "Backlog": (StageCategory.BACKLOG, 0),
    "Dev": (StageCategory.ACTIVE, 1),
    "Review": (StageCategory.WAITING, 2),
    "Test": (StageCategory.ACTIVE, 3),
    "Done": (StageCategory.DONE, 4),
    "Released": (StageCategory.DONE, 5),
    "Dropped": (StageCategory.DISCARDED, 6),
}
ZONE = ZoneInfo("Europe/Berlin")


def utc(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2024) -> datetime:
    """A UTC instant; the default hour keeps it on the same date in Berlin."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def history(*rows: tuple[int, str, datetime]) -> pl.DataFrame:
    """A transitions frame from ``(item_id, status, at)`` rows."""
    return pl.DataFrame(
        rows,
        schema={"item_id": pl.Int64, "status": pl.Utf8, "at": pl.Datetime("us", "UTC")},
        orient="row",
    )


def blocks(*rows: tuple[int, datetime, datetime | None, str | None]) -> pl.DataFrame:
    """A blocked-intervals frame from ``(item_id, start, end, reason)`` rows."""
    return pl.DataFrame(
        rows,
        schema={
            "item_id": pl.Int64,
            "start": pl.Datetime("us", "UTC"),
            "end": pl.Datetime("us", "UTC"),
            "reason": pl.Utf8,
        },
        orient="row",
    )


def row(frame: pl.DataFrame, item_id: int) -> dict[str, Any]:
    """The one row of ``frame`` for ``item_id``, as a dict."""
    rows = frame.filter(pl.col("item_id") == item_id).to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


SUM_ORDER_TOLERANCE = 1e-12
"""Relative difference allowed in summed hours: polars adds a group's values in chunks that depend on the frame's size."""


def assert_same_summary(got: Any, expected: Any, path: str = "summary") -> None:
    """Assert two flow results are the same, field by field: frames and values exactly, except summed hours.

    Hours summed by polars (flow efficiency, blocked time, blocker clusters) may differ in the last bits when the
    same items are summed inside a larger frame; they must agree to :data:`SUM_ORDER_TOLERANCE` (relative).
    """
    if isinstance(expected, pl.DataFrame):
        assert isinstance(got, pl.DataFrame), path
        assert_frame_equal(got, expected, rel_tol=SUM_ORDER_TOLERANCE, abs_tol=0.0)
    elif is_dataclass(expected):
        for field in fields(expected):
            assert_same_summary(getattr(got, field.name), getattr(expected, field.name), f"{path}.{field.name}")
    elif isinstance(expected, float):
        assert math.isclose(got, expected, rel_tol=SUM_ORDER_TOLERANCE, abs_tol=0.0), (path, got, expected)
    else:
        assert got == expected, (path, got, expected)
