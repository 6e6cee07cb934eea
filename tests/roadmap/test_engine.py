"""The roadmap engine: sharing thresholds by hand, the calendar, and "never earlier than the single-epic forecast"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliveryops.roadmap.engine import (
    Absence,
    Calendar,
    Rule,
    cut_line,
    public_holidays,
    shared_thresholds,
    simulate_thresholds,
)

MONDAY = date(2026, 11, 2)  # a Monday; four weeks of history follow
TODAY = date(2026, 11, 29)  # a Sunday: day 1 is Monday 30 November


def test_priority_thresholds_add_up_in_order() -> None:
    assert shared_thresholds([("A", 3), ("B", 2), ("C", 0), ("D", 4)], Rule.PRIORITY) == {"A": 3, "B": 5, "C": 0, "D": 9}


def test_even_split_by_hand() -> None:
    # Three open epics of 2, 4 and 6 items, a third each: B (2) is done after 6 team items; then A and C
    # have 2 and 4 left, half each: A after 6 + 4 = 10; C after 10 + 2 = 12.
    assert shared_thresholds([("A", 4), ("B", 2), ("C", 6)], Rule.EVEN) == {"B": 6, "A": 10, "C": 12}


def test_stated_shares_by_hand() -> None:
    # A gets 75%, B 25%: A (6 items) is done after 8 team items, B has 2 of 4 done; then B alone: 8 + 2 = 10.
    assert shared_thresholds([("A", 6), ("B", 4)], Rule.SHARES, {"A": 75, "B": 25}) == {"A": 8, "B": 10}


def test_equal_stated_shares_are_the_even_split() -> None:
    remaining = [("A", 5), ("B", 9), ("C", 2), ("D", 7)]
    assert shared_thresholds(remaining, Rule.SHARES, dict.fromkeys("ABCD", 10)) == shared_thresholds(remaining, Rule.EVEN)


def test_stated_shares_need_a_share_per_open_epic() -> None:
    with pytest.raises(ValueError, match="epic B"):
        shared_thresholds([("A", 6), ("B", 4)], Rule.SHARES, {"A": 50})


def _weekday_window(per_day: int, weeks: int = 4) -> list[int]:
    return [per_day if (MONDAY + timedelta(days=i)).weekday() < 5 else 0 for i in range(7 * weeks)]


def test_constant_throughput_by_hand() -> None:
    # Exactly 1 item each working day, nothing at weekends: 7 items are done on the 7th working day,
    # Tuesday 8 December; with a holiday on Wednesday 2 December it is Wednesday 9 December.
    window = _weekday_window(1)
    plain = simulate_thresholds(
        window, window_start=MONDAY, calendar=Calendar(), start_date=TODAY, thresholds=[7], trials=10_000, seed=1
    )
    assert plain[7].dates == {50: date(2026, 12, 8), 85: date(2026, 12, 8)}
    holiday = Calendar(holidays=frozenset({date(2026, 12, 2)}))
    moved = simulate_thresholds(
        window, window_start=MONDAY, calendar=holiday, start_date=TODAY, thresholds=[7], trials=10_000, seed=1
    )
    assert moved[7].dates == {50: date(2026, 12, 9), 85: date(2026, 12, 9)}


def test_full_absence_stops_work_and_half_absence_halves_it() -> None:
    window = _weekday_window(2)
    away = Calendar(absences=(Absence(date(2026, 11, 30), date(2026, 12, 4), 1.0),))
    result = simulate_thresholds(
        window, window_start=MONDAY, calendar=away, start_date=TODAY, thresholds=[2], trials=10_000, seed=3
    )
    assert result[2].dates[85] == date(2026, 12, 7)  # the week away, then one working day of 2 items
    half = Calendar(absences=(Absence(date(2026, 11, 30), date(2026, 12, 31), 0.5),))
    halved = simulate_thresholds(
        window, window_start=MONDAY, calendar=half, start_date=TODAY, thresholds=[20], trials=10_000, seed=3
    )
    # 20 items at an expected 1 a working day: around 20 working days, so late December.
    assert date(2026, 12, 22) <= halved[20].dates[50] <= date(2026, 12, 31)  # type: ignore[operator]


def test_hand_worked_priority_roadmap() -> None:
    # Two epics of 3 and 4 items in priority order, 1 item per working day: A on day 3 (Wed 2 Dec),
    # B after 7 items (Tue 8 Dec) although alone it would take 4 working days (Thu 3 Dec).
    window = _weekday_window(1)
    thresholds = shared_thresholds([("A", 3), ("B", 4)], Rule.PRIORITY)
    result = simulate_thresholds(
        window,
        window_start=MONDAY,
        calendar=Calendar(),
        start_date=TODAY,
        thresholds=[*thresholds.values(), 4],
        trials=10_000,
        seed=5,
    )
    assert result[thresholds["A"]].dates[85] == date(2026, 12, 2)
    assert result[thresholds["B"]].dates[85] == date(2026, 12, 8)
    assert result[4].dates[85] == date(2026, 12, 3)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    counts=st.lists(st.integers(0, 12), min_size=1, max_size=5),
    rule=st.sampled_from(list(Rule)),
    window=st.lists(st.integers(0, 4), min_size=14, max_size=28).filter(lambda w: sum(w) > 0),
)
def test_sharing_is_never_earlier_than_the_single_epic_forecast(
    seed: int, counts: list[int], rule: Rule, window: list[int]
) -> None:
    remaining = [(f"E{i}", count) for i, count in enumerate(counts)]
    shares = {key: 10 + 7 * i for i, (key, _count) in enumerate(remaining)}
    thresholds = shared_thresholds(remaining, rule, shares)
    result = simulate_thresholds(
        window,
        window_start=MONDAY,
        calendar=Calendar(holidays=frozenset({date(2026, 12, 25)})),
        start_date=TODAY,
        thresholds=[*thresholds.values(), *counts],
        trials=10_000,
        seed=seed,
        max_days=400,
        cut_date=date(2027, 1, 31),
    )
    for key, count in remaining:
        assert thresholds[key] >= count
        shared, alone = result[thresholds[key]], result[count]
        for level in (50, 85):
            shared_day, alone_day = shared.days[level], alone.days[level]
            if alone_day is None:
                assert shared_day is None
            elif shared_day is not None:
                assert shared_day >= alone_day
        assert shared.done_by_cut is not None
        assert alone.done_by_cut is not None
        assert shared.done_by_cut <= alone.done_by_cut


def test_cut_line_is_85_percent_of_trials() -> None:
    assert cut_line(0.85) is True
    assert cut_line(0.8499) is False
    assert cut_line(None) is None


def test_seed_reproduces_the_dates() -> None:
    window = [0, 1, 3, 0, 2, 0, 0] * 4
    first = simulate_thresholds(
        window, window_start=MONDAY, calendar=Calendar(), start_date=TODAY, thresholds=[9, 17], trials=10_000, seed=42
    )
    again = simulate_thresholds(
        window, window_start=MONDAY, calendar=Calendar(), start_date=TODAY, thresholds=[9, 17], trials=10_000, seed=42
    )
    assert first == again


def test_public_holidays_from_the_library() -> None:
    bavaria = public_holidays("DE", "BY", [2026])
    assert date(2026, 1, 6) in bavaria  # Epiphany: Bavaria, not Berlin
    assert date(2026, 1, 6) not in public_holidays("DE", "BE", [2026])
    assert public_holidays(None, None, [2026]) == {}
    with pytest.raises(ValueError, match="country"):
        public_holidays("XX", None, [2026])
