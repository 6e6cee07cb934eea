"""Public entry points: simulate one team, or stream a whole organisation team by team."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from deliveryops.simulate import engine
from deliveryops.simulate.build import build_items
from deliveryops.simulate.calendar import WorkCalendar, work_calendar
from deliveryops.simulate.demo import organisation_profiles
from deliveryops.simulate.plan import apply_change, sample_dynamics, sample_items
from deliveryops.simulate.profiles import TeamProfile
from deliveryops.work.records import WorkflowStatus, WorkItemRecord


@dataclass(frozen=True, slots=True)
class SimulatedTeam:
    """One simulated team: its identity, workflow and canonical work-item records."""

    name: str
    key: str
    time_zone: str
    workflow: tuple[WorkflowStatus, ...]
    items: tuple[WorkItemRecord, ...]
    start: date
    end: date
    profile: TeamProfile

    @property
    def transition_count(self) -> int:
        """Total number of status transitions over all items."""
        return sum(len(item.transitions) for item in self.items)


def _calendar(profile: TeamProfile, start: date, end: date) -> WorkCalendar:
    return work_calendar(
        start,
        end,
        zone=profile.zone,
        region=profile.holiday_region,
        day_start=profile.day_start,
        hours=profile.working_hours,
    )


def _simulate(profile: TeamProfile, start: date, end: date, seed: np.random.SeedSequence) -> SimulatedTeam:
    if end < start:
        raise ValueError(f"end: {end} is before start {start}")
    calendar = _calendar(profile, start, end)
    plan_seed, engine_seed, naming_seed = seed.spawn(3)
    plan_rng = np.random.default_rng(plan_seed)
    dynamics = sample_dynamics(profile, calendar.size, plan_rng)
    plan = sample_items(profile, calendar.size, plan_rng)
    for change in profile.changes:
        from_date = end - timedelta(days=change.days_before_end)
        dynamics = apply_change(
            dynamics,
            from_day=bisect.bisect_left(calendar.days, from_date),
            development_factor=change.development_factor,
            blocked_factor=change.blocked_factor,
            wip_limit_factor=change.wip_limit_factor,
        )
    log = engine.run(profile, plan, dynamics, np.random.default_rng(engine_seed))
    items = build_items(profile, plan, log, calendar, np.random.default_rng(naming_seed))
    return SimulatedTeam(
        name=profile.name,
        key=profile.key,
        time_zone=profile.time_zone,
        workflow=profile.workflow,
        items=items,
        start=start,
        end=end,
        profile=profile,
    )


def simulate_team(profile: TeamProfile, *, start: date, end: date, seed: int) -> SimulatedTeam:
    """Simulate one team's board from ``start`` to ``end`` (inclusive, in the team's time zone).

    Args:
        profile: how the team works.
        start: first simulated calendar day; the board starts empty apart from its initial backlog.
        end: last simulated calendar day.
        seed: the same seed gives an identical history.

    Returns:
        The team with its work items (epics included).
    """
    return _simulate(profile, start, end, np.random.SeedSequence(seed))


def months_before(end: date, months: int) -> date:
    """Return the day ``months`` calendar months before ``end`` (clamped to the month's length).

    Args:
        end: the reference day.
        months: number of months to go back.

    Returns:
        The earlier day.
    """
    total = end.year * 12 + end.month - 1 - months
    year, month = divmod(total, 12)
    next_month = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(end.day, (next_month - timedelta(days=1)).day))


def simulate_organisation(
    *,
    teams: int,
    months: int,
    seed: int,
    end: date,
    items_target: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[SimulatedTeam]:
    """Stream simulated teams one at a time, so memory stays bounded by the largest team.

    The first six teams are the demo teams; further teams are numbered variants of them. Each
    team's randomness is an independent child of ``seed`` (``SeedSequence.spawn``).

    Args:
        teams: number of teams (at least 1).
        months: length of the history in calendar months, ending on ``end``.
        seed: organisation seed; the same arguments give identical output.
        end: last simulated day.
        items_target: if given, arrivals and capacity of every team are scaled so that the
            organisation creates about this many items (epics included) in total.
        progress: called as ``progress(done_teams, total_teams)`` after each team is simulated.

    Returns:
        An iterator of simulated teams.
    """
    if teams < 1 or months < 1:
        raise ValueError("teams and months must be at least 1")
    if items_target is not None and items_target < 1:
        raise ValueError("items_target: expected a positive number")
    root = np.random.SeedSequence(seed)
    profile_seed, *team_seeds = root.spawn(teams + 1)
    profiles = organisation_profiles(teams, np.random.default_rng(profile_seed))
    start = months_before(end, months) + timedelta(days=1)
    if items_target is not None:
        expected = sum(p.expected_items(_calendar(p, start, end).size) for p in profiles)
        profiles = [p.scaled(items_target / expected) for p in profiles]
    return _stream(profiles, team_seeds, start, end, progress)


def _stream(
    profiles: list[TeamProfile],
    seeds: list[np.random.SeedSequence],
    start: date,
    end: date,
    progress: Callable[[int, int], None] | None,
) -> Iterator[SimulatedTeam]:
    for done, (profile, seed) in enumerate(zip(profiles, seeds, strict=True), start=1):
        team = _simulate(profile, start, end, seed)
        if progress is not None:
            progress(done, len(profiles))
        yield team
