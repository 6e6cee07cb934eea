"""Every coaching rule: one case where it fires (exact numbers in its text) and one where it does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from deliveryops.coaching import rules
from deliveryops.coaching.findings import (
    ActionEffect,
    BlockedGroup,
    DoraSignals,
    ForecastLevel,
    HealthStreak,
    ItemAge,
    OverdueImpediment,
    TeamEvidence,
)
from deliveryops.coaching.practices import PRACTICES

TODAY = date(2026, 11, 26)
BASE = TeamEvidence(team_slug="team-a", today=TODAY, period_start=date(2026, 8, 29), period_end=TODAY)
WEEKS = [date(2026, 5, 25) + timedelta(weeks=i) for i in range(26)]


def _series(values: list[float]) -> tuple[tuple[date, float], ...]:
    return tuple(zip(WEEKS[-len(values) :], values, strict=True))


def test_wip_above_littles_law_fires() -> None:
    [finding] = rules.wip_above_littles_law(replace(BASE, wip_now=12, throughput_per_day=0.5, average_cycle_time_days=11.0))
    assert (finding.kind, finding.severity, finding.magnitude, finding.target_metric) == (
        "wip_above_littles_law",
        "critical",
        2.4,
        "wip",
    )
    assert finding.title == "WIP is 2.4× what the team's throughput needs"
    assert finding.observed == (
        "12 items are in progress today, while Little's Law needs about 5.0 for the "
        "throughput of 0.50 items/day and the average cycle time of 11.0 days over "
        "2026-08-29 to 2026-11-26."
    )
    assert finding.evidence[0].link == "/teams/team-a/flow#wip"


def test_wip_above_littles_law_quiet_when_wip_matches() -> None:
    assert rules.wip_above_littles_law(replace(BASE, wip_now=6, throughput_per_day=0.5, average_cycle_time_days=11.0)) == []


def test_aging_past_sle_fires() -> None:
    ages = (ItemAge("A-1", "Old one", 40), ItemAge("A-2", "Older", 52), ItemAge("A-3", "Just over", 26))
    [finding] = rules.aging_past_sle(replace(BASE, sle_days=25, wip_items=10, aging_over_sle=ages))
    assert finding.severity == "warning"
    assert finding.title == "3 items have aged past the 25-day SLE"
    assert finding.observed == (
        "On 2026-11-26, 3 of 10 items in progress are older than the SLE of 25 days "
        "(85th percentile cycle time of the last 90 days); oldest: A-2 (52 days), "
        "A-1 (40 days), A-3 (26 days)."
    )


def test_aging_past_sle_quiet_with_one_item() -> None:
    assert rules.aging_past_sle(replace(BASE, sle_days=25, wip_items=10, aging_over_sle=(ItemAge("A-1", "Old", 40),))) == []


STEADY = [10.0, 12.0, 11.0, 9.0, 10.0, 11.0, 12.0, 10.0, 9.0, 11.0, 10.0, 12.0, 11.0, 10.0, 9.0, 11.0, 10.0, 12.0]


def test_cycle_time_shift_fires_on_a_run_above() -> None:
    [finding] = rules.cycle_time_shift(replace(BASE, weekly_cycle_time_p85=_series(STEADY + [15.0] * 8)))
    assert finding.severity == "critical"  # 8 on one side and points outside the limits
    assert finding.observed == (
        "Weekly 85th percentile cycle time averaged 15.0 days in the 8 weeks from "
        "2026-09-28 against 10.6 days in the 18 weeks before (upper limit 14.3 days); "
        "signal in 8 week(s), first 2026-09-28."
    )


def test_cycle_time_shift_quiet_on_routine_variation_and_single_outlier() -> None:
    assert rules.cycle_time_shift(replace(BASE, weekly_cycle_time_p85=_series(STEADY + STEADY[:8]))) == []
    one_outlier = [*STEADY, 10.0, 11.0, 30.0, 10.0, 9.0, 11.0, 12.0, 10.0]
    assert rules.cycle_time_shift(replace(BASE, weekly_cycle_time_p85=_series(one_outlier))) == []


def test_throughput_falling_fires() -> None:
    [finding] = rules.throughput_falling(replace(BASE, weekly_throughput=_series(STEADY + [6.0] * 8)))
    assert finding.title == "Throughput is falling"
    assert finding.observed == (
        "The team finished 6.0 items per week in the 8 weeks from 2026-09-28 against "
        "10.6 per week in the 18 weeks before (lower limit 6.8); signal in 8 week(s), "
        "first 2026-09-28."
    )
    assert finding.target_metric == "throughput"


def test_throughput_falling_quiet_when_rising() -> None:
    assert rules.throughput_falling(replace(BASE, weekly_throughput=_series(STEADY + [15.0] * 8))) == []


def test_blocked_reason_concentrated_fires() -> None:
    evidence = replace(
        BASE,
        blocked_total_days=40.0,
        blocked_by_reason=(BlockedGroup("Data access request pending", 24.0, 6), BlockedGroup("Test environment down", 16.0, 4)),
    )
    [finding] = rules.blocked_reason_concentrated(evidence)
    assert finding.subject == "reason:Data access request pending"
    assert finding.severity == "critical"
    assert finding.observed == (
        '24.0 days of 40.0 days blocked (60%) over 2026-08-29 to 2026-11-26 were "Data access request pending", across 6 item(s).'
    )


def test_blocked_reason_concentrated_quiet_when_spread_or_one_item() -> None:
    spread = replace(
        BASE, blocked_total_days=40.0, blocked_by_reason=tuple(BlockedGroup(f"Reason {i}", 10.0, 3) for i in range(4))
    )
    assert rules.blocked_reason_concentrated(spread) == []
    one_item = replace(BASE, blocked_total_days=20.0, blocked_by_reason=(BlockedGroup("Vendor", 15.0, 1),))
    assert rules.blocked_reason_concentrated(one_item) == []


def test_blocked_by_other_team_fires_and_takes_over_the_reason() -> None:
    evidence = replace(
        BASE,
        blocked_total_days=12.6,
        blocked_by_reason=(BlockedGroup("Waiting on Data Platform team tracking events", 9.05, 2),),
        blocked_by_team=(BlockedGroup("Data Platform", 9.05, 2),),
    )
    [finding] = rules.blocked_by_other_team(evidence)
    assert finding.title == "72% of blocked time is waiting on the Data Platform team"
    assert finding.observed == (
        "9.1 days of 12.6 days blocked (72%) over 2026-08-29 to 2026-11-26 were waiting "
        "on the Data Platform team, across 2 item(s)."
    )
    assert rules.blocked_reason_concentrated(evidence) == []


def test_blocked_by_other_team_quiet_below_share() -> None:
    evidence = replace(BASE, blocked_total_days=40.0, blocked_by_team=(BlockedGroup("Payments", 6.0, 3),))
    assert rules.blocked_by_other_team(evidence) == []


def test_impediments_overdue_fires() -> None:
    evidence = replace(
        BASE,
        overdue_impediments=(
            OverdueImpediment(7, "Ranking model needs capacity", "medium", "delivery_manager", 48, 5),
            OverdueImpediment(9, "Flaky staging", "high", "team", 7, 5),
        ),
    )
    [finding] = rules.impediments_overdue(evidence)
    assert finding.severity == "critical"
    assert finding.observed == (
        "On 2026-11-26, 2 open impediment(s) have stayed at their level longer than "
        'allowed; the longest: "Ranking model needs capacity" 48 working days at '
        "delivery manager level (allowed 5)."
    )
    assert [e.link for e in finding.evidence] == ["/impediments/7", "/impediments/9"]


def test_impediments_overdue_quiet_without_any() -> None:
    assert rules.impediments_overdue(BASE) == []


def test_health_red_with_metric_fires_when_data_agrees() -> None:
    evidence = replace(
        BASE,
        health_streaks=(HealthStreak("easy_to_release", "Easy to release", 2),),
        dora=DoraSignals(0.5, "medium", 200.0, "high", 0.08, "high", deployments=6),
    )
    [finding] = rules.health_red_with_metric(evidence)
    assert finding.subject == "card:easy_to_release"
    assert finding.observed == (
        'The team voted "Easy to release" red in the last 2 health-check rounds, and '
        "deployment frequency confirms it: 0.5 deployment days/week (medium)."
    )
    # The confirming DORA key is the metric the suggested action is judged by.
    assert finding.target_metric == "deployment_frequency"
    failing = DoraSignals(0.5, "medium", 200.0, "high", 0.2, "low", deployments=6)
    tech = replace(evidence, health_streaks=(HealthStreak("tech_quality", "Tech quality", 3),), dora=failing)
    [quality] = rules.health_red_with_metric(tech)
    assert quality.target_metric == "change_failure_rate"


def test_health_red_with_metric_quiet_without_matching_metric_or_streak() -> None:
    elite = DoraSignals(5.0, "elite", 10.0, "elite", 0.02, "elite", deployments=60)
    assert (
        rules.health_red_with_metric(
            replace(BASE, health_streaks=(HealthStreak("easy_to_release", "Easy to release", 3),), dora=elite)
        )
        == []
    )
    low = DoraSignals(0.2, "low", 900.0, "low", 0.3, "low", deployments=2)
    assert (
        rules.health_red_with_metric(
            replace(BASE, health_streaks=(HealthStreak("easy_to_release", "Easy to release", 1),), dora=low)
        )
        == []
    )


def test_action_without_effect_fires_on_final_no_change() -> None:
    action = ActionEffect(
        3,
        "Split stories below three days",
        "85th percentile cycle time (days)",
        date(2026, 5, 28),
        26,
        "no_change",
        "No change: the interval rules out a change of 30% or more.",
        final=True,
    )
    [finding] = rules.action_without_effect(replace(BASE, actions=(action,)))
    assert (finding.subject, finding.severity) == ("action:3", "info")
    assert finding.title == '"Split stories below three days" made no measurable difference'
    assert finding.observed == (
        "26 weeks after it started on 2026-05-28, 85th percentile cycle time (days): "
        "No change: the interval rules out a change of 30% or more."
    )


def test_action_without_effect_words_missing_evidence_honestly_and_warns_on_worsened() -> None:
    unclear = ActionEffect(4, "Pairing", "WIP", date(2026, 5, 28), 9, "not_enough_evidence", "Not enough.", final=True)
    worse = ActionEffect(5, "Batching", "WIP", date(2026, 5, 28), 9, "worsened", "Worsened.", final=True)
    found = rules.action_without_effect(replace(BASE, actions=(unclear, worse)))
    assert [(f.title, f.severity) for f in found] == [
        ('"Pairing" cannot be judged from its data', "info"),
        ('"Batching" moved the wrong way', "warning"),
    ]


def test_action_without_effect_quiet_when_improved_young_or_provisional() -> None:
    improved = ActionEffect(1, "WIP limit", "WIP", date(2026, 5, 28), 26, "improved", "Improved.", final=True)
    young = ActionEffect(2, "Pairing", "WIP", date(2026, 10, 28), 4, "measuring", "Measuring.")
    # Waiting for the second look: not enough evidence yet, but not final, so no finding.
    waiting = ActionEffect(3, "Reviews", "WIP", date(2026, 8, 1), 9, "not_enough_evidence", "Not yet.", final=False)
    # A worsened outcome that is not final cannot come from the rule; the insight still waits for a final one.
    spike = ActionEffect(6, "Spike", "WIP", date(2026, 8, 1), 5, "worsened", "One spike.", final=False)
    assert rules.action_without_effect(replace(BASE, actions=(improved, young, waiting, spike))) == []


def test_forecasts_overconfident_fires() -> None:
    [finding] = rules.forecasts_overconfident(replace(BASE, forecast_levels=(ForecastLevel(85, 20, 9),)))
    assert finding.severity == "critical"
    assert finding.title == "85% forecasts held only 45% of the time"
    assert finding.observed == (
        "Of 20 scored forecasts, the 85% level held 9 times (45%), far below the 85% it promises (95% interval 26% to 66%)."
    )


def test_forecasts_overconfident_quiet_when_calibrated_or_few() -> None:
    assert rules.forecasts_overconfident(replace(BASE, forecast_levels=(ForecastLevel(85, 49, 42),))) == []
    assert rules.forecasts_overconfident(replace(BASE, forecast_levels=(ForecastLevel(85, 4, 0),))) == []


def test_forecast_calibration_covers_both_directions() -> None:
    # 40 of 40 held: Wilson 95% interval 91% to 100%, wholly above the calibrated band (82.5% to 87.5%).
    [cautious] = rules.forecast_calibration(replace(BASE, forecast_levels=(ForecastLevel(85, 40, 40),)))
    assert (cautious.kind, cautious.severity) == ("forecasts_too_cautious", "info")
    assert cautious.title == "85% forecasts held 100% of the time: too cautious"
    [over] = rules.forecast_calibration(replace(BASE, forecast_levels=(ForecastLevel(85, 20, 9),)))
    assert over.kind == "forecasts_overconfident"
    # 25 of 25 held (the demo's kind of record): the interval, 87% to 100%, still reaches the band: no claim.
    assert rules.forecast_calibration(replace(BASE, forecast_levels=(ForecastLevel(85, 25, 25),))) == []
    assert rules.forecast_calibration(replace(BASE, forecast_levels=(ForecastLevel(85, 9, 9),))) == []


def test_retros_without_actions_fires() -> None:
    [finding] = rules.retros_without_actions(replace(BASE, retros_finished=3))
    assert finding.observed == (
        "The team finished 3 retrospectives over 2026-08-29 to 2026-11-26 and recorded "
        "no improvement action from a retro in that time."
    )


def test_retros_without_actions_quiet_with_an_action() -> None:
    assert rules.retros_without_actions(replace(BASE, retros_finished=3, retro_actions=1)) == []


def test_every_kind_suggests_a_known_practice() -> None:
    assert set(rules.KINDS) == set(rules.KIND_LABELS)
    assert all(practice in PRACTICES for practice in rules.KINDS.values())
    assert rules.evaluate(BASE) == []
