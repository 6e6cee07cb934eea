"""The process model: a discrete-time (one step per working day) simulation of one team's board.

Each working day runs in phases, each vectorised over the items it touches:

1. re-entries: reopened items (Done → In Progress) and parked items coming back from Backlog;
2. deployment: on deployment days the whole Ready to Deploy queue goes to Done (a batch);
3. review pickup: reviewers pull from Ready for Review (FIFO) while they have capacity;
4. development pickup: urgent bugs start at once, then the team pulls from Ready while WIP is under
   its soft limit for the day; refinement then tops up Ready from Backlog to the team's buffer;
5. review work, then development work: every active item gets working hours; development hours are
   shared when more items are in progress than people (multitasking slows everything down); a
   blocker freezes an item for its duration; finishing routes the item on (review, rework back to
   In Progress, skipped review, spike done, discarded).

Times are in working days (see ``calendar``), so no event lands outside working hours. The log
keeps events in causal order per item; ``build`` turns it into canonical records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deliveryops.simulate.plan import NEVER, Dynamics, ItemPlan
from deliveryops.simulate.profiles import TeamProfile

BACKLOG, READY, IN_PROGRESS, READY_FOR_REVIEW, IN_REVIEW, READY_TO_DEPLOY, DONE, DISCARDED = range(8)
_INT = np.int64


@dataclass(frozen=True, slots=True)
class FlowLog:
    """What happened: status entries and blocked intervals, in causal order per item.

    ``block_end`` is NaN for a blocker still open at the end of the simulation.
    """

    event_item: NDArray[np.int64]
    event_state: NDArray[np.int64]
    event_time: NDArray[np.float64]
    block_item: NDArray[np.int64]
    block_start: NDArray[np.float64]
    block_end: NDArray[np.float64]
    final_state: NDArray[np.int64]


class _Log:
    """Append-only growable columns (amortised doubling, so appends stay vectorised)."""

    def __init__(self, capacity: int) -> None:
        self.items = np.empty(capacity, dtype=_INT)
        self.states = np.empty(capacity, dtype=_INT)
        self.times = np.empty(capacity)
        self.size = 0

    def add(self, items: NDArray[np.int64], state: int | NDArray[np.int64], times: NDArray[np.float64]) -> None:
        end = self.size + items.shape[0]
        if end > self.items.shape[0]:
            grow = max(end, 2 * self.items.shape[0])
            self.items = np.resize(self.items, grow)
            self.states = np.resize(self.states, grow)
            self.times = np.resize(self.times, grow)
        self.items[self.size : end] = items
        self.states[self.size : end] = state
        self.times[self.size : end] = times
        self.size = end


class _Board:
    """The team's board during the simulation: per-item state arrays plus the queues."""

    def __init__(self, profile: TeamProfile, plan: ItemPlan, dynamics: Dynamics, rng: np.random.Generator) -> None:
        self.profile, self.plan, self.dynamics, self.rng = profile, plan, dynamics, rng
        n = plan.size
        self.log = _Log(n * 9 + 16)
        self.blocks = _Log(n // 4 + 16)  # ``times`` holds the start; ``states`` is unused
        self.block_ends: list[NDArray[np.float64]] = []
        self.state = np.full(n, BACKLOG, dtype=_INT)
        self.dev_left = plan.dev_hours.copy()
        self.rev_left = np.zeros(n)
        self.avail = np.zeros(n)  # share of today gone when the item becomes workable
        self.blocked_until = np.zeros(n)
        self.block_trigger = plan.block_trigger.copy()
        self.reworks_left = plan.reworks.copy()
        self.discard_started = plan.discard_started.copy()
        self.reopen_delay = plan.reopen_delay.copy()
        self.reentry_hours = np.zeros(n)
        flowing = plan.discard_backlog_at == NEVER
        self.queue = np.flatnonzero(flowing & ~plan.expedite)  # refined and pulled in creation order
        self.queue_arrival = plan.arrival[self.queue]
        self.urgent = np.flatnonzero(flowing & plan.expedite)
        self.urgent_arrival = plan.arrival[self.urgent]
        self.ready_lo = self.ready_hi = self.urgent_lo = 0
        self.dev = np.empty(0, dtype=_INT)
        self.rev = np.empty(0, dtype=_INT)
        self.waiting_review: list[int] = []
        self.waiting_deploy: list[int] = []
        self.reentries: dict[int, list[int]] = {}
        self.wip = 0
        self.jitter = rng.random(n * 6 + 64)  # pickup times within a day, consumed in order
        self.cursor = 0

    def pickup_times(self, day: int, count: int, low: float, high: float) -> NDArray[np.float64]:
        """Sorted random moments of ``day`` between ``low`` and ``high`` (shares of the window)."""
        if self.cursor + count > self.jitter.shape[0]:
            self.jitter, self.cursor = self.rng.random(max(count, self.jitter.shape[0])), 0
        drawn = self.jitter[self.cursor : self.cursor + count]
        self.cursor += count
        return day + low + (high - low) * np.sort(drawn)

    def enter(self, items: NDArray[np.int64], state: int, times: NDArray[np.float64]) -> None:
        """Record that items entered a state at the given times."""
        self.log.add(items, state, times)
        self.state[items] = state

    def start_development(self, day: int, items: NDArray[np.int64], times: NDArray[np.float64]) -> None:
        """Put items into In Progress from ``times`` on."""
        self.enter(items, IN_PROGRESS, times)
        self.avail[items] = times - day
        self.dev = np.concatenate((self.dev, items))

    def simulate(self) -> FlowLog:
        """Run every working day and return the log."""
        plan, n_days = self.plan, self.dynamics.speed.shape[0]
        arrived = np.flatnonzero(plan.arrival < n_days)
        self.log.add(arrived, BACKLOG, plan.arrival[arrived])
        # Items the team never starts are discarded in backlog grooming; they take no capacity.
        gone = np.flatnonzero(plan.discard_backlog_at < n_days)
        self.enter(gone, DISCARDED, plan.discard_backlog_at[gone])
        for day in range(n_days):
            self.reenter(day)
            self.deploy(day)
            self.pick_reviews(day)
            self.pull(day)
            self.refine(day)
            speed = float(self.dynamics.speed[day])
            self.review_work(day, speed)
            self.development_work(day, speed)
        return FlowLog(
            event_item=self.log.items[: self.log.size],
            event_state=self.log.states[: self.log.size],
            event_time=self.log.times[: self.log.size],
            block_item=self.blocks.items[: self.blocks.size],
            block_start=self.blocks.times[: self.blocks.size],
            block_end=np.concatenate(self.block_ends) if self.block_ends else np.empty(0),
            final_state=self.state,
        )

    def reenter(self, day: int) -> None:
        """Reopened items (from Done) and parked items (from Backlog) restart at once."""
        due = self.reentries.pop(day, None)
        if due is not None:
            items = np.array(due, dtype=_INT)
            self.start_development(day, items, self.pickup_times(day, items.shape[0], 0.0, 0.6))
            self.dev_left[items] = self.reentry_hours[items]
            self.wip += items.shape[0]

    def deploy(self, day: int) -> None:
        """On deployment days the whole Ready to Deploy queue ships in one batch, minutes apart."""
        if not self.waiting_deploy or not self.dynamics.deploy_today[day]:
            return
        items = np.array(self.waiting_deploy, dtype=_INT)
        self.waiting_deploy.clear()
        start = day + float(self.dynamics.deploy_fraction[day])
        self.enter(items, DONE, np.minimum(start + (0.002 * np.arange(items.shape[0])) % 0.1, day + 0.999))
        self.wip -= items.shape[0]
        for item in items[self.reopen_delay[items] < NEVER].tolist():
            back = day + max(1, round(float(self.reopen_delay[item])))
            self.reentries.setdefault(back, []).append(item)
            self.reentry_hours[item] = self.plan.reopen_hours[item]
            self.reopen_delay[item] = NEVER

    def pick_reviews(self, day: int) -> None:
        """Reviewers pull from Ready for Review, first come first served, while they have room."""
        free = self.profile.reviewers - self.rev.shape[0]
        if free > 0 and self.waiting_review:
            items = np.array(self.waiting_review[:free], dtype=_INT)
            del self.waiting_review[:free]
            times = self.pickup_times(day, items.shape[0], 0.0, 0.8)
            self.enter(items, IN_REVIEW, times)
            self.rev_left[items] = self.plan.review_hours[items]
            self.avail[items] = times - day
            self.rev = np.concatenate((self.rev, items))

    def pull(self, day: int) -> None:
        """Urgent bugs skip Ready and the WIP limit; then the team pulls from Ready up to its limit."""
        urgent_hi = int(np.searchsorted(self.urgent_arrival, day))
        pulled = self.urgent[self.urgent_lo : urgent_hi]
        self.urgent_lo = urgent_hi
        room = min(int(self.dynamics.wip_limit[day]) - self.wip - pulled.shape[0], self.ready_hi - self.ready_lo)
        if room > 0:
            pulled = np.concatenate((pulled, self.queue[self.ready_lo : self.ready_lo + room]))
            self.ready_lo += room
        if pulled.shape[0]:
            self.start_development(day, pulled, self.pickup_times(day, pulled.shape[0], 0.0, 0.7))
            self.wip += pulled.shape[0]

    def refine(self, day: int) -> None:
        """Refinement tops Ready up to the team's buffer with items created before today."""
        arrived = int(np.searchsorted(self.queue_arrival, day))
        refined_hi = min(arrived, self.ready_lo + self.profile.ready_buffer)
        if refined_hi > self.ready_hi:
            items = self.queue[self.ready_hi : refined_hi]
            self.enter(items, READY, self.pickup_times(day, items.shape[0], 0.0, 0.99))
            self.ready_hi = refined_hi

    def review_work(self, day: int, speed: float) -> None:
        """Review hours are spent; a rejected review sends the item back to In Progress (rework)."""
        rev = self.rev
        if not rev.shape[0]:
            return
        start_at = self.avail[rev]
        rate = self.profile.review_hours_per_day * speed
        left = self.rev_left[rev]
        capacity = rate * (1.0 - start_at)
        finished = left <= capacity
        self.rev_left[rev] = left - capacity
        if finished.any():
            items = rev[finished]
            times = day + start_at[finished] + left[finished] / rate
            back = self.reworks_left[items] > 0
            if back.any():
                again = items[back]
                self.reworks_left[again] -= 1
                self.start_development(day, again, times[back])
                self.dev_left[again] = self.plan.rework_hours[again]
            self.enter(items[~back], READY_TO_DEPLOY, times[~back])
            self.waiting_deploy.extend(items[~back].tolist())
            rev = rev[~finished]
        self.avail[rev] = 0.0
        self.rev = rev

    def development_work(self, day: int, speed: float) -> None:
        """Development hours are shared among the people; blockers strike at a point of progress."""
        dev = self.dev
        if not dev.shape[0]:
            return
        start_at = np.maximum(self.avail[dev], self.blocked_until[dev] - day)
        window = np.maximum(1.0 - start_at, 0.0)
        working = int(np.count_nonzero(window))
        if working:
            # One person per item at most; more items than people means everybody multitasks.
            rate = self.profile.focus_hours_per_day * speed * min(1.0, self.profile.people / working)
            capacity = rate * window
            left = self.dev_left[dev]
            trigger = self.block_trigger[dev]
            need = left - trigger
            hit = (trigger >= 0) & (need <= capacity) & (window > 0)
            finished = ~hit & (left <= capacity)
            self.dev_left[dev] = np.where(hit, trigger, left - capacity)
            keep = ~finished
            if hit.any():
                keep &= ~self.strike(day, dev, hit, start_at + need / rate)
            if finished.any():
                self.route(dev[finished], day + start_at[finished] + left[finished] / rate)
            dev = dev[keep]
        self.avail[dev] = 0.0
        self.dev = dev

    def strike(self, day: int, dev: NDArray[np.int64], hit: NDArray[np.bool_], at: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Blockers freeze items; parkings send them back to Backlog. Return who left the board."""
        items = dev[hit]
        times = day + at[hit]
        self.block_trigger[items] = -1.0
        parks = self.plan.parks[items]
        blocked = items[~parks]
        if blocked.shape[0]:
            scale = 1.0 if self.dynamics.block_scale is None else float(self.dynamics.block_scale[day])
            ends = times[~parks] + self.plan.block_days[blocked] * scale
            self.blocked_until[blocked] = ends
            self.blocks.add(blocked, 0, times[~parks])
            self.block_ends.append(ends)
        leaving = np.zeros(dev.shape[0], dtype=np.bool_)
        parked = items[parks]
        if parked.shape[0]:
            self.enter(parked, BACKLOG, times[parks])
            self.wip -= parked.shape[0]
            for item in parked.tolist():
                back = day + max(2, round(float(self.plan.park_days[item])))
                self.reentries.setdefault(back, []).append(item)
                self.reentry_hours[item] = self.dev_left[item]
            leaving[np.flatnonzero(hit)[parks]] = True
        return leaving

    def route(self, items: NDArray[np.int64], times: NDArray[np.float64]) -> None:
        """Send items that finished development on: review, deploy queue, done (spikes) or discarded."""
        plan = self.plan
        discard = self.discard_started[items]
        self.discard_started[items] = False
        done = ~discard & plan.finishes_in_dev[items]
        skip = ~discard & ~done & plan.skip_review[items]
        review = ~(discard | done | skip)
        target = np.where(discard, DISCARDED, np.where(done, DONE, np.where(skip, READY_TO_DEPLOY, READY_FOR_REVIEW)))
        self.log.add(items, target, times)
        self.state[items] = target
        self.waiting_review.extend(items[review].tolist())
        self.waiting_deploy.extend(items[skip].tolist())
        self.wip -= int(np.count_nonzero(discard | done))


def run(profile: TeamProfile, plan: ItemPlan, dynamics: Dynamics, rng: np.random.Generator) -> FlowLog:
    """Simulate the team day by day.

    Args:
        profile: the team's profile (capacity and habits).
        plan: the items and their pre-drawn traits.
        dynamics: per-day speed, WIP limit and deployment days.
        rng: the team's generator (pickup times within a day).

    Returns:
        The flow log.
    """
    return _Board(profile, plan, dynamics, rng).simulate()
