"""A sync killed at random points ends, after a rerun, with exactly the content of an uninterrupted sync.

The sync runs in a child process against a fake source on 127.0.0.1 (Jira, GitLab, Azure DevOps,
Linear); the fake holds request K until the test has killed the child with SIGKILL (no clean-up of
any kind runs). Then the next run resumes, is killed again at another point, and a last run completes.
The database (work items and their histories, pull requests, deployments, incidents and their links)
is then compared, table by table, with a database filled by one uninterrupted sync. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.dora.models import Deployment, DeploymentChange, Incident
from deliveryops.migrate import upgrade
from deliveryops.sync import service
from deliveryops.sync.engine import run_sync
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.teams.service import create_team
from deliveryops.work.models import BlockedInterval, Change, ItemLink, StatusTransition, WorkflowStatus, WorkItem
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_problem, need_or_skip
from tests.connectors import fake_azure_devops, fake_gitlab, fake_linear
from tests.connectors.fake_jira import EMAIL, TOKEN, FakeJira, synthetic_issues
from tests.connectors.fakeserver import FakeServer, Reply, Request

APP_KEY = "resume" * 8
CHILD = """
import sys
from deliveryops.db import make_engine, make_session_factory
from deliveryops.sync.engine import run_sync
engine = make_engine(sys.argv[1])
run_sync(make_session_factory(engine), int(sys.argv[2]), app_key=sys.argv[3], sleep=lambda _s: None)
"""


class Killable:
    """Wraps a fake's handler: counts requests and holds request ``hold_at`` until the test has killed the client."""

    def __init__(self, handle: Callable[[Request], Reply]) -> None:
        self.inner = handle
        self.received = 0
        self.hold_at: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()
        self.hold_seconds = 30.0  # the longest a request is held (a test that kills the client releases it sooner)

    def handle(self, request: Request) -> Reply:
        self.received += 1
        if self.received == self.hold_at:
            self.held.set()
            self.release.wait(self.hold_seconds)
        return self.inner(request)


@dataclass
class Source:
    """A fake source to sync: its connector kind, token and settings (given the servers' base URLs)."""

    kind: str
    secret: str
    fake: Any
    settings: Callable[[list[FakeServer]], dict[str, Any]]
    items: int  # work items an uninterrupted sync stores
    changes: int = 0  # pull or merge requests
    deployments: int = 0

    @contextmanager
    def serve(self) -> Iterator[tuple[Killable, dict[str, Any]]]:
        """Serve the fake (every host of it) through one :class:`Killable`; yield it and the connection settings."""
        killable = Killable(self.fake.handle)
        self.fake.handle = killable.handle  # the fake's serve() uses the instance's handler
        with ExitStack() as stack:
            served = stack.enter_context(self.fake.serve())
            servers = list(served) if isinstance(served, tuple) else [served]
            yield killable, self.settings(servers)


def source(kind: str) -> Source:
    if kind == "jira-cloud":
        jira = FakeJira(synthetic_issues(240, seed=5), page_size=20)
        jira.precompute()
        return Source(kind, TOKEN, jira, lambda servers: {"base_url": servers[0].url, "email": EMAIL, "projects": ["OPS"]}, 240)
    if kind == "gitlab":
        gitlab = fake_gitlab.FakeGitLab({fake_gitlab.PROJECT: fake_gitlab.synthetic_project()}, max_per_page=10)
        return Source(
            kind,
            fake_gitlab.TOKEN,
            gitlab,
            lambda servers: {
                "base_url": servers[0].url,
                "projects": [fake_gitlab.PROJECT],
                "status_labels": ["workflow::to do", "workflow::doing", "workflow::review"],
            },
            60,
            changes=20,
            deployments=12,
        )
    if kind == "azure-devops":
        azure = fake_azure_devops.synthetic_organization(items=210)
        return Source(
            kind,
            fake_azure_devops.PAT,
            azure,
            lambda servers: {
                "base_url": f"{servers[0].url}/{fake_azure_devops.ORGANIZATION}",
                "project": fake_azure_devops.PROJECT,
                "release_url": f"{servers[1].url}/{fake_azure_devops.ORGANIZATION}",
                "area_paths": ["Fabrikam\\Payments"],
                "repositories": ["shop-web"],
                "deployments": [{"kind": "pipeline", "definition": "Shop CI"}],
            },
            210,
            changes=30,
            deployments=12,
        )
    linear = fake_linear.synthetic_workspace(issues=40)
    return Source(kind, fake_linear.API_KEY, linear, lambda servers: {"base_url": servers[0].url, "teams": ["ENG"]}, 44)


@contextmanager
def fresh_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A new, migrated database that this test alone uses (committed data crosses processes)."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}"
    else:
        need_or_skip(_postgres_problem())
        name = f"deliveryops_resume_{uuid.uuid4().hex[:10]}"
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if kind != "sqlite":
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def add_connection(url: str, kind: str, settings: dict[str, Any], secret: str) -> int:
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        team = create_team(session=session, actor=None, name="Operations", time_zone="Europe/Berlin")
        connection = service.create(
            session=session,
            actor=None,
            name=f"{kind} connection",
            kind=kind,
            team_id=team.id,
            settings=settings,
            secret=secret,
            app_key=APP_KEY,
        )
        connection_id = connection.id
    engine.dispose()
    return connection_id


def content(url: str) -> dict[str, Any]:
    """Everything a sync writes, in a comparable form (no ids, which differ between databases)."""
    engine = make_engine(url)
    with Session(engine) as session:
        keys = dict(session.execute(select(WorkItem.id, WorkItem.external_key)).all())
        dump = {
            "items": sorted(
                tuple(map(str, row))
                for row in session.execute(
                    select(
                        WorkItem.source,
                        WorkItem.external_key,
                        WorkItem.item_type,
                        WorkItem.title,
                        WorkItem.created_at,
                        WorkItem.current_status,
                        WorkItem.parent_key,
                        WorkItem.estimate,
                        WorkItem.resolution,
                        WorkItem.content_hash,
                    )
                ).all()
            ),
            "transitions": sorted(
                (keys[i], str(f), t, a)
                for i, f, t, a in session.execute(
                    select(
                        StatusTransition.item_id, StatusTransition.from_status, StatusTransition.to_status, StatusTransition.at
                    )
                ).all()
            ),
            "blocked": sorted(
                (keys[i], s, str(e), r, o)
                for i, s, e, r, o in session.execute(
                    select(
                        BlockedInterval.item_id,
                        BlockedInterval.start,
                        BlockedInterval.end,
                        BlockedInterval.reason,
                        BlockedInterval.origin,
                    )
                ).all()
            ),
            "links": sorted(
                (keys[i], k, o) for i, k, o in session.execute(select(ItemLink.item_id, ItemLink.kind, ItemLink.other_key)).all()
            ),
            "workflow": sorted(
                (n, str(c), p)
                for n, c, p in session.execute(
                    select(WorkflowStatus.name, WorkflowStatus.category, WorkflowStatus.position)
                ).all()
            ),
            "changes": sorted(
                tuple(map(str, row))
                for row in session.execute(
                    select(
                        Change.source,
                        Change.repository,
                        Change.number,
                        Change.title,
                        Change.author,
                        Change.opened_at,
                        Change.first_commit_at,
                        Change.first_review_at,
                        Change.merged_at,
                        Change.closed_at,
                        Change.merge_commit_sha,
                    )
                ).all()
            ),
            "deployments": sorted(
                tuple(map(str, row))
                for row in session.execute(
                    select(
                        Deployment.source,
                        Deployment.repository,
                        Deployment.external_id,
                        Deployment.environment,
                        Deployment.result,
                        Deployment.started_at,
                        Deployment.finished_at,
                        Deployment.commit_sha,
                        Deployment.commit_shas,
                    )
                ).all()
            ),
            "shipped": sorted(
                tuple(map(str, row))
                for row in session.execute(
                    select(Deployment.external_id, Change.number, DeploymentChange.matched_by)
                    .join(DeploymentChange, DeploymentChange.deployment_id == Deployment.id)
                    .join(Change, Change.id == DeploymentChange.change_id)
                ).all()
            ),
            "incidents": sorted(
                tuple(map(str, row))
                for row in session.execute(
                    select(Incident.source, Incident.external_id, Incident.created_at, Incident.resolved_at, Incident.severity)
                ).all()
            ),
            "watermark": session.scalar(select(Connection.watermark)),
        }
        runs = list(session.execute(select(SyncRun.status, SyncRun.resumed_from).order_by(SyncRun.id)).all())
    engine.dispose()
    return {"dump": dump, "runs": runs}


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
@pytest.mark.parametrize("kind", ["jira-cloud", "gitlab", "azure-devops", "linear"])
def test_killed_sync_resumes_to_the_same_content(kind: str, database: str, tmp_path: Path) -> None:
    chosen = source(kind)
    with (
        chosen.serve() as (fake, settings),
        fresh_database(database, tmp_path) as reference,
        fresh_database(database, tmp_path) as target,
    ):
        reference_id = add_connection(reference, kind, settings, chosen.secret)
        run_sync(make_session_factory(make_engine(reference)), reference_id, app_key=APP_KEY, sleep=lambda _s: None)
        total_requests = fake.received
        expected = content(reference)
        assert len(expected["dump"]["items"]) == chosen.items
        assert (len(expected["dump"]["changes"]), len(expected["dump"]["deployments"])) == (chosen.changes, chosen.deployments)

        target_id = add_connection(target, kind, settings, chosen.secret)
        rng = random.Random(20261126)
        # The first child dies anywhere in a full sync; the resumed one early (it has fewer requests left,
        # but always at least its set-up requests and one page).
        kill_points = [rng.randrange(2, total_requests - 1), rng.randrange(2, 5)]
        for kill_at in kill_points:
            fake.received, fake.hold_at = 0, kill_at
            fake.held.clear()
            fake.release.clear()
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, target, str(target_id), APP_KEY], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            while not fake.held.wait(0.2):
                if child.poll() is not None:
                    error = child.stderr.read().decode() if child.stderr else ""
                    pytest.fail(
                        f"the child ended ({child.returncode}) before request {kill_at} ({fake.received} received): {error}"
                    )
            child.kill()
            child.wait(10)
            fake.release.set()
        fake.hold_at = None
        run_sync(make_session_factory(make_engine(target)), target_id, app_key=APP_KEY, sleep=lambda _s: None)
        actual = content(target)

    assert actual["dump"] == expected["dump"]
    statuses = [status for status, _resumed in actual["runs"]]
    assert statuses == ["interrupted", "interrupted", "succeeded"]
    assert actual["runs"][-1][1] is not None  # the last run resumed an interrupted one
