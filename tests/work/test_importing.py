"""Importing files into the database: all-or-nothing, idempotent, updates in place (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.teams.models import TeamRole
from deliveryops.work import workflow
from deliveryops.work.models import BlockedInterval, ImportRun, StatusTransition, WorkItem
from deliveryops.work.records import StageCategory
from deliveryops.work.service import ImportRejectedError, import_file, item_count, preview_file
from tests.factories import join, make_team, make_user

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def transitions_of(session: Session, key: str) -> list[tuple[str, datetime]]:
    item_id = session.scalar(select(WorkItem.id).where(WorkItem.external_key == key))
    return [
        (row.to_status, row.at)
        for row in session.scalars(
            select(StatusTransition).where(StatusTransition.item_id == item_id).order_by(StatusTransition.at)
        )
    ]


def test_full_history_with_workflow_and_blocked_periods(session: Session) -> None:
    team = make_team(session, time_zone="Europe/Berlin")
    summary = import_file(
        session=session,
        actor=None,
        team=team,
        data=example("full-history.csv"),
        file_name="full-history.csv",
        blocked=example("blocked-periods.csv"),
        workflow_file=example("workflow.csv"),
    )
    assert (summary.created, summary.updated, summary.unchanged) == (6, 0, 0)
    assert summary.transitions == 20
    assert summary.blocked_intervals == 3
    assert summary.unmapped_statuses == []
    assert transitions_of(session, "OPS-201") == [
        ("Backlog", datetime(2026, 3, 2, 8, 15, tzinfo=UTC)),
        ("Development", datetime(2026, 3, 4, 9, 0, tzinfo=UTC)),
        ("Done", datetime(2026, 3, 10, 15, 30, tzinfo=UTC)),
    ]
    # 02:30 on 29 March does not exist in Berlin (clocks jump from 02:00 to 03:00): read as 03:30 CEST.
    assert transitions_of(session, "OPS-204")[-1] == ("Development", datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert [(s.name, s.category) for s in workflow.statuses_of(session, team)] == [
        ("Backlog", StageCategory.BACKLOG),
        ("Analysis", StageCategory.ACTIVE),
        ("Development", StageCategory.ACTIVE),
        ("Review", StageCategory.WAITING),
        ("Done", StageCategory.DONE),
        ("Discarded", StageCategory.DISCARDED),
    ]
    open_block = session.scalar(select(BlockedInterval).where(BlockedInterval.end.is_(None)))
    assert open_block is not None
    assert open_block.reason == "Needs a decision from product"
    assert item_count(session=session, team=team) == (6, 20)
    assert team.data_version >= 1


def test_reimport_changes_nothing(session: Session) -> None:
    team = make_team(session)
    import_file(session=session, actor=None, team=team, data=example("full-history.csv"))
    again = import_file(session=session, actor=None, team=team, data=example("full-history.csv"))
    assert (again.created, again.updated, again.unchanged, again.transitions) == (0, 0, 6, 0)
    assert (
        session.scalar(select(func.count()).select_from(StatusTransition).join(WorkItem).where(WorkItem.team_id == team.id)) == 20
    )
    assert session.scalar(select(func.count()).select_from(ImportRun).where(ImportRun.team_id == team.id)) == 2


def test_newer_export_updates_items_in_place(session: Session) -> None:
    team = make_team(session)
    import_file(session=session, actor=None, team=team, data=example("full-history.csv"))
    first_id = session.scalar(select(WorkItem.id).where(WorkItem.external_key == "OPS-205"))
    newer = example("full-history.csv") + b"OPS-205,,,,Done,2026-04-02T10:00:00Z,,\n"
    summary = import_file(session=session, actor=None, team=team, data=newer)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 5)
    item = session.scalar(select(WorkItem).where(WorkItem.external_key == "OPS-205"))
    assert item is not None
    assert item.id == first_id
    assert item.current_status == "Done"
    assert [status for status, _at in transitions_of(session, "OPS-205")] == ["Backlog", "Development", "Done"]


def test_bad_file_imports_nothing(session: Session) -> None:
    team = make_team(session)
    bad = example("full-history.csv").replace(b"2026-03-10 16:30", b"yesterday")
    with pytest.raises(ImportRejectedError) as info:
        import_file(session=session, actor=None, team=team, data=bad)
    assert info.value.problems[0].line == 4
    assert info.value.problems[0].column == "entered_at"
    assert 'got "yesterday"' in info.value.message
    assert session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.team_id == team.id)) == 0
    assert workflow.statuses_of(session, team) == []


def test_unmapped_statuses_are_listed_not_dropped(session: Session) -> None:
    team = make_team(session)
    summary = import_file(session=session, actor=None, team=team, data=example("full-history.csv"))
    assert summary.new_statuses == ["Backlog", "Development", "Done", "Review", "Discarded"]
    assert summary.unmapped_statuses == ["Backlog", "Development", "Done", "Review", "Discarded"]
    assert workflow.mapping(session, team) == {}


def test_stage_dates_propose_workflow_and_preview(session: Session) -> None:
    team = make_team(session, time_zone="Europe/Berlin")
    preview = preview_file(session=session, actor=None, team=team, data=example("stage-dates.csv"))
    assert preview.parsed.format.value == "stage-dates"
    assert preview.new_statuses == []  # the stage columns become the proposed workflow
    assert preview.existing_items == len(preview.parsed.items)
    assert preview.sample[0]["key"] == "OPS-101"
    assert session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.team_id == team.id)) == 0
    import_file(session=session, actor=None, team=team, data=example("stage-dates.csv"))
    assert [s.name for s in workflow.statuses_of(session, team)][:5] == ["Backlog", "Analysis", "Development", "Review", "Done"]
    assert workflow.mapping(session, team)["Done"][0] is StageCategory.DONE


def test_jira_export_is_marked_estimated(session: Session) -> None:
    team = make_team(session)
    summary = import_file(session=session, actor=None, team=team, data=example("jira-export.csv"))
    assert "No history: cycle times are estimated from Created and Resolved." in summary.notes
    assert (
        session.scalar(
            select(func.count())
            .select_from(WorkItem)
            .where(WorkItem.team_id == team.id, WorkItem.history_is_estimated.is_(False))
        )
        == 0
    )


def test_only_managers_import(session: Session) -> None:
    team = make_team(session)
    member, dm = make_user(session), make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team, member)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    with pytest.raises(PermissionDeniedError) as info:
        import_file(session=session, actor=member, team=team, data=example("full-history.csv"))
    assert info.value.message == "Only an admin or the team's delivery manager can import work items."
    assert import_file(session=session, actor=dm, team=team, data=example("full-history.csv")).created == 6


def test_save_workflow_rules(session: Session) -> None:
    team = make_team(session)
    admin = make_user(session, role=Role.ADMIN)
    import_file(session=session, actor=None, team=team, data=example("full-history.csv"))
    order = [
        ("Backlog", StageCategory.BACKLOG),
        ("Development", StageCategory.ACTIVE),
        ("Review", StageCategory.WAITING),
        ("Done", StageCategory.DONE),
        ("Discarded", StageCategory.DISCARDED),
    ]
    saved = workflow.save_workflow(session=session, actor=admin, team_id=team.id, statuses=order)
    assert [(s.name, s.category, s.position) for s in saved] == [
        (name, category, index) for index, (name, category) in enumerate(order)
    ]
    with pytest.raises(ValidationFailedError) as dropped:
        workflow.save_workflow(session=session, actor=admin, team_id=team.id, statuses=order[:-1])
    assert dropped.value.message == (
        "Status 'Discarded' appears in the team's work-item history, so it must stay in the workflow "
        "(leave it unmapped if it does not matter)."
    )
    no_done = [(name, StageCategory.ACTIVE if category is StageCategory.DONE else category) for name, category in order]
    with pytest.raises(ValidationFailedError, match="Map at least one status to Done"):
        workflow.save_workflow(session=session, actor=admin, team_id=team.id, statuses=no_done)
    member = make_user(session)
    join(session, team, member)
    with pytest.raises(PermissionDeniedError):
        workflow.save_workflow(session=session, actor=member, team_id=team.id, statuses=order)
