"""A small group for roadmap tests: two teams in two time zones finishing one item every working day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from deliveryops.roadmap.engine import public_holidays
from deliveryops.teams.models import Group, Team
from deliveryops.work.importing import import_records
from deliveryops.work.records import StageCategory, TransitionRecord, WorkflowStatus, WorkItemRecord
from tests.factories import make_group, make_team

WORKFLOW = [
    WorkflowStatus("Backlog", StageCategory.BACKLOG, 0),
    WorkflowStatus("Doing", StageCategory.ACTIVE, 1),
    WorkflowStatus("Done", StageCategory.DONE, 2),
]


def at(day: date, hour: int) -> datetime:
    # 01:00-02:00 UTC is the same date in Berlin (UTC+1) and Auckland (UTC+13 in summer).
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def record(key: str, day: date, *, done: bool, item_type: str = "Story", parent: str | None = None) -> WorkItemRecord:
    transitions = [TransitionRecord("Backlog", at(day, 1)), TransitionRecord("Doing", at(day, 1), "Backlog")]
    if done:
        transitions.append(TransitionRecord("Done", at(day, 2), "Doing"))
    return WorkItemRecord(
        source="test",
        external_key=key,
        item_type=item_type,
        title=f"Item {key}",
        created_at=at(day, 1),
        parent_key=parent,
        transitions=tuple(transitions),
    )


def steady_team(
    session: Session, *, group: Group, name: str, time_zone: str, country: str | None, today: date, epics: dict[str, int]
) -> Team:
    """One item finished each working day (not weekends, not the country's holidays) for 120 days before ``today``;
    open epics with the given numbers of unfinished children, created in the order given."""
    team = make_team(session, name=name, group=group, time_zone=time_zone)
    off = set(public_holidays(country, None, [today.year - 1, today.year]))
    records = []
    for back in range(1, 121):
        day = today - timedelta(days=back)
        if day.weekday() < 5 and day not in off:
            records.append(record(f"{name[:2].upper()}-H{back}", day, done=True))
    for index, (key, count) in enumerate(epics.items()):
        created = today - timedelta(days=200 - index)
        records.append(record(key, created, done=False, item_type="Epic"))
        records += [record(f"{key}-{n}", created, done=False, parent=key) for n in range(count)]
    import_records(session=session, actor=None, team=team, records=records, import_format="test", workflow=WORKFLOW)
    return team


@dataclass
class SmallGroup:
    group: Group
    berlin: Team
    auckland: Team


def small_group(session: Session, today: date) -> SmallGroup:
    """Berlin (DE holidays) with epics B-1 (3 open) then B-2 (4 open); Auckland (NZ) with A-1 (2 open)."""
    group = make_group(session)
    berlin = steady_team(
        session, group=group, name="Berlin team", time_zone="Europe/Berlin", country="DE", today=today, epics={"B-1": 3, "B-2": 4}
    )
    auckland = steady_team(
        session, group=group, name="Auckland team", time_zone="Pacific/Auckland", country="NZ", today=today, epics={"A-1": 2}
    )
    return SmallGroup(group, berlin, auckland)
