"""Monte Carlo forecasts (DESIGN.md, "Forecasts (Monte Carlo)")."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from deliveryops.analytics.calibration import CalibrationOutcome
from deliveryops.analytics.forecast import (
    NO_THROUGHPUT_MESSAGE,
    ForecastInputError,
    ForecastOutcome,
    ForecastStatus,
    LevelCalibration,
    calibration,
    counts_at_confidence,
    forecast_how_many,
    forecast_items,
    forecast_when,
    new_seed,
    simulate_completion_days,
    simulate_totals,
)

TODAY = date(2024, 3, 1)
SEED = 20240301
WINDOW = [0, 1, 3, 0, 2, 0, 0, 4, 1, 1, 0, 2, 5, 0]


def at_least(percent: int, trials: int) -> int:
    """Trials needed for "at least P% of trials" (exact integer ceiling)."""
    return -(-percent * trials // 100)


# --- reproducibility and recorded inputs -------------------------------------------------------


def test_same_seed_gives_identical_when_forecast() -> None:
    first = forecast_when(WINDOW, remaining_items=30, start_date=TODAY, seed=SEED, target_date=date(2024, 4, 1))
    second = forecast_when(WINDOW, remaining_items=30, start_date=TODAY, seed=SEED, target_date=date(2024, 4, 1))
    other = forecast_when(WINDOW, remaining_items=30, start_date=TODAY, seed=SEED + 1)

    assert first == second
    assert first.histogram != other.histogram


def test_same_seed_gives_identical_how_many_and_items_forecasts() -> None:
    by_date = date(2024, 3, 31)
    assert forecast_how_many(WINDOW, by_date=by_date, start_date=TODAY, seed=SEED) == forecast_how_many(
        WINDOW, by_date=by_date, start_date=TODAY, seed=SEED
    )
    keys = ["A-1", "A-2", "A-3"]
    assert forecast_items(WINDOW, ordered_items=keys, by_date=by_date, start_date=TODAY, seed=SEED) == forecast_items(
        WINDOW, ordered_items=keys, by_date=by_date, start_date=TODAY, seed=SEED
    )


def test_stored_inputs_reproduce_the_forecast() -> None:
    forecast = forecast_when(np.array(WINDOW), remaining_items=25, start_date=TODAY, trials=12_000, seed=7)

    assert forecast.inputs.window == tuple(WINDOW)
    assert forecast.inputs.window_days == 14
    assert forecast.inputs.window_total_items == 19
    assert forecast.inputs.trials == 12_000
    assert forecast.inputs.seed == 7
    replay = forecast_when(
        list(forecast.inputs.window),
        remaining_items=25,
        start_date=TODAY,
        trials=forecast.inputs.trials,
        seed=forecast.inputs.seed,
    )
    assert replay == forecast


def test_new_seed_is_a_63_bit_non_negative_int() -> None:
    seeds = {new_seed() for _ in range(20)}
    assert all(isinstance(seed, int) and 0 <= seed < 2**63 for seed in seeds)
    assert len(seeds) == 20


# --- "when" ------------------------------------------------------------------------------------


def test_constant_throughput_of_one_finishes_in_exactly_n_days() -> None:
    forecast = forecast_when([1] * 30, remaining_items=17, start_date=TODAY, seed=SEED, target_date=TODAY + timedelta(days=17))

    assert forecast.status is ForecastStatus.OK
    assert forecast.message is None
    assert forecast.days == {50: 17, 70: 17, 85: 17, 95: 17}
    assert forecast.dates == dict.fromkeys((50, 70, 85, 95), date(2024, 3, 18))
    assert forecast.histogram == {17: 10_000}
    assert forecast.probability_by_target == 1.0
    assert forecast.not_finished_trials == 0


def test_probability_by_target_counts_trials_finished_on_or_before_it() -> None:
    day_before = forecast_when([1], remaining_items=5, start_date=TODAY, seed=SEED, target_date=date(2024, 3, 5))
    on_the_day = forecast_when([1], remaining_items=5, start_date=TODAY, seed=SEED, target_date=date(2024, 3, 6))
    assert (day_before.finished_by_target_trials, day_before.probability_by_target) == (0, 0.0)
    assert (on_the_day.finished_by_target_trials, on_the_day.probability_by_target) == (10_000, 1.0)

    varied = forecast_when(WINDOW, remaining_items=20, start_date=TODAY, seed=SEED, target_date=date(2024, 3, 16))
    by_day_15 = sum(count for day, count in varied.histogram.items() if day <= 15)
    assert varied.finished_by_target_trials == by_day_15
    assert varied.probability_by_target == by_day_15 / 10_000


def test_remaining_smaller_than_one_days_throughput_takes_one_day() -> None:
    forecast = forecast_when([3, 3, 3], remaining_items=2, start_date=TODAY, seed=SEED)

    assert forecast.days == {50: 1, 70: 1, 85: 1, 95: 1}
    assert forecast.dates == dict.fromkeys((50, 70, 85, 95), date(2024, 3, 2))
    assert forecast.histogram == {1: 10_000}


def test_zero_remaining_is_already_done() -> None:
    forecast = forecast_when([0, 0, 0], remaining_items=0, start_date=TODAY, seed=SEED, target_date=date(2024, 3, 1))

    assert forecast.status is ForecastStatus.ALREADY_DONE
    assert forecast.message == "There are no remaining items, so the work is already done."
    assert forecast.days == {50: 0, 70: 0, 85: 0, 95: 0}
    assert forecast.dates == dict.fromkeys((50, 70, 85, 95), TODAY)
    assert forecast.probability_by_target == 1.0
    assert forecast.histogram == {0: 10_000}


@pytest.mark.parametrize("window", [[], [0] * 90], ids=["empty", "all-zero"])
def test_window_without_completions_gives_a_message_not_a_crash(window: list[int]) -> None:
    when = forecast_when(window, remaining_items=5, start_date=TODAY, seed=SEED, target_date=date(2024, 4, 1))
    how_many = forecast_how_many(window, by_date=date(2024, 4, 1), start_date=TODAY, seed=SEED)
    items = forecast_items(window, ordered_items=["X-1"], by_date=date(2024, 4, 1), start_date=TODAY, seed=SEED)

    assert NO_THROUGHPUT_MESSAGE == (
        "The throughput window has no completed items, so no forecast is possible; choose a longer window."
    )
    for result in (when, how_many, items):
        assert result.status is ForecastStatus.NO_THROUGHPUT
        assert result.message == NO_THROUGHPUT_MESSAGE
        assert result.inputs.window_days == len(window)
        assert result.inputs.window_total_items == 0
    assert when.days == dict.fromkeys((50, 70, 85, 95))
    assert when.dates == dict.fromkeys((50, 70, 85, 95))
    assert when.probability_by_target is None
    assert when.histogram == {}
    assert how_many.counts == dict.fromkeys((50, 70, 85, 95))
    assert how_many.histogram == {}
    assert [(item.key, item.probability) for item in items.items] == [("X-1", None)]


def test_trials_not_finished_within_max_days_are_reported() -> None:
    # One completion in 100 days: 50 items in 100 days would need 50 lucky draws out of 100.
    forecast = forecast_when([1] + [0] * 99, remaining_items=50, start_date=TODAY, seed=SEED, max_days=100)

    assert forecast.status is ForecastStatus.NOT_WITHIN_MAX_DAYS
    assert forecast.not_finished_trials == 10_000
    assert forecast.histogram == {}
    assert forecast.days == dict.fromkeys((50, 70, 85, 95))
    assert forecast.dates == dict.fromkeys((50, 70, 85, 95))
    assert forecast.message == (
        "10,000 of 10,000 trials did not finish 50 items within 100 days; "
        "a percentile beyond that is shown as 'not within 100 days'."
    )


def test_some_unfinished_trials_leave_only_the_high_percentiles_empty() -> None:
    # Window [0, 1]: 10 items need 10 successes at p = 1/2; within 20 days that happens in
    # P(Binomial(20, 1/2) >= 10) = 58.8% of cases, so P50 exists and P70 does not.
    forecast = forecast_when([0, 1], remaining_items=10, start_date=TODAY, seed=SEED, max_days=20)

    assert forecast.status is ForecastStatus.NOT_WITHIN_MAX_DAYS
    assert forecast.days[50] == 19
    assert (forecast.days[70], forecast.days[85], forecast.days[95]) == (None, None, None)
    assert forecast.not_finished_trials == 10_000 - sum(forecast.histogram.values())
    assert max(forecast.histogram) == 20


def test_when_percentiles_are_nearest_rank_over_the_trials() -> None:
    completion = simulate_completion_days(
        WINDOW, remaining_items=40, trials=10_000, rng=np.random.default_rng(SEED), max_days=3650
    )
    forecast = forecast_when(WINDOW, remaining_items=40, start_date=TODAY, seed=SEED)

    assert forecast.histogram == dict(Counter(completion.tolist()))
    trials_at_or_below = Counter[int]()
    for value in set(completion.tolist()):
        trials_at_or_below[value] = int(np.count_nonzero(completion <= value))
    for level, days in forecast.days.items():
        # Brute force: the smallest observed V with at least P% of trials <= V.
        expected = min(v for v, n in trials_at_or_below.items() if n >= at_least(level, 10_000))
        assert days == expected
        assert forecast.dates[level] == TODAY + timedelta(days=expected)


def test_completion_day_distribution_matches_the_exact_one() -> None:
    # Window [0, 2], 3 items: done on the day of the second "2"; P(day = d) = (d - 1) / 2**d.
    trials = 40_000
    completion = simulate_completion_days(
        [0, 2], remaining_items=3, trials=trials, rng=np.random.default_rng(SEED), max_days=3650
    )
    counts = Counter(completion.tolist())
    assert min(counts) == 2
    for day in range(2, 9):
        expected = (day - 1) / 2**day
        tolerance = 5 * math.sqrt(expected * (1 - expected) / trials)
        assert abs(counts[day] / trials - expected) < tolerance, day


def test_trials_extended_beyond_the_first_block_follow_the_exact_distribution() -> None:
    # Window with one completion in 10 days, 2 items: done by day d iff Binomial(d, 0.1) >= 2.
    # The first block is 30 days, so about 18% of trials need further blocks.
    trials = 40_000
    completion = simulate_completion_days(
        [1] + [0] * 9, remaining_items=2, trials=trials, rng=np.random.default_rng(SEED), max_days=3650
    )
    for day in (5, 20, 30, 45, 80):
        expected = float(stats.binom.sf(1, day, 0.1))
        tolerance = 5 * math.sqrt(expected * (1 - expected) / trials)
        assert abs(float(np.mean(completion <= day)) - expected) < tolerance, day
    assert int(completion.max()) > 100  # stragglers were really extended, not capped


# --- "how many" --------------------------------------------------------------------------------


def test_counts_at_confidence_counts_from_the_top() -> None:
    # Ten trials: five finished 0 items, five finished 1. "At least 50% of trials reached C" holds
    # for C = 1 (5 of 10), while the 50th percentile from below would say 0.
    totals = [0] * 5 + [1] * 5
    assert counts_at_confidence(totals, (10, 50, 51, 100)) == {10: 1, 50: 1, 51: 0, 100: 0}
    # Twenty trials 1..20: P = 85 needs 17 trials, so the 17th largest total, 4.
    assert counts_at_confidence(range(20, 0, -1), (50, 85, 95)) == {50: 11, 85: 4, 95: 2}


def test_how_many_counts_are_reached_or_exceeded_in_at_least_p_percent_of_trials() -> None:
    window = [0, 1, 2]
    by_date = date(2024, 3, 4)  # 3 simulated days
    forecast = forecast_how_many(window, by_date=by_date, start_date=TODAY, seed=SEED, percentiles=range(1, 101))
    totals = simulate_totals(window, days=3, trials=10_000, rng=np.random.default_rng(SEED)).tolist()

    assert forecast.horizon_days == 3
    assert forecast.histogram == dict(Counter(totals))
    for level, count in forecast.counts.items():
        assert count is not None
        # Brute force over the trials: the largest C reached or exceeded in at least P% of them.
        reached = [c for c in range(0, 7) if sum(t >= c for t in totals) >= at_least(level, 10_000)]
        assert count == max(reached), level
    assert forecast.counts[100] == 0


def test_how_many_with_constant_throughput_is_exact() -> None:
    forecast = forecast_how_many([2, 2, 2], by_date=date(2024, 3, 11), start_date=TODAY, seed=SEED)
    assert forecast.counts == {50: 20, 70: 20, 85: 20, 95: 20}
    assert forecast.histogram == {20: 10_000}


@pytest.mark.parametrize("by_date", [TODAY, date(2024, 2, 1)])
def test_how_many_by_date_must_be_after_start_date(by_date: date) -> None:
    with pytest.raises(ForecastInputError) as error:
        forecast_how_many(WINDOW, by_date=by_date, start_date=TODAY, seed=SEED)
    assert str(error.value) == (
        f"by_date ({by_date.isoformat()}) must be after start_date (2024-03-01): "
        "the forecast counts items finished from the day after start_date through by_date."
    )


# --- items by a date ---------------------------------------------------------------------------


def test_items_with_constant_throughput() -> None:
    forecast = forecast_items(
        [1], ordered_items=["A-1", "A-2", "A-3", "A-4"], by_date=date(2024, 3, 4), start_date=TODAY, seed=SEED
    )
    assert [(item.key, item.position, item.probability) for item in forecast.items] == [
        ("A-1", 0, 1.0),
        ("A-2", 1, 1.0),
        ("A-3", 2, 1.0),
        ("A-4", 3, 0.0),
    ]


def test_items_agree_with_how_many_on_the_same_trials() -> None:
    by_date = date(2024, 3, 21)
    how_many = forecast_how_many(WINDOW, by_date=by_date, start_date=TODAY, seed=SEED)
    keys = [f"K-{i}" for i in range(60)]
    items = forecast_items(WINDOW, ordered_items=keys, by_date=by_date, start_date=TODAY, seed=SEED)

    totals = simulate_totals(WINDOW, days=20, trials=10_000, rng=np.random.default_rng(SEED))
    for item in items.items:
        assert item.done_trials == int(np.count_nonzero(totals >= item.position + 1))
    for level, count in how_many.counts.items():
        assert count is not None
        # The item at position count - 1 is done in at least P% of trials; the next one is not.
        assert items.items[count - 1].done_trials >= at_least(level, 10_000)
        assert items.items[count].done_trials < at_least(level, 10_000)


# --- invalid input -----------------------------------------------------------------------------


def test_fewer_than_ten_thousand_trials_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^trials must be at least 10,000, got 9,999$"):
        forecast_when(WINDOW, remaining_items=3, start_date=TODAY, trials=9_999, seed=SEED)
    with pytest.raises(ValueError, match=r"^trials must be at least 10,000, got 100$"):
        forecast_how_many(WINDOW, by_date=date(2024, 4, 1), start_date=TODAY, trials=100, seed=SEED)


def test_negative_or_fractional_throughput_is_refused() -> None:
    with pytest.raises(ForecastInputError, match=r"^daily_throughput must not be negative: day 2 has -1$"):
        forecast_when([1, 0, -1], remaining_items=3, start_date=TODAY, seed=SEED)
    with pytest.raises(ForecastInputError, match=r"^daily_throughput must hold whole numbers of items"):
        forecast_when(np.array([1.5, 2.0]), remaining_items=3, start_date=TODAY, seed=SEED)


def test_invalid_percentile_is_refused() -> None:
    with pytest.raises(ForecastInputError, match=r"^percentiles must be whole numbers from 1 to 100, got 0$"):
        forecast_when(WINDOW, remaining_items=3, start_date=TODAY, seed=SEED, percentiles=(0, 50))


# --- properties --------------------------------------------------------------------------------

windows = st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=30).filter(any)


@settings(max_examples=25, deadline=None)
@given(window=windows, remaining=st.integers(min_value=1, max_value=80), seed=st.integers(0, 2**63 - 1))
def test_when_percentiles_are_monotone(window: list[int], remaining: int, seed: int) -> None:
    days = forecast_when(window, remaining_items=remaining, start_date=TODAY, seed=seed).days
    values = [days[50], days[70], days[85], days[95]]
    assert all(value is not None for value in values)
    assert values == sorted(values)  # type: ignore[type-var]
    assert values[0] >= math.ceil(remaining / max(window))  # type: ignore[operator]


@settings(max_examples=25, deadline=None)
@given(window=windows, horizon=st.integers(min_value=1, max_value=90), seed=st.integers(0, 2**63 - 1))
def test_how_many_counts_are_non_increasing_with_confidence(window: list[int], horizon: int, seed: int) -> None:
    counts = forecast_how_many(window, by_date=TODAY + timedelta(days=horizon), start_date=TODAY, seed=seed).counts
    values = [counts[50], counts[70], counts[85], counts[95]]
    assert values == sorted(values, reverse=True)  # type: ignore[type-var]
    assert 0 <= values[-1] <= values[0] <= horizon * max(window)  # type: ignore[operator]


# --- calibration -------------------------------------------------------------------------------


def test_calibration_counts_held_forecasts_per_level_and_skips_pending_ones() -> None:
    march = {50: date(2024, 3, 10), 85: date(2024, 3, 20)}
    outcomes = [
        ForecastOutcome("when", march, date(2024, 3, 8)),  # both held
        ForecastOutcome("when", march, date(2024, 3, 15)),  # 50 missed, 85 held
        ForecastOutcome("when", march, date(2024, 3, 25)),  # both missed
        ForecastOutcome("when", march, None),  # unfinished on 2024-03-12: 50 missed, 85 pending
        ForecastOutcome("when", {50: date(2024, 4, 1), 85: None}, None),  # pending
        ForecastOutcome("how_many", {50: 10, 85: 7}, 8, horizon=date(2024, 3, 10)),  # 50 missed, 85 held
        ForecastOutcome("how_many", {50: 10, 85: 7}, 10, horizon=date(2024, 3, 10)),  # both held
        ForecastOutcome("how_many", {50: 10, 85: 7}, 3, horizon=date(2024, 3, 20)),  # horizon not passed
        ForecastOutcome("how_many", {50: 10, 85: 7}, None, horizon=date(2024, 3, 1)),  # outcome unknown
    ]

    report = calibration(outcomes, as_of=date(2024, 3, 12))

    def counts(levels: dict[int, LevelCalibration]) -> dict[int, tuple[int, int, float | None]]:
        return {level: (c.scored, c.held, c.hit_rate) for level, c in levels.items()}

    assert counts(report.levels) == {50: (6, 2, 2 / 6), 85: (5, 4, 4 / 5)}
    assert {kind: counts(levels) for kind, levels in report.by_kind.items()} == {
        "how_many": {50: (2, 1, 0.5), 85: (2, 2, 1.0)},
        "when": {50: (4, 1, 0.25), 85: (3, 2, 2 / 3)},
    }
    # Each level carries its Wilson interval and verdict: 5 scored is too few to judge.
    assert report.levels[85].outcome is CalibrationOutcome.NOT_ENOUGH
    assert (report.levels[85].low, report.levels[85].high) == pytest.approx((0.375535, 0.963776), abs=1e-5)
    assert report.pending == 3


def test_calibration_of_nothing_is_empty() -> None:
    report = calibration([], as_of=TODAY)
    assert (report.levels, report.by_kind, report.pending) == ({}, {}, 0)


def test_calibration_refuses_a_how_many_forecast_without_horizon() -> None:
    with pytest.raises(ForecastInputError, match=r"^a 'how_many' forecast needs its horizon \(by_date\)$"):
        calibration([ForecastOutcome("how_many", {85: 4}, 5)], as_of=TODAY)
