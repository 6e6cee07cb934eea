"""The chance that a provider team delivers a dependency by a date, and how often the "at risk" judgement errs.

The chance comes from the provider team's own Monte Carlo "when" forecast (the trials of
:func:`deliveryops.analytics.forecast.simulate_completion_days`): each trial samples the team's daily throughput
from its recent window until the items the dependency waits for are done (the unfinished linked items and the
items ahead of them in the team's order); the chance by a date is the share of trials done on or before it.

:func:`simulate_cases` measures the judgement on simulated providers whose truth is known: a history drawn from a
Poisson process (optionally with idle weekends, optionally drifting after the forecast), the chance computed from
that history, and the actual delivery drawn from the process that follows. Seeds below ``HELD_OUT_SEED`` are for
tuning; the published error rates come from the held-out seeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from deliveryops.analytics.forecast import MIN_TRIALS, ForecastInputError, simulate_completion_days

__all__ = [
    "DEFAULT_THRESHOLD",
    "HELD_OUT_SEED",
    "TUNING_SEED",
    "WINDOW_DAYS",
    "CaseOutcome",
    "Chance",
    "JudgementRates",
    "chance_of_delivery",
    "judgement_rates",
    "simulate_cases",
]

DEFAULT_THRESHOLD = 70  # percent: below it the dependency is "at risk"
WINDOW_DAYS = 90  # the provider's throughput window, complete days before today
TUNING_SEED = 1_000
HELD_OUT_SEED = 20_261_207


@dataclass(frozen=True, slots=True)
class Chance:
    """Probabilities (0..1) of being done on or before each asked date; None without throughput to forecast from."""

    remaining_items: int
    by_date: Mapping[date, float | None]
    status: str  # "ok", "done" (nothing left) or "no_throughput"


def chance_of_delivery(
    daily_throughput: Sequence[int],
    *,
    remaining_items: int,
    start_date: date,
    dates: Iterable[date],
    seed: int,
    trials: int = MIN_TRIALS,
) -> Chance:
    """The share of Monte Carlo trials that finish ``remaining_items`` on or before each of ``dates``.

    Day 1 of a trial is the day after ``start_date``, so a date on or before ``start_date`` has chance 0 (unless
    nothing is left, chance 1). One set of trials serves every date.
    """
    asked = sorted(set(dates))
    if remaining_items <= 0:
        return Chance(0, dict.fromkeys(asked, 1.0), "done")
    values = np.asarray(list(daily_throughput), dtype=np.int64)
    if values.size == 0 or int(values.sum()) == 0:
        return Chance(remaining_items, dict.fromkeys(asked), "no_throughput")
    horizon = max([1, *((d - start_date).days for d in asked)])
    try:
        days = simulate_completion_days(
            values, remaining_items=remaining_items, trials=trials, rng=np.random.default_rng(seed), max_days=horizon
        )
    except ForecastInputError:
        return Chance(remaining_items, dict.fromkeys(asked), "no_throughput")
    by_date: dict[date, float | None] = {}
    for asked_date in asked:
        offset = (asked_date - start_date).days
        by_date[asked_date] = float(np.count_nonzero(days <= offset)) / trials if offset >= 1 else 0.0
    return Chance(remaining_items, by_date, "ok")


# --- measuring the judgement ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """One simulated dependency: the chance the forecast gave and whether the provider actually delivered in time."""

    chance: float
    delivered: bool
    drift: bool


def _daily(rng: np.random.Generator, rate: float, days: int, first_weekday: int, weekends: bool) -> np.ndarray:
    counts = rng.poisson(rate, size=days)
    if weekends:
        weekday = (first_weekday + np.arange(days)) % 7
        counts[weekday >= 5] = 0
    return counts


def simulate_cases(
    seed: int, cases: int, *, drift: bool, trials: int = MIN_TRIALS, window_days: int = WINDOW_DAYS
) -> list[CaseOutcome]:
    """Simulate ``cases`` provider teams and dependencies from ``seed`` (reproducible).

    Each case: a pace of 0.2 to 2.5 items a working day; idle weekends in half of the cases; 1 to 25 items to finish
    (the linked ones and those ahead); a needed-by date 0.6 to 1.6 times the mean time those items take at
    that pace (3 to 120 days), where the judgement is hard. The forecast sees the last
    ``window_days`` days; the actual future follows the same pace, or with ``drift`` a pace multiplied by 0.6 to
    1.3 (teams change: people leave, priorities move).
    """
    rng = np.random.default_rng(seed)
    outcomes = []
    for _ in range(cases):
        rate = float(rng.uniform(0.2, 2.5))
        weekends = bool(rng.random() < 0.5)
        weekday = int(rng.integers(0, 7))
        items = int(rng.integers(1, 26))
        per_day = rate * (5 / 7 if weekends else 1.0)
        # Dates near what the pace allows (0.6 to 1.6 times the mean time): the cases where the judgement is hard.
        horizon = int(np.clip(round(items / per_day * rng.uniform(0.6, 1.6)), 3, 120))
        history = _daily(rng, rate, window_days, weekday, weekends)
        future_rate = rate * float(rng.uniform(0.6, 1.3)) if drift else rate
        future = _daily(rng, future_rate, horizon, (weekday + window_days) % 7, weekends)
        start = date(2026, 1, 1)
        needed_by = start + timedelta(days=horizon)
        chance = chance_of_delivery(
            history.tolist(),
            remaining_items=items,
            start_date=start,
            dates=[needed_by],
            seed=int(rng.integers(0, 2**62)),
            trials=trials,
        ).by_date[needed_by]
        outcomes.append(CaseOutcome(chance=chance or 0.0, delivered=int(future.sum()) >= items, drift=drift))
    return outcomes


@dataclass(frozen=True, slots=True)
class JudgementRates:
    """How the "at risk" judgement (chance below ``threshold`` %) fared against what happened."""

    threshold: int
    cases: int
    at_risk: int
    at_risk_delivered: int  # false alarms: at risk, yet delivered in time
    on_track: int
    on_track_late: int  # misses: judged on track, yet late
    bins: tuple[tuple[int, int, int, float], ...]  # (from %, to %, cases, share delivered)

    @property
    def false_alarm_rate(self) -> float:
        return self.at_risk_delivered / self.at_risk if self.at_risk else 0.0

    @property
    def miss_rate(self) -> float:
        return self.on_track_late / self.on_track if self.on_track else 0.0


def judgement_rates(outcomes: Sequence[CaseOutcome], threshold: int = DEFAULT_THRESHOLD) -> JudgementRates:
    """Count false alarms and misses of "at risk" and the calibration of the chance in bins of 10 points."""
    at_risk = [o for o in outcomes if o.chance * 100 < threshold]
    on_track = [o for o in outcomes if o.chance * 100 >= threshold]
    bins = []
    for low in range(0, 100, 10):
        high = low + 10
        inside = [o for o in outcomes if low <= o.chance * 100 < high or (high == 100 and o.chance == 1.0)]
        if inside:
            bins.append((low, high, len(inside), sum(o.delivered for o in inside) / len(inside)))
    return JudgementRates(
        threshold=threshold,
        cases=len(outcomes),
        at_risk=len(at_risk),
        at_risk_delivered=sum(o.delivered for o in at_risk),
        on_track=len(on_track),
        on_track_late=sum(not o.delivered for o in on_track),
        bins=tuple(bins),
    )
