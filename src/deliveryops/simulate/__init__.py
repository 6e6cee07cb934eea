"""A pure organisation simulator: believable work-item histories from a process model.

Teams are simulated one working day at a time (arrivals, refinement, WIP-limited pull, shared
development capacity, review and deployment queues, blockers, rework, reopening and discarding) and
their histories are returned as the canonical records of ``deliveryops.work.records``, ready for the
same import path as real data. Only numpy and the standard library are used.
"""

from deliveryops.simulate.calendar import HOLIDAY_REGIONS, public_holidays, working_days
from deliveryops.simulate.demo import demo_profiles
from deliveryops.simulate.organisation import SimulatedTeam, simulate_organisation, simulate_team
from deliveryops.simulate.profiles import (
    DEFAULT_STATUS_NAMES,
    BlockerKind,
    ItemType,
    ServiceTime,
    StepChange,
    TeamProfile,
    make_workflow,
)

__all__ = [
    "DEFAULT_STATUS_NAMES",
    "HOLIDAY_REGIONS",
    "BlockerKind",
    "ItemType",
    "ServiceTime",
    "SimulatedTeam",
    "StepChange",
    "TeamProfile",
    "demo_profiles",
    "make_workflow",
    "public_holidays",
    "simulate_organisation",
    "simulate_team",
    "working_days",
]
