"""End to end: syncs of the fake GitLab, Azure DevOps and Linear (over real HTTP) store work items with their
histories, the proposed workflow, changes, deployments linked to what they shipped and incidents; a full sync
removes what the source deleted; an incremental sync asks for what changed since the watermark less the overlap
(SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.connectors.gitlab_mapping import parse_time as utc
from deliveryops.dora.models import Deployment, DeploymentChange, Incident
from deliveryops.sync import service
from deliveryops.sync.engine import OVERLAP, SyncProgress, run_sync
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.work.models import Change, StatusTransition, WorkflowStatus, WorkItem
from tests.connectors import fake_azure_devops, fake_gitlab, fake_linear
from tests.connectors.test_azure_devops_connector import SETTINGS as AZURE_SETTINGS
from tests.connectors.test_azure_devops_connector import sample_organization
from tests.connectors.test_gitlab_connector import MERGE_10, SQUASH_11, STATUS_LABELS, sample_project
from tests.connectors.test_linear_connector import sample_workspace
from tests.factories import make_team

APP_KEY = "s" * 48


def _connection(session: Session, kind: str, settings: dict[str, Any], secret: str) -> Connection:
    team = make_team(session)
    connection = service.create(
        session=session,
        actor=None,
        name=f"{kind} {team.name}",
        kind=kind,
        team_id=team.id,
        settings=settings,
        secret=secret,
        app_key=APP_KEY,
    )
    session.commit()
    return connection


def _sync(
    session_factory: sessionmaker[Session],
    connection: Connection,
    *,
    full: bool = False,
    progress: list[SyncProgress] | None = None,
) -> int:
    return run_sync(
        session_factory,
        connection.id,
        app_key=APP_KEY,
        full=full,
        sleep=lambda _s: None,
        progress=None
        if progress is None
        else lambda state: progress.append(SyncProgress(pages=state.pages, fetched=state.fetched)),
    )


def _keys(session: Session, team_id: int) -> list[str]:
    return sorted(session.scalars(select(WorkItem.external_key).where(WorkItem.team_id == team_id)))


def test_gitlab_sync_stores_histories_merge_requests_deployments_and_incidents(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    project = sample_project()
    fake = fake_gitlab.FakeGitLab({fake_gitlab.PROJECT: project}, max_per_page=2)
    progress: list[SyncProgress] = []
    with fake.serve() as server:
        connection = _connection(
            session,
            "gitlab",
            {"base_url": server.url, "projects": [fake_gitlab.PROJECT], "status_labels": STATUS_LABELS},
            fake_gitlab.TOKEN,
        )
        first = _sync(session_factory, connection, progress=progress)
        project.issues = [issue for issue in project.issues if issue["iid"] != 2]  # deleted in GitLab
        incremental = _sync(session_factory, connection)
        full = _sync(session_factory, connection, full=True)

    team_id = connection.team_id
    runs = {run.id: run for run in session.scalars(select(SyncRun))}
    assert (runs[first].status, runs[first].created, runs[first].changes, runs[first].message) == (
        "succeeded",
        5,
        4,
        "3 deployments and 1 incident imported.",
    )
    assert [(state.pages, state.fetched) for state in progress] == [(1, 2), (2, 4), (3, 5), (4, 5), (5, 5), (6, 5), (7, 5)]
    assert (runs[incremental].deleted, runs[full].deleted) == (0, 1)  # only a full sync finds deletions
    assert _keys(session, team_id) == [f"{fake_gitlab.PROJECT}#{n}" for n in (1, 3, 4, 5)]
    # The incremental sync asked for what changed since the watermark, less the overlap.
    watermark = utc("2024-03-09T09:15:00Z")
    later = [r for r in server.requests if r.path.endswith("/issues") and r.param("updated_after")]
    assert {r.param("updated_after") for r in later} == {(watermark - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")}

    assert [
        (s.name, str(s.category))
        for s in session.scalars(
            select(WorkflowStatus).where(WorkflowStatus.team_id == team_id).order_by(WorkflowStatus.position)
        )
    ] == [
        ("Open", "backlog"),
        (STATUS_LABELS[0], "active"),
        (STATUS_LABELS[1], "active"),
        (STATUS_LABELS[2], "active"),
        ("Closed", "done"),
    ]
    item = session.scalars(
        select(WorkItem).where(WorkItem.team_id == team_id, WorkItem.external_key == f"{fake_gitlab.PROJECT}#1")
    ).one()
    assert [
        (t.from_status, t.to_status)
        for t in session.scalars(
            select(StatusTransition).where(StatusTransition.item_id == item.id).order_by(StatusTransition.at)
        )
    ] == [
        (None, STATUS_LABELS[0]),
        (STATUS_LABELS[0], STATUS_LABELS[1]),
        (STATUS_LABELS[1], STATUS_LABELS[2]),
        (STATUS_LABELS[2], "Closed"),
    ]
    links = session.execute(
        select(Deployment.external_id, Change.number, DeploymentChange.matched_by)
        .join(DeploymentChange, DeploymentChange.deployment_id == Deployment.id)
        .join(Change, Change.id == DeploymentChange.change_id)
        .where(Deployment.team_id == team_id)
        .order_by(Change.number)
    ).all()
    # GitLab said deployment 41 shipped merge requests 10 and 11: linked by their merge (and squash) commits.
    assert [tuple(link) for link in links] == [("deployment:41", 10, "commits"), ("deployment:41", 11, "commits")]
    assert session.scalars(select(Deployment.commit_shas).where(Deployment.external_id == "deployment:41")).one() == [
        SQUASH_11,
        MERGE_10,
    ]
    assert session.scalars(select(Incident.external_id).where(Incident.team_id == team_id)).all() == [f"{fake_gitlab.PROJECT}#4"]


def test_azure_devops_sync_stores_work_items_pull_requests_and_deployments(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    fake = sample_organization()
    with fake.serve() as (organization, releases):
        connection = _connection(
            session,
            "azure-devops",
            {
                **AZURE_SETTINGS,
                "base_url": f"{organization.url}/fabrikam",
                "project": fake_azure_devops.PROJECT,
                "release_url": f"{releases.url}/fabrikam",
            },
            fake_azure_devops.PAT,
        )
        first = _sync(session_factory, connection)
        del fake.work_items[11]  # deleted (to the recycle bin) in Azure Boards
        full = _sync(session_factory, connection, full=True)

    team_id = connection.team_id
    runs = {run.id: run for run in session.scalars(select(SyncRun))}
    assert (runs[first].status, runs[first].created, runs[first].changes, runs[first].message) == (
        "succeeded",
        5,
        3,
        "6 deployments and 1 incident imported.",
    )
    assert runs[full].deleted == 1
    assert _keys(session, team_id) == ["Fabrikam#1", "Fabrikam#10", "Fabrikam#13", "Fabrikam#14"]
    assert [
        s.name
        for s in session.scalars(
            select(WorkflowStatus).where(WorkflowStatus.team_id == team_id).order_by(WorkflowStatus.position)
        )
    ] == ["New", "Active", "CustomState", "Resolved", "Mitigated", "Closed", "Removed"]
    change = session.scalars(select(Change).where(Change.team_id == team_id, Change.number == 101)).one()
    assert (change.repository, change.merge_commit_sha, change.first_review_at) == (
        "Fabrikam/shop-web",
        "1e924c570d532d92c12e955b9f8948935f54944e",
        utc("2024-03-02T11:00:00Z"),
    )
    # Pipeline runs carry no commit list: the pull request merged before the first successful one is matched by time.
    links = session.execute(
        select(Deployment.external_id, Change.number, DeploymentChange.matched_by)
        .join(DeploymentChange, DeploymentChange.deployment_id == Deployment.id)
        .join(Change, Change.id == DeploymentChange.change_id)
        .where(Deployment.team_id == team_id)
    ).all()
    assert [tuple(link) for link in links] == [("build:501:Deploy_to_production", 101, "merge_time")]


def test_linear_sync_stores_issues_and_projects_and_removes_trashed_and_deleted_issues(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    fake = sample_workspace()
    trashed = next(issue for issue in fake.issues if issue["identifier"] == "ENG-5")
    trashed["trashed"] = False
    with fake.serve() as server:
        connection = _connection(session, "linear", {"base_url": server.url, "teams": ["ENG"]}, fake_linear.API_KEY)
        first = _sync(session_factory, connection)
        trashed.update(trashed=True, updatedAt="2024-03-12T08:00:00.000Z")  # moved to the trash
        incremental = _sync(session_factory, connection)
        fake.issues = [issue for issue in fake.issues if issue["identifier"] != "ENG-3"]  # deleted for good
        full = _sync(session_factory, connection, full=True)

    team_id = connection.team_id
    runs = {run.id: run for run in session.scalars(select(SyncRun))}
    assert (runs[first].created, runs[incremental].deleted, runs[full].deleted) == (9, 1, 1)
    assert _keys(session, team_id) == [
        "ENG-1",
        "ENG-2",
        "ENG-4",
        "ENG-6",
        "ENG-7",
        "project:checkout-9a8b",
        "project:mobile-1c2d",
    ]
    epic = session.scalars(
        select(WorkItem).where(WorkItem.external_key == "project:checkout-9a8b", WorkItem.team_id == team_id)
    ).one()
    children = session.scalars(
        select(WorkItem.external_key).where(WorkItem.parent_key == epic.external_key, WorkItem.team_id == team_id)
    ).all()
    assert (epic.item_type, epic.current_status, children) == ("Epic", "Done", ["ENG-1"])
    assert session.scalars(
        select(WorkItem.labels).where(WorkItem.external_key == "ENG-1", WorkItem.team_id == team_id)
    ).one() == ["Frontend", "Cycle 12"]
    statuses = session.scalars(
        select(WorkflowStatus.name).where(WorkflowStatus.team_id == team_id).order_by(WorkflowStatus.position)
    ).all()
    assert statuses[:3] == ["Triage", "Backlog", "Todo"]
    assert session.scalar(select(Connection.watermark).where(Connection.id == connection.id)) == utc(
        "2024-03-12T08:00:00Z"
    )  # the trashed issue's update, the latest seen
