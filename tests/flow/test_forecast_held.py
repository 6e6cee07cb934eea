"""Recent forecasts say whether each held at 85%, scored as the calibration scores it."""

from __future__ import annotations

from datetime import date

from deliveryops.flow.models import Forecast
from deliveryops.flow.service import held_85


def _when(predicted: str, outcome: date | None, commitment: str | None = "plan") -> Forecast:
    return Forecast(kind="when", predicted={"50": "2026-01-05", "85": predicted}, outcome_date=outcome, commitment=commitment)


def test_a_when_forecast_holds_when_done_by_its_85_date() -> None:
    assert held_85(_when("2026-01-10", date(2026, 1, 10)), date(2026, 2, 1)) is True
    assert held_85(_when("2026-01-10", date(2026, 1, 11)), date(2026, 2, 1)) is False
    assert held_85(_when("2026-01-10", None), date(2026, 1, 9)) is None  # not due yet
    assert held_85(_when("2026-01-10", None), date(2026, 1, 10)) is False  # due and not done
    assert held_85(_when("2026-01-10", date(2026, 1, 8), commitment=None), date(2026, 2, 1)) is None  # a what-if


def test_a_how_many_forecast_holds_when_at_least_its_85_count_finished() -> None:
    row = Forecast(kind="how_many", predicted={"85": 12}, by_date=date(2026, 3, 1), outcome_count=12, commitment="plan")
    assert held_85(row, date(2026, 3, 2)) is True
    row.outcome_count = 11
    assert held_85(row, date(2026, 3, 2)) is False
    assert held_85(row, date(2026, 2, 28)) is None
