"""Pre-sampled randomness of one simulated team: the team's daily dynamics and each item's traits.

Everything that does not depend on the state of the queues is drawn here, vectorised over days and
items, so that the engine's day loop only resolves contention (WIP, reviewers, deployments).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deliveryops.simulate.profiles import TeamProfile

NEVER = np.inf
EPIC_OPEN_DAYS = 60.0  # an epic collects new children for about three months
PARK_MEDIAN_DAYS = 12.0
REOPEN_MEDIAN_DAYS = 3.0
BACKLOG_DISCARD_MEDIAN_DAYS = 35.0


@dataclass(frozen=True, slots=True)
class Dynamics:
    """Per working day: speed multiplier, soft WIP limit and whether and when the team deploys."""

    speed: NDArray[np.float64]
    wip_limit: NDArray[np.int64]
    deploy_today: NDArray[np.bool_]
    deploy_fraction: NDArray[np.float64]
    block_scale: NDArray[np.float64] | None = None  # multiplies the length of a block that strikes that day


def apply_change(
    dynamics: Dynamics, *, from_day: int, development_factor: float, blocked_factor: float, wip_limit_factor: float = 1.0
) -> Dynamics:
    """The dynamics with a step change from working day ``from_day`` on: every service rate divided by
    ``development_factor`` (0.5: work takes half as long), blocks that strike from then on lasting
    ``blocked_factor`` × as long, and the soft WIP limit ``wip_limit_factor`` × as high (at least 1). No random
    number is drawn, so nothing else changes.
    """
    n = dynamics.speed.shape[0]
    after = np.arange(n) >= from_day
    scale = np.ones(n) if dynamics.block_scale is None else dynamics.block_scale
    return dataclasses.replace(
        dynamics,
        speed=np.where(after, dynamics.speed / development_factor, dynamics.speed),
        block_scale=np.where(after, scale * blocked_factor, scale),
        wip_limit=np.where(
            after, np.maximum(np.rint(dynamics.wip_limit * wip_limit_factor), 1).astype(np.int64), dynamics.wip_limit
        ),
    )


@dataclass(frozen=True, slots=True)
class ItemPlan:
    """Traits of every (non-epic) item, in creation order; times are in working days.

    ``block_trigger`` is the number of development hours left when the item's blocker (or its
    parking, for ``parks`` items) strikes, or -1 when it has none.
    """

    arrival: NDArray[np.float64]
    type_index: NDArray[np.int64]
    size_score: NDArray[np.float64]
    dev_hours: NDArray[np.float64]
    review_hours: NDArray[np.float64]
    reworks: NDArray[np.int64]
    rework_hours: NDArray[np.float64]
    block_trigger: NDArray[np.float64]
    block_days: NDArray[np.float64]
    blocker: NDArray[np.int64]
    parks: NDArray[np.bool_]
    park_days: NDArray[np.float64]
    discard_backlog_at: NDArray[np.float64]
    discard_started: NDArray[np.bool_]
    skip_review: NDArray[np.bool_]
    finishes_in_dev: NDArray[np.bool_]
    expedite: NDArray[np.bool_]
    reopen_delay: NDArray[np.float64]
    reopen_hours: NDArray[np.float64]
    parent: NDArray[np.int64]  # index into ``epic_arrival`` or -1
    epic_arrival: NDArray[np.float64]

    @property
    def size(self) -> int:
        """Number of items (epics excluded)."""
        return int(self.arrival.shape[0])


def _smooth_noise(rng: np.random.Generator, n: int, window: int = 10) -> NDArray[np.float64]:
    """Unit-variance noise that drifts over about ``window`` days (a moving sum of white noise)."""
    white = rng.standard_normal(n + window - 1)
    return np.convolve(white, np.full(window, 1.0 / np.sqrt(window)), mode="valid")


def _ramp(start: float, end: float, n: int) -> NDArray[np.float64]:
    return start + (end - start) * np.linspace(0.0, 1.0, n)


def sample_dynamics(profile: TeamProfile, n_days: int, rng: np.random.Generator) -> Dynamics:
    """Draw the team's daily speed, WIP limit and deployment days.

    Args:
        profile: the team's profile.
        n_days: number of working days simulated.
        rng: the team's generator.

    Returns:
        The per-day dynamics.
    """
    speed = _ramp(profile.speed_start, profile.speed_end, n_days) * np.exp(0.08 * _smooth_noise(rng, n_days))
    wip = _ramp(profile.wip_limit_start, profile.wip_limit_end, n_days)
    wip = wip + profile.wip_noise * _smooth_noise(rng, n_days)
    if profile.release_every_days > 0:
        offset = int(rng.integers(profile.release_every_days))
        deploy = (np.arange(n_days) % profile.release_every_days) == offset
    else:
        deploy = rng.random(n_days) < profile.deploy_probability
    return Dynamics(
        speed=speed,
        wip_limit=np.maximum(np.rint(wip), 1).astype(np.int64),
        deploy_today=deploy,
        deploy_fraction=rng.uniform(0.2, 0.85, n_days),
    )


def _arrival_times(profile: TeamProfile, n_days: int, rng: np.random.Generator) -> NDArray[np.float64]:
    rate = np.full(n_days, profile.arrivals_per_day)
    if profile.arrival_burstiness > 0:
        # Alternate calm and busy spells of about eight working days (release crunches, incidents).
        spells = rng.geometric(1 / 8, size=n_days)
        busy = np.repeat(np.arange(n_days) % 2 == int(rng.integers(2)), spells)[:n_days]
        swing = 0.7 * min(profile.arrival_burstiness, 1.0)
        rate = rate * np.where(busy, 1 + swing, 1 - swing)
    counts = rng.poisson(rate)
    counts[0] += profile.initial_backlog
    day = np.repeat(np.arange(n_days, dtype=np.float64), counts)
    return np.sort(day + rng.uniform(0.02, 0.97, int(day.shape[0])))


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> NDArray[np.float64]:
    return median * np.exp(sigma * rng.standard_normal(n))


def sample_items(profile: TeamProfile, n_days: int, rng: np.random.Generator) -> ItemPlan:
    """Draw every item's arrival, type, size, blocker, rework, reopen and discard fate.

    Args:
        profile: the team's profile.
        n_days: number of working days simulated.
        rng: the team's generator.

    Returns:
        The item plan, items sorted by creation time.
    """
    arrival = _arrival_times(profile, n_days, rng)
    n = int(arrival.shape[0])
    types = profile.item_types
    shares = np.array([item_type.share for item_type in types])
    type_index = rng.choice(len(types), size=n, p=shares / shares.sum())
    names = np.array([item_type.name for item_type in types])[type_index]
    median = np.array([t.development.median_hours for t in types])[type_index]
    sigma = np.array([t.development.sigma for t in types])[type_index]
    size_score = rng.standard_normal(n)
    dev_hours = median * np.exp(sigma * size_score)
    review_z = 0.6 * size_score + 0.8 * rng.standard_normal(n)
    review_hours = profile.review.hours(review_z)

    first_rework = rng.random(n) < profile.rework_probability
    reworks = first_rework.astype(np.int64) + (first_rework & (rng.random(n) < profile.rework_probability))
    rework_hours = dev_hours * profile.rework_share * np.exp(0.5 * rng.standard_normal(n))

    blocked = rng.random(n) < profile.blocker_probability
    parks = ~blocked & (rng.random(n) < profile.park_probability)
    kinds = profile.blockers
    blocker = np.full(n, -1, dtype=np.int64)
    block_days = np.zeros(n)
    if kinds:
        weights = np.array([kind.weight for kind in kinds])
        chosen = rng.choice(len(kinds), size=n, p=weights / weights.sum())
        blocker = np.where(blocked, chosen, -1)
        kind_median = np.array([kind.median_days for kind in kinds])[chosen]
        kind_sigma = np.array([kind.sigma for kind in kinds])[chosen]
        block_days = np.where(blocked, kind_median * np.exp(kind_sigma * rng.standard_normal(n)), 0.0)
        block_days = np.maximum(block_days, 0.1)
    trigger = dev_hours * rng.uniform(0.15, 0.85, n)
    block_trigger = np.where(blocked | parks, trigger, -1.0)

    discard_backlog = rng.random(n) < profile.discard_backlog_probability
    backlog_wait = _lognormal(rng, BACKLOG_DISCARD_MEDIAN_DAYS, 0.8, n)
    discard_backlog_at = np.where(discard_backlog, arrival + backlog_wait, NEVER)
    finishes_in_dev = names == "Spike"
    reopens = ~finishes_in_dev & (rng.random(n) < profile.reopen_probability)
    reopen_delay = np.where(reopens, np.maximum(_lognormal(rng, REOPEN_MEDIAN_DAYS, 0.8, n), 0.5), NEVER)

    epic_count = int(rng.poisson(n_days / profile.epic_every_days)) + 1
    epic_arrival = np.sort(rng.uniform(0.0, n_days * 0.95, epic_count))
    child_probability = np.array([t.epic_child_probability for t in types])[type_index]
    candidate = np.searchsorted(epic_arrival, arrival) - 1 - rng.integers(0, 2, n)
    open_epic = (candidate >= 0) & (arrival - epic_arrival[np.maximum(candidate, 0)] < EPIC_OPEN_DAYS)
    is_child = open_epic & (rng.random(n) < child_probability)
    parent = np.where(is_child, candidate, -1)
    # Drop epics that never got a child, unless they are recent enough to be waiting for one.
    used = np.bincount(parent[is_child], minlength=epic_count) > 0
    kept = used | (epic_arrival > n_days - EPIC_OPEN_DAYS / 2)
    parent = np.where(is_child, np.cumsum(kept)[np.maximum(parent, 0)] - 1, -1)

    return ItemPlan(
        arrival=arrival,
        type_index=type_index,
        size_score=size_score,
        dev_hours=dev_hours,
        review_hours=review_hours,
        reworks=reworks,
        rework_hours=rework_hours,
        block_trigger=block_trigger,
        block_days=block_days,
        blocker=blocker,
        parks=parks,
        park_days=_lognormal(rng, PARK_MEDIAN_DAYS, 0.6, n),
        discard_backlog_at=discard_backlog_at,
        discard_started=~discard_backlog & (rng.random(n) < profile.discard_started_probability),
        skip_review=~finishes_in_dev & (rng.random(n) < profile.skip_review_probability),
        finishes_in_dev=finishes_in_dev,
        expedite=(names == "Bug") & ~discard_backlog & (rng.random(n) < profile.expedite_bug_probability),
        reopen_delay=reopen_delay,
        reopen_hours=dev_hours * 0.3 * np.exp(0.5 * rng.standard_normal(n)),
        parent=parent,
        epic_arrival=epic_arrival[kept],
    )
