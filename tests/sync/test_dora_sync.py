"""End to end: a sync of the fake GitHub (over real HTTP) stores deployments, the pull requests each one
shipped and incidents (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.connectors.github_history import parse_time as utc
from deliveryops.dora.models import Deployment, DeploymentChange, Incident
from deliveryops.sync import service
from deliveryops.sync.engine import run_sync
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.sync.schemas import SyncRunRead
from deliveryops.work.models import Change
from tests.connectors.fake_github import (
    REPO,
    TOKEN,
    FakeGitHub,
    Repo,
    commit,
    deployment,
    deployment_status,
    issue,
    sample_repo,
)
from tests.factories import make_team

APP_KEY = "d" * 48
PR_41, PR_51, PR_53 = (
    "faef79b7d8a4876da8a215d7794cce20c710aaa2",
    "d6cd5a7e726c9bb8578e7aabdbf3488dc8d080b6",
    "f0e23928f4388661a8e0f6f5ff93f8f9514a1762",
)
BASE, TAIL = "b" * 40, "e" * 40


def deploying_repo() -> Repo:
    """panjf2000/ants as recorded, with a linear history through the merge commits of pulls 41, 51 and 53,
    three production deployments and an incident issue."""
    repo = sample_repo()
    repo.history = [commit(sha) for sha in (BASE, PR_41, PR_51, PR_53, TAIL)]
    for deployment_id, sha, created, state, finished in (
        (1, BASE, "2019-08-01T10:00:00Z", "success", "2019-08-01T10:04:00Z"),
        (2, PR_53, "2019-10-10T10:00:00Z", "success", "2019-10-10T10:06:00Z"),
        (3, TAIL, "2019-10-12T10:00:00Z", "failure", "2019-10-12T10:02:00Z"),
    ):
        repo.deployments.append(deployment(deployment_id, sha=sha, created=created))
        repo.statuses[deployment_id] = [deployment_status(100 + deployment_id, deployment_id, state=state, at=finished)]
    repo.issues.append(
        issue(
            300,
            created="2019-10-11T08:00:00Z",
            state="closed",
            closed="2019-10-11T12:00:00Z",
            labels=("incident", "severity: critical"),
            title="Pool leaks goroutines",
        )
    )
    repo.events[300] = []
    return repo


def _connection(session: Session, url: str) -> Connection:
    team = make_team(session)
    connection = service.create(
        session=session,
        actor=None,
        name=f"GitHub DORA {team.name}",
        kind="github",
        team_id=team.id,
        secret=TOKEN,
        app_key=APP_KEY,
        settings={
            "base_url": url,
            "repositories": [REPO],
            "incident_label": "incident",
            "deployments": [{"repository": REPO, "source": "deployments"}],
        },
    )
    session.commit()
    return connection


def test_sync_stores_deployments_linked_to_the_pull_requests_they_shipped_and_incidents(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    fake = FakeGitHub(repos={REPO: deploying_repo()})
    with fake.serve() as server:
        connection = _connection(session, server.url)
        first = run_sync(session_factory, connection.id, app_key=APP_KEY, sleep=lambda _s: None)
        second = run_sync(session_factory, connection.id, app_key=APP_KEY, sleep=lambda _s: None)

    runs = {run.id: run for run in session.scalars(select(SyncRun))}
    assert (runs[first].status, runs[first].message) == ("succeeded", "3 deployments and 1 incident imported.")
    assert (runs[second].status, runs[second].message) == ("succeeded", None)  # nothing new since the watermark
    assert (runs[first].deployments, runs[first].incidents) == (3, 1)
    assert (runs[second].deployments, runs[second].incidents) == (0, 0)
    read = SyncRunRead.model_validate(runs[first]).model_dump()
    assert (read["deployments"], read["incidents"]) == (3, 1)

    deployments = {
        row.external_id: row for row in session.scalars(select(Deployment).where(Deployment.team_id == connection.team_id))
    }
    assert {key: (row.result, row.commit_sha, list(row.commit_shas)) for key, row in deployments.items()} == {
        "deployment:1": ("success", BASE, []),
        "deployment:2": ("success", PR_53, [PR_53, PR_51, PR_41]),
        "deployment:3": ("failure", TAIL, [TAIL]),
    }
    links = session.execute(
        select(Deployment.external_id, Change.number, DeploymentChange.matched_by)
        .join(DeploymentChange, DeploymentChange.deployment_id == Deployment.id)
        .join(Change, Change.id == DeploymentChange.change_id)
        .where(Deployment.team_id == connection.team_id)
        .order_by(Deployment.external_id, Change.number)
    ).all()
    assert [tuple(link) for link in links] == [
        # The first known deployment has no predecessor: what was merged before it, by merge time.
        ("deployment:1", 4, "merge_time"),
        ("deployment:1", 23, "merge_time"),
        # The next one: exactly the merge commits the compare API listed.
        ("deployment:2", 41, "commits"),
        ("deployment:2", 51, "commits"),
        ("deployment:2", 53, "commits"),
    ]

    incident = session.scalars(select(Incident).where(Incident.team_id == connection.team_id)).one()
    assert (incident.source, incident.external_id, incident.title, incident.severity, incident.repository) == (
        "github",
        f"{REPO}#300",
        "Pool leaks goroutines",
        "critical",
        REPO,
    )
    assert (incident.created_at, incident.resolved_at) == (utc("2019-10-11T08:00:00Z"), utc("2019-10-11T12:00:00Z"))
    assert session.scalar(select(func.count()).select_from(Change).where(Change.team_id == connection.team_id)) == 8
