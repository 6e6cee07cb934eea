"""Storing deployments, changes and incidents, and linking them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.analytics.dora import Band
from deliveryops.connectors.base import ChangeRecord, DeploymentRecord, IncidentRecord
from deliveryops.dora import service
from deliveryops.dora.csv_formats import CsvFormatError, import_csv
from deliveryops.dora.ingest import import_deployments, import_incidents, relink_changes
from deliveryops.dora.models import Deployment, DeploymentChange, Incident
from deliveryops.errors import ValidationFailedError
from deliveryops.teams.models import Team
from deliveryops.work.importing import import_changes
from deliveryops.work.models import Change
from tests.factories import make_team

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def load_examples(session: Session, team: Team) -> None:
    """The hand-worked scenario (tests/dora/scenario.py) through the documented example files."""
    for kind in ("changes", "deployments", "incidents"):
        import_csv(
            session, team=team, kind=kind, content=(EXAMPLES / f"dora-{kind}.csv").read_bytes(), file_name=f"dora-{kind}.csv"
        )


def deployment(
    external_id: str,
    minutes: int,
    *,
    result: str = "success",
    environment: str = "production",
    shas: tuple[str, ...] = (),
    finished: bool = True,
    repository: str = "shop",
) -> DeploymentRecord:
    started = T0 + timedelta(minutes=minutes)
    return DeploymentRecord(
        source="test",
        external_id=external_id,
        repository=repository,
        environment=environment,
        result=result,
        started_at=started,
        finished_at=started + timedelta(minutes=10) if finished else None,
        commit_sha=shas[0] if shas else None,
        commit_shas=shas,
    )


def change(number: int, merged_minutes: int, sha: str) -> ChangeRecord:
    merged = T0 + timedelta(minutes=merged_minutes)
    return ChangeRecord(
        source="test",
        repository="shop",
        number=number,
        title=f"PR {number}",
        author="ann",
        opened_at=merged - timedelta(hours=2),
        first_commit_at=merged - timedelta(hours=3),
        first_review_at=merged - timedelta(hours=1),
        merged_at=merged,
        closed_at=merged,
        merge_commit_sha=sha,
        base_branch="main",
    )


def links(session: Session) -> dict[str, list[int]]:
    rows = session.execute(
        select(Deployment.external_id, Change.number)
        .join(DeploymentChange, DeploymentChange.deployment_id == Deployment.id)
        .join(Change, Change.id == DeploymentChange.change_id)
        .order_by(Deployment.external_id, Change.number)
    ).all()
    found: dict[str, list[int]] = {}
    for external_id, number in rows:
        found.setdefault(external_id, []).append(number)
    return found


def test_the_example_files_give_the_hand_worked_keys(session: Session) -> None:
    team = make_team(session)
    load_examples(session, team)
    keys = service.team_keys(session, team_id=team.id, start=date(2026, 3, 2), end=date(2026, 3, 15))
    # The same values as tests/analytics/test_dora.py::test_the_four_keys_of_the_scenario, worked by hand there.
    assert (keys.deployments, keys.changes, keys.incidents, keys.failed_deployments) == (7, 8, 4, 3)
    assert keys.deployment_days_per_week == 3.0
    assert keys.lead_time_hours == pytest.approx(1405 / 60)
    assert keys.change_failure_rate == pytest.approx(3 / 7)
    assert keys.recovery_hours == 8.0
    assert (keys.deployment_frequency_band, keys.lead_time_band, keys.change_failure_rate_band, keys.recovery_band) == (
        Band.HIGH,
        Band.ELITE,
        Band.LOW,
        Band.HIGH,
    )
    # d5 names its commits (a2); the others are matched by merge time. d3 failed and staging ships no change here.
    assert links(session) == {
        "d1": [1],
        "d10": [7, 8],
        "d2": [1],
        "d4": [3],
        "d5": [2],
        "d6": [2, 3, 4, 5, 6],
        "d7": [4],
        "d8": [5, 6],
    }
    incident = session.scalars(select(Incident).where(Incident.external_id == "INC-3")).one()
    assert incident.deployment_id == session.scalars(select(Deployment.id).where(Deployment.external_id == "d7")).one()


def test_reimporting_the_same_files_writes_nothing(session: Session) -> None:
    team = make_team(session)
    load_examples(session, team)
    again = [
        import_csv(session, team=team, kind=kind, content=(EXAMPLES / f"dora-{kind}.csv").read_bytes())
        for kind in ("deployments", "incidents")
    ]
    assert [(outcome.written, outcome.unchanged) for outcome in again] == [(0, 10), (0, 4)]
    assert session.query(Deployment).count() == 10


def test_commit_lists_decide_which_changes_a_deployment_shipped(session: Session) -> None:
    team = make_team(session)
    import_changes(session=session, team=team, changes=[change(1, 0, "aaa"), change(2, 5, "bbb"), change(3, 50, "ccc")])
    # d1 (started at +60 min) names only aaa and ccc, though bbb was merged before it too.
    import_deployments(session, team=team, deployments=[deployment("d1", 60, shas=("aaa", "ccc"))])
    assert links(session) == {"d1": [1, 3]}


def test_changes_imported_after_their_deployment_are_linked_by_relinking(session: Session) -> None:
    team = make_team(session)
    import_deployments(session, team=team, deployments=[deployment("d1", 0), deployment("d2", 120)])
    assert links(session) == {}
    import_changes(session=session, team=team, changes=[change(1, -30, "a"), change(2, 60, "b"), change(3, 200, "c")])
    relink_changes(session, team=team)
    # PR 1 (merged before d1) -> d1; PR 2 (between) -> d2; PR 3 (after the last deployment) waits.
    assert links(session) == {"d1": [1], "d2": [2]}


def test_a_deployment_arriving_out_of_order_moves_the_later_windows(session: Session) -> None:
    team = make_team(session)
    import_changes(session=session, team=team, changes=[change(1, 10, "a"), change(2, 70, "b")])
    import_deployments(session, team=team, deployments=[deployment("d3", 120)])
    assert links(session) == {"d3": [1, 2]}
    import_deployments(session, team=team, deployments=[deployment("d2", 60)])
    assert links(session) == {"d2": [1], "d3": [2]}


def test_an_older_state_never_overwrites_a_newer_one(session: Session) -> None:
    team = make_team(session)
    assert import_deployments(session, team=team, deployments=[deployment("d1", 0, result="success")]).written == 1
    # A late "in progress" delivery of the same deployment is older: ignored.
    late = import_deployments(session, team=team, deployments=[deployment("d1", 0, result="in_progress", finished=False)])
    assert (late.written, late.older, late.unchanged) == (0, 1, 0)
    assert session.scalars(select(Deployment.result)).one() == "success"


def test_an_incident_naming_a_deployment_that_arrives_later_is_linked_then(session: Session) -> None:
    team = make_team(session)
    import_incidents(
        session,
        team=team,
        incidents=[
            IncidentRecord(
                source="test",
                external_id="i1",
                title="Down",
                created_at=T0 + timedelta(hours=1),
                resolved_at=None,
                deployment_external_id="d1",
            )
        ],
    )
    assert session.scalars(select(Incident.deployment_id)).one() is None
    import_deployments(session, team=team, deployments=[deployment("d1", 0)])
    assert session.scalars(select(Incident.deployment_id)).one() == session.scalars(select(Deployment.id)).one()


def test_bad_records_are_refused_with_the_field(session: Session) -> None:
    team = make_team(session)
    with pytest.raises(ValidationFailedError) as info:
        import_deployments(session, team=team, deployments=[deployment("d1", 0, result="exploded")])
    assert info.value.fields == {"result": "Use one of: success, failure, error, cancelled, in_progress."}
    with pytest.raises(ValidationFailedError) as resolved:
        import_incidents(
            session,
            team=team,
            incidents=[
                IncidentRecord(source="t", external_id="i", title="x", created_at=T0, resolved_at=T0 - timedelta(minutes=1))
            ],
        )
    assert resolved.value.message == "Incident 'i' is resolved before it was created."


def test_a_bad_csv_imports_nothing_and_names_line_and_column(session: Session) -> None:
    team = make_team(session)
    content = (
        "id,repository,environment,result,started_at,finished_at\n"
        "d1,shop,production,success,2026-03-02T10:00:00Z,2026-03-02T10:20:00Z\n"
        "d2,shop,production,exploded,2026-03-02T11:00:00Z,2026-03-02T11:20:00Z\n"
        "d3,shop,production,success,yesterday,2026-03-02T12:20:00Z\n"
        "d1,shop,production,success,2026-03-02T13:00:00Z,2026-03-02T12:00:00Z\n"
    )
    with pytest.raises(CsvFormatError) as info:
        import_csv(session, team=team, kind="deployments", content=content, file_name="deploys.csv")
    assert info.value.problems == [
        "line 5, column id: repeats the record of line 2",
        "line 3, column result: 'exploded' is not one of success, failure, error, cancelled, in_progress",
        "line 4, column started_at: 'yesterday' is not a date and time like 2026-03-02T10:20:00Z",
        "line 5, column finished_at: is before started_at",
    ]
    assert info.value.message.startswith("deploys.csv: nothing was imported: line 5, column id: repeats")
    assert session.query(Deployment).count() == 0


@pytest.mark.parametrize(
    ("kind", "content", "problem"),
    [
        (
            "incidents",
            "id,title\nINC-1,Down\n",
            "line 1: missing column(s) created_at; a incidents file needs id, title, created_at "
            "(optional: resolved_at, severity, repository, deployment_id, url)",
        ),
        ("changes", "", "line 1: the file is empty; the first line must name the columns"),
        (
            "changes",
            "repository,number,author,opened_at\nshop,x,ann,2026-03-01T10:00:00Z\n",
            "line 2, column number: 'x' is not a positive whole number",
        ),
        (
            "incidents",
            "id,title,created_at,resolved_at\nI,Down,2026-03-02T10:00:00Z,2026-03-02T09:00:00Z\n",
            "line 2, column resolved_at: is before created_at",
        ),
        (
            "deployments",
            "id,repository,environment,result,started_at\nd,shop,production,success,2026-03-02T10:00:00Z\n",
            "line 2, column finished_at: is required for a success deployment",
        ),
        ("incidents", "id,title,created_at\nI\x00,Down,2026-03-02T10:00:00Z\n", "line 2, column id: contains a NUL character"),
        ("incidents", "id,title,created_at\n", "line 2: the file has a header but no records"),
    ],
)
def test_csv_problems(session: Session, kind: str, content: str, problem: str) -> None:
    team = make_team(session)
    with pytest.raises(CsvFormatError) as info:
        import_csv(session, team=team, kind=kind, content=content)
    assert info.value.problems == [problem]


def test_times_without_an_offset_are_read_in_the_team_zone(session: Session) -> None:
    team = make_team(session, time_zone="Europe/Berlin")
    import_csv(
        session,
        team=team,
        kind="deployments",
        content=(
            "id,repository,environment,result,started_at,finished_at\n"
            "d1,shop,production,success,2026-03-02 10:00,2026-03-02 10:20\n"
        ),
    )
    assert session.scalars(select(Deployment.started_at)).one() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
