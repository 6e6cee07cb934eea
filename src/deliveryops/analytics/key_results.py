"""Key-result progress and its verdict, and the follow-up of a decision's expected effect.

A key result moves a series (sign-ups a week, conversion, NPS, throughput ...) from a **baseline** to a
**target** in a period. Progress is computed from the data, never typed:

* **current** = the mean of the last :data:`RECENT_POINTS` values in the period (fewer when the period has
  fewer); **progress** = (current − baseline) / (target − baseline), 0 at the baseline and 1 at the target;
* **expected** = the straight line from baseline (period start) to target (period end) at today's share of
  the period.

The verdict is judged against the series' natural variation, estimated as in an XmR chart
(σ̂ = mean moving range / 1.128, from the moving ranges *within* the values before the period and within the
period, so the change itself does not inflate it). Weekly business series are often autocorrelated (a good week
follows a good week): then moving ranges understate the variation and a mean of a few recent weeks varies
more than independent values would. The limits are therefore widened by the AR(1) factor
``sqrt(1 + r) / (1 - r)``, with ``r`` the lag-1 autocorrelation of the values before the period (clipped to
0..:data:`MAX_AUTOCORRELATION`; 1 for independent values) - see :func:`autocorrelation_factor`:

1. fewer than :data:`MIN_BEFORE` values before the period or :data:`MIN_DURING` in it → *not enough data*;
2. current behind the expected line by more than ``K × f × σ̂ / sqrt(n_recent)`` → *off track*;
3. current moved against the target direction from the mean before the period by more than
   ``K × f × σ̂ × sqrt(1/n_recent + 1/n_before)`` → *off track*;
4. current moved towards the target by more than that → *on track*;
5. otherwise → *within normal variation* (the data cannot tell yet).

A decision's expected effect is followed up with the same signal test (:func:`expected_effect`): the mean
after the decision against the mean before it. The error rates of both judgements are measured by
:func:`simulate_rates` on seeded series and published beside the definitions (docs/metrics.md).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np

__all__ = [
    "HELD_OUT_SEED",
    "MAX_AUTOCORRELATION",
    "MIN_BEFORE",
    "MIN_DURING",
    "RECENT_POINTS",
    "TUNING_SEED",
    "Direction",
    "EffectOutcome",
    "EffectResult",
    "K",
    "KeyResultProgress",
    "KeyResultStatus",
    "autocorrelation_factor",
    "expected_effect",
    "key_result_progress",
    "natural_sigma",
    "simulate_rates",
]

K = 3.5  # chosen on the tuning seed with the autocorrelation factor (benchmarks/README.md)
MAX_AUTOCORRELATION = 0.8
D2 = 1.128  # bias-correction constant of two-point moving ranges
MIN_BEFORE = 6
MIN_DURING = 3
RECENT_POINTS = 4
TUNING_SEED = 2112
HELD_OUT_SEED = 90417

Direction = Literal["increase", "decrease"]


class KeyResultStatus(enum.StrEnum):
    """The verdict on a key result."""

    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    NORMAL = "within_normal_variation"
    NOT_ENOUGH = "not_enough_data"

    @property
    def label(self) -> str:
        """Human name."""
        return self.value.replace("_", " ").capitalize()


class EffectOutcome(enum.StrEnum):
    """Whether a decision's expected effect appeared in the data."""

    APPEARED = "appeared"
    OPPOSITE = "opposite"
    NORMAL = "within_normal_variation"
    NOT_ENOUGH = "not_enough_data"

    @property
    def label(self) -> str:
        """Human name."""
        return {
            "appeared": "Expected effect appeared",
            "opposite": "Moved the other way",
            "within_normal_variation": "Within normal variation",
            "not_enough_data": "Not enough data",
        }[self.value]


@dataclass(frozen=True, slots=True)
class KeyResultProgress:
    """A key result's progress with the numbers behind its verdict (None where the data is missing)."""

    status: KeyResultStatus
    current: float | None
    progress: float | None
    expected_progress: float
    sigma: float | None
    detail: str


@dataclass(frozen=True, slots=True)
class EffectResult:
    """A followed-up effect: the outcome, the change of the mean, and whether it reached the expected size."""

    outcome: EffectOutcome
    change: float | None
    size_reached: bool
    detail: str


def natural_sigma(*series: Sequence[float]) -> float | None:
    """σ̂ = mean moving range / 1.128 over the moving ranges within each series (None without a range).

    Args:
        series: one or more runs of consecutive values.

    Returns:
        The estimated point-to-point standard deviation.
    """
    ranges = [abs(b - a) for values in series for a, b in pairwise(values)]
    if not ranges:
        return None
    return (sum(ranges) / len(ranges)) / D2


def autocorrelation_factor(before: Sequence[float]) -> float:
    """How much wider the limits are for an autocorrelated series: ``sqrt(1 + r) / (1 - r)``.

    ``r`` is the lag-1 autocorrelation of ``before`` (clipped to 0..:data:`MAX_AUTOCORRELATION`). For AR(1)
    noise with autocorrelation r, moving ranges estimate ``σ × sqrt(1 - r)`` and the mean of n values has a
    standard deviation of about ``σ / sqrt(n) × sqrt((1 + r) / (1 - r))``: together the factor above.

    Args:
        before: the values before the period (or before a decision), oldest first.

    Returns:
        1 for independent or negatively correlated values, more for positively correlated ones.
    """
    values = np.asarray(before, dtype=float)
    if len(values) < 3:
        return 1.0
    deviations = values - values.mean()
    spread = float(deviations @ deviations)
    r = float(deviations[:-1] @ deviations[1:]) / spread if spread > 0 else 0.0
    r = min(max(r, 0.0), MAX_AUTOCORRELATION)
    return math.sqrt(1 + r) / (1 - r)


def _sign(direction: Direction) -> float:
    return 1.0 if direction == "increase" else -1.0


def key_result_progress(
    before: Sequence[float],
    during: Sequence[float],
    *,
    baseline: float,
    target: float,
    direction: Direction,
    elapsed: float,
    during_shares: Sequence[float] | None = None,
    k: float = K,
) -> KeyResultProgress:
    """Judge a key result.

    Args:
        before: the series' values before the period, oldest first.
        during: its values in the period up to today, oldest first.
        baseline: the stated starting value.
        target: the value to reach by the period's end.
        direction: "increase" or "decrease" (the target lies that way from the baseline).
        elapsed: the share of the period gone by (0 to 1).
        during_shares: the share of the period at each value of ``during`` (default: evenly spread up to
            ``elapsed``); the recent values are compared with the line at their own mean share, so a series
            moving along the line is not behind it.
        k: the limit factor (the default is the measured choice).

    Returns:
        The :class:`KeyResultProgress`.
    """
    share = min(max(elapsed, 0.0), 1.0)
    sign = _sign(direction)
    span = target - baseline
    recent = list(during[-RECENT_POINTS:])
    current = float(np.mean(recent)) if recent else None
    progress = (current - baseline) / span if current is not None and span != 0 else None
    if len(before) < MIN_BEFORE or len(during) < MIN_DURING:
        detail = f"needs {MIN_BEFORE} values before the period and {MIN_DURING} in it (has {len(before)} and {len(during)})"
        return KeyResultProgress(KeyResultStatus.NOT_ENOUGH, current, progress, share, None, detail)
    assert current is not None  # during has at least MIN_DURING values
    sigma = (natural_sigma(before, during) or 0.0) * autocorrelation_factor(before)
    expected = baseline + share * span
    shares = list(during_shares) if during_shares is not None else [share * (i + 1) / len(during) for i in range(len(during))]
    expected_recent = baseline + float(np.mean(shares[-len(recent) :])) * span
    behind = (expected_recent - current) * sign
    moved = (current - float(np.mean(before))) * sign
    behind_limit = k * sigma / math.sqrt(len(recent))
    moved_limit = k * sigma * math.sqrt(1 / len(recent) + 1 / len(before))
    detail = f"current {current:.4g}, expected by now {expected:.4g}; natural variation σ {sigma:.3g}"
    if behind > behind_limit or -moved > moved_limit:
        status = KeyResultStatus.OFF_TRACK
    elif moved > moved_limit:
        status = KeyResultStatus.ON_TRACK
    else:
        status = KeyResultStatus.NORMAL
    return KeyResultProgress(status, current, progress, share, sigma, detail)


def expected_effect(
    before: Sequence[float], after: Sequence[float], *, direction: Direction, size: float, k: float = K
) -> EffectResult:
    """Did an expected effect appear? The mean after a decision against the mean before it.

    Args:
        before: values before the decision, oldest first.
        after: values from the decision to the follow-up date, oldest first.
        direction: the expected direction.
        size: the expected change of the mean (in the series' units, positive).
        k: the limit factor (the default is the measured choice).

    Returns:
        The :class:`EffectResult`; ``size_reached`` when the change went the expected way by at least ``size``.
    """
    if len(before) < MIN_BEFORE or len(after) < MIN_DURING:
        detail = f"needs {MIN_BEFORE} values before the decision and {MIN_DURING} after (has {len(before)} and {len(after)})"
        return EffectResult(EffectOutcome.NOT_ENOUGH, None, False, detail)
    sigma = (natural_sigma(before, after) or 0.0) * autocorrelation_factor(before)
    change = float(np.mean(after)) - float(np.mean(before))
    limit = k * sigma * math.sqrt(1 / len(after) + 1 / len(before))
    detail = f"change of the mean {change:+.4g}; natural variation ±{limit:.3g}; expected {_sign(direction) * size:+.4g}"
    towards = change * _sign(direction)
    if abs(change) <= limit:
        return EffectResult(EffectOutcome.NORMAL, change, False, detail)
    if towards > 0:
        return EffectResult(EffectOutcome.APPEARED, change, towards >= size, detail)
    return EffectResult(EffectOutcome.OPPOSITE, change, False, detail)


def _ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """Standard-deviation-1 AR(1) noise (phi = 0: independent)."""
    noise = rng.normal(size=n)
    out = np.empty(n)
    out[0] = noise[0]
    scale = math.sqrt(1 - phi * phi)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + scale * noise[i]
    return out


def simulate_rates(
    *,
    runs: int,
    seed: int,
    target_sigmas: float = 3.0,
    before_points: int = 13,
    period_points: int = 13,
    phi: float = 0.0,
    k: float = K,
) -> dict[str, float]:
    """Error and detection rates of the key-result verdict and of the effect follow-up on seeded series.

    Each run draws a weekly series: ``before_points`` values before the period, ``period_points`` in it,
    noise of standard deviation 1 (AR(1) with ``phi``). The target is ``target_sigmas`` above the baseline.

    * ``stable``: the series stays at its baseline. Rates: ``false_on_track`` (judged on track at any week of
      the period: a false claim of progress) and ``stable_off_track_end`` (off track at the period's end:
      detecting a key result that did not move).
    * ``on_line``: the series moves along the straight line to the target. Rates: ``false_off_track`` (off
      track at any week: a false alarm) and ``on_track_end`` (on track at the period's end: detection).
    * effect follow-up on ``period_points`` weeks after a decision: ``false_appeared`` (stable series judged
      "appeared" or "opposite") and ``appeared`` (a step of ``target_sigmas`` judged "appeared").

    Args:
        runs: simulated series per scenario.
        seed: the seed (:data:`TUNING_SEED` to choose, :data:`HELD_OUT_SEED` to publish).
        target_sigmas: the size of the target (and of the expected effect) in noise standard deviations.
        before_points: values before the period.
        period_points: values in the period.
        phi: lag-1 autocorrelation of the noise.
        k: the limit factor under test.

    Returns:
        The rates by name.
    """
    rng = np.random.default_rng(seed)
    counts = dict.fromkeys(
        ("false_on_track", "stable_off_track_end", "false_off_track", "on_track_end", "false_appeared", "appeared"), 0
    )
    line = target_sigmas * np.arange(1, period_points + 1) / period_points
    for _ in range(runs):
        for scenario in ("stable", "on_line"):
            noise = _ar1(rng, before_points + period_points, phi)
            before = noise[:before_points].tolist()
            during = noise[before_points:] + (line if scenario == "on_line" else 0.0)
            statuses = [
                key_result_progress(
                    before,
                    during[:week].tolist(),
                    baseline=0.0,
                    target=target_sigmas,
                    direction="increase",
                    elapsed=week / period_points,
                    during_shares=[(i + 1) / period_points for i in range(week)],
                    k=k,
                ).status
                for week in range(MIN_DURING, period_points + 1)
            ]
            if scenario == "stable":
                counts["false_on_track"] += KeyResultStatus.ON_TRACK in statuses
                counts["stable_off_track_end"] += statuses[-1] is KeyResultStatus.OFF_TRACK
            else:
                counts["false_off_track"] += KeyResultStatus.OFF_TRACK in statuses
                counts["on_track_end"] += statuses[-1] is KeyResultStatus.ON_TRACK
        for stepped in (False, True):
            noise = _ar1(rng, before_points + period_points, phi)
            after = noise[before_points:] + (target_sigmas if stepped else 0.0)
            before = noise[:before_points].tolist()
            result = expected_effect(before, after.tolist(), direction="increase", size=target_sigmas, k=k)
            if stepped:
                counts["appeared"] += result.outcome is EffectOutcome.APPEARED
            else:
                counts["false_appeared"] += result.outcome in (EffectOutcome.APPEARED, EffectOutcome.OPPOSITE)
    return {name: count / runs for name, count in counts.items()}
