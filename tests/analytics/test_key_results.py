"""Key-result progress and verdict, and the effect follow-up, on hand-worked series."""

from __future__ import annotations

import pytest

from deliveryops.analytics.key_results import (
    EffectOutcome,
    KeyResultStatus,
    autocorrelation_factor,
    expected_effect,
    key_result_progress,
    natural_sigma,
    simulate_rates,
)

# Moving ranges are all 2 → σ̂ = 2 / 1.128 = 1.7730; the values alternate (autocorrelation below 0: factor 1);
# with 4 recent values and 6 before, the "moved" limit is 3.5 × 1.7730 × sqrt(1/4 + 1/6) = 4.006 and the
# "behind" limit 3.5 × 1.7730 / 2 = 3.103.
BEFORE = [10.0, 12.0, 10.0, 12.0, 10.0, 12.0]


def judge(during: list[float], elapsed: float) -> tuple[KeyResultStatus, float | None, float | None]:
    result = key_result_progress(BEFORE, during, baseline=11, target=21, direction="increase", elapsed=elapsed)
    progress = None if result.progress is None else round(result.progress, 9)
    return result.status, result.current, progress


def test_natural_sigma_uses_moving_ranges_within_each_run() -> None:
    assert natural_sigma(BEFORE, [100.0, 102.0]) == pytest.approx(2 / 1.128)
    assert natural_sigma([5.0]) is None


def test_autocorrelation_widens_the_limits_by_the_ar1_factor() -> None:
    # Deviations from the mean 11: -1 -1 -1 1 1 1; lag-1 products sum to 3 over a sum of squares of 6: r = 0.5,
    # factor sqrt(1.5) / 0.5 = 2.449. Alternating values (r < 0) and too few values keep the factor at 1.
    assert autocorrelation_factor([10, 10, 10, 12, 12, 12]) == pytest.approx(1.5**0.5 / 0.5)
    assert autocorrelation_factor(BEFORE) == 1.0
    assert autocorrelation_factor([3.0, 4.0]) == 1.0
    # Moving ranges 0 0 2 0 0 before and 0 0 0 in the period: σ̂ = (2 / 8) / 1.128 = 0.2216. Current 12 moved 1
    # from the mean 11: beyond 3.5 × 0.2216 × sqrt(1/4 + 1/6) = 0.501 (on track without the factor), inside
    # 2.449 × 0.501 = 1.226 with it; not behind the line (12.25 expected, 0.25 < 3.5 × 2.449 × 0.2216 / 2 = 0.95).
    result = key_result_progress(
        [10, 10, 10, 12, 12, 12], [12, 12, 12, 12], baseline=11, target=21, direction="increase", elapsed=0.2
    )
    assert result.status is KeyResultStatus.NORMAL


def test_a_move_inside_the_natural_variation_is_within_normal_variation() -> None:
    # current = 15, moved 4 < 4.006; expected at the recent values' mean share (0.3125) is 14.125: not behind.
    assert judge([14, 16, 14, 16], 0.5) == (KeyResultStatus.NORMAL, 15.0, 0.4)


def test_a_move_beyond_it_towards_the_target_is_on_track() -> None:
    assert judge([16, 18, 16, 18], 0.5) == (KeyResultStatus.ON_TRACK, 17.0, 0.6)


def test_behind_the_line_by_more_than_the_variation_is_off_track() -> None:
    # At the end: the recent values' mean share is 0.625, expected 17.25; current 12 is 5.25 behind > 3.103.
    assert judge([11, 13, 11, 13], 1.0) == (KeyResultStatus.OFF_TRACK, 12.0, 0.1)


def test_moving_the_wrong_way_is_off_track_even_early() -> None:
    assert judge([4, 6, 4, 6], 0.1)[0] is KeyResultStatus.OFF_TRACK


def test_a_decrease_target_is_judged_the_other_way() -> None:
    result = key_result_progress(BEFORE, [6, 4, 6, 4], baseline=11, target=1, direction="decrease", elapsed=0.5)
    assert result.status is KeyResultStatus.ON_TRACK
    assert result.progress == pytest.approx(0.6)


def test_too_few_values_give_not_enough_data_with_the_counts() -> None:
    result = key_result_progress(BEFORE[:5], [14, 16, 14], baseline=11, target=21, direction="increase", elapsed=0.3)
    assert result.status is KeyResultStatus.NOT_ENOUGH
    assert result.detail == "needs 6 values before the period and 3 in it (has 5 and 3)"
    assert result.current == pytest.approx(44 / 3)


@pytest.mark.parametrize(
    ("after", "outcome", "reached"),
    [
        ([14, 16, 14, 16], EffectOutcome.NORMAL, False),
        ([16, 18, 16, 18], EffectOutcome.APPEARED, True),
        ([14.5, 16.5, 14.5, 16.5, 14.5, 16.5, 14.5, 16.5], EffectOutcome.APPEARED, False),
        ([5, 7, 5, 7], EffectOutcome.OPPOSITE, False),
        ([16, 18], EffectOutcome.NOT_ENOUGH, False),
    ],
)
def test_expected_effect(after: list[float], outcome: EffectOutcome, reached: bool) -> None:
    result = expected_effect(BEFORE, after, direction="increase", size=5)
    assert (result.outcome, result.size_reached) == (outcome, reached)


def test_error_rates_on_fresh_seeds_agree_with_the_published_ones() -> None:
    # Published (held-out, 2,000 runs, autocorrelation 0.3, target 3σ): 2.9% false on track, 3.5% false off
    # track, 63.0% on track at the end; 300 fresh runs stay within about 3 binomial standard errors.
    rates = simulate_rates(runs=300, seed=7, target_sigmas=3.0, phi=0.3)
    assert rates["false_on_track"] <= 0.08
    assert rates["false_off_track"] <= 0.09
    assert rates["on_track_end"] >= 0.54
