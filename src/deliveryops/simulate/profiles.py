"""Team profiles: the parameters of the process model a simulated team follows.

A profile describes *how a team works*, not what its dates are: arrival rate, WIP habit,
service-time distributions per active stage, review and deployment capacity, blockers and how long
they last, rework, reopening, discarding, and a trend over time. The engine turns it into histories.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray

from deliveryops.simulate.calendar import HOLIDAY_REGIONS
from deliveryops.work.records import StageCategory, WorkflowStatus

# The eight roles of the simulated workflow, in board order. A profile may rename the statuses but
# not change their roles: the engine routes items by position.
WORKFLOW_ROLES: tuple[StageCategory, ...] = (
    StageCategory.BACKLOG,  # 0 Backlog
    StageCategory.BACKLOG,  # 1 Ready (refined, not started)
    StageCategory.ACTIVE,  # 2 In Progress
    StageCategory.WAITING,  # 3 Ready for Review
    StageCategory.ACTIVE,  # 4 In Review
    StageCategory.WAITING,  # 5 Ready to Deploy
    StageCategory.DONE,  # 6 Done
    StageCategory.DISCARDED,  # 7 Discarded
)
DEFAULT_STATUS_NAMES: tuple[str, ...] = (
    "Backlog",
    "Ready",
    "In Progress",
    "Ready for Review",
    "In Review",
    "Ready to Deploy",
    "Done",
    "Discarded",
)


def make_workflow(names: tuple[str, ...] = DEFAULT_STATUS_NAMES) -> tuple[WorkflowStatus, ...]:
    """Build a simulated workflow from eight status names in board order.

    Args:
        names: the names of Backlog, Ready, In Progress, Ready for Review, In Review,
            Ready to Deploy, Done and Discarded, in that order.

    Returns:
        The workflow statuses with their stage categories and positions.
    """
    if len(names) != len(WORKFLOW_ROLES) or len(set(names)) != len(names):
        raise ValueError(f"workflow: expected {len(WORKFLOW_ROLES)} distinct status names, got {names!r}")
    return tuple(
        WorkflowStatus(name=name, category=category, position=position)
        for position, (name, category) in enumerate(zip(names, WORKFLOW_ROLES, strict=True))
    )


@dataclass(frozen=True, slots=True)
class ServiceTime:
    """A lognormal duration in working hours, given by its median and log-scale spread."""

    median_hours: float
    sigma: float = 0.8

    def hours(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        """Turn standard-normal scores into durations.

        Args:
            z: standard-normal scores, one per item (a shared score correlates stages of one item).

        Returns:
            Durations in working hours.
        """
        return self.median_hours * np.exp(self.sigma * z)


@dataclass(frozen=True, slots=True)
class ItemType:
    """A work item type, its share of arrivals and its development service time."""

    name: str
    share: float
    development: ServiceTime
    epic_child_probability: float = 0.5


@dataclass(frozen=True, slots=True)
class BlockerKind:
    """A kind of impediment: its reason, relative frequency and lognormal duration in working days.

    When ``links_item`` is true the item is blocked by another item of the team: the reason may
    contain ``{other}``, replaced by that item's key, and a pair of links is recorded.
    """

    reason: str
    weight: float
    median_days: float
    sigma: float = 0.7
    links_item: bool = False


_PROBABILITIES = (
    "rework_probability",
    "deploy_probability",
    "blocker_probability",
    "reopen_probability",
    "discard_backlog_probability",
    "discard_started_probability",
    "skip_review_probability",
    "expedite_bug_probability",
    "park_probability",
    "label_probability",
)


@dataclass(frozen=True, slots=True)
class StepChange:
    """A known change in how the team works, from ``days_before_end`` calendar days before the last
    simulated day on: all work (development, review, rework) takes ``development_factor`` × as long,
    blocks that strike from then on last ``blocked_factor`` × as long, and the team's soft WIP limit is
    ``wip_limit_factor`` × what it was. The demo's improvement actions and rollouts sit on these dates, so
    whether each truly worked is known.
    """

    days_before_end: int
    development_factor: float = 1.0
    blocked_factor: float = 1.0
    wip_limit_factor: float = 1.0

    def __post_init__(self) -> None:
        """Check the factors so that a bad change fails here, with the field named."""
        if self.days_before_end < 0:
            raise ValueError("days_before_end: expected 0 or more days")
        if self.development_factor <= 0 or self.blocked_factor < 0 or self.wip_limit_factor <= 0:
            raise ValueError("development_factor and wip_limit_factor must be positive and blocked_factor not negative")


@dataclass(frozen=True, slots=True)
class TeamProfile:
    """How one simulated team works; every rate is per working day of the team.

    Trends are linear from the first to the last simulated day: ``speed_*`` multiplies every
    service rate (above 1 is faster) and ``wip_limit_*`` is the soft WIP limit the team keeps.
    """

    name: str
    key: str
    time_zone: str = "Europe/Berlin"
    holiday_region: str = "DE"
    workflow: tuple[WorkflowStatus, ...] = field(default_factory=make_workflow)
    day_start: time = time(9, 0)
    working_hours: float = 8.5
    arrivals_per_day: float = 0.8
    arrival_burstiness: float = 0.0  # 0 = steady Poisson; 1 = calm spells at x0.3, busy spells at x1.7
    initial_backlog: int = 12
    item_types: tuple[ItemType, ...] = ()
    people: float = 4.0  # items worked on at full speed at once
    focus_hours_per_day: float = 5.0  # hours of work an item gets per day when someone is on it
    wip_limit_start: float = 8.0
    wip_limit_end: float = 8.0
    wip_noise: float = 1.0  # day-to-day wobble of the soft WIP limit, in items
    speed_start: float = 1.0
    speed_end: float = 1.0
    ready_buffer: int = 6  # refined items the team keeps in Ready
    reviewers: int = 2  # reviews in progress at once
    review: ServiceTime = ServiceTime(2.0, 0.7)
    review_hours_per_day: float = 3.0
    rework_probability: float = 0.15  # review sends the item back to In Progress
    rework_share: float = 0.3  # size of a rework pass relative to the first pass
    deploy_probability: float = 0.8  # chance of a deployment on a working day
    release_every_days: int = 0  # >0: a release train every n working days instead
    blocker_probability: float = 0.12
    blockers: tuple[BlockerKind, ...] = ()
    reopen_probability: float = 0.03
    discard_backlog_probability: float = 0.08
    discard_started_probability: float = 0.02
    skip_review_probability: float = 0.04
    expedite_bug_probability: float = 0.15
    park_probability: float = 0.02  # started item moved back to Backlog for a while
    epic_every_days: float = 15.0
    labels: tuple[str, ...] = ()
    label_probability: float = 0.5
    topics: tuple[str, ...] = ("the service",)
    changes: tuple[StepChange, ...] = ()  # known step changes (the demo's actions that truly worked)

    def __post_init__(self) -> None:
        """Check the profile so that a bad one fails here, with the field named."""
        categories = tuple(status.category for status in self.workflow)
        if categories != WORKFLOW_ROLES:
            raise ValueError(f"workflow: categories must be {[c.value for c in WORKFLOW_ROLES]}")
        if self.holiday_region not in HOLIDAY_REGIONS:
            raise ValueError(f"holiday_region: expected one of {HOLIDAY_REGIONS}")
        if not self.item_types:
            raise ValueError("item_types: at least one item type is required")
        if self.people <= 0 or self.focus_hours_per_day <= 0 or self.reviewers < 1:
            raise ValueError("people, focus_hours_per_day and reviewers must be positive")
        if not 0 < self.working_hours <= 24 - self.day_start.hour - self.day_start.minute / 60:
            raise ValueError("working_hours: the working window must end by midnight")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"time_zone: unknown time zone {self.time_zone!r}") from error
        for name in _PROBABILITIES:
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name}: expected a probability between 0 and 1")
        if self.blocker_probability > 0 and not self.blockers:
            raise ValueError("blockers: a profile with blocker_probability > 0 needs blocker kinds")

    @property
    def zone(self) -> ZoneInfo:
        """The team's time zone (``time_zone`` is its IANA name, checked when the profile is made)."""
        return ZoneInfo(self.time_zone)

    @property
    def status_names(self) -> tuple[str, ...]:
        """The workflow's status names in board order."""
        return tuple(status.name for status in self.workflow)

    def scaled(self, factor: float) -> TeamProfile:
        """Return the same team working at ``factor`` times the volume (arrivals and capacity).

        Args:
            factor: volume multiplier, e.g. 10 for a team ten times as large.

        Returns:
            A profile whose arrival rate, people, reviewers, WIP habit and buffers are scaled,
            so that flow times stay comparable.
        """
        if factor <= 0:
            raise ValueError("factor: expected a positive number")
        return dataclasses.replace(
            self,
            arrivals_per_day=self.arrivals_per_day * factor,
            initial_backlog=round(self.initial_backlog * factor),
            people=self.people * factor,
            wip_limit_start=self.wip_limit_start * factor,
            wip_limit_end=self.wip_limit_end * factor,
            wip_noise=self.wip_noise * float(np.sqrt(factor)),
            ready_buffer=max(1, round(self.ready_buffer * factor)),
            reviewers=max(1, round(self.reviewers * factor)),
            epic_every_days=self.epic_every_days / factor,
        )

    def expected_items(self, working_day_count: int) -> float:
        """Expected number of items (epics included) created over a number of working days.

        Args:
            working_day_count: length of the simulated period in working days.

        Returns:
            The expected item count.
        """
        return self.arrivals_per_day * working_day_count + self.initial_backlog + working_day_count / self.epic_every_days
