"""What impediments cost: blocked days of the items they block, reports over a period, blocked items
that nobody has raised an impediment for yet."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.db import utcnow
from deliveryops.impediments.models import AffectedItem, BlockerLink, Category, Impediment, Level, Severity, Status
from deliveryops.impediments.service import service_levels
from deliveryops.teams.models import Team
from deliveryops.work.models import BlockedInterval, WorkItem

__all__ = ["ReportRow", "UnraisedBlock", "blocked_days", "report", "unraised_blocked_items"]


def _overlap_days(start: datetime, end: datetime | None, window_start: datetime, window_end: datetime) -> float:
    stop = min(end or window_end, window_end)
    begin = max(start, window_start)
    return max(0.0, (stop - begin).total_seconds() / 86400)


def blocked_days(session: Session, impediments: list[Impediment], *, now: datetime | None = None) -> dict[int, float]:
    """Blocked days (24-hour days) of each impediment's items while the impediment was open.

    "Open" starts at the earlier of the impediment's creation and the start of the blocked intervals
    linked to it (``blockers``): a block that an impediment describes counts from its first day, even
    when the impediment was raised later. Overlapping intervals of one item count once per interval
    (items are rarely flagged twice at once).
    """
    moment = now or utcnow()
    ids = [imp.id for imp in impediments]
    if not ids:
        return {}
    links = session.execute(
        select(AffectedItem.impediment_id, AffectedItem.work_item_id).where(AffectedItem.impediment_id.in_(ids))
    ).all()
    by_item: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    item_ids = {item_id for _imp, item_id in links}
    for item_id, start, end in session.execute(
        select(BlockedInterval.item_id, BlockedInterval.start, BlockedInterval.end).where(BlockedInterval.item_id.in_(item_ids))
    ):
        by_item[item_id].append((start, end))
    earliest: dict[tuple[int, int], datetime] = {}
    for impediment_id, item_id, start in session.execute(
        select(BlockerLink.impediment_id, BlockedInterval.item_id, BlockedInterval.start)
        .join(BlockedInterval, BlockedInterval.id == BlockerLink.interval_id)
        .where(BlockerLink.impediment_id.in_(ids), BlockerLink.status == "linked")
    ):
        key = (impediment_id, item_id)
        earliest[key] = min(start, earliest.get(key, start))
    lookup = {imp.id: imp for imp in impediments}
    totals: dict[int, float] = dict.fromkeys(ids, 0.0)
    for impediment_id, item_id in links:
        imp = lookup[impediment_id]
        window_end = imp.resolved_at or moment
        window_start = min(imp.created_at, earliest.get((impediment_id, item_id), imp.created_at))
        for start, end in by_item.get(item_id, []):
            totals[impediment_id] += _overlap_days(start, end, window_start, window_end)
    return {key: round(value, 2) for key, value in totals.items()}


@dataclass
class ReportRow:
    """Blocker clustering for a period: one category."""

    category: str
    teams: int
    impediments: int
    blocked_days: float
    resolved: int
    median_days_to_resolve: float | None
    within_service_level: float | None


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def report(
    session: Session, *, team_ids: set[int] | None, start: date, end: date, now: datetime | None = None
) -> dict[str, object]:
    """Impediments raised in a period: category × teams × blocked days × count, and how fast they went.

    "Within service level": resolved without ever being overdue at a level (each level's working days
    measured from its entry to the next step).

    Args:
        session: the unit of work.
        team_ids: the teams to include (None: all).
        start: first day (UTC).
        end: last day, inclusive.
        now: the clock.

    Returns:
        ``rows`` per category, ``by_level`` median working days at each level, ``open_by_week``.
    """
    moment = now or utcnow()
    statement = select(Impediment).where(
        Impediment.created_at >= datetime.combine(start, datetime.min.time(), tzinfo=moment.tzinfo),
        Impediment.created_at < datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=moment.tzinfo),
    )
    if team_ids is not None:
        statement = statement.where(Impediment.team_id.in_(team_ids))
    impediments = list(session.scalars(statement))
    costs = blocked_days(session, impediments, now=moment)
    levels = service_levels(session)
    names = {c.id: c.name for c in session.scalars(select(Category))}
    grouped: dict[str, list[Impediment]] = defaultdict(list)
    for imp in impediments:
        grouped[names.get(imp.category_id or -1, "Uncategorised")].append(imp)
    time_at_level: dict[str, list[float]] = defaultdict(list)
    rows = []
    for category, members in sorted(grouped.items()):
        resolved = [m for m in members if m.status is Status.RESOLVED and m.resolved_at]
        within = [m for m in resolved if _never_overdue(m, levels)]
        rows.append(
            ReportRow(
                category=category,
                teams=len({m.team_id for m in members}),
                impediments=len(members),
                blocked_days=round(sum(costs.get(m.id, 0.0) for m in members), 1),
                resolved=len(resolved),
                median_days_to_resolve=_median(
                    [(m.resolved_at - m.created_at).total_seconds() / 86400 for m in resolved if m.resolved_at]
                ),
                within_service_level=round(len(within) / len(resolved), 3) if resolved else None,
            )
        )
        for m in members:
            for level, days in _days_per_level(m, moment).items():
                time_at_level[level].append(days)
    open_by_week = []
    week = start - timedelta(days=start.weekday())
    while week <= end:
        week_end = datetime.combine(week + timedelta(days=7), datetime.min.time(), tzinfo=moment.tzinfo)
        open_by_week.append(
            {
                "week": week.isoformat(),
                "open": sum(
                    1 for m in impediments if m.created_at < week_end and (m.resolved_at is None or m.resolved_at >= week_end)
                ),
            }
        )
        week += timedelta(days=7)
    return {
        "rows": rows,
        "by_level": {level: _median(days) for level, days in time_at_level.items()},
        "open_by_week": open_by_week,
        "impediments": len(impediments),
    }


def _days_per_level(impediment: Impediment, now: datetime) -> dict[str, float]:
    """Working days spent at each level, from the timeline."""
    spent: dict[str, float] = defaultdict(float)
    level, since = Level.TEAM.value, impediment.created_at
    for event in sorted(impediment.events, key=lambda e: e.at):
        if event.kind in ("escalated", "handed_back") and event.to_value:
            spent[level] += _busdays(since, event.at)
            level, since = event.to_value, event.at
    spent[level] += _busdays(since, impediment.resolved_at or now)
    return dict(spent)


def _busdays(start: datetime, end: datetime) -> float:
    return float(np.busday_count(start.date(), end.date())) if end.date() > start.date() else 0.0


def _never_overdue(impediment: Impediment, levels: dict[tuple[Level, Severity], int]) -> bool:
    for level, days in _days_per_level(impediment, impediment.resolved_at or utcnow()).items():
        allowed = levels.get((Level(level), impediment.severity))
        if allowed is not None and days > allowed:
            return False
    return True


@dataclass
class UnraisedBlock:
    """A blocked interval of a team's item that no impediment covers yet."""

    interval_id: int
    item_key: str
    item_title: str
    reason: str
    start: datetime
    end: datetime | None
    days: float


def unraised_blocked_items(
    session: Session, team: Team, *, min_days: float = 2.0, now: datetime | None = None
) -> list[UnraisedBlock]:
    """Items blocked for at least ``min_days`` (still blocked, or in the last 30 days) without an impediment.

    Blocks with a pending link proposal (``blockers.proposals``) are listed there instead.
    """
    moment = now or utcnow()
    covered = set(session.scalars(select(AffectedItem.work_item_id).join(Impediment).where(Impediment.team_id == team.id)))
    rows = session.execute(
        select(
            BlockedInterval.id,
            WorkItem.id,
            WorkItem.external_key,
            WorkItem.title,
            BlockedInterval.reason,
            BlockedInterval.start,
            BlockedInterval.end,
        )
        .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
        .where(WorkItem.team_id == team.id)
        .where((BlockedInterval.end.is_(None)) | (BlockedInterval.end >= moment - timedelta(days=30)))
    ).all()
    pending = set(
        session.scalars(
            select(BlockerLink.interval_id)
            .join(BlockedInterval, BlockedInterval.id == BlockerLink.interval_id)
            .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
            .where(BlockerLink.status == "proposed", WorkItem.team_id == team.id)
        )
    )
    found = []
    for interval_id, item_id, key, title, reason, start, end in rows:
        days = ((end or moment) - start).total_seconds() / 86400
        if item_id in covered or interval_id in pending or days < min_days:
            continue
        found.append(UnraisedBlock(interval_id, key, title, reason, start, end, round(days, 1)))
    return sorted(found, key=lambda block: (block.end is not None, -block.days))
