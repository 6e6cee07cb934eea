"""Turn a flow log into canonical records (``deliveryops.work.records``).

Epics are derived from their children: an epic is created before its first child, moves to
In Progress when its first child starts and to Done the working day after its last child is
finished (or to Discarded when every child was discarded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import numpy as np
from numpy.typing import NDArray

from deliveryops.simulate import naming
from deliveryops.simulate.calendar import WorkCalendar
from deliveryops.simulate.engine import BACKLOG, DISCARDED, DONE, IN_PROGRESS, FlowLog
from deliveryops.simulate.plan import ItemPlan
from deliveryops.simulate.profiles import TeamProfile
from deliveryops.work.records import BlockedIntervalRecord, LinkRecord, TransitionRecord, WorkItemRecord

SOURCE = "simulator"
_STARTED = np.array([False, False, True, True, True, True, False, False])
_GROUP_STRIDE = np.int64(1) << 33  # larger than any epoch second we produce


@dataclass(frozen=True, slots=True)
class _Events:
    item: NDArray[np.int64]
    state: NDArray[np.int64]
    time: NDArray[np.float64]


def _spans(log: FlowLog, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per item: first entry into a started status (inf if never) and its last event."""
    first = np.full(n, np.inf)
    started = _STARTED[log.event_state]
    np.minimum.at(first, log.event_item[started], log.event_time[started])
    last = np.full(n, -np.inf)
    np.maximum.at(last, log.event_item, log.event_time)
    return first, last


def _epic_events(
    plan: ItemPlan,
    log: FlowLog,
    spans: tuple[NDArray[np.float64], NDArray[np.float64]],
    n_days: int,
    rng: np.random.Generator,
) -> tuple[_Events, NDArray[np.int64]]:
    """Derive epic histories from their children; epics get item indices after the items."""
    n, n_epics = plan.size, plan.epic_arrival.shape[0]
    first, last = spans
    children = np.flatnonzero(plan.parent >= 0)
    parent = plan.parent[children]
    epic_start = np.full(n_epics, np.inf)
    np.minimum.at(epic_start, parent, first[children])
    child_count = np.bincount(parent, minlength=n_epics)
    closed = np.isin(log.final_state[children], (DONE, DISCARDED))
    closed_count = np.bincount(parent, weights=closed, minlength=n_epics)
    done_count = np.bincount(parent, weights=log.final_state[children] == DONE, minlength=n_epics)
    epic_last = np.full(n_epics, -np.inf)
    np.maximum.at(epic_last, parent, last[children])
    end_time = np.floor(epic_last) + 1 + rng.uniform(0.05, 0.9, n_epics)
    finished = (child_count > 0) & (closed_count == child_count) & (end_time < n_days)
    end_state = np.where(done_count > 0, DONE, DISCARDED)

    epic_ids = np.arange(n, n + n_epics)
    has_start = np.isfinite(epic_start) & (epic_start < n_days)
    items = [epic_ids, epic_ids[has_start], epic_ids[finished]]
    states = [np.full(n_epics, BACKLOG), np.full(int(has_start.sum()), IN_PROGRESS), end_state[finished]]
    times = [plan.epic_arrival, epic_start[has_start], end_time[finished]]
    final = np.where(finished, end_state, np.where(has_start, IN_PROGRESS, BACKLOG))
    return _Events(np.concatenate(items), np.concatenate(states), np.concatenate(times)), final


def _strictly_increasing(seconds: NDArray[np.int64], item: NDArray[np.int64]) -> NDArray[np.int64]:
    """Nudge ties (from rounding to seconds) so each item's timestamps strictly increase."""
    starts = np.flatnonzero(np.r_[True, item[1:] != item[:-1]])
    rank = np.arange(seconds.shape[0]) - np.repeat(starts, np.diff(np.r_[starts, seconds.shape[0]]))
    shifted = seconds - rank + item * _GROUP_STRIDE
    result: NDArray[np.int64] = np.maximum.accumulate(shifted) - item * _GROUP_STRIDE + rank
    return result


def build_items(
    profile: TeamProfile,
    plan: ItemPlan,
    log: FlowLog,
    calendar: WorkCalendar,
    rng: np.random.Generator,
) -> tuple[WorkItemRecord, ...]:
    """Build the canonical records of a simulated team.

    Args:
        profile: the team's profile (names, key prefix, vocabulary).
        plan: the items' pre-drawn traits.
        log: what the engine simulated.
        calendar: the team's working calendar (working-day time → UTC).
        rng: generator for titles, labels, estimates and resolutions.

    Returns:
        The work items, epics included, ordered by key number (creation order).
    """
    n_days = calendar.size
    spans = _spans(log, plan.size)
    epic_events, epic_final = _epic_events(plan, log, spans, n_days, rng)
    n, n_total = plan.size, plan.size + plan.epic_arrival.shape[0]

    item = np.concatenate((log.event_item, epic_events.item))
    order = np.argsort(item, kind="stable")
    item = item[order]
    state = np.concatenate((log.event_state, epic_events.state))[order]
    seconds = calendar.to_epoch_seconds(np.concatenate((log.event_time, epic_events.time))[order])
    seconds = _strictly_increasing(seconds, item)
    bounds = np.searchsorted(item, np.arange(n_total + 1))

    # Keys number items in creation order, epics interleaved, like a tracker would.
    created = np.concatenate((plan.arrival, plan.epic_arrival))
    number = np.empty(n_total, dtype=np.int64)
    number[np.argsort(created, kind="stable")] = np.arange(1, n_total + 1)
    keys = [f"{profile.key}-{value}" for value in number.tolist()]

    names = profile.status_names
    to_names = [names[value] for value in state.tolist()]
    from_names: list[str | None] = [None, *to_names[:-1]]
    for start in bounds[:-1].tolist():
        if start < len(from_names):
            from_names[start] = None
    stamps = list(map(partial(datetime.fromtimestamp, tz=UTC), seconds.tolist()))
    transitions = list(map(TransitionRecord, to_names, stamps, from_names))

    type_names = np.array([t.name for t in profile.item_types] + ["Epic"])[
        np.concatenate((plan.type_index, np.full(n_total - n, len(profile.item_types))))
    ]
    type_list = type_names.tolist()
    final = np.concatenate((log.final_state, epic_final))
    blocked, links = _blocks_and_links(profile=profile, plan=plan, log=log, spans=spans, calendar=calendar, keys=keys, rng=rng)
    title_list = naming.titles(type_list, profile.topics, rng)
    label_list = naming.labels(n_total, profile.labels, profile.label_probability, rng)
    estimate_list = naming.estimates(type_names[:n], plan.size_score, rng) + [None] * (n_total - n)
    resolution_list = naming.resolutions(final == DONE, final == DISCARDED, rng)
    parent_list = [keys[n + p] if p >= 0 else None for p in plan.parent.tolist()] + [None] * (n_total - n)
    no_blocks: tuple[BlockedIntervalRecord, ...] = ()
    no_links: tuple[LinkRecord, ...] = ()

    records = []
    bound_list = bounds.tolist()
    for index in np.argsort(number).tolist():
        lo, hi = bound_list[index], bound_list[index + 1]
        records.append(
            WorkItemRecord(
                source=SOURCE,
                external_key=keys[index],
                item_type=type_list[index],
                title=title_list[index],
                created_at=stamps[lo],
                transitions=tuple(transitions[lo:hi]),
                blocked_intervals=blocked.get(index, no_blocks),
                links=links.get(index, no_links),
                parent_key=parent_list[index],
                labels=label_list[index],
                estimate=estimate_list[index],
                resolution=resolution_list[index],
            )
        )
    return tuple(records)


def _blocks_and_links(
    *,
    profile: TeamProfile,
    plan: ItemPlan,
    log: FlowLog,
    spans: tuple[NDArray[np.float64], NDArray[np.float64]],
    calendar: WorkCalendar,
    keys: list[str],
    rng: np.random.Generator,
) -> tuple[dict[int, tuple[BlockedIntervalRecord, ...]], dict[int, tuple[LinkRecord, ...]]]:
    """Blocked intervals (flags) per item, and "is blocked by"/"blocks" link pairs.

    An item blocked by another item of the team links to one that was in progress at the time.
    """
    blocked: dict[int, tuple[BlockedIntervalRecord, ...]] = {}
    links: dict[int, tuple[LinkRecord, ...]] = {}
    if not log.block_item.shape[0]:
        return blocked, links
    first, last = spans
    busy_until = np.where(_STARTED[log.final_state], np.inf, last)
    starts = calendar.to_epoch_seconds(log.block_start).tolist()
    open_end = log.block_end >= calendar.size
    ends = calendar.to_epoch_seconds(np.where(open_end, 0.0, log.block_end)).tolist()
    for item, at, start, end, is_open in zip(
        log.block_item.tolist(), log.block_start.tolist(), starts, ends, open_end.tolist(), strict=True
    ):
        kind = profile.blockers[int(plan.blocker[item])]
        reason = kind.reason
        if kind.links_item:
            in_flight = np.flatnonzero((first < at) & (busy_until > at))
            in_flight = in_flight[in_flight != item]
            if in_flight.shape[0]:
                other = int(in_flight[rng.integers(in_flight.shape[0])])
                reason = reason.format(other=keys[other])
                links[item] = (*links.get(item, ()), LinkRecord(kind="is_blocked_by", other_key=keys[other]))
                links[other] = (*links.get(other, ()), LinkRecord(kind="blocks", other_key=keys[item]))
            else:
                reason = reason.format(other="another team's change")
        record = BlockedIntervalRecord(
            start=datetime.fromtimestamp(start, UTC),
            end=None if is_open else datetime.fromtimestamp(end, UTC),
            reason=reason,
            origin="flag",
        )
        blocked[item] = (*blocked.get(item, ()), record)
    return blocked, links
