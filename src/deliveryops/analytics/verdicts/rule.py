"""The verdict rule for an improvement action: a fixed evaluation window, at most two looks, a
sustained-shift check and an honest "not enough evidence".

The rule (its error rates are measured by :mod:`deliveryops.analytics.verdicts.simulation`):

1. **Baseline**: the weeks before the action (the caller passes up to ``BASELINE_WEEKS``); at least
   ``min_baseline_weeks`` weeks, and for per-item metrics at least ``min_items`` items on each side.
2. **Measuring**: before ``eval_weeks`` complete weeks after the action there is no verdict, only the
   interim effect (looking every week and stopping at the first "significant" week is what made the
   old verdicts wrong so often).
3. **First look** at ``eval_weeks``: the effect of the first ``eval_weeks`` weeks (per item:
   :func:`~.effects.compare_items`; per week: :func:`~.effects.compare_weeks`) at ``level``.

   * its interval excludes zero **and** the shift is sustained (both halves of the window lie on the
     same side of the baseline as the whole window) → *improved* or *worsened* (by the expected direction);
   * otherwise, its interval lies inside ±``min_change`` of the baseline → *no change* (no change as
     large as ``min_change``);
   * otherwise → *not enough evidence*, with the number of weeks after which the data would detect a
     change of ``min_change`` with probability ``power``. If that is within ``max_weeks``, a second and
     last look is taken then (same tests); if not, the verdict is final.
4. The verdict freezes at the look that made it: later weeks do not change it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import stats

from deliveryops.analytics.verdicts.effects import (
    LOG_FLOOR_DAYS,
    Effect,
    Values,
    compare_items,
    compare_weeks,
    week_clustering,
)

__all__ = [
    "BASELINE_WEEKS",
    "Direction",
    "Outcome",
    "RuleSettings",
    "VerdictResult",
    "judge_items",
    "judge_weeks",
    "settings_for",
]

BASELINE_WEEKS = 16
Direction = Literal["increase", "decrease"]


class Outcome(enum.StrEnum):
    """What the rule concludes."""

    IMPROVED = "improved"
    WORSENED = "worsened"
    NO_CHANGE = "no_change"
    NOT_ENOUGH_EVIDENCE = "not_enough_evidence"
    MEASURING = "measuring"

    @property
    def is_change(self) -> bool:
        """Improved or worsened: the rule says the metric moved."""
        return self in (Outcome.IMPROVED, Outcome.WORSENED)


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """The rule's parameters (the defaults are the measured choice; see docs/metrics.md)."""

    eval_weeks: int = 8
    max_weeks: int = 26
    level: float = 0.98
    min_change: float = 0.30
    power: float = 0.80
    min_baseline_weeks: int = 6
    min_items: int = 6
    sustained: bool = True
    cluster_weeks: bool = False  # per item: inflate the variance for events clustered by week


# Per metric: the DORA per-event keys come in weekly clusters (a release train, a holiday freeze), measured
# in benchmarks/verdict_bench.py; the other metrics use the defaults.
METRIC_SETTINGS: dict[str, RuleSettings] = {
    "lead_time": RuleSettings(cluster_weeks=True),
    "time_to_restore": RuleSettings(cluster_weeks=True),
}


def settings_for(metric: str) -> RuleSettings:
    """The rule's parameters for a target metric (its value, e.g. "lead_time")."""
    return METRIC_SETTINGS.get(metric, RuleSettings())


@dataclass(frozen=True, slots=True)
class VerdictResult:
    """A verdict with the numbers behind it.

    ``weeks_after`` complete weeks after the action were available; ``decided_at`` is the week of the look
    that made a final verdict (None while measuring or waiting for the second look); ``next_look`` the week
    of the look still to come (None when final). ``needed_weeks`` is how many weeks after the action the data
    would need in all to detect a change of ``min_change`` with the rule's power (None when not estimated,
    ``math.inf`` when even ``max_weeks`` cannot reach it given the baseline); ``needed_items`` the same in
    items for per-item metrics. ``reason`` names why there is no verdict (``baseline``, ``items``,
    ``window``, ``precision``), or is empty.
    """

    outcome: Outcome
    effect: Effect | None
    weeks_after: int
    decided_at: int | None
    next_look: int | None
    needed_weeks: float | None
    needed_items: float | None
    reason: str
    settings: RuleSettings = field(default_factory=RuleSettings)

    @property
    def final(self) -> bool:
        """The verdict is frozen."""
        return self.decided_at is not None


def _z(probability: float) -> float:
    return float(stats.norm.ppf(probability))


def judge_items(
    before: Values,
    after_by_week: Sequence[Values],
    *,
    better: Direction,
    settings: RuleSettings | None = None,
    before_by_week: Sequence[Values] | None = None,
) -> VerdictResult:
    """Judge a per-item metric (cycle time in days; lead time, time to restore in hours).

    Args:
        before: the baseline items' values.
        after_by_week: the values of the items finished in each complete week after the action, oldest first
            (the week the action started is the first).
        better: the direction that is an improvement.
        settings: the rule's parameters.
        before_by_week: the baseline's values by week (needed for ``settings.cluster_weeks``).

    Returns:
        The :class:`VerdictResult`.
    """
    rules = settings or RuleSettings()
    weeks_after = len(after_by_week)
    b = np.asarray(before, dtype=np.float64)
    if b.size < rules.min_items:
        return VerdictResult(
            Outcome.NOT_ENOUGH_EVIDENCE, None, weeks_after, None, None, None, float(rules.min_items), "baseline", rules
        )

    def inflation(weeks: int) -> float:
        if not rules.cluster_weeks or before_by_week is None:
            return 1.0
        return week_clustering(before_by_week, after_by_week[:weeks])

    def effect_at(weeks: int) -> Effect | None:
        values = [value for week in after_by_week[:weeks] for value in week]
        return compare_items(b, values, level=rules.level, inflation=inflation(weeks)) if len(values) >= 2 else None

    def halves_agree(weeks: int, effect: Effect) -> bool:
        half = weeks // 2
        centre = float(np.log(np.maximum(b, LOG_FLOOR_DAYS)).mean())
        for part in (after_by_week[:half], after_by_week[half:weeks]):
            values = [value for week in part for value in week]
            if not values:
                return False
            mean = float(np.log(np.maximum(np.asarray(values, dtype=np.float64), LOG_FLOOR_DAYS)).mean())
            if (mean - centre) * effect.change <= 0:
                return False
        return True

    def needed(weeks: int, effect: Effect) -> tuple[float, float]:
        n_after = effect.n_after
        values = np.log(np.maximum(np.asarray([v for w in after_by_week[:weeks] for v in w], dtype=np.float64), LOG_FLOOR_DAYS))
        log_b = np.log(np.maximum(b, LOG_FLOOR_DAYS))
        pooled = (float(log_b.var(ddof=1)) * (b.size - 1) + float(values.var(ddof=1)) * (n_after - 1)) / (b.size + n_after - 2)
        pooled *= effect.inflation
        shift = abs(math.log(1 - rules.min_change)) if better == "decrease" else math.log(1 + rules.min_change)
        se_target = shift / (_z(0.5 + rules.level / 2) + _z(rules.power))
        room = se_target**2 - pooled / b.size
        if room <= 0:
            return math.inf, math.inf
        items = pooled / room
        per_week = n_after / weeks
        return (math.ceil(items / per_week) if per_week > 0 else math.inf), math.ceil(items)

    def count(weeks: int) -> int:
        return sum(len(week) for week in after_by_week[:weeks])

    return _decide(weeks_after, rules, better, effect_at, halves_agree, needed, count)


def judge_weeks(
    before: Sequence[float | None],
    after: Sequence[float | None],
    *,
    better: Direction,
    settings: RuleSettings | None = None,
) -> VerdictResult:
    """Judge a weekly metric (throughput, WIP, flow efficiency, blocked time).

    Args:
        before: the baseline weeks' values, oldest first (None for a week where the metric is undefined).
        after: the complete weeks after the action, oldest first (the week the action started is the first).
        better: the direction that is an improvement.
        settings: the rule's parameters.

    Returns:
        The :class:`VerdictResult`.
    """
    rules = settings or RuleSettings()
    weeks_after = len(after)
    b = np.asarray([value for value in before if value is not None], dtype=np.float64)
    if b.size < rules.min_baseline_weeks:
        return VerdictResult(
            Outcome.NOT_ENOUGH_EVIDENCE,
            None,
            weeks_after,
            None,
            None,
            float(rules.min_baseline_weeks - b.size),
            None,
            "baseline",
            rules,
        )

    def defined(weeks: int) -> list[float]:
        return [value for value in after[:weeks] if value is not None]

    def effect_at(weeks: int) -> Effect | None:
        values = defined(weeks)
        return compare_weeks(b, values, level=rules.level) if len(values) >= 2 else None

    def halves_agree(weeks: int, effect: Effect) -> bool:
        half = weeks // 2
        centre = float(b.mean())
        for part in (after[:half], after[half:weeks]):
            values = [value for value in part if value is not None]
            if not values or (float(np.mean(values)) - centre) * effect.change <= 0:
                return False
        return True

    def needed(weeks: int, effect: Effect) -> tuple[float, float]:
        values = np.asarray(defined(weeks), dtype=np.float64)
        if effect.before <= 0:
            return math.inf, math.inf
        se_target = rules.min_change * effect.before / (_z(0.5 + rules.level / 2) + _z(rules.power))
        var_b, var_a = float(b.var(ddof=1)), float(values.var(ddof=1))
        room = se_target**2 - effect.inflation * var_b / b.size
        if room <= 0:
            return math.inf, math.inf
        defined_share = len(values) / weeks
        return math.ceil(effect.inflation * max(var_a, var_b) / room / max(defined_share, 1e-9)), math.inf

    def count(weeks: int) -> int:
        return len(defined(weeks))

    return _decide(weeks_after, rules, better, effect_at, halves_agree, needed, count, per_item=False)


def _decide(
    weeks_after: int,
    rules: RuleSettings,
    better: Direction,
    effect_fn: Callable[[int], Effect | None],
    agree_fn: Callable[[int, Effect], bool],
    needed_fn: Callable[[int, Effect], tuple[float, float]],
    count: Callable[[int], int],
    *,
    per_item: bool = True,
) -> VerdictResult:
    minimum = rules.min_items if per_item else 2

    if weeks_after < rules.eval_weeks:
        interim = effect_fn(weeks_after) if weeks_after >= 1 else None
        return VerdictResult(Outcome.MEASURING, interim, weeks_after, None, rules.eval_weeks, None, None, "window", rules)

    def look(weeks: int) -> tuple[Outcome | None, Effect | None]:
        if count(weeks) < minimum:
            return None, effect_fn(weeks)
        effect = effect_fn(weeks)
        if effect is None:
            return None, None
        if effect.excludes_zero and (not rules.sustained or agree_fn(weeks, effect)):
            went_up = effect.change > 0
            return (Outcome.IMPROVED if went_up == (better == "increase") else Outcome.WORSENED), effect
        if (
            effect.relative_low is not None
            and effect.relative_high is not None
            and effect.relative_low > -rules.min_change
            and effect.relative_high < rules.min_change
        ):
            return Outcome.NO_CHANGE, effect
        return None, effect

    first = rules.eval_weeks
    outcome, effect = look(first)
    if outcome is not None:
        return VerdictResult(outcome, effect, weeks_after, first, None, None, None, "", rules)
    if effect is None:
        return VerdictResult(Outcome.NOT_ENOUGH_EVIDENCE, None, weeks_after, first, None, math.inf, None, "items", rules)
    needed_weeks, needed_items = needed_fn(first, effect)
    second = max(needed_weeks, first + 1)
    if not math.isfinite(second) or second > rules.max_weeks:
        return VerdictResult(
            Outcome.NOT_ENOUGH_EVIDENCE, effect, weeks_after, first, None, needed_weeks, needed_items, "precision", rules
        )
    second = int(second)
    if weeks_after < second:
        return VerdictResult(
            Outcome.NOT_ENOUGH_EVIDENCE, effect, weeks_after, None, second, needed_weeks, needed_items, "precision", rules
        )
    outcome, effect2 = look(second)
    if outcome is not None:
        return VerdictResult(outcome, effect2, weeks_after, second, None, needed_weeks, needed_items, "", rules)
    return VerdictResult(
        Outcome.NOT_ENOUGH_EVIDENCE, effect2 or effect, weeks_after, second, None, needed_weeks, needed_items, "precision", rules
    )
