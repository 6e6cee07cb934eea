"""The roadmap's arithmetic: a team calendar, epics sharing the team's throughput, and one Monte Carlo run.

Pure functions (no database). The definitions are pinned in docs/metrics.md ("Roadmap date range",
"Roadmap cut line"):

* **Calendar.** A future day's *capacity* is 0 on a public holiday of the team's country (and
  subdivision) and otherwise 1 minus the planned absence on that day (shares of overlapping absences
  add up, at most 1). Dates are the team's local dates.
* **Sampling.** History days are split into *working days* (Monday to Friday, not a public holiday)
  and *days off* (weekends and public holidays). A simulated working day draws a past working day's
  throughput, a simulated weekend draws a past day off (so a team that never finishes anything at
  weekends finishes nothing at simulated weekends), a simulated holiday finishes nothing. A draw of
  ``n`` items on a day of capacity ``c`` < 1 keeps each item with probability ``c`` (binomial thinning).
* **Sharing.** Each epic's *threshold* is the number of the team's items finished by the time the
  epic is done, by priority order, an even split, or stated shares (weighted fluid split; an epic
  that is done passes its share on to the open epics in proportion to theirs).
* **One run.** All thresholds of a team are read off the same simulated trials, so an epic's dates
  when sharing are never earlier than its dates with the team's whole throughput (its own
  threshold is never larger), trial by trial.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import holidays as holidays_lib
import numpy as np
import numpy.typing as npt

from deliveryops.analytics.allocation import Allocation, allocation_thresholds
from deliveryops.analytics.percentiles import nearest_rank_many

__all__ = [
    "LEVELS",
    "Absence",
    "Calendar",
    "EpicDates",
    "Rule",
    "cut_line",
    "public_holidays",
    "shared_thresholds",
    "simulate_counts",
    "simulate_thresholds",
    "supported_countries",
]

LEVELS = (50, 85)
WEEKEND = frozenset({5, 6})  # Saturday, Sunday
_CHUNK_TRIALS = 2_000


class Rule(enum.StrEnum):
    """How the team's open epics share its throughput on the roadmap."""

    PRIORITY = "priority"
    EVEN = "even"
    SHARES = "shares"

    @property
    def label(self) -> str:
        """Human name of the rule."""
        return {"priority": "Priority order", "even": "Shared evenly", "shares": "Stated shares"}[self.value]


@dataclass(frozen=True, slots=True)
class Absence:
    """Planned absence: ``share`` (0 < share <= 1) of the team's capacity is away from ``start`` to ``end`` inclusive."""

    start: date
    end: date
    share: float


@dataclass(frozen=True, slots=True)
class Calendar:
    """A team's public holidays (local dates) and planned absences."""

    holidays: frozenset[date] = frozenset()
    absences: tuple[Absence, ...] = ()

    def capacity(self, day: date) -> float:
        """Share of the team's usual capacity on ``day``: 0 on a public holiday, else 1 minus absences (>= 0)."""
        if day in self.holidays:
            return 0.0
        away = sum(a.share for a in self.absences if a.start <= day <= a.end)
        return max(0.0, 1.0 - away)

    def is_day_off(self, day: date) -> bool:
        """A weekend day or a public holiday."""
        return day.weekday() in WEEKEND or day in self.holidays


def public_holidays(country: str | None, subdivision: str | None, years: Iterable[int]) -> dict[date, str]:
    """The public holidays of a country (and subdivision) in the given years, from the ``holidays`` library.

    Raises:
        ValueError: on an unknown country or subdivision (the message names it).
    """
    if not country:
        return {}
    try:
        found = holidays_lib.country_holidays(country, subdiv=subdivision or None, years=sorted(set(years)))
    except NotImplementedError:
        raise ValueError(f"Unknown country code {country!r}; use an ISO 3166 code such as DE or US.") from None
    return {day: str(name) for day, name in sorted(found.items())}


def supported_countries() -> dict[str, list[str]]:
    """ISO country code -> its subdivision codes, for every country the holidays library knows."""
    return {code: sorted(subdivisions) for code, subdivisions in sorted(holidays_lib.list_supported_countries().items())}


def shared_thresholds(
    remaining: Sequence[tuple[str, int]], rule: Rule, shares: Mapping[str, float] | None = None
) -> dict[str, int]:
    """Per epic, the team's items finished by the time the epic is done.

    Args:
        remaining: (epic key, unfinished items) in priority order.
        rule: priority order, even split, or stated shares.
        shares: for ``Rule.SHARES``, each open epic's share (> 0; normalised, so 2:1:1 is 50/25/25%).

    Returns:
        ``{key: threshold}``; 0 for an epic with nothing remaining. Never below the epic's own count.
    """
    if rule is Rule.PRIORITY:
        return allocation_thresholds(remaining, Allocation.PRIORITY)
    if rule is Rule.EVEN:
        return allocation_thresholds(remaining, Allocation.EVEN)
    weights = dict(shares or {})
    open_epics = {key: float(count) for key, count in remaining if count > 0}
    for key in open_epics:
        if weights.get(key, 0) <= 0:
            raise ValueError(f"epic {key}: give a share above 0")
    out = {key: 0 for key, count in remaining if count <= 0}
    total = 0.0
    while open_epics:
        weight_sum = sum(weights[key] for key in open_epics)
        # The next epic to finish is the one with the least work left per unit of share.
        step = min(left / weights[key] for key, left in open_epics.items())
        total += step * weight_sum
        for key in list(open_epics):
            open_epics[key] -= step * weights[key]
            if open_epics[key] <= 1e-9:
                del open_epics[key]
                out[key] = math.ceil(total - 1e-9)
    return out


@dataclass(frozen=True, slots=True)
class EpicDates:
    """One threshold's outcome: nearest-rank percentile dates, and the share of trials done by the cut date."""

    threshold: int
    days: dict[int, int | None]
    dates: dict[int, date | None]
    done_by_cut: float | None = None
    histogram_days: tuple[int, ...] = field(default=())


def simulate_thresholds(
    window: Sequence[int],
    *,
    window_start: date,
    calendar: Calendar,
    start_date: date,
    thresholds: Iterable[int],
    trials: int,
    seed: int,
    max_days: int = 730,
    cut_date: date | None = None,
) -> dict[int, EpicDates]:
    """Simulate the team's future days once and read every threshold's completion day off the same trials.

    Args:
        window: items finished per day, oldest first, the day ``window_start`` first (zero days included).
        window_start: the first day of the window (team local date).
        calendar: the team's holidays and absences (past holidays sort history days, future ones cost capacity).
        start_date: "today"; day 1 is the next day.
        thresholds: the team totals to read off (0 means already done).
        trials: Monte Carlo trials.
        seed: seed of ``numpy.random.default_rng``.
        max_days: the longest horizon; a percentile beyond it is None.
        cut_date: optional date; ``done_by_cut`` is the share of trials done on or before it.

    Returns:
        ``{threshold: EpicDates}``.

    Raises:
        ValueError: when the window has no completed item on any day (no forecast is possible).
    """
    wanted = sorted({int(t) for t in thresholds})
    values = np.asarray(window, dtype=np.int64)
    if values.size == 0 or values.sum() == 0:
        raise ValueError("The throughput window has no completed items, so no forecast is possible.")
    history_days = [window_start + timedelta(days=i) for i in range(values.size)]
    off_mask = np.array([calendar.is_day_off(d) for d in history_days])
    work_pool = values[~off_mask] if (~off_mask).any() else values
    off_pool = values[off_mask] if off_mask.any() else values
    future = [start_date + timedelta(days=i) for i in range(1, max_days + 1)]
    capacity = np.array([calendar.capacity(d) for d in future])
    weekend = np.array([d.weekday() in WEEKEND for d in future])
    rng = np.random.default_rng(seed)
    positive = [t for t in wanted if t > 0]
    completion = {t: np.full(trials, max_days + 1, dtype=np.int64) for t in positive}
    if positive:
        mean = max(float(work_pool.mean()) * 5 / 7 + float(off_pool.mean()) * 2 / 7, 1e-3)
        block = min(max_days, math.ceil(max(positive) / mean * 1.2) + 14)
        for start in range(0, trials, _CHUNK_TRIALS):
            stop = min(start + _CHUNK_TRIALS, trials)
            _simulate_chunk(
                work_pool, off_pool, capacity, weekend, rng, positive, {t: completion[t][start:stop] for t in positive}, block
            )
    cut_offset = None if cut_date is None else (cut_date - start_date).days
    out: dict[int, EpicDates] = {}
    for t in wanted:
        days_array = completion.get(t, np.zeros(trials, dtype=np.int64))
        ranked = nearest_rank_many(days_array.astype(np.float64), LEVELS)
        days: dict[int, int | None] = {}
        for level in LEVELS:
            value = ranked[level]
            days[level] = None if value is None or value > max_days else int(value)
        done = None if cut_offset is None else float(np.count_nonzero(days_array <= cut_offset)) / trials
        out[t] = EpicDates(
            threshold=t,
            days=days,
            dates={p: None if d is None else start_date + timedelta(days=d) for p, d in days.items()},
            done_by_cut=done,
        )
    return out


def simulate_counts(
    window: Sequence[int],
    *,
    window_start: date,
    calendar: Calendar,
    start_date: date,
    by_date: date,
    levels: Iterable[int],
    trials: int,
    seed: int,
) -> dict[int, int]:
    """How many items the team finishes from the day after ``start_date`` through ``by_date`` on its calendar
    (the same sampling as :func:`simulate_thresholds`): per confidence level P, the largest count C that at least
    P% of trials reached (nearest rank from the top, as the forecast engine reports "how many").
    """
    values = np.asarray(window, dtype=np.int64)
    history_days = [window_start + timedelta(days=i) for i in range(values.size)]
    off_mask = np.array([calendar.is_day_off(d) for d in history_days], dtype=bool)
    work_pool = values[~off_mask] if (~off_mask).any() else values
    off_pool = values[off_mask] if off_mask.any() else values
    horizon = (by_date - start_date).days
    future = [start_date + timedelta(days=i) for i in range(1, horizon + 1)]
    capacity = np.array([calendar.capacity(d) for d in future])
    weekend = np.array([d.weekday() in WEEKEND for d in future], dtype=bool)
    rng = np.random.default_rng(seed)
    totals = np.zeros(trials, dtype=np.int64)
    for start in range(0, horizon, 64):
        rows = slice(start, min(start + 64, horizon))
        size = (rows.stop - rows.start, trials)
        work_draws = work_pool[rng.integers(0, work_pool.size, size=size)]
        off_draws = off_pool[rng.integers(0, off_pool.size, size=size)]
        draws: npt.NDArray[Any] = np.where(weekend[rows][:, None], off_draws, work_draws)
        cap = capacity[rows]
        partial = cap < 1.0
        if partial.any():
            draws[partial] = rng.binomial(draws[partial], cap[partial][:, None])
        totals += draws.sum(axis=0)
    ranked = np.sort(totals)[::-1]
    return {level: int(ranked[max(math.ceil(level / 100 * trials) - 1, 0)]) for level in levels}


def _simulate_chunk(
    work_pool: npt.NDArray[np.int64],
    off_pool: npt.NDArray[np.int64],
    capacity: npt.NDArray[np.float64],
    weekend: npt.NDArray[np.bool_],
    rng: np.random.Generator,
    thresholds: list[int],
    out: dict[int, npt.NDArray[np.int64]],
    block: int,
) -> None:
    trials = next(iter(out.values())).size
    max_days = capacity.size
    carried = np.zeros(trials, dtype=np.int64)
    elapsed = 0
    while elapsed < max_days:
        rows = min(block, max_days - elapsed)
        cap = capacity[elapsed : elapsed + rows]
        off = weekend[elapsed : elapsed + rows]
        work_draws = work_pool[rng.integers(0, work_pool.size, size=(rows, trials))]
        off_draws = off_pool[rng.integers(0, off_pool.size, size=(rows, trials))]
        draws: npt.NDArray[Any] = np.where(off[:, None], off_draws, work_draws)
        partial = cap < 1.0
        if partial.any():
            draws[partial] = rng.binomial(draws[partial], cap[partial][:, None])
        running = np.cumsum(draws, axis=0) + carried
        for t in thresholds:
            days = out[t]
            pending = days > max_days
            if not pending.any():
                continue
            short = np.count_nonzero(running[:, pending] < t, axis=0)
            reached = short < rows
            index = np.flatnonzero(pending)[reached]
            days[index] = elapsed + short[reached] + 1
        carried = running[-1]
        elapsed += rows
        if all(not (out[t] > max_days).any() for t in thresholds):
            return


def cut_line(done_by_cut: float | None, level: int = 85) -> bool | None:
    """Whether an epic fits by the cut date: at least ``level``% of trials done on or before it."""
    if done_by_cut is None:
        return None
    return done_by_cut >= level / 100 - 1e-12
