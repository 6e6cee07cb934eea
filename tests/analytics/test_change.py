"""Changes between two periods judged against natural variation: hand-worked cases and false-signal rates."""

from __future__ import annotations

import math

import pytest

from deliveryops.analytics.change import (
    ChangeOutcome,
    judge_counts,
    judge_latest,
    judge_percentile,
    judge_proportion,
    judge_weekly,
    simulate_false_signals,
    weekly_blocks,
)


def test_weekly_limit_by_hand() -> None:
    # Moving ranges within each period: 2, 1, 2 and 1, 1, 1: mean 8/6; sigma = (8/6) / 1.128 = 1.18203.
    # Limit = 3 x 1.18203 x sqrt(4 + 4) = 10.03; the totals differ by 46 - 22 = 24: a signal up.
    change = judge_weekly([10, 12, 11, 13], [5, 6, 5, 6])
    assert change.outcome is ChangeOutcome.UP
    assert change.detail == "difference +24; natural variation ±10.0"
    # The same weeks the other way round: a signal down.
    assert judge_weekly([5, 6, 5, 6], [10, 12, 11, 13]).outcome is ChangeOutcome.DOWN


def test_205_against_206_is_within_normal_variation() -> None:
    previous = [16, 14, 18, 15, 17, 13, 16, 19, 15, 14, 17, 16, 16]  # 206
    current = [15, 17, 14, 16, 18, 15, 13, 16, 17, 15, 16, 14, 19]  # 205
    assert (sum(current), sum(previous)) == (205, 206)
    change = judge_weekly(current, previous)
    assert change.outcome is ChangeOutcome.NORMAL
    assert not change.is_signal


def test_too_few_weeks_and_partial_weeks() -> None:
    assert judge_weekly([3, 4], [3, 4, 5]).outcome is ChangeOutcome.NOT_ENOUGH
    assert weekly_blocks([1] * 17) == [7, 7]  # the last 3 days are not a complete week
    # Identical flat weeks: no variation, no difference.
    assert judge_weekly([4, 4, 4], [4, 4, 4]).outcome is ChangeOutcome.NORMAL


def test_latest_week_against_natural_process_limits() -> None:
    # Baseline 4,5,3,4,6,4,5,4,3,5,4: centre 47/11 = 4.27; moving ranges 1,2,1,2,2,1,1,1,2,1: mean 1.4;
    # limits 4.27 -/+ 2.66 x 1.4 = 0.55 .. 8.0. Twelve is above: a signal; six is not.
    weeks = [4, 5, 3, 4, 6, 4, 5, 4, 3, 5, 4]
    assert judge_latest([*weeks, 12]).outcome is ChangeOutcome.UP
    assert judge_latest([*weeks, 12]).detail == "latest 12; natural range 0.5 to 8.0"
    assert judge_latest([*weeks, 6]).outcome is ChangeOutcome.NORMAL
    assert judge_latest([4, 5, 12]).outcome is ChangeOutcome.NOT_ENOUGH


def test_counts_exact_poisson_test() -> None:
    # 2 against 0 in equal periods: P(X = 0 or 2 | n = 2, p = 1/2) = 1/4 + 1/4 = 0.5.
    assert judge_counts(2, 0).detail == "p = 0.500"
    assert judge_counts(2, 0).outcome is ChangeOutcome.NORMAL
    # 30 against 10: p = 2 x P(X >= 30 | n = 40, p = 1/2) = 0.0022 < 0.01: a signal up.
    change = judge_counts(30, 10)
    assert change.outcome is ChangeOutcome.UP
    assert change.detail == "p = 0.002"
    assert judge_counts(0, 0).outcome is ChangeOutcome.NORMAL


def test_percentile_and_proportion() -> None:
    before = [2, 3, 3, 4, 4, 5, 5, 6, 7, 9] * 3
    after = [v * 3 for v in before]
    assert judge_percentile(after, before, seed=1).outcome is ChangeOutcome.UP
    assert judge_percentile(before, before, seed=1).outcome is ChangeOutcome.NORMAL
    assert judge_percentile(before[:5], before).outcome is ChangeOutcome.NOT_ENOUGH
    assert judge_proportion((2, 40), (20, 40)).outcome is ChangeOutcome.DOWN
    assert judge_proportion((5, 40), (6, 40)).outcome is ChangeOutcome.NORMAL
    assert judge_proportion((1, 5), (0, 40)).outcome is ChangeOutcome.NOT_ENOUGH


@pytest.mark.parametrize("seasonal", [False, True])
def test_false_signal_rate_on_stable_series(seasonal: bool) -> None:
    """The fast version of benchmarks/change_bench.py: at most 5% within three standard errors."""
    runs = 600
    margin = 3 * math.sqrt(0.05 * 0.95 / runs)
    for test in ("weekly", "counts", "latest"):
        for mean in (2, 4, 10):
            for weeks in (4, 13):
                rate = simulate_false_signals(
                    test=test, mean_per_week=mean, weeks=weeks, runs=runs, seed=mean * 100 + weeks, seasonal=seasonal
                )
                assert rate <= 0.05 + margin, (test, mean, weeks, rate)
    # A doubling of a 10-a-week process over a quarter is found almost always.
    assert simulate_false_signals(test="weekly", mean_per_week=10, weeks=13, runs=200, seed=5, shift=1.0) >= 0.9
