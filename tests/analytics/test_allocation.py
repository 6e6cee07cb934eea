"""Parallel epics sharing a team's throughput, against hand-worked examples."""

from __future__ import annotations

from datetime import date

import pytest

from deliveryops.analytics.allocation import Allocation, allocation_thresholds, describe, forecast_shared

TODAY = date(2026, 3, 1)


def test_priority_order_adds_up_the_epics_ahead() -> None:
    # A (3 left), then B (5 left): A is done after 3 of the team's items, B after 3 + 5 = 8.
    assert allocation_thresholds([("A", 3), ("B", 5)], Allocation.PRIORITY) == {"A": 3, "B": 8}
    # An epic with nothing left is done now and holds nobody up.
    assert allocation_thresholds([("A", 0), ("B", 5), ("C", 2)], Allocation.PRIORITY) == {"A": 0, "B": 5, "C": 7}


def test_even_shares_pass_on_when_an_epic_is_done() -> None:
    # A 3, B 5 share evenly: after 6 items each has had 3 and A is done; B needs 2 more: 8.
    assert allocation_thresholds([("A", 3), ("B", 5)], Allocation.EVEN) == {"A": 6, "B": 8}
    # A 6, B 2, D 4 (sorted B 2, D 4, A 6; k = 3): B = 3 x 2 = 6; D = 2 + 2 x 4 = 10; A = 2 + 4 + 6 = 12.
    assert allocation_thresholds([("A", 6), ("B", 2), ("C", 0), ("D", 4)], Allocation.EVEN) == {
        "A": 12,
        "B": 6,
        "C": 0,
        "D": 10,
    }
    # Equal epics finish together, when all their items are done.
    assert allocation_thresholds([("A", 4), ("B", 4)], Allocation.EVEN) == {"A": 8, "B": 8}


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="listed once"):
        allocation_thresholds([("A", 1), ("A", 2)], Allocation.PRIORITY)
    with pytest.raises(ValueError, match="epic B: remaining items must not be negative"):
        allocation_thresholds([("A", 1), ("B", -2)], Allocation.EVEN)


def test_dates_follow_the_rule_with_constant_throughput() -> None:
    # One item a day, every day: each percentile is exactly the threshold's day.
    window = [1] * 28
    priority = forecast_shared(window, remaining=[("A", 3), ("B", 5)], allocation=Allocation.PRIORITY, start_date=TODAY, seed=1)
    assert [s.forecast.dates[85] for s in priority] == [date(2026, 3, 4), date(2026, 3, 9)]
    even = forecast_shared(window, remaining=[("A", 3), ("B", 5)], allocation=Allocation.EVEN, start_date=TODAY, seed=1)
    assert [s.forecast.dates[85] for s in even] == [date(2026, 3, 7), date(2026, 3, 9)]
    # Either way the last epic is done when all 8 items are; alone, A would have been done on day 3.
    assert [s.rule for s in priority] == [
        "priority order: first of 2 epics, the team's whole throughput",
        "priority order: after A (2 of 2)",
    ]
    assert even[0].rule == "shared evenly with 1 other open epic"


def test_describe_single_epic() -> None:
    assert describe("A", [("A", 3)], Allocation.EVEN) == "shared evenly: the only open epic, the team's whole throughput"
