"""Wilson intervals and the calibration verdict against hand-worked values; the verdict's error rates."""

from __future__ import annotations

import math

import pytest

from deliveryops.analytics.calibration import (
    CalibrationOutcome,
    calibrated_band,
    judge_level,
    simulate_verdicts,
    wilson_interval,
)


def test_wilson_interval_by_hand() -> None:
    # 9 of 20, z = 1.959964: centre = (0.45 + z²/40) / (1 + z²/20) = 0.458057,
    # half = z / (1 + z²/20) × sqrt(0.45 × 0.55 / 20 + z²/1600) = 0.199854.
    low, high = wilson_interval(9, 20)
    assert low == pytest.approx(0.258203, abs=1e-5)
    assert high == pytest.approx(0.657911, abs=1e-5)
    # All held, 40 of 40: low = n / (n + z²) = 40 / 43.841459 = 0.912378, high = 1.
    low, high = wilson_interval(40, 40)
    assert low == pytest.approx(40 / (40 + 1.959964**2), abs=1e-6)
    assert high == 1.0
    # None held, 0 of 10: low 0, high = z² / (n + z²) = 3.841459 / 13.841459.
    assert wilson_interval(0, 10) == pytest.approx((0.0, 3.841459 / 13.841459), abs=1e-6)
    # 90% interval is narrower than 95%.
    narrow = wilson_interval(9, 20, confidence=0.9)
    assert narrow[0] > 0.258203
    assert narrow[1] < 0.657911


@pytest.mark.parametrize(("successes", "n"), [(-1, 10), (11, 10), (0, 0)])
def test_wilson_rejects_impossible_counts(successes: int, n: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        wilson_interval(successes, n)


def test_band_and_verdicts() -> None:
    assert calibrated_band(85) == pytest.approx((0.825, 0.875))
    assert calibrated_band(95) == pytest.approx((0.925, 0.975))
    assert judge_level(85, 0, 0).outcome is CalibrationOutcome.NOT_ENOUGH
    few = judge_level(85, 9, 2)
    assert few.outcome is CalibrationOutcome.NOT_ENOUGH
    assert "1 more scored forecasts needed" in few.sentence
    assert judge_level(85, 20, 9).outcome is CalibrationOutcome.OVERCONFIDENT
    assert judge_level(85, 40, 40).outcome is CalibrationOutcome.TOO_CAUTIOUS
    # 136 of 160 (85%): Wilson 78.6% to 89.6%, inside 75%..95% -> well calibrated.
    calibrated = judge_level(85, 160, 136)
    assert calibrated.outcome is CalibrationOutcome.WELL_CALIBRATED
    assert calibrated.sentence == "85% forecasts held 136 of 160 times (85%; 95% interval 79% to 90%): well calibrated."
    # 17 of 20: no sign of a miscalibration, but the interval (64% to 95%) is too wide to call it calibrated.
    assert judge_level(85, 20, 17).outcome is CalibrationOutcome.NOT_ENOUGH


def test_error_rates_within_their_binomial_uncertainty() -> None:
    """The fast version of benchmarks/calibration_bench.py: 4,000 runs per case."""
    runs = 4_000
    margin = 3 * math.sqrt(0.05 * 0.95 / runs)  # three standard errors around a 5% rate
    for level in (50, 70, 85, 95):
        for scored in (10, 40, 160):
            calibrated = simulate_verdicts(level=level, true_hit_rate=level / 100, scored=scored, runs=runs, seed=level)
            false = calibrated[CalibrationOutcome.TOO_CAUTIOUS] + calibrated[CalibrationOutcome.OVERCONFIDENT]
            assert false <= 0.05 + margin, (level, scored, false)
    # A forecaster whose 85% forecasts hold 70% of the time is found in most runs at 160 scored, never reversed.
    over = simulate_verdicts(level=85, true_hit_rate=0.70, scored=160, runs=runs, seed=3)
    assert over[CalibrationOutcome.OVERCONFIDENT] >= 0.9
    assert over[CalibrationOutcome.TOO_CAUTIOUS] == 0.0
    cautious = simulate_verdicts(level=50, true_hit_rate=0.80, scored=40, runs=runs, seed=4)
    assert cautious[CalibrationOutcome.TOO_CAUTIOUS] >= 0.9
    assert cautious[CalibrationOutcome.OVERCONFIDENT] == 0.0
    # Seeded: the same arguments give the same rates.
    assert simulate_verdicts(level=85, true_hit_rate=0.85, scored=40, runs=500, seed=9) == simulate_verdicts(
        level=85, true_hit_rate=0.85, scored=40, runs=500, seed=9
    )
