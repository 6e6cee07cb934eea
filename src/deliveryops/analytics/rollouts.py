"""Did a rollout move its outcome? A staggered difference-in-differences across teams.

A rollout brings a tool or practice to teams at different weeks. Each team's weekly outcome series
(items finished a week, deployments a week, a health-card score...) is compared before and after the
week it adopted, minus the same change, over the same weeks, in teams that had not adopted yet:

* **Cohorts.** Teams that adopted in the same week ``g`` form a cohort. Its *pre* window is the
  :data:`PRE_WEEKS` weeks before ``g``; its *post* window the :data:`POST_WEEKS` weeks from ``g`` (cut at
  the end of the series).
* **Each team's change** for a cohort's windows is the mean of its post weeks minus the mean of its pre
  weeks (missing weeks are skipped; a team needs at least :data:`MIN_WEEKS` values in each window).
* **Comparison teams** of a cohort are the teams that had not adopted by the end of its post window
  (never adopted, or adopted later): the "not-yet-treated" comparison of Callaway and Sant'Anna (2021).
* **The cohort's effect** is the mean change of its teams minus the mean change of its comparison teams;
  the **effect** is the average of the cohorts' effects weighted by their number of teams, in the
  outcome's units per week.
* **Interval.** The effect ± t × its standard error, the t quantile for 95% with (adopted + comparison
  teams − 2) degrees of freedom. The standard error is a cluster jackknife over teams (the effect
  recomputed leaving out one whole team at a time, so each team's weeks stay together); deterministic,
  and with few teams it errs wide rather than narrow.
* **Judgement.** "Higher" or "lower" when the interval excludes zero, "no clear effect" when it holds
  zero, and "not enough evidence" with fewer than :data:`MIN_ADOPTED` adopted teams or
  :data:`MIN_COMPARISON` comparison teams that have the weeks, never a direction.

Its false-effect and detection rates on simulated rollouts are measured by :func:`simulate_rollouts`
(``benchmarks/rollout_bench.py``) and published beside the definition.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from scipy.stats import t as t_dist

__all__ = [
    "CONFIDENCE",
    "MIN_ADOPTED",
    "MIN_COMPARISON",
    "MIN_WEEKS",
    "POST_WEEKS",
    "PRE_WEEKS",
    "RolloutEffect",
    "RolloutOutcome",
    "TeamSeries",
    "align_weeks",
    "estimate_effect",
    "simulate_rollouts",
]

PRE_WEEKS = 8
POST_WEEKS = 8
MIN_WEEKS = 4
MIN_ADOPTED = 2
MIN_COMPARISON = 2
CONFIDENCE = 0.95


class RolloutOutcome(enum.StrEnum):
    """What the measured effect of a rollout says."""

    HIGHER = "higher"
    LOWER = "lower"
    NO_CLEAR_EFFECT = "no_clear_effect"
    NOT_ENOUGH = "not_enough_evidence"


@dataclass(frozen=True, slots=True)
class TeamSeries:
    """One team's weekly outcome (index 0 is the first week; NaN is a missing week) and the index of the
    week it adopted (None: not adopted)."""

    team: str
    weeks: Sequence[float]
    adopted_week: int | None


@dataclass(frozen=True, slots=True)
class RolloutEffect:
    """The measured effect: outcome units per week, with its interval and the teams it used."""

    outcome: RolloutOutcome
    effect: float | None
    low: float | None
    high: float | None
    adopted_teams: int
    comparison_teams: int
    detail: str


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def align_weeks(weekly: Mapping[str, Sequence[tuple[date, float]]], adopted: Mapping[str, date | None]) -> list[TeamSeries]:
    """Put teams' weekly series on one week index for :func:`estimate_effect`.

    Args:
        weekly: per team, ``(monday, value)`` pairs (e.g. ``deliveryops.actions.measure.weekly_series``);
            weeks a team lacks become missing values.
        adopted: per team, the day it adopted (the week holding that day is its first adopted week), or
            None. A team missing here has not adopted.

    Returns:
        One :class:`TeamSeries` per team of ``weekly``, index 0 being the earliest Monday of any team;
        an adoption before the first or after the last week is treated as outside the series (None).
    """
    mondays = sorted({_monday(week) for pairs in weekly.values() for week, _ in pairs})
    if not mondays:
        return []
    first, length = mondays[0], (mondays[-1] - mondays[0]).days // 7 + 1
    out = []
    for team, pairs in weekly.items():
        values = [float("nan")] * length
        for week, value in pairs:
            values[(_monday(week) - first).days // 7] = float(value)
        day = adopted.get(team)
        index = None if day is None else (_monday(day) - first).days // 7
        out.append(TeamSeries(team, values, index if index is not None and 0 <= index < length else None))
    return out


def _window_mean(values: np.ndarray, start: int, stop: int) -> float:
    window = values[max(start, 0) : max(stop, 0)]
    window = window[~np.isnan(window)]
    if window.size < MIN_WEEKS:
        return float("nan")
    return float(window.mean())


def _design(teams: Sequence[TeamSeries]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per team and cohort: its change over the cohort's windows, whether it is in the cohort, whether it
    is one of the cohort's comparison teams (only teams whose change is defined)."""
    length = max((len(team.weeks) for team in teams), default=0)
    cohorts = sorted({t.adopted_week for t in teams if t.adopted_week is not None and 0 < t.adopted_week < length})
    changes = np.full((len(teams), len(cohorts)), np.nan)
    treated = np.zeros((len(teams), len(cohorts)), dtype=bool)
    control = np.zeros((len(teams), len(cohorts)), dtype=bool)
    for i, team in enumerate(teams):
        values = np.asarray(team.weeks, dtype=float)
        for k, g in enumerate(cohorts):
            post_end = min(g + POST_WEEKS, length)
            change = _window_mean(values, g, post_end) - _window_mean(values, g - PRE_WEEKS, g)
            if np.isnan(change):
                continue
            changes[i, k] = change
            treated[i, k] = team.adopted_week == g
            control[i, k] = team.adopted_week is None or team.adopted_week >= post_end
    usable = treated.any(axis=0) & control.any(axis=0)
    return np.nan_to_num(changes[:, usable]), treated[:, usable], control[:, usable]


def _effects(weights: np.ndarray, changes: np.ndarray, treated: np.ndarray, control: np.ndarray) -> np.ndarray:
    """The effect for each row of team weights (1 = in, 0 = left out), NaN where no cohort has both sides."""
    n_treated = weights @ treated
    n_control = weights @ control
    with np.errstate(invalid="ignore", divide="ignore"):
        cohort = (weights @ (changes * treated)) / n_treated - (weights @ (changes * control)) / n_control
        valid = (n_treated > 0) & (n_control > 0)
        size = np.where(valid, n_treated, 0.0)
        return np.asarray((np.where(valid, cohort, 0.0) * size).sum(axis=1) / size.sum(axis=1), dtype=float)


def estimate_effect(teams: Sequence[TeamSeries]) -> RolloutEffect:
    """Estimate a rollout's average effect on the adopted teams (see the module's description).

    Args:
        teams: every team of the rollout and of the comparison, their weekly series aligned on the same
            first week.

    Returns:
        The :class:`RolloutEffect`.
    """
    changes, treated, control = _design(teams)
    adopted = int(treated.any(axis=1).sum())
    comparison = int((control.any(axis=1) & ~treated.any(axis=1)).sum())
    if adopted < MIN_ADOPTED or comparison < MIN_COMPARISON:
        return RolloutEffect(
            RolloutOutcome.NOT_ENOUGH,
            None,
            None,
            None,
            adopted,
            comparison,
            f"{adopted} adopted and {comparison} comparison teams with {MIN_WEEKS}+ weeks before and after; "
            f"needs {MIN_ADOPTED} and {MIN_COMPARISON}",
        )
    count = len(teams)
    effect = float(_effects(np.ones((1, count)), changes, treated, control)[0])
    left_out = _effects(np.ones((count, count)) - np.eye(count), changes, treated, control)
    left_out = left_out[~np.isnan(left_out)]
    spread = float(np.sqrt((left_out.size - 1) / left_out.size * ((left_out - left_out.mean()) ** 2).sum()))
    half = float(t_dist.ppf(1.0 - (1.0 - CONFIDENCE) / 2.0, df=adopted + comparison - 2)) * spread
    low, high = effect - half, effect + half
    if low > 0:
        outcome = RolloutOutcome.HIGHER
    elif high < 0:
        outcome = RolloutOutcome.LOWER
    else:
        outcome = RolloutOutcome.NO_CLEAR_EFFECT
    detail = (
        f"effect {effect:+.2f} a week (95% interval {low:+.2f} to {high:+.2f}); {adopted} adopted, {comparison} comparison teams"
    )
    return RolloutEffect(outcome, effect, low, high, adopted, comparison, detail)


def simulate_rollouts(
    *,
    teams: int,
    weeks: int = 26,
    mean_per_week: float = 4.0,
    lift: float = 0.0,
    runs: int = 500,
    seed: int = 0,
) -> dict[str, float]:
    """Rates of each outcome on simulated staggered rollouts whose true effect is known.

    Each team finishes Poisson(m_i × s_t × (1 + lift after adoption)) items a week: a team pace m_i drawn
    lognormally around ``mean_per_week`` (σ = 0.5 on the log scale), a shared week factor s_t (a 4-week rhythm
    of ±20% and a common random shock, σ = 0.1), half the teams adopting at weeks drawn uniformly from 8 to
    ``weeks`` − 6, the other half never. ``lift`` = 0 is no effect: every "higher"/"lower" is false.

    Returns:
        The share of runs per :class:`RolloutOutcome` value.
    """
    rng = np.random.default_rng(seed)
    counts = dict.fromkeys(RolloutOutcome, 0)
    t = np.arange(weeks)
    for _ in range(runs):
        pace = mean_per_week * rng.lognormal(0.0, 0.5, size=teams)
        season = (1.0 + 0.2 * np.sin(2 * np.pi * t / 4)) * rng.lognormal(0.0, 0.1, size=weeks)
        adopters = teams // 2
        adoption: list[int | None] = [int(w) for w in rng.integers(8, weeks - 5, size=adopters)]
        adoption += [None] * (teams - adopters)
        series = []
        for i in range(teams):
            g = adoption[i]
            effect = np.where((g is not None) & (t >= (g or 0)), 1.0 + lift, 1.0)
            values = rng.poisson(pace[i] * season * effect).astype(float)
            series.append(TeamSeries(f"t{i}", values.tolist(), g))
        counts[estimate_effect(series).outcome] += 1
    return {outcome.value: counts[outcome] / runs for outcome in RolloutOutcome}
