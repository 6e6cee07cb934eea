"""Several epics (or features) of one team share its throughput: when is each one done?

A team finishing items at its usual rate cannot give every parallel epic its whole throughput. Given
the unfinished items of each epic, an allocation rule turns "epic E is done" into "the team has
finished T(E) items in total", and the epic's dates are the Monte Carlo "when" forecast for T(E):

* **priority** (the default): the epics are worked one after another in the order given; epic j is
  done when the team has finished r₁ + … + r_j items.
* **even**: every unfinished epic gets an equal share of each day's throughput, and an epic that is
  done passes its share on. With the epics sorted by remaining items r₍₁₎ ≤ … ≤ r₍ₖ₎, epic (j) is done
  when the team has finished r₍₁₎ + … + r₍ⱼ₋₁₎ + (k − j + 1) × r₍ⱼ₎ items (shares are counted in
  fractions of items: the fluid limit of a round-robin).

The team's throughput window and the trials are those of :func:`deliveryops.analytics.forecast.forecast_when`;
each epic's percentiles are the marginal percentiles of its own completion day.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from deliveryops.analytics.forecast import MIN_TRIALS, ThroughputInput, WhenForecast, forecast_when

__all__ = ["RULE_TEXT", "Allocation", "EpicShare", "allocation_thresholds", "describe", "forecast_shared"]


class Allocation(enum.StrEnum):
    """How parallel epics share the team's throughput."""

    PRIORITY = "priority"
    EVEN = "even"


RULE_TEXT = {
    Allocation.PRIORITY: (
        "Priority order: the epics are done one after another, in the order listed; each gets the team's whole "
        "throughput once those before it are done."
    ),
    Allocation.EVEN: (
        "Shared evenly: every open epic gets an equal share of each day's throughput; an epic that is done passes its share on."
    ),
}


@dataclass(frozen=True, slots=True)
class EpicShare:
    """One epic: its unfinished items, the team's items that must finish before it is done, and its forecast."""

    key: str
    remaining: int
    position: int
    threshold: int
    rule: str
    forecast: WhenForecast


def allocation_thresholds(remaining: Sequence[tuple[str, int]], allocation: Allocation) -> dict[str, int]:
    """Per epic, the total items the team finishes by the time the epic is done.

    Args:
        remaining: (epic key, unfinished items) in priority order; keys unique, counts ≥ 0.
        allocation: the rule.

    Returns:
        ``{key: threshold}``; an epic with nothing remaining has threshold 0.

    Raises:
        ValueError: on a negative count or a repeated key.
    """
    keys = [key for key, _ in remaining]
    if len(set(keys)) != len(keys):
        raise ValueError("each epic may be listed once")
    for key, count in remaining:
        if count < 0:
            raise ValueError(f"epic {key}: remaining items must not be negative, got {count}")
    if allocation is Allocation.PRIORITY:
        total, out = 0, {}
        for key, count in remaining:
            total += count
            out[key] = total if count else 0
        return out
    open_epics = sorted(((count, index, key) for index, (key, count) in enumerate(remaining) if count), key=lambda t: t[:2])
    out = {key: 0 for key, count in remaining if not count}
    before, k = 0, len(open_epics)
    for j, (count, _index, key) in enumerate(open_epics):
        out[key] = before + (k - j) * count
        before += count
    return out


def describe(key: str, remaining: Sequence[tuple[str, int]], allocation: Allocation) -> str:
    """The rule as it applies to one epic, in words."""
    open_keys = [k for k, count in remaining if count]
    others = len(open_keys) - 1
    if allocation is Allocation.PRIORITY:
        ahead = open_keys[: open_keys.index(key)] if key in open_keys else []
        if not ahead:
            return (
                f"priority order: first of {len(open_keys)} epic{'s' if len(open_keys) != 1 else ''}, the team's whole throughput"
            )
        return f"priority order: after {', '.join(ahead)} ({len(ahead) + 1} of {len(open_keys)})"
    if others <= 0:
        return "shared evenly: the only open epic, the team's whole throughput"
    return f"shared evenly with {others} other open epic{'s' if others != 1 else ''}"


def forecast_shared(
    daily_throughput: ThroughputInput,
    *,
    remaining: Sequence[tuple[str, int]],
    allocation: Allocation,
    start_date: date,
    seed: int,
    trials: int = MIN_TRIALS,
    target_date: date | None = None,
) -> list[EpicShare]:
    """Forecast each epic's dates when the epics share the team's throughput by ``allocation``.

    Each epic's forecast uses the seed ``(seed + position) mod 2**63`` (reproducible from the stored seed).

    Returns:
        One :class:`EpicShare` per epic, in the order given.
    """
    thresholds = allocation_thresholds(remaining, allocation)
    shares = []
    for position, (key, count) in enumerate(remaining):
        result = forecast_when(
            daily_throughput,
            remaining_items=thresholds[key],
            start_date=start_date,
            trials=trials,
            seed=(seed + position) % 2**63,
            target_date=target_date,
        )
        shares.append(EpicShare(key, count, position, thresholds[key], describe(key, remaining, allocation), result))
    return shares
