"""How often an admin-defined check (a signal, a threshold, a window) misjudges a team, on synthetic teams
whose true level is known.

An admin-defined check passes when the signal measured over its window is at least the threshold (at most,
for signals a practice keeps low, such as pull-request lifetime), :func:`judge`. What it measures is a sample
of the team's true level: a team deploying 1.2 times a week on average may deploy 3 times in a 4-week
window. :func:`simulate_signal_check` draws teams whose true level lies from a third of the threshold to
three times it (log-uniform; shares uniform from 0 to 100%), simulates their events over the window, and
counts how often the verdict differs from the truth (true level at or above the threshold, or at or below):

* **rate** signals (deployments or workflow runs a week): Poisson events at the true rate;
* **count** signals (retros, health checks, syncs, forecasts in the window): a Poisson count with the true mean;
* **share** signals (pull requests reviewed, %): each of a Poisson number of merged pull requests (3 a week)
  is reviewed with the true probability; no pull request gives no verdict;
* **median** signals (pull-request lifetime, hours): lognormal lifetimes (σ = 1) around the true median, a
  Poisson number (3 a week); no pull request gives no verdict.

The rates are published in benchmarks/README.md ("Admin-defined checks") next to the definition.
"""

from __future__ import annotations

import enum
import math

import numpy as np

__all__ = ["SignalKind", "judge", "simulate_signal_check"]

PRS_PER_WEEK = 3.0
LIFETIME_SIGMA = 1.0
NEAR = 0.25  # a team within 25% of the threshold (10 points of a share) is "near" it


class SignalKind(enum.StrEnum):
    """How a signal's value arises from events."""

    RATE = "rate"
    COUNT = "count"
    SHARE = "share"
    MEDIAN = "median"


def judge(value: float | None, threshold: float, *, at_most: bool) -> bool | None:
    """The verdict of an admin-defined check: None without a value, else the value against the threshold."""
    if value is None:
        return None
    return value <= threshold if at_most else value >= threshold


def _observe(kind: SignalKind, truth: float, weeks: float, rng: np.random.Generator) -> float | None:
    if kind is SignalKind.RATE:
        return float(rng.poisson(truth * weeks)) / weeks
    if kind is SignalKind.COUNT:
        return float(rng.poisson(truth))
    merged = int(rng.poisson(PRS_PER_WEEK * weeks))
    if merged == 0:
        return None
    if kind is SignalKind.SHARE:
        return 100.0 * rng.binomial(merged, truth / 100.0) / merged
    return float(np.median(rng.lognormal(math.log(truth), LIFETIME_SIGMA, size=merged)))


def simulate_signal_check(
    kind: SignalKind, *, threshold: float, window_days: int, at_most: bool = False, runs: int = 2000, seed: int = 1000
) -> dict[str, float]:
    """Misjudged teams of one admin-defined check on synthetic teams with a known true level.

    Args:
        kind: how the signal arises from events.
        threshold: the check's threshold, in the signal's unit (a share in %).
        window_days: the check's window.
        at_most: the practice keeps the signal at or below the threshold.
        runs: how many teams.
        seed: the random seed.

    Returns:
        ``error`` (share of teams with a verdict that contradicts the truth, among teams with a verdict),
        ``error_far`` (the same for teams further than 25% from the threshold, 10 points for a share),
        ``no_verdict`` (share of teams without a verdict).
    """
    rng = np.random.default_rng(seed)
    weeks = window_days / 7
    wrong = judged = wrong_far = judged_far = silent = 0
    for _ in range(runs):
        if kind is SignalKind.SHARE:
            truth = float(rng.uniform(0.0, 100.0))
            far = abs(truth - threshold) > 100 * NEAR * 0.4
        else:
            truth = float(threshold * math.exp(rng.uniform(-math.log(3), math.log(3))))
            far = abs(truth - threshold) > NEAR * threshold
        verdict = judge(_observe(kind, truth, weeks, rng), threshold, at_most=at_most)
        if verdict is None:
            silent += 1
            continue
        expected = truth <= threshold if at_most else truth >= threshold
        judged += 1
        wrong += verdict != expected
        if far:
            judged_far += 1
            wrong_far += verdict != expected
    return {
        "error": wrong / judged if judged else 0.0,
        "error_far": wrong_far / judged_far if judged_far else 0.0,
        "no_verdict": silent / runs,
    }
