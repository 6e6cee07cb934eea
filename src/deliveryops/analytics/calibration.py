"""Is a team's forecasting calibrated? Wilson intervals on hit rates, a verdict per confidence level,
and the seeded simulation that measures how often that verdict is wrong.

A forecast at confidence level P "holds" when the work was done by its P% date (or the P% count was
reached). Of ``scored`` committed forecasts, ``held`` held. The verdict per level:

* fewer than :data:`MIN_SCORED` scored forecasts: **not enough forecasts** (nothing is claimed);
* the 95% Wilson interval of the hit rate lies wholly above the calibrated band: **too cautious** (the
  dates are later, the counts lower, than they need to be);
* it lies wholly below the band: **overconfident**;
* it lies within P ± 10 points (:data:`PRECISION`): **well calibrated**;
* otherwise (the interval is still too wide to say): **not enough forecasts**.

The calibrated band is ``[P − 2.5 points, min(P + 2.5 points, P + (100 − P) / 2)]``: a Monte Carlo
forecast of whole items and whole days reaches at least P% of its trials, so a well-made forecast holds
a little more than P% of the time, and 2.5 points either way is of no practical consequence.

:func:`simulate_verdicts` draws forecasters whose true hit rate is known (calibrated, too cautious,
overconfident), applies the verdict, and counts how often it is right; ``benchmarks/calibration_bench.py``
publishes the table and a fast version runs in the tests.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

__all__ = [
    "CONFIDENCE",
    "MIN_SCORED",
    "PRECISION",
    "TOLERANCE",
    "CalibrationOutcome",
    "LevelVerdict",
    "calibrated_band",
    "judge_level",
    "simulate_verdicts",
    "wilson_interval",
]

CONFIDENCE = 0.95
MIN_SCORED = 10
TOLERANCE = 0.025
PRECISION = 0.10


class CalibrationOutcome(enum.StrEnum):
    """The verdict on one confidence level."""

    WELL_CALIBRATED = "well_calibrated"
    TOO_CAUTIOUS = "too_cautious"
    OVERCONFIDENT = "overconfident"
    NOT_ENOUGH = "not_enough_forecasts"

    @property
    def label(self) -> str:
        """The verdict in words."""
        return {
            "well_calibrated": "well calibrated",
            "too_cautious": "too cautious",
            "overconfident": "overconfident",
            "not_enough_forecasts": "not enough forecasts",
        }[self.value]


@dataclass(frozen=True, slots=True)
class LevelVerdict:
    """One confidence level: its record, the Wilson interval of its hit rate and the verdict."""

    level: int
    scored: int
    held: int
    hit_rate: float | None
    low: float | None
    high: float | None
    outcome: CalibrationOutcome
    sentence: str


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion.

    ``centre = (p + z²/2n) / (1 + z²/n)``, ``half = z / (1 + z²/n) × sqrt(p(1 − p)/n + z²/4n²)`` with
    ``p = successes / n`` and z the two-sided normal quantile of ``confidence``.

    Args:
        successes: forecasts that held, 0..n.
        n: forecasts scored, at least 1.
        confidence: the interval's coverage, in (0, 1).

    Returns:
        ``(low, high)``, both within [0, 1].

    Raises:
        ValueError: on n < 1, successes outside 0..n or a confidence outside (0, 1).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be from 0 to n ({n}), got {successes}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def calibrated_band(level: int) -> tuple[float, float]:
    """The hit rates that count as calibrated for level P (in %), as fractions."""
    target = level / 100
    return target - TOLERANCE, min(target + TOLERANCE, target + (1 - target) / 2)


def judge_level(level: int, scored: int, held: int) -> LevelVerdict:
    """The verdict on one confidence level from its record.

    Args:
        level: P, 1..99.
        scored: committed forecasts scored at this level.
        held: how many of them held.

    Returns:
        The :class:`LevelVerdict`, with a sentence to show.
    """
    if not 1 <= level <= 99:
        raise ValueError(f"level must be from 1 to 99, got {level}")
    if scored == 0:
        return LevelVerdict(
            level, 0, 0, None, None, None, CalibrationOutcome.NOT_ENOUGH, f"No {level}% forecast has been scored yet."
        )
    low, high = wilson_interval(held, scored)
    rate = held / scored
    record = f"{level}% forecasts held {held} of {scored} times ({rate:.0%}; 95% interval {low:.0%} to {high:.0%})"
    if scored < MIN_SCORED:
        outcome = CalibrationOutcome.NOT_ENOUGH
        sentence = f"{record}: not enough forecasts to judge; {MIN_SCORED - scored} more scored forecasts needed."
    else:
        band_low, band_high = calibrated_band(level)
        if low > band_high:
            outcome = CalibrationOutcome.TOO_CAUTIOUS
            sentence = f"{record}: too cautious, the dates are later (the counts lower) than they need to be."
        elif high < band_low:
            outcome = CalibrationOutcome.OVERCONFIDENT
            sentence = f"{record}: overconfident, they fail more often than {100 - level}% of the time."
        elif low >= level / 100 - PRECISION and high <= min(1.0, level / 100 + PRECISION):
            outcome = CalibrationOutcome.WELL_CALIBRATED
            sentence = f"{record}: well calibrated."
        else:
            outcome = CalibrationOutcome.NOT_ENOUGH
            sentence = f"{record}: no sign of miscalibration yet, but the interval is still too wide to call it calibrated."
    return LevelVerdict(level, scored, held, rate, low, high, outcome, sentence)


def simulate_verdicts(*, level: int, true_hit_rate: float, scored: int, runs: int, seed: int) -> dict[CalibrationOutcome, float]:
    """How often each verdict comes out for a forecaster whose forecasts hold with ``true_hit_rate``.

    Each run draws ``scored`` independent forecasts (held with probability ``true_hit_rate``) and judges
    the level. Seeded: the same arguments give the same rates.

    Returns:
        The share of runs per verdict (every outcome present, summing to 1).
    """
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    rng = np.random.default_rng(seed)
    held = rng.binomial(scored, true_hit_rate, size=runs)
    counts = dict.fromkeys(CalibrationOutcome, 0)
    for value, times in zip(*np.unique(held, return_counts=True), strict=True):
        counts[judge_level(level, scored, int(value)).outcome] += int(times)
    return {outcome: count / runs for outcome, count in counts.items()}
