"""The team's per-item timeline is built once per data version and shared; its per-type rows equal a timeline
built from the history restricted to those types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from polars.testing import assert_frame_equal
from sqlalchemy.orm import Session

from deliveryops.analytics.flow import item_timeline
from deliveryops.flow.data import load_team_data
from deliveryops.flow.timeline import counted_timeline, default_types, of_types, team_timeline
from deliveryops.teams.models import Team
from deliveryops.work.importing import import_records
from deliveryops.work.records import StageCategory, TransitionRecord, WorkflowStatus, WorkItemRecord
from tests.factories import make_team

START = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
WORKFLOW = [
    WorkflowStatus("Todo", StageCategory.BACKLOG, 0),
    WorkflowStatus("Doing", StageCategory.ACTIVE, 1),
    WorkflowStatus("Done", StageCategory.DONE, 2),
]
TYPES = ("Epic", "Story", "Bug")


def _item(team: Team, n: int) -> WorkItemRecord:
    at = START + timedelta(days=n, hours=n % 5)
    names = [status.name for status in WORKFLOW][: n % 4]
    return WorkItemRecord(
        source="t",
        external_key=f"{team.slug}-{n}",
        item_type=TYPES[n % 3],
        title=f"Item {n}",
        created_at=at,
        parent_key=f"{team.slug}-0" if n else None,
        transitions=tuple(TransitionRecord(name, at + timedelta(days=i, hours=n)) for i, name in enumerate(names)),
    )


def _import(session: Session, team: Team, count: int, first: int = 0) -> None:
    records = [_item(team, n) for n in range(first, first + count)]
    import_records(session=session, actor=None, team=team, records=records, import_format="t", workflow=WORKFLOW)


def _built(session: Session, team: Team, types: list[str] | None) -> pl.DataFrame:
    data = load_team_data(session, team)
    subset = data.only_types(types)
    return item_timeline(subset.transitions, workflow=subset.workflow, zone=subset.zone, items=subset.items)


def test_the_shared_timeline_equals_one_built_from_the_restricted_history(session: Session) -> None:
    team = make_team(session, time_zone="Europe/Berlin")
    _import(session, team, 30)
    session.commit()

    data = load_team_data(session, team)
    assert set(default_types(data)) == {"Story", "Bug"}
    assert_frame_equal(team_timeline(session, team), _built(session, team, None))
    for types in (["Story"], ["Bug", "Story"], ["Epic"], default_types(data)):
        assert_frame_equal(of_types(team_timeline(session, team), types), _built(session, team, types))
    assert_frame_equal(counted_timeline(session, team), _built(session, team, default_types(data)))


def test_the_timeline_is_built_once_per_data_version(session: Session) -> None:
    team = make_team(session)
    _import(session, team, 12)
    session.commit()

    first = team_timeline(session, team)
    assert team_timeline(session, team) is first  # shared, not rebuilt

    _import(session, team, 6, first=12)  # an import bumps the data version
    session.commit()
    again = team_timeline(session, team)
    assert again is not first
    assert again.height > first.height
    assert_frame_equal(again, _built(session, team, None))
