"""Flow metrics and forecasts from the database, with values worked out by hand (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.analytics.allocation import Allocation
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.flow import service
from deliveryops.teams.models import Team
from deliveryops.work.importing import import_records
from deliveryops.work.records import StageCategory, TransitionRecord, WorkflowStatus, WorkItemRecord
from tests.factories import join, make_team, make_user

WORKFLOW = [
    WorkflowStatus("Backlog", StageCategory.BACKLOG, 0),
    WorkflowStatus("Doing", StageCategory.ACTIVE, 1),
    WorkflowStatus("Done", StageCategory.DONE, 2),
]


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def item(key: str, start: date, finish: date | None, *, item_type: str = "Story") -> WorkItemRecord:
    transitions = [TransitionRecord("Backlog", at(start, 9)), TransitionRecord("Doing", at(start), "Backlog")]
    if finish is not None:
        transitions.append(TransitionRecord("Done", at(finish, 15), "Doing"))
    return WorkItemRecord(
        source="test",
        external_key=key,
        item_type=item_type,
        title=f"Item {key}",
        created_at=at(start, 9),
        transitions=tuple(transitions),
    )


def steady_team(session: Session) -> Team:
    """February 2026: one item finished every day (1 to 28 Feb), each started the same day."""
    team = make_team(session, time_zone="UTC")
    records = [item(f"F-{d}", date(2026, 2, d), date(2026, 2, d)) for d in range(1, 29)]
    records += [
        item("M-1", date(2026, 3, 1), date(2026, 3, 2)),
        item("M-2", date(2026, 3, 1), date(2026, 3, 3)),
        item("M-3", date(2026, 3, 2), date(2026, 3, 5)),
        item("M-4", date(2026, 3, 4), None),
        item("E-1", date(2026, 1, 5), None, item_type="Epic"),
    ]
    import_records(session=session, actor=None, team=team, records=records, import_format="test", workflow=WORKFLOW)
    return team


NOW = datetime(2026, 3, 6, 12, tzinfo=UTC)


def test_team_flow_numbers(session: Session) -> None:
    team = steady_team(session)
    admin = make_user(session, role=Role.ADMIN)
    _team, query, summary, _data = service.team_flow(
        session=session, actor=admin, team_id=team.id, start=date(2026, 3, 1), end=date(2026, 3, 5), now=NOW
    )
    assert query.types == ["Story"]  # epics are left out by default
    assert sorted(summary.cycle_times["cycle_time_days"].to_list()) == [2, 3, 4]
    assert summary.cycle_time_percentiles == {50.0: 3, 70.0: 4, 85.0: 4, 95.0: 4}
    # End of day: 1st M-1 M-2; 2nd M-2 M-3; 3rd M-3; 4th M-3 M-4; 5th M-4.
    assert summary.wip["wip"].to_list() == [2, 2, 1, 2, 1]
    assert summary.sle_days == 1  # 28 of the 31 items in the last 90 days took 1 day


def test_period_validation(session: Session) -> None:
    team = steady_team(session)
    admin = make_user(session, role=Role.ADMIN)
    with pytest.raises(ValidationFailedError) as info:
        service.team_flow(session=session, actor=admin, team_id=team.id, start=date(2026, 3, 5), end=date(2026, 3, 1), now=NOW)
    assert info.value.fields == {"from": "The start must be on or before the end."}


def test_forecasts_are_stored_reproducible_and_scored(session: Session) -> None:
    team = steady_team(session)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm)
    made = datetime(2026, 3, 1, 8, tzinfo=UTC)  # the window is the 28 days of February (one item a day) + 62 empty days
    row, result = service.create_when(
        session=session, actor=dm, team_id=team.id, remaining_items=3, now=made, window_days=28, seed=42, commitment="plan"
    )
    # Constant throughput of 1 a day: every percentile is exactly day 3.
    assert row.predicted == {"50": "2026-03-04", "70": "2026-03-04", "85": "2026-03-04", "95": "2026-03-04"}
    assert row.window_throughput == [1] * 28
    assert (row.window_start, row.window_end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert service.replay(row).dates == result.dates  # type: ignore[union-attr]  # stored inputs and seed reproduce it
    how, _ = service.create_how_many(
        session=session, actor=dm, team_id=team.id, by_date=date(2026, 3, 5), now=made, window_days=28, seed=7
    )
    service.commit_forecast(session=session, actor=dm, forecast_id=how.id, now=made)
    assert how.predicted == {"50": 4, "70": 4, "85": 4, "95": 4}
    assert service.score_forecasts(session, team, now=NOW) == 2
    # What happened: after 1 March, items finished on 2, 3 and 5 March (M-1, M-2, M-3).
    assert row.outcome_date == date(2026, 3, 5)
    assert how.outcome_count == 3
    report = service.calibration(session, team, now=NOW)
    assert {level: (c.scored, c.held) for level, c in report.levels.items()} == {50: (2, 0), 70: (2, 0), 85: (2, 0), 95: (2, 0)}


def test_epic_forecast_counts_unfinished_children(session: Session) -> None:
    team = make_team(session, time_zone="UTC")
    children = [item(f"C-{n}", date(2026, 2, n), date(2026, 2, n) if n < 3 else None) for n in range(1, 6)]
    children = [
        WorkItemRecord(**{**{f: getattr(c, f) for f in c.__slots__ if f != "extra"}, "parent_key": "EP-1"}) for c in children
    ]
    epic = item("EP-1", date(2026, 1, 2), None, item_type="Epic")
    history = [item(f"H-{d}", date(2026, 2, d), date(2026, 2, d)) for d in range(3, 28)]
    import_records(
        session=session, actor=None, team=team, records=[epic, *children, *history], import_format="test", workflow=WORKFLOW
    )
    row, _result = service.create_when(session=session, actor=None, team_id=team.id, epic_key="EP-1", now=NOW)
    assert row.remaining_items == 3
    assert row.item_keys == ["C-3", "C-4", "C-5"]
    assert row.label == "Epic EP-1 (Item EP-1): 3 unfinished of 5 items"


def test_forecast_edge_cases(session: Session) -> None:
    team = steady_team(session)
    with pytest.raises(ValidationFailedError) as nothing:
        service.create_when(session=session, actor=None, team_id=team.id, remaining_items=0, now=NOW)
    assert list(nothing.value.fields) == ["items"]
    quiet = datetime(2026, 8, 1, tzinfo=UTC)  # the 90 days before contain no finished item
    empty, result = service.create_when(session=session, actor=None, team_id=team.id, remaining_items=5, now=quiet)
    assert result.message == ("The throughput window has no completed items, so no forecast is possible; choose a longer window.")
    assert empty.predicted["85"] is None
    with pytest.raises(ValidationFailedError) as past:
        service.create_how_many(session=session, actor=None, team_id=team.id, by_date=date(2026, 3, 6), now=NOW)
    assert past.value.fields == {"by": "Choose a date after today."}


def test_other_team_cannot_forecast(session: Session) -> None:
    team = steady_team(session)
    outsider = make_user(session)
    join(session, make_team(session), outsider)
    with pytest.raises(PermissionDeniedError):
        service.create_when(session=session, actor=outsider, team_id=team.id, remaining_items=3, now=NOW)
    with pytest.raises(PermissionDeniedError):
        service.team_flow(session=session, actor=outsider, team_id=team.id, now=NOW)


def test_cache_sees_new_imports(session: Session) -> None:
    team = steady_team(session)
    admin = make_user(session, role=Role.ADMIN)
    before = service.team_flow(
        session=session, actor=admin, team_id=team.id, start=date(2026, 3, 1), end=date(2026, 3, 10), now=NOW
    )[2].cycle_times.height
    import_records(
        session=session, actor=None, team=team, records=[item("M-4", date(2026, 3, 4), date(2026, 3, 6))], import_format="test"
    )
    after = service.team_flow(
        session=session, actor=admin, team_id=team.id, start=date(2026, 3, 1), end=date(2026, 3, 10), now=NOW + timedelta(days=1)
    )[2].cycle_times.height
    assert (before, after) == (3, 4)


def test_what_ifs_are_kept_but_not_scored(session: Session) -> None:
    team = steady_team(session)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm)
    made = datetime(2026, 3, 1, 8, tzinfo=UTC)
    what_if, _ = service.create_when(session=session, actor=dm, team_id=team.id, remaining_items=3, now=made, window_days=28)
    assert what_if.commitment is None
    assert service.score_forecasts(session, team, now=NOW) == 0
    assert what_if.outcome_date is None
    report = service.calibration(session, team, now=NOW)
    assert report.levels == {}
    assert report.pending == 0
    assert service.list_forecasts(session=session, actor=dm, team_id=team.id, committed=True) == []
    assert service.list_forecasts(session=session, actor=dm, team_id=team.id, committed=False) == [what_if]


def test_the_same_question_gives_one_record(session: Session) -> None:
    team = steady_team(session)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, dm)
    made = datetime(2026, 3, 1, 8, tzinfo=UTC)
    first, _ = service.create_when(
        session=session, actor=dm, team_id=team.id, remaining_items=3, now=made, window_days=28, seed=1, commitment="plan"
    )
    # Posted again (another seed, later the same day): the commitment stands, replayed from its own seed.
    again, result = service.create_when(
        session=session,
        actor=dm,
        team_id=team.id,
        remaining_items=3,
        now=made + timedelta(hours=3),
        window_days=28,
        seed=2,
        commitment="plan",
    )
    assert again.id == first.id
    assert again.seed == 1
    assert result.inputs.seed == 1
    # A what-if of the same question also returns the commitment rather than a second record.
    what_if, _ = service.create_when(session=session, actor=dm, team_id=team.id, remaining_items=3, now=made, window_days=28)
    assert what_if.id == first.id
    assert len(service.list_forecasts(session=session, actor=dm, team_id=team.id)) == 1
    # A different question (4 items) is a new record; asked twice as a what-if, it is replaced in place.
    other, _ = service.create_when(
        session=session, actor=dm, team_id=team.id, remaining_items=4, now=made, window_days=28, seed=5
    )
    replaced, _ = service.create_when(
        session=session, actor=dm, team_id=team.id, remaining_items=4, now=made, window_days=28, seed=6
    )
    assert (replaced.id, replaced.seed) == (other.id, 6)
    assert len(service.list_forecasts(session=session, actor=dm, team_id=team.id)) == 2
    # Committing twice is one commitment; the first reason stays.
    committed = service.commit_forecast(session=session, actor=dm, forecast_id=other.id, commitment="shared", now=made)
    twice = service.commit_forecast(session=session, actor=dm, forecast_id=other.id, commitment="plan", now=NOW)
    assert (twice.id, twice.commitment, twice.committed_at) == (committed.id, "shared", made)
    # Both count: the 3-item one finished on 5 March; the 4-item one is past its dates (4 March) unfinished.
    assert service.score_forecasts(session, team, now=NOW) == 1
    assert service.calibration(session, team, now=NOW).levels[85].scored == 2


def test_only_the_team_marks_its_plan(session: Session) -> None:
    team = steady_team(session)
    leader = make_user(session, role=Role.LEADER)  # sees every team, is in none
    row, _ = service.create_when(session=session, actor=leader, team_id=team.id, remaining_items=3, now=NOW)
    with pytest.raises(PermissionDeniedError):
        service.commit_forecast(session=session, actor=leader, forecast_id=row.id, commitment="plan")
    shared = service.commit_forecast(session=session, actor=leader, forecast_id=row.id, commitment="shared")
    assert shared.commitment == "shared"
    with pytest.raises(ValidationFailedError) as info:
        service.commit_forecast(session=session, actor=None, forecast_id=row.id, commitment="promise")  # type: ignore[arg-type]
    assert info.value.fields == {"commitment": "Choose plan, shared, exported or pack."}


def epics_team(session: Session) -> Team:
    """One item a day finished in February; epic EP-1 (created 2 Jan) has 3 unfinished children, EP-2 (3 Jan) 5."""
    team = make_team(session, time_zone="UTC")
    records = [item(f"H-{d}", date(2026, 2, d), date(2026, 2, d)) for d in range(1, 29)]
    for epic, count in (("EP-1", 3), ("EP-2", 5)):
        for n in range(count):
            child = item(f"{epic}-C{n}", date(2026, 2, 20), None)
            records.append(
                WorkItemRecord(**{**{f: getattr(child, f) for f in child.__slots__ if f != "extra"}, "parent_key": epic})
            )
    records.append(item("EP-1", date(2026, 1, 2), None, item_type="Epic"))
    records.append(item("EP-2", date(2026, 1, 3), None, item_type="Epic"))
    import_records(session=session, actor=None, team=team, records=records, import_format="test", workflow=WORKFLOW)
    return team


def test_parallel_epics_share_the_team(session: Session) -> None:
    team = epics_team(session)
    made = datetime(2026, 3, 1, 8, tzinfo=UTC)  # window: the 28 days of February, one item a day
    rows, rule = service.forecast_epics(session=session, actor=None, team_id=team.id, now=made, window_days=28, seed=3)
    assert rule == "priority"
    # Oldest epic first: EP-1 after 3 of the team's items (4 March), EP-2 after 3 + 5 = 8 (9 March).
    assert [(row.label.split(" (")[0], row.remaining_items, row.predicted["85"]) for row, _ in rows] == [
        ("Epic EP-1", 3, "2026-03-04"),
        ("Epic EP-2", 8, "2026-03-09"),
    ]
    assert rows[1][0].allocation == "priority order: after EP-1 (2 of 2)"
    assert all(row.commitment is None for row, _ in rows)
    even, rule = service.forecast_epics(
        session=session,
        actor=None,
        team_id=team.id,
        epic_keys=["EP-2", "EP-1"],
        allocation=Allocation.EVEN,
        now=made,
        window_days=28,
    )
    assert rule == "even"
    # Shared evenly: EP-1 is done after 2 x 3 = 6 items (7 March), EP-2 after 8 (9 March).
    assert [(row.item_keys[0][:4], row.remaining_items, row.predicted["85"]) for row, _ in even] == [
        ("EP-2", 8, "2026-03-09"),
        ("EP-1", 6, "2026-03-07"),
    ]
    # Asked again the same day with the same rule: the same records, not new ones.
    again, _ = service.forecast_epics(
        session=session,
        actor=None,
        team_id=team.id,
        epic_keys=["EP-2", "EP-1"],
        allocation=Allocation.EVEN,
        now=made,
        window_days=28,
    )
    assert [row.id for row, _ in again] == [row.id for row, _ in even]
    assert len(service.list_forecasts(session=session, actor=None, team_id=team.id)) == 4
    with pytest.raises(ValidationFailedError) as info:
        service.forecast_epics(session=session, actor=None, team_id=team.id, epic_keys=["EP-9"], now=made)
    assert info.value.fields == {"epics": "Choose epics of this team."}
