"""The staggered difference-in-differences of a rollout, against a hand-worked case."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from scipy.stats import t as t_dist

from deliveryops.analytics.rollouts import (
    RolloutOutcome,
    TeamSeries,
    align_weeks,
    estimate_effect,
    simulate_rollouts,
)

WEEKS = 20


def _team(name: str, base: float, adopted: int | None, lift: float) -> TeamSeries:
    """A noise-free team: its own level, a shock of +2 shared by every team from week 8, ``lift`` from
    the week it adopted."""
    values = [
        base + (2.0 if week >= 8 else 0.0) + (lift if adopted is not None and week >= adopted else 0.0) for week in range(WEEKS)
    ]
    return TeamSeries(name, values, adopted)


def test_two_cohorts_hand_worked() -> None:
    # Cohort week 6 (two teams, +4): pre weeks 0-5 (shock mean 0), post weeks 6-13 (shock mean 1.5);
    # its comparison teams are the two never-adopters and the week-14 team (not adopted by week 14):
    # each moved +1.5, so the cohort's effect is (4 + 1.5) - 1.5 = 4.
    # Cohort week 14 (one team, +1): pre weeks 6-13 (shock 1.5), post weeks 14-19 (shock 2); its
    # comparison teams are the never-adopters only (+0.5): effect (1 + 0.5) - 0.5 = 1.
    # Weighted by teams: (2 × 4 + 1 × 1) / 3 = 3.
    teams = [
        _team("a1", 10.0, 6, 4.0),
        _team("a2", 30.0, 6, 4.0),
        _team("b1", 5.0, 14, 1.0),
        _team("n1", 12.0, None, 0.0),
        _team("n2", 40.0, None, 0.0),
    ]
    result = estimate_effect(teams)
    assert result.effect == pytest.approx(3.0)
    assert (result.adopted_teams, result.comparison_teams) == (3, 2)
    # Leaving one team out: a1 or a2 -> (4 + 1) / 2 = 2.5; b1 -> 4; n1 or n2 -> 3.
    # Jackknife SE = sqrt(4/5 × (0.25 + 0.25 + 1 + 0 + 0)) = sqrt(1.2); t with 3 + 2 - 2 = 3 df.
    half = t_dist.ppf(0.975, df=3) * math.sqrt(1.2)
    assert result.low == pytest.approx(3.0 - half)
    assert result.high == pytest.approx(3.0 + half)
    assert result.outcome is RolloutOutcome.NO_CLEAR_EFFECT


def test_same_effect_for_every_team_is_certain() -> None:
    teams = [_team(f"a{i}", 10.0 + i, 6 + 4 * (i % 2), 2.0) for i in range(4)]
    teams += [_team(f"n{i}", 20.0 + i, None, 0.0) for i in range(3)]
    result = estimate_effect(teams)
    assert result.effect == pytest.approx(2.0)
    assert result.low == pytest.approx(2.0)
    assert result.outcome is RolloutOutcome.HIGHER


def test_no_effect_interval_holds_zero() -> None:
    rng = np.random.default_rng(11)
    adoption: list[int | None] = [6, 8, 10, 12, 14, 9, None, None, None, None, None, None]
    teams = [TeamSeries(f"t{i}", rng.poisson(5.0, size=WEEKS).astype(float).tolist(), week) for i, week in enumerate(adoption)]
    result = estimate_effect(teams)
    assert result.low is not None
    assert result.high is not None
    assert result.low < 0.0 < result.high
    assert result.outcome is RolloutOutcome.NO_CLEAR_EFFECT


def test_too_few_teams_is_not_enough_evidence() -> None:
    teams = [_team("a1", 10.0, 6, 4.0), _team("n1", 12.0, None, 0.0), _team("n2", 14.0, None, 0.0)]
    result = estimate_effect(teams)
    assert result.outcome is RolloutOutcome.NOT_ENOUGH
    assert result.effect is None
    assert result.adopted_teams == 1


def test_too_few_weeks_before_is_not_enough_evidence() -> None:
    # Adopted at week 2: fewer than 4 weeks before it.
    teams = [_team(f"a{i}", 10.0, 2, 4.0) for i in range(3)] + [_team(f"n{i}", 9.0, None, 0.0) for i in range(3)]
    assert estimate_effect(teams).outcome is RolloutOutcome.NOT_ENOUGH


def test_simulation_rates_sum_to_one() -> None:
    rates = simulate_rollouts(teams=8, runs=20, seed=3)
    assert sum(rates.values()) == pytest.approx(1.0)
    assert rates["not_enough_evidence"] == 0.0


def test_align_weeks_by_monday() -> None:
    monday = date(2026, 1, 5)
    weekly = {
        "a": [(monday, 1.0), (monday + timedelta(weeks=2), 3.0)],
        "b": [(monday + timedelta(weeks=1), 2.0)],
    }
    aligned = align_weeks(weekly, {"a": date(2026, 1, 15), "b": None})
    assert aligned[0].team == "a"
    assert aligned[0].adopted_week == 1  # Thursday of the second week
    assert aligned[0].weeks[0] == 1.0
    assert math.isnan(aligned[0].weeks[1])
    assert aligned[0].weeks[2] == 3.0
    assert aligned[1].adopted_week is None
    assert aligned[1].weeks[1] == 2.0
    # An adoption after the last week is outside the series.
    assert align_weeks(weekly, {"a": date(2027, 1, 1)})[0].adopted_week is None
    assert align_weeks({}, {}) == []


def test_aligned_series_give_the_hand_worked_effect() -> None:
    start = date(2026, 1, 5)
    teams = [
        _team("a1", 10.0, 6, 4.0),
        _team("a2", 30.0, 6, 4.0),
        _team("b1", 5.0, 14, 1.0),
        _team("n1", 12.0, None, 0.0),
        _team("n2", 40.0, None, 0.0),
    ]
    weekly = {t.team: [(start + timedelta(weeks=i), v) for i, v in enumerate(t.weeks)] for t in teams}
    adopted = {t.team: None if t.adopted_week is None else start + timedelta(weeks=t.adopted_week, days=2) for t in teams}
    assert estimate_effect(align_weeks(weekly, adopted)).effect == pytest.approx(3.0)
