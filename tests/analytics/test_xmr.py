"""Process behaviour (XmR) charts (DESIGN.md, "Process behaviour (XmR) charts")."""

from __future__ import annotations

import pytest

from deliveryops.analytics.xmr import (
    Side,
    Signal,
    SignalRule,
    VerdictOutcome,
    verdict,
    xmr_chart,
)

# Hand-worked baseline used throughout:
#   values           5  7  6  8  4  6  7  5      sum 48, n 8  -> centre = 6
#   moving ranges       2  1  2  4  2  1  2      sum 14, n 7  -> mean mR = 2
#   natural process limits = 6 ± 2.66 × 2 = 6 ± 5.32        -> 0.68 .. 11.32
#   midpoints between centre and limits = 6 ± 2.66            -> 3.34 and 8.66
#   upper range limit = 3.268 × 2                              -> 6.536
BASELINE = [5, 7, 6, 8, 4, 6, 7, 5]
DIVIDER = len(BASELINE)


def test_limits_by_hand() -> None:
    chart = xmr_chart(BASELINE)

    assert chart.enough_data is True
    assert chart.points_needed == 0
    assert chart.message is None
    assert chart.baseline_count == 8
    assert chart.moving_ranges == (None, 2, 1, 2, 4, 2, 1, 2)
    assert chart.centre == 6
    assert chart.mean_moving_range == 2
    assert chart.upper_limit == pytest.approx(11.32, abs=1e-12)
    assert chart.lower_limit == pytest.approx(0.68, abs=1e-12)
    assert chart.lower_limit_dropped is False
    assert chart.upper_midpoint == pytest.approx(8.66, abs=1e-12)
    assert chart.lower_midpoint == pytest.approx(3.34, abs=1e-12)
    assert chart.upper_range_limit == pytest.approx(6.536, abs=1e-12)
    assert chart.signals == ()
    assert chart.range_signals == ()


def test_lower_limit_below_zero_is_dropped_for_a_non_negative_metric() -> None:
    # 1 5 1 5 1 5: centre 3, every mR 4, limits 3 ± 10.64 -> -7.64 .. 13.64.
    values = [1, 5, 1, 5, 1, 5]
    dropped = xmr_chart(values)
    kept = xmr_chart(values, non_negative=False)

    assert dropped.lower_limit is None
    assert dropped.lower_limit_dropped is True
    assert dropped.upper_limit == pytest.approx(13.64, abs=1e-12)
    assert kept.lower_limit == pytest.approx(-7.64, abs=1e-12)
    assert kept.lower_limit_dropped is False


def test_divider_takes_limits_from_the_baseline_and_signals_after_it() -> None:
    chart = xmr_chart([*BASELINE, 20, 20], divider_index=DIVIDER)

    # The two 20s do not move the limits: they come from the 8 baseline points only.
    assert chart.baseline_count == 8
    assert chart.centre == 6
    assert chart.mean_moving_range == 2
    assert chart.signals == (
        Signal(SignalRule.OUTSIDE_LIMITS, Side.ABOVE, (8,)),
        Signal(SignalRule.OUTSIDE_LIMITS, Side.ABOVE, (9,)),
    )
    # mR at index 8 is |20 − 5| = 15 > 6.536; at index 9 it is 0.
    assert chart.range_signals == (8,)

    # Without the divider the same values make their own, wider limits.
    undivided = xmr_chart([*BASELINE, 20, 20])
    assert undivided.centre == 88 / 10
    assert undivided.signals != chart.signals


def test_points_before_the_divider_are_not_evaluated() -> None:
    # Eight 7s then 3, 5: centre 64/10 = 6.4, mean mR = (4 + 2) / 9 = 2/3, limits 6.4 ± 1.773
    # (4.627 .. 8.173). Evaluated on their own, the 7s are a rule-3 run and the 3 is below the limit.
    baseline = [7, 7, 7, 7, 7, 7, 7, 7, 3, 5]
    assert xmr_chart(baseline).signals == (
        Signal(SignalRule.EIGHT_ON_ONE_SIDE, Side.ABOVE, tuple(range(8))),
        Signal(SignalRule.OUTSIDE_LIMITS, Side.BELOW, (8,)),
    )
    # As the baseline before a divider, they are not evaluated.
    assert xmr_chart([*baseline, 6], divider_index=len(baseline)).signals == ()


def test_rule_1_point_outside_the_limits() -> None:
    above = xmr_chart([*BASELINE, 12], divider_index=DIVIDER)
    below = xmr_chart([*BASELINE, 0.5], divider_index=DIVIDER)
    on_or_inside = xmr_chart([*BASELINE, 11, 1], divider_index=DIVIDER)

    assert above.signals == (Signal(SignalRule.OUTSIDE_LIMITS, Side.ABOVE, (8,)),)
    assert below.signals == (Signal(SignalRule.OUTSIDE_LIMITS, Side.BELOW, (8,)),)
    assert on_or_inside.signals == ()


def test_rule_1_has_no_lower_signal_when_the_lower_limit_is_dropped() -> None:
    # Baseline 1 5 1 5 1 5: lower limit −7.64 dropped; a 0 is not "outside".
    assert xmr_chart([1, 5, 1, 5, 1, 5, 0], divider_index=6).signals == ()


def test_rule_2_three_of_four_beyond_the_midpoint() -> None:
    # Upper midpoint 8.66: 9 is beyond it, 5 is not.
    above = xmr_chart([*BASELINE, 9, 9, 5, 9], divider_index=DIVIDER)
    # Lower midpoint 3.34: 3 is beyond it, 6 is not.
    below = xmr_chart([*BASELINE, 3, 3, 6, 3], divider_index=DIVIDER)

    assert above.signals == (Signal(SignalRule.THREE_OF_FOUR_BEYOND_MIDPOINT, Side.ABOVE, (8, 9, 11)),)
    assert below.signals == (Signal(SignalRule.THREE_OF_FOUR_BEYOND_MIDPOINT, Side.BELOW, (8, 9, 11)),)


def test_rule_2_does_not_fire_on_two_of_four_or_on_mixed_sides() -> None:
    assert xmr_chart([*BASELINE, 9, 5, 5, 9], divider_index=DIVIDER).signals == ()
    assert xmr_chart([*BASELINE, 9, 3, 9, 3], divider_index=DIVIDER).signals == ()
    # Three successive points, but only three after the divider: no window of four yet.
    assert xmr_chart([*BASELINE, 9, 9, 9], divider_index=DIVIDER).signals == ()


def test_rule_2_overlapping_windows_are_one_signal() -> None:
    # Windows 8..11 (4 beyond) and 9..12 (3 beyond) both fire: one signal.
    chart = xmr_chart([*BASELINE, 9, 9, 9, 9, 5], divider_index=DIVIDER)
    assert chart.signals == (Signal(SignalRule.THREE_OF_FOUR_BEYOND_MIDPOINT, Side.ABOVE, (8, 9, 10, 11)),)


def test_rule_3_eight_successive_points_on_one_side() -> None:
    # 7 is above the centre (6) but below the midpoint (8.66): only rule 3 can fire.
    eight = xmr_chart([*BASELINE, *[7] * 8], divider_index=DIVIDER)
    ten_below = xmr_chart([*BASELINE, *[5] * 10], divider_index=DIVIDER)

    assert eight.signals == (Signal(SignalRule.EIGHT_ON_ONE_SIDE, Side.ABOVE, tuple(range(8, 16))),)
    assert ten_below.signals == (Signal(SignalRule.EIGHT_ON_ONE_SIDE, Side.BELOW, tuple(range(8, 18))),)


def test_rule_3_needs_eight_and_a_point_on_the_centre_breaks_the_run() -> None:
    assert xmr_chart([*BASELINE, *[7] * 7], divider_index=DIVIDER).signals == ()
    assert xmr_chart([*BASELINE, 7, 7, 7, 7, 6, 7, 7, 7, 7], divider_index=DIVIDER).signals == ()
    assert xmr_chart([*BASELINE, 7, 7, 7, 7, 5, 7, 7, 7, 7], divider_index=DIVIDER).signals == ()


def test_several_rules_are_reported_in_order() -> None:
    chart = xmr_chart([*BASELINE, 7, 7, 7, 7, 7, 9, 9, 12], divider_index=DIVIDER)
    assert chart.signals == (
        Signal(SignalRule.EIGHT_ON_ONE_SIDE, Side.ABOVE, tuple(range(8, 16))),
        Signal(SignalRule.THREE_OF_FOUR_BEYOND_MIDPOINT, Side.ABOVE, (13, 14, 15)),
        Signal(SignalRule.OUTSIDE_LIMITS, Side.ABOVE, (15,)),
    )


def test_too_few_points_says_how_many_more_are_needed() -> None:
    short = xmr_chart([5, 7, 6, 8])
    short_baseline = xmr_chart([5, 7, 6, 8, 4, 20, 20], divider_index=5)

    assert (short.enough_data, short.points_needed) == (False, 2)
    assert short.message == "Not enough data: 4 baseline points in total; limits need at least 6, so 2 more are needed."
    assert (short.centre, short.upper_limit, short.lower_limit, short.signals) == (None, None, None, ())
    assert (short_baseline.enough_data, short_baseline.points_needed) == (False, 1)
    assert short_baseline.message == (
        "Not enough data: 5 baseline points before the divider; limits need at least 6, so 1 more is needed."
    )
    assert xmr_chart([]).points_needed == 6
    assert xmr_chart([5, 7, 6], min_baseline=3).enough_data is True


def test_invalid_input_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^values\[2\] is -1.0, but the metric is non-negative$"):
        xmr_chart([1, 2, -1])
    with pytest.raises(ValueError, match=r"^divider_index must be between 0 and 3, got 4$"):
        xmr_chart([1, 2, 3], divider_index=4)
    with pytest.raises(ValueError, match=r"^values\[0\] must be a finite number, got nan$"):
        xmr_chart([float("nan")])
    with pytest.raises(ValueError, match=r"^min_baseline must be at least 2"):
        xmr_chart([1, 2, 3], min_baseline=1)


# --- verdict -----------------------------------------------------------------------------------


def test_verdict_improved_when_the_signal_is_in_the_expected_direction() -> None:
    result = verdict(xmr_chart([*BASELINE, 12], divider_index=DIVIDER), expected_direction="increase")

    assert result.outcome is VerdictOutcome.IMPROVED
    assert result.explanation == (
        "Improved: after the divider, a point is above the upper natural process limit (11.32), "
        "a signal in the expected direction (increase hoped for)."
    )
    assert result.signals == (Signal(SignalRule.OUTSIDE_LIMITS, Side.ABOVE, (8,)),)


def test_verdict_worsened_when_the_signal_is_in_the_opposite_direction() -> None:
    result = verdict(xmr_chart([*BASELINE, *[7] * 8], divider_index=DIVIDER), expected_direction="decrease")

    assert result.outcome is VerdictOutcome.WORSENED
    assert result.explanation == (
        "Worsened: after the divider, 8 successive points are above the centre line (6.00), "
        "a signal in the opposite direction (decrease hoped for)."
    )


def test_verdict_rule_2_explanation_and_decrease_improved() -> None:
    result = verdict(xmr_chart([*BASELINE, 3, 3, 6, 3], divider_index=DIVIDER), expected_direction="decrease")
    assert result.outcome is VerdictOutcome.IMPROVED
    assert result.explanation == (
        "Improved: after the divider, at least 3 of 4 successive points are below the midpoint "
        "(3.34) between the centre line and the lower limit, "
        "a signal in the expected direction (decrease hoped for)."
    )


def test_verdict_with_signals_on_both_sides_follows_the_most_recent() -> None:
    result = verdict(xmr_chart([*BASELINE, 12, 0.5], divider_index=DIVIDER), expected_direction="increase")

    assert result.outcome is VerdictOutcome.WORSENED
    assert result.signals == (Signal(SignalRule.OUTSIDE_LIMITS, Side.BELOW, (9,)),)
    assert result.explanation.endswith("There are also signals on the other side; the most recent signal decides.")


def test_verdict_no_signal_yet() -> None:
    result = verdict(xmr_chart([*BASELINE, 6, 7, 5], divider_index=DIVIDER), expected_direction="increase")
    nothing_after = verdict(xmr_chart(BASELINE, divider_index=DIVIDER), expected_direction="increase")

    assert result.outcome is VerdictOutcome.NO_SIGNAL_YET
    assert result.explanation == (
        "No signal yet: the 3 points after the divider show none of the three signals, "
        "so no difference can be told from routine variation."
    )
    assert nothing_after.outcome is VerdictOutcome.NO_SIGNAL_YET
    assert nothing_after.explanation == "No signal yet: there are no points after the divider yet."


def test_verdict_not_enough_data() -> None:
    result = verdict(xmr_chart([5, 7, 6, 20, 20], divider_index=3), expected_direction="increase")

    assert result.outcome is VerdictOutcome.NOT_ENOUGH_DATA
    assert result.points_needed == 3
    assert result.explanation == (
        "Not enough data: 3 baseline points before the divider; limits need at least 6, so 3 more are needed."
    )


def test_verdict_needs_a_divider() -> None:
    with pytest.raises(ValueError, match=r"^a verdict needs a chart with a divider \(divider_index\)$"):
        verdict(xmr_chart(BASELINE), expected_direction="increase")
