"""Every team's history read at once equals each team's read alone (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from deliveryops.flow import data
from deliveryops.flow.data import TeamData, load_team_data, load_teams_data, read_teams_data
from deliveryops.teams.models import Team
from deliveryops.work import workflow as workflows
from deliveryops.work.importing import import_records
from deliveryops.work.models import BlockedInterval, StatusTransition, WorkItem
from deliveryops.work.records import (
    BlockedIntervalRecord,
    StageCategory,
    TransitionRecord,
    WorkflowStatus,
    WorkItemRecord,
)
from tests.factories import make_team

START = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
WORKFLOW = [
    WorkflowStatus("Todo", StageCategory.BACKLOG, 0),
    WorkflowStatus("Doing", StageCategory.ACTIVE, 1),
    WorkflowStatus("Done", StageCategory.DONE, 2),
]


def _item(team: Team, n: int, *, statuses: int, blocked: bool = False) -> WorkItemRecord:
    at = START + timedelta(days=n)
    names = [status.name for status in WORKFLOW][:statuses]
    return WorkItemRecord(
        source="t",
        external_key=f"{team.slug}-{n}",
        item_type="Bug" if n % 3 == 0 else "Story",
        title=f"Item {n}",
        created_at=at,
        parent_key=f"{team.slug}-0" if n else None,
        transitions=tuple(TransitionRecord(name, at + timedelta(days=i)) for i, name in enumerate(names)),
        blocked_intervals=(BlockedIntervalRecord(at, at + timedelta(hours=5), "waiting"),) if blocked else (),
    )


def _import(session: Session, team: Team, records: list[WorkItemRecord]) -> None:
    import_records(session=session, actor=None, team=team, records=records, import_format="t", workflow=WORKFLOW)


def _assert_same(batch: TeamData, alone: TeamData) -> None:
    assert_frame_equal(batch.items, alone.items)
    assert_frame_equal(batch.transitions, alone.transitions)
    assert_frame_equal(batch.blocked, alone.blocked)
    assert dict(batch.workflow) == dict(alone.workflow)
    assert batch.zone == alone.zone


@pytest.mark.parametrize("chunk", [500, 2])
def test_teams_read_together_equal_each_team_read_alone(session: Session, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    empty = make_team(session)
    blocked = make_team(session, time_zone="Europe/Berlin")
    flowing = make_team(session)
    plain = make_team(session)
    # Imports interleaved, so the teams' item ids interleave too.
    _import(session, flowing, [_item(flowing, n, statuses=3) for n in range(4)])
    _import(session, blocked, [_item(blocked, n, statuses=2, blocked=n % 2 == 0) for n in range(5)])
    _import(session, plain, [_item(plain, n, statuses=0) for n in range(3)])
    _import(session, flowing, [_item(flowing, n, statuses=2) for n in range(4, 7)])
    teams = [empty, blocked, flowing, plain]
    session.commit()

    data._CACHE.clear()
    alone = {team.id: load_team_data(session, team) for team in teams}
    data._CACHE.clear()
    monkeypatch.setattr(data, "_CHUNK", chunk)
    together = load_teams_data(session, teams)

    assert list(together) == [team.id for team in teams]
    for team in teams:
        _assert_same(together[team.id], alone[team.id])
        assert dict(together[team.id].workflow) == workflows.mapping(session, team)
    assert together[empty.id].items.is_empty()
    assert together[empty.id].transitions.is_empty()
    assert together[empty.id].items.schema == together[flowing.id].items.schema
    assert together[empty.id].blocked.schema == together[blocked.id].blocked.schema
    assert together[flowing.id].items["key"].to_list() == [f"{flowing.slug}-{n}" for n in range(7)]
    assert together[flowing.id].transitions.height == 4 * 3 + 3 * 2
    assert together[blocked.id].blocked["reason"].to_list() == ["waiting"] * 3
    assert together[plain.id].transitions.is_empty()
    assert together[plain.id].items.height == 3
    assert str(together[blocked.id].zone) == "Europe/Berlin"


def test_cached_teams_are_served_from_the_cache_and_the_others_read(session: Session) -> None:
    cached, fresh = make_team(session), make_team(session)
    _import(session, cached, [_item(cached, n, statuses=3) for n in range(2)])
    _import(session, fresh, [_item(fresh, n, statuses=3, blocked=True) for n in range(3)])
    session.commit()
    data._CACHE.clear()
    first = load_team_data(session, cached)

    together = load_teams_data(session, [cached, fresh, cached])

    assert together[cached.id] is first
    assert load_team_data(session, fresh) is together[fresh.id]  # put in the cache
    assert together[fresh.id].blocked.height == 3
    _import(session, cached, [_item(cached, 5, statuses=1)])  # bumps the data version
    again = load_teams_data(session, [cached])[cached.id]
    assert again is not first
    assert again.items.height == 3


def _read_row_by_row(session: Session, team: Team) -> TeamData:
    """A team's frames as SQLAlchemy builds them (typed rows, ``UTCDateTime`` per value): the reference the column
    reader must equal."""
    item_rows = session.execute(
        select(WorkItem.id, WorkItem.external_key, WorkItem.title, WorkItem.item_type, WorkItem.created_at, WorkItem.parent_key)
        .where(WorkItem.team_id == team.id)
        .order_by(WorkItem.id)
    ).all()
    utc = pl.Datetime("us", "UTC")
    items = pl.DataFrame(
        item_rows,
        orient="row",
        schema={
            "item_id": pl.Int64,
            "key": pl.Utf8,
            "title": pl.Utf8,
            "item_type": pl.Utf8,
            "created_at": utc,
            "parent_key": pl.Utf8,
        },
    )
    transition_rows = session.execute(
        select(StatusTransition.item_id, StatusTransition.to_status, StatusTransition.at)
        .join(WorkItem, WorkItem.id == StatusTransition.item_id)
        .where(WorkItem.team_id == team.id)
        .order_by(StatusTransition.item_id, StatusTransition.at, StatusTransition.id)
    ).all()
    transitions = pl.DataFrame(transition_rows, orient="row", schema={"item_id": pl.Int64, "status": pl.Utf8, "at": utc})
    blocked_rows = session.execute(
        select(BlockedInterval.item_id, BlockedInterval.start, BlockedInterval.end, BlockedInterval.reason)
        .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
        .where(WorkItem.team_id == team.id)
        .order_by(BlockedInterval.item_id, BlockedInterval.id)
    ).all()
    blocked = pl.DataFrame(blocked_rows, orient="row", schema={"item_id": pl.Int64, "start": utc, "end": utc, "reason": pl.Utf8})
    return TeamData(items, transitions, blocked, workflows.mapping(session, team), team.zone)


def test_frames_read_column_by_column_equal_sqlalchemys_rows_value_for_value(session: Session) -> None:
    odd, empty = make_team(session, time_zone="Asia/Kolkata"), make_team(session)
    records = [_item(odd, n, statuses=3, blocked=n % 2 == 1) for n in range(6)]
    awkward = WorkItemRecord(
        source="t",
        external_key="tab\tnew\nline 'quote' \\N ünï",
        item_type="Epic",
        title="",
        created_at=datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        parent_key=None,
        transitions=(
            TransitionRecord("Todo", datetime(2038, 1, 19, 3, 14, 8, 1, tzinfo=UTC)),
            TransitionRecord("Doing", datetime(2038, 1, 19, 3, 14, 8, 1, tzinfo=UTC)),  # same instant: kept in order
        ),
        blocked_intervals=(BlockedIntervalRecord(START, None, ""),),
    )
    _import(session, odd, [*records, awkward])
    session.commit()
    if session.get_bind().dialect.name == "sqlite":  # a timestamp written without a fraction, as raw SQL may store it
        session.execute(
            text("UPDATE status_transitions SET at = '2026-10-05 10:00:00' WHERE id = (SELECT min(id) FROM status_transitions)")
        )
        session.execute(
            text("UPDATE work_items SET created_at = '2026-10-05 10:00:00.5' WHERE id = (SELECT min(id) FROM work_items)")
        )

    data._CACHE.clear()
    read = load_teams_data(session, [odd, empty])
    for team in (odd, empty):
        _assert_same(read[team.id], _read_row_by_row(session, team))
    assert read[odd.id].transitions.height == 6 * 3 + 2
    assert read[odd.id].blocked["end"].null_count() == 1
    assert read[odd.id].items["created_at"].min() == datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)


def test_whole_frames_read_at_once_split_by_team_equal_each_team_read_alone(session: Session) -> None:
    first, second = make_team(session), make_team(session, time_zone="Europe/Berlin")
    _import(session, first, [_item(first, n, statuses=3, blocked=True) for n in range(3)])
    _import(session, second, [_item(second, n, statuses=2) for n in range(4)])
    _import(session, first, [_item(first, n, statuses=1) for n in range(3, 5)])
    session.commit()
    whole = read_teams_data(session, [first, second, first])
    assert whole.transitions.columns[0] == "team_id"
    assert whole.items["item_id"].is_sorted()
    data._CACHE.clear()
    for team in (first, second):
        alone = load_team_data(session, team)
        assert_frame_equal(whole.items.filter(pl.col("team_id") == team.id).drop("team_id"), alone.items)
        assert_frame_equal(whole.transitions.filter(pl.col("team_id") == team.id).drop("team_id"), alone.transitions)
        assert_frame_equal(whole.blocked.filter(pl.col("team_id") == team.id).drop("team_id"), alone.blocked)
        assert whole.workflows[team.id] == alone.workflow
        assert whole.zones[team.id] == alone.zone
