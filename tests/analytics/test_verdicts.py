"""The improvement-verdict statistics and rule against hand-worked examples (deliveryops.analytics.verdicts)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deliveryops.analytics.verdicts.effects import compare_items, compare_weeks, lag1_autocorrelation, week_clustering
from deliveryops.analytics.verdicts.reliability import RATES, reliability, sentence
from deliveryops.analytics.verdicts.rule import Outcome, RuleSettings, judge_items, judge_weeks, settings_for
from deliveryops.analytics.verdicts.simulation import simulate, simulate_delivery, simulate_health, simulate_history

LN2 = math.log(2)


def test_items_compare_on_the_log_scale_and_scale_the_85th_percentile() -> None:
    effect = compare_items([4, 8, 16], [2, 4, 8], level=0.95)
    # The logs are 2, 3, 4 and 1, 2, 3 times ln 2: means differ by ln 2, so the ratio is 1/2 and the 85th
    # percentile (nearest rank: the 3rd of 3) 16 becomes 8.
    assert (effect.before, effect.after, effect.change) == pytest.approx((16, 8, -8))
    assert effect.relative == pytest.approx(-0.5)
    # Each side's log variance is (ln 2)^2; standard error sqrt(2 (ln 2)^2 / 3) = 0.5660, Welch df 4, t = 2.7764.
    assert effect.standard_error == pytest.approx(math.sqrt(2 * LN2**2 / 3))
    assert effect.degrees_of_freedom == pytest.approx(4)
    half = 2.776445 * math.sqrt(2 * LN2**2 / 3)
    assert effect.relative_low == pytest.approx(math.exp(-LN2 - half) - 1)
    assert effect.low == pytest.approx(16 * (math.exp(-LN2 - half) - 1))
    assert effect.high == pytest.approx(16 * (math.exp(-LN2 + half) - 1))
    assert not effect.excludes_zero


def test_a_same_day_item_counts_as_half_a_day() -> None:
    assert compare_items([0, 0.5, 1], [0.5, 0.5, 1]).change == pytest.approx(0)


def test_weeks_compare_means_with_a_welch_interval() -> None:
    effect = compare_weeks([4, 6, 4, 6], [7, 9, 7, 9], level=0.95, rho=0)
    # Means 5 and 8, variances 4/3: standard error sqrt(2/3), 6 degrees of freedom, t = 2.4469.
    assert (effect.before, effect.after, effect.change) == (5, 8, 3)
    assert effect.standard_error == pytest.approx(math.sqrt(2 / 3))
    assert (effect.low, effect.high) == pytest.approx((3 - 2.446912 * math.sqrt(2 / 3), 3 + 2.446912 * math.sqrt(2 / 3)))
    assert effect.relative_low == pytest.approx(effect.low / 5)
    assert effect.excludes_zero


def test_autocorrelation_widens_the_interval() -> None:
    # Segments 1..4 and 4..1: lag products 1.25 and squares 5 each, rho 0.25, bias-corrected 0.6.
    assert lag1_autocorrelation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(0.6)
    plain = compare_weeks([4, 6, 4, 6], [7, 9, 7, 9], rho=0)
    correlated = compare_weeks([4, 6, 4, 6], [7, 9, 7, 9], rho=0.6)
    assert correlated.inflation == pytest.approx(1.6 / 0.4)
    assert correlated.standard_error == pytest.approx(plain.standard_error * 2)
    assert compare_weeks([4, 6, 4, 6], [7, 9, 7, 9], rho=0.95).inflation == pytest.approx(1.8 / 0.2)  # capped at 0.8


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: compare_items([1], [1, 2]), "at least 2 values"),
        (lambda: compare_items([1, -1], [1, 2]), "negative"),
        (lambda: compare_weeks([1, math.nan], [1, 2]), "finite"),
        (lambda: compare_weeks([1, 2], [1, 2], level=1.5), "level"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match=message):
        call()


BASE = [10.0, 14.0] * 4  # mean 12, variance 32/7


def test_no_verdict_before_the_evaluation_window() -> None:
    result = judge_weeks(BASE, [30.0] * 7, better="increase")
    assert result.outcome is Outcome.MEASURING
    assert (result.final, result.next_look) == (False, 8)
    assert result.effect is not None
    assert result.effect.change == 18


def test_a_clear_sustained_shift_is_improved_or_worsened_by_the_expected_direction() -> None:
    up = judge_weeks(BASE, [20.0, 22.0] * 4, better="increase")
    assert (up.outcome, up.decided_at, up.final) == (Outcome.IMPROVED, 8, True)
    assert judge_weeks(BASE, [20.0, 22.0] * 4, better="decrease").outcome is Outcome.WORSENED
    # Frozen: weeks after the look do not change it.
    assert judge_weeks(BASE, [20.0, 22.0] * 4 + [0.0] * 10, better="increase").outcome is Outcome.IMPROVED


def test_a_shift_in_one_half_only_is_not_sustained() -> None:
    before = [2.0, 4.0, 8.0, 16.0] * 10  # geometric mean 5.66 days
    # Weeks 1-4: ten 1-day items each; weeks 5-8: one 12-day item each, above the baseline's level.
    after = [[1.0] * 10] * 4 + [[12.0]] * 4
    loose = judge_items(before, after, better="decrease", settings=RuleSettings(sustained=False))
    strict = judge_items(before, after, better="decrease")
    assert loose.outcome is Outcome.IMPROVED
    assert strict.outcome is not Outcome.IMPROVED


def test_no_change_when_the_interval_rules_out_thirty_percent() -> None:
    result = judge_weeks(BASE, [9.0, 15.0] * 7 + [12.0], better="increase")
    # First look: interval -30.4% .. +30.4% (not inside ±30%), 15 weeks needed, so a second look at 15.
    # Second look: standard error 1.0823, 18.96 degrees of freedom: -22.9% .. +22.9% → no change.
    assert (result.outcome, result.decided_at, result.needed_weeks) == (Outcome.NO_CHANGE, 15, 15)
    assert result.effect is not None
    assert result.effect.relative_high == pytest.approx(0.2291, abs=1e-4)


def test_not_enough_evidence_says_how_many_weeks_it_needs() -> None:
    # After 9, 15, ... : the 98% interval is ±30.4%; 80% power for a 30% change needs a standard error of
    # 3.6 / (2.3263 + 0.8416) = 1.1364; the baseline uses (32/7)/8 of its square, leaving 0.7200 for the after
    # weeks, whose variance is 72/7: 10.29 / 0.72 = 14.3, so 15 weeks in all.
    waiting = judge_weeks(BASE, [9.0, 15.0] * 4, better="increase")
    assert (waiting.outcome, waiting.final, waiting.next_look, waiting.needed_weeks) == (
        Outcome.NOT_ENOUGH_EVIDENCE,
        False,
        15,
        15,
    )
    # Much noisier after (variance 288/7 = 41.1): 41.1 / 0.72 → 58 weeks, beyond 26: final.
    hopeless = judge_weeks(BASE, [6.0, 18.0] * 4, better="increase")
    assert (hopeless.outcome, hopeless.final, hopeless.needed_weeks, hopeless.reason) == (
        Outcome.NOT_ENOUGH_EVIDENCE,
        True,
        58,
        "precision",
    )


def test_too_short_a_baseline_is_not_enough_evidence() -> None:
    result = judge_weeks([3.0, 4.0, None, 5.0], [9.0] * 8, better="increase")
    assert (result.outcome, result.reason, result.needed_weeks) == (Outcome.NOT_ENOUGH_EVIDENCE, "baseline", 3)
    items = judge_items([5.0] * 5, [[3.0]] * 8, better="decrease")
    assert (items.outcome, items.reason, items.needed_items) == (Outcome.NOT_ENOUGH_EVIDENCE, "baseline", 6)


def test_items_rule_halves_cycle_times() -> None:
    before = [2.0, 4.0, 8.0, 16.0] * 10
    result = judge_items(before, [[1.0, 2.0], [4.0, 8.0]] * 4, better="decrease")
    # Same spread, half the level: ratio 0.5, 85th percentile 16 → 8.
    assert result.outcome is Outcome.IMPROVED
    assert result.effect is not None
    assert result.effect.after == pytest.approx(8)


def test_simulated_history_has_the_series_an_action_is_judged_by() -> None:
    history = simulate_history(np.random.default_rng(3), rate=4)
    assert set(history.weeks_after) == {"throughput", "wip", "flow_efficiency", "blocked_days"}
    assert len(history.items_after) == 26
    assert len(history.weeks_before["wip"]) == 16
    # Throughput counts the finished items: each week's count equals the number of cycle times that week.
    assert history.weeks_after["throughput"] == [float(len(week)) for week in history.items_after]
    assert all(value is None or 0 <= value <= 100 for value in history.weeks_after["flow_efficiency"])


def test_reliability_picks_the_nearest_simulated_pace() -> None:
    assert RATES, "the published rates are filled in from the held-out run"
    near = reliability("throughput", 3.1)
    assert near is not None
    assert near.items_per_week == 4
    slow = reliability("throughput", 1.0)
    assert slow is not None
    assert slow.items_per_week == 2
    assert reliability("unknown", 4) is None
    assert sentence(near).startswith("Measured reliability: on simulated teams finishing about 4 items a week")


def test_week_clustering_inflates_for_events_that_share_their_week() -> None:
    # Hand-worked: logs 0, 0 | log 4, log 4 around their mean log 2: MSB = 2 (log 2)^2 * 2 / 1 = 1.9218,
    # MSW = 0, so icc = 1, kept at 0.99; sizes 2 and 2 weigh to m = 8 / 4 = 2: inflation 1 + 1 × 0.99.
    assert week_clustering([[1.0, 1.0], [4.0, 4.0]]) == pytest.approx(1.99)
    # Weeks alike (the same values in each): no clustering.
    assert week_clustering([[1.0, 4.0], [1.0, 4.0]]) == 1.0
    # One event a week cannot cluster (m = 1), and a single week tells nothing.
    assert week_clustering([[1.0], [4.0], [2.0]]) == 1.0
    assert week_clustering([[1.0, 8.0]]) == 1.0
    # Each period around its own mean: a shift between before and after is not clustering.
    assert week_clustering([[1.0, 2.0], [1.0, 2.0]], [[4.0, 8.0], [4.0, 8.0]]) == 1.0


def test_clustered_events_widen_the_items_interval() -> None:
    plain = compare_items([1.0, 2.0, 4.0, 8.0], [1.0, 2.0, 4.0, 8.0], level=0.9)
    wide = compare_items([1.0, 2.0, 4.0, 8.0], [1.0, 2.0, 4.0, 8.0], level=0.9, inflation=4.0)
    assert wide.standard_error == pytest.approx(2 * plain.standard_error)
    assert wide.inflation == 4.0
    assert settings_for("lead_time").cluster_weeks
    assert not settings_for("cycle_time_p85").cluster_weeks


def test_simulated_delivery_and_health_have_the_series_an_action_is_judged_by() -> None:
    delivery = simulate_delivery(np.random.default_rng(5), rate=4)
    assert set(delivery.weeks_after) == {"deployment_frequency", "change_failure_rate"}
    assert set(delivery.events_after) == {"lead_time", "time_to_restore"}
    assert len(delivery.weeks_before["deployment_frequency"]) == 16
    assert len(delivery.events_after["lead_time"]) == 26
    # Each deployment ships at least one change; a week without deployments has no failure rate.
    for deployments, rate, changes in zip(
        delivery.weeks_after["deployment_frequency"],
        delivery.weeks_after["change_failure_rate"],
        delivery.events_after["lead_time"],
        strict=True,
    ):
        assert deployments is not None
        assert len(changes) >= deployments
        assert (rate is None) == (deployments == 0)
    health = simulate_health(np.random.default_rng(5), rate=6)
    scores = health.weeks_before["health_card"] + health.weeks_after["health_card"]
    # A round every other week: about half the weeks have a score, each a multiple of 100 / (2 × answers).
    assert 18 <= sum(score is not None for score in scores) <= 21
    assert all(score is None or 0 <= score <= 100 for score in scores)
    improved = simulate(np.random.default_rng(6), "health_card", rate=10, shift=0.5)
    after = [score for score in improved.weeks_after["health_card"] if score is not None]
    assert sum(after) / len(after) > 70  # the level 0.55 raised by half: about 82
