"""Process behaviour (XmR) charts, as pinned in DESIGN.md ("Process behaviour (XmR) charts").

* centre = mean of the baseline; moving range mR_i = |x_i − x_(i−1)|;
* natural process limits = centre ± 2.66 × mean(mR); upper range limit = 3.268 × mean(mR);
  a lower limit below zero is dropped (None) for a non-negative metric;
* signals: (1) a point outside the limits; (2) 3 of 4 successive points beyond the midpoint between
  the centre and a limit, on the same side; (3) 8 successive points on the same side of the centre.

With a divider (an improvement action's date), the limits come from the baseline points before it
and signals are looked for only in the points after it. Limits need at least ``MIN_BASELINE`` (6)
baseline points: fewer moving ranges make limits too wobbly to judge anything by.

Choices the pinned text leaves open, made here:

* "outside" and "beyond" are strict: a point exactly on a limit, a midpoint or the centre is not.
  A point exactly on the centre breaks a run for rule 3.
* Rule 2 looks at windows of 4 successive points, all after the divider; overlapping windows that
  fire on the same side are reported as one signal (the points beyond the midpoint in their span).
  Rule 3 reports a whole run (8 or more points) as one signal. Rule 1 reports each point.
* When the lower limit is dropped, the lower midpoint is still the midpoint between the centre and
  the computed (negative) limit: the limit is dropped because no value can fall below it, while
  the midpoint may still be reachable.
* Moving ranges above the upper range limit are reported apart (``range_signals``); they have no
  side, so they do not enter the verdict.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

__all__ = [
    "MIN_BASELINE",
    "NATURAL_PROCESS_LIMIT_FACTOR",
    "UPPER_RANGE_LIMIT_FACTOR",
    "Side",
    "Signal",
    "SignalRule",
    "Verdict",
    "VerdictOutcome",
    "XmRChart",
    "verdict",
    "xmr_chart",
]

MIN_BASELINE = 6
NATURAL_PROCESS_LIMIT_FACTOR = 2.66
UPPER_RANGE_LIMIT_FACTOR = 3.268
_RULE_2_WINDOW = 4
_RULE_2_COUNT = 3
_RULE_3_RUN = 8


class SignalRule(enum.IntEnum):
    """The three pinned detection rules."""

    OUTSIDE_LIMITS = 1
    THREE_OF_FOUR_BEYOND_MIDPOINT = 2
    EIGHT_ON_ONE_SIDE = 3


class Side(enum.StrEnum):
    """Which side of the centre line a signal is on."""

    ABOVE = "above"
    BELOW = "below"


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal: the rule that fired, its side, and the indices (into ``values``) of its points."""

    rule: SignalRule
    side: Side
    indices: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class XmRChart:
    """An XmR chart: limits from the baseline, signals in the evaluated points.

    Without a divider the baseline and the evaluated points are all the values; with one, the
    baseline is ``values[:divider_index]`` and the evaluated points are ``values[divider_index:]``.
    When the baseline is too short, ``enough_data`` is False, ``points_needed`` says how many more
    baseline points are needed, every limit is None and there are no signals.
    """

    values: tuple[float, ...]
    moving_ranges: tuple[float | None, ...]
    divider_index: int | None
    baseline_count: int
    enough_data: bool
    points_needed: int
    message: str | None
    centre: float | None
    mean_moving_range: float | None
    upper_limit: float | None
    lower_limit: float | None
    lower_limit_dropped: bool
    upper_midpoint: float | None
    lower_midpoint: float | None
    upper_range_limit: float | None
    signals: tuple[Signal, ...]
    range_signals: tuple[int, ...]


class VerdictOutcome(enum.StrEnum):
    """Whether a change made a detectable difference."""

    IMPROVED = "improved"
    WORSENED = "worsened"
    NO_SIGNAL_YET = "no_signal_yet"
    NOT_ENOUGH_DATA = "not_enough_data"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A verdict on a chart with a divider, with a sentence to show and the signals behind it."""

    outcome: VerdictOutcome
    explanation: str
    points_needed: int
    signals: tuple[Signal, ...]


def xmr_chart(
    values: Sequence[float],
    *,
    divider_index: int | None = None,
    non_negative: bool = True,
    min_baseline: int = MIN_BASELINE,
) -> XmRChart:
    """Compute an XmR chart and its signals.

    Args:
        values: the metric, one value per period, oldest first.
        divider_index: index of the first point after the divider (e.g. an improvement action);
            None for no divider. Must be in ``0..len(values)``.
        non_negative: the metric cannot go below zero: a lower limit below zero is dropped and a
            negative value is an error.
        min_baseline: the fewest baseline points limits are computed from (at least 2).

    Returns:
        An :class:`XmRChart`.

    Raises:
        ValueError: for a value that is not finite, a negative value of a non-negative metric,
            a divider outside the values, or ``min_baseline`` below 2.
    """
    points = tuple(float(value) for value in values)
    for index, value in enumerate(points):
        if not math.isfinite(value):
            raise ValueError(f"values[{index}] must be a finite number, got {value}")
        if non_negative and value < 0:
            raise ValueError(f"values[{index}] is {value}, but the metric is non-negative")
    if divider_index is not None and not 0 <= divider_index <= len(points):
        raise ValueError(f"divider_index must be between 0 and {len(points)}, got {divider_index}")
    if min_baseline < 2:
        raise ValueError(f"min_baseline must be at least 2 (one moving range), got {min_baseline}")

    moving_ranges: tuple[float | None, ...] = (None,) * min(len(points), 1) + tuple(
        abs(current - previous) for previous, current in pairwise(points)
    )
    baseline_count = len(points) if divider_index is None else divider_index
    first_evaluated = 0 if divider_index is None else divider_index

    if baseline_count < min_baseline:
        needed = min_baseline - baseline_count
        where = "before the divider" if divider_index is not None else "in total"
        return XmRChart(
            values=points,
            moving_ranges=moving_ranges,
            divider_index=divider_index,
            baseline_count=baseline_count,
            enough_data=False,
            points_needed=needed,
            message=(
                f"Not enough data: {baseline_count} baseline point{'s' if baseline_count != 1 else ''} "
                f"{where}; limits need at least {min_baseline}, so {needed} more "
                f"{'are' if needed != 1 else 'is'} needed."
            ),
            centre=None,
            mean_moving_range=None,
            upper_limit=None,
            lower_limit=None,
            lower_limit_dropped=False,
            upper_midpoint=None,
            lower_midpoint=None,
            upper_range_limit=None,
            signals=(),
            range_signals=(),
        )

    baseline = points[:baseline_count]
    centre = math.fsum(baseline) / baseline_count
    baseline_ranges = [abs(b - a) for a, b in pairwise(baseline)]
    mean_moving_range = math.fsum(baseline_ranges) / len(baseline_ranges)
    spread = NATURAL_PROCESS_LIMIT_FACTOR * mean_moving_range
    upper_limit = centre + spread
    computed_lower_limit = centre - spread
    lower_limit_dropped = non_negative and computed_lower_limit < 0
    lower_limit = None if lower_limit_dropped else computed_lower_limit
    upper_midpoint = centre + spread / 2
    lower_midpoint = centre - spread / 2
    upper_range_limit = UPPER_RANGE_LIMIT_FACTOR * mean_moving_range

    evaluated = range(first_evaluated, len(points))
    signals = sorted(
        [
            *_outside_limits(points, evaluated, upper_limit, lower_limit),
            *_three_of_four(points, evaluated, upper_midpoint, Side.ABOVE),
            *_three_of_four(points, evaluated, lower_midpoint, Side.BELOW),
            *_runs(points, evaluated, centre),
        ],
        key=lambda signal: (signal.indices[0], signal.rule, signal.side),
    )
    range_signals = tuple(
        index
        for index in evaluated
        if index >= 1 and (moving_range := moving_ranges[index]) is not None and moving_range > upper_range_limit
    )
    return XmRChart(
        values=points,
        moving_ranges=moving_ranges,
        divider_index=divider_index,
        baseline_count=baseline_count,
        enough_data=True,
        points_needed=0,
        message=None,
        centre=centre,
        mean_moving_range=mean_moving_range,
        upper_limit=upper_limit,
        lower_limit=lower_limit,
        lower_limit_dropped=lower_limit_dropped,
        upper_midpoint=upper_midpoint,
        lower_midpoint=lower_midpoint,
        upper_range_limit=upper_range_limit,
        signals=tuple(signals),
        range_signals=range_signals,
    )


def verdict(chart: XmRChart, *, expected_direction: Literal["increase", "decrease"]) -> Verdict:
    """Judge whether the change at the chart's divider made a difference.

    "improved": a signal after the divider on the side of the expected direction; "worsened": a
    signal on the other side. When there are signals on both sides, the most recent one (the
    signal whose last point is latest) decides, and the explanation says so.

    Args:
        chart: a chart built with a ``divider_index``.
        expected_direction: "increase" when higher values are the hoped-for effect, else "decrease".

    Returns:
        A :class:`Verdict` with its outcome, a sentence to show, and the deciding signals.

    Raises:
        ValueError: when the chart has no divider or the direction is unknown.
    """
    if chart.divider_index is None:
        raise ValueError("a verdict needs a chart with a divider (divider_index)")
    if expected_direction not in ("increase", "decrease"):
        raise ValueError(f"expected_direction must be 'increase' or 'decrease', got {expected_direction!r}")
    if not chart.enough_data:
        return Verdict(VerdictOutcome.NOT_ENOUGH_DATA, chart.message or "", chart.points_needed, ())

    after = len(chart.values) - chart.divider_index
    if not chart.signals:
        if after == 0:
            explanation = "No signal yet: there are no points after the divider yet."
        else:
            explanation = (
                f"No signal yet: the {after} point{'s' if after != 1 else ''} after the divider "
                "show none of the three signals, so no difference can be told from routine variation."
            )
        return Verdict(VerdictOutcome.NO_SIGNAL_YET, explanation, 0, ())

    hoped = Side.ABOVE if expected_direction == "increase" else Side.BELOW
    latest = max(chart.signals, key=lambda signal: signal.indices[-1])
    deciding = tuple(signal for signal in chart.signals if signal.side == latest.side)
    outcome = VerdictOutcome.IMPROVED if latest.side == hoped else VerdictOutcome.WORSENED
    direction = "the expected direction" if outcome is VerdictOutcome.IMPROVED else "the opposite direction"
    explanation = (
        f"{outcome.value.capitalize()}: after the divider, {_describe(latest, chart)}, "
        f"a signal in {direction} ({expected_direction} hoped for)."
    )
    if len(deciding) != len(chart.signals):
        explanation += " There are also signals on the other side; the most recent signal decides."
    return Verdict(outcome, explanation, 0, deciding)


def _outside_limits(points: tuple[float, ...], evaluated: range, upper: float, lower: float | None) -> list[Signal]:
    signals = []
    for index in evaluated:
        if points[index] > upper:
            signals.append(Signal(SignalRule.OUTSIDE_LIMITS, Side.ABOVE, (index,)))
        elif lower is not None and points[index] < lower:
            signals.append(Signal(SignalRule.OUTSIDE_LIMITS, Side.BELOW, (index,)))
    return signals


def _three_of_four(points: tuple[float, ...], evaluated: range, midpoint: float, side: Side) -> list[Signal]:
    def beyond(index: int) -> bool:
        return points[index] > midpoint if side is Side.ABOVE else points[index] < midpoint

    spans: list[list[int]] = []  # [first, last] of merged firing windows
    for start in range(evaluated.start, evaluated.stop - _RULE_2_WINDOW + 1):
        window = range(start, start + _RULE_2_WINDOW)
        if sum(beyond(index) for index in window) < _RULE_2_COUNT:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1][1] = window[-1]
        else:
            spans.append([start, window[-1]])
    return [
        Signal(
            SignalRule.THREE_OF_FOUR_BEYOND_MIDPOINT,
            side,
            tuple(index for index in range(first, last + 1) if beyond(index)),
        )
        for first, last in spans
    ]


def _runs(points: tuple[float, ...], evaluated: range, centre: float) -> list[Signal]:
    signals = []
    run: list[int] = []
    run_side: Side | None = None
    for index in [*evaluated, None]:
        side = None
        if index is not None and points[index] != centre:
            side = Side.ABOVE if points[index] > centre else Side.BELOW
        if index is not None and side is not None and side == run_side:
            run.append(index)
            continue
        if run_side is not None and len(run) >= _RULE_3_RUN:
            signals.append(Signal(SignalRule.EIGHT_ON_ONE_SIDE, run_side, tuple(run)))
        run_side = side
        run = [] if index is None or side is None else [index]
    return signals


def _describe(signal: Signal, chart: XmRChart) -> str:
    side = signal.side.value
    if signal.rule is SignalRule.OUTSIDE_LIMITS:
        limit = chart.upper_limit if signal.side is Side.ABOVE else chart.lower_limit
        which = "upper" if signal.side is Side.ABOVE else "lower"
        return f"a point is {side} the {which} natural process limit ({limit:.2f})"
    if signal.rule is SignalRule.THREE_OF_FOUR_BEYOND_MIDPOINT:
        midpoint = chart.upper_midpoint if signal.side is Side.ABOVE else chart.lower_midpoint
        which = "upper" if signal.side is Side.ABOVE else "lower"
        return (
            f"at least 3 of 4 successive points are {side} the midpoint ({midpoint:.2f}) "
            f"between the centre line and the {which} limit"
        )
    return f"{len(signal.indices)} successive points are {side} the centre line ({chart.centre:.2f})"
