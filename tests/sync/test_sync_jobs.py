"""Syncs as jobs, against the fake GitHub on 127.0.0.1 (SQLite and PostgreSQL): one sync per connection at a time,
a failure of any kind ends "failed" and the next sync resumes, a stale "running" sync holds nothing back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from deliveryops.accounts.models import Role
from deliveryops.cli.main import app
from deliveryops.db import make_engine, make_session_factory, unit_of_work, utcnow
from deliveryops.jobs import Job, JobRuntime
from deliveryops.jobs.runtime import worker_name
from deliveryops.settings import Settings
from deliveryops.sync import service
from deliveryops.sync.engine import SyncProgress, run_sync
from deliveryops.sync.jobs import due_connections, lock_key, request_sync, schedule_syncs
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.work.models import WorkItem
from tests.connectors.fake_github import REPO, TOKEN, FakeGitHub, sample_repo
from tests.factories import make_team, make_user, token_headers

APP_KEY = "k" * 48


@pytest.fixture
def runtime(session_factory: sessionmaker[Session]) -> JobRuntime:
    """A worker's runtime on the test's database (its queue in memory: the tests run jobs by hand)."""
    return JobRuntime(Settings(database_url="sqlite://", secret_key=APP_KEY), session_factory)


def _connection(session: Session, url: str, *, token: str = TOKEN, interval: int | None = None) -> Connection:
    team = make_team(session)
    connection = service.create(
        session=session,
        actor=None,
        name=f"GitHub {team.name}",
        kind="github",
        team_id=team.id,
        settings={"base_url": url, "repositories": [REPO]},
        secret=token,
        app_key=APP_KEY,
        interval_minutes=interval,
    )
    session.commit()
    return connection


def _runs(session: Session, connection: Connection) -> list[SyncRun]:
    session.expire_all()
    return list(session.scalars(select(SyncRun).where(SyncRun.connection_id == connection.id).order_by(SyncRun.id)))


def _items(session: Session, connection: Connection) -> int:
    return int(session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.team_id == connection.team_id)) or 0)


def test_a_sync_that_fails_on_any_error_ends_failed_and_the_next_resumes_it(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    fake = FakeGitHub(repos={REPO: sample_repo()}, max_per_page=2)

    def broken(state: SyncProgress) -> None:
        if state.pages == 2:
            raise RuntimeError("disk full")

    with fake.serve() as server:
        connection = _connection(session, server.url)
        with pytest.raises(RuntimeError, match="disk full"):
            run_sync(session_factory, connection.id, app_key=APP_KEY, sleep=lambda _s: None, progress=broken)
        [failed] = _runs(session, connection)
        assert failed.status == "failed"
        assert failed.finished_at is not None
        assert failed.message == (
            f"{connection.name}: the sync stopped on an unexpected error (RuntimeError: disk full); "
            "the next sync resumes from the last page written."
        )
        assert failed.cursor is not None
        assert 0 < _items(session, connection) < 8
        run_sync(session_factory, connection.id, app_key=APP_KEY, sleep=lambda _s: None)
    failed, resumed = _runs(session, connection)
    assert (resumed.status, resumed.resumed_from, resumed.since) == ("succeeded", failed.id, failed.since)
    assert _items(session, connection) == 8


def test_one_sync_per_connection_queued_or_running_and_it_runs_as_a_job(
    session: Session, session_factory: sessionmaker[Session], runtime: JobRuntime
) -> None:
    admin = make_user(session, role=Role.ADMIN)
    with FakeGitHub(repos={REPO: sample_repo()}).serve() as server:
        connection = _connection(session, server.url)
        job, started = service.start_sync(session=session, actor=admin, connection_id=connection.id)
        again, started_again = service.start_sync(session=session, actor=admin, connection_id=connection.id, full=True)
        session.commit()
        assert (started, started_again, again.id) == (True, False, job.id)
        assert (job.lock_key, job.requested_by, job.arguments) == (
            lock_key(connection.id),
            admin.email,
            {"connection_id": connection.id, "full": False, "trigger": "manual"},
        )
        assert service.sync_under_way(session=session, connection_id=connection.id) is not None
        done = runtime.run(job.id)
    assert done is not None
    [run] = _runs(session, connection)
    assert (done.state, done.attempts, done.result) == (
        "succeeded",
        1,
        f"8 fetched, 8 created, 0 updated, 0 unchanged, 0 deleted (sync run {run.id}).",
    )
    assert (run.status, run.owner) == ("succeeded", worker_name())
    assert service.sync_under_way(session=session, connection_id=connection.id) is None
    assert service.start_sync(session=session, actor=admin, connection_id=connection.id)[1] is True  # free again


def test_a_refused_token_fails_the_job_at_once_without_retries(
    session: Session, session_factory: sessionmaker[Session], runtime: JobRuntime
) -> None:
    with FakeGitHub(repos={REPO: sample_repo()}).serve() as server:
        connection = _connection(session, server.url, token="expired")
        job, _started = request_sync(session, connection.id)
        session.commit()
        done = runtime.run(job.id)
    assert done is not None
    assert (done.state, done.attempts, done.max_attempts) == ("failed", 1, 3)
    assert done.error is not None
    assert done.error.startswith(f"{connection.name}: the server refused the credentials (401 Unauthorized")
    assert [run.status for run in _runs(session, connection)] == ["failed"]


def test_a_stale_running_sync_is_due_again_and_is_taken_over(
    session: Session, session_factory: sessionmaker[Session], runtime: JobRuntime
) -> None:
    with FakeGitHub(repos={REPO: sample_repo()}).serve() as server:
        connection = _connection(session, server.url, interval=30)
        long_ago = utcnow() - timedelta(hours=2)
        # A process died mid-sync two hours ago, before the job ledger existed or with its job long reaped.
        session.add(SyncRun(connection_id=connection.id, status="running", started_at=long_ago, heartbeat_at=long_ago))
        session.commit()
        assert due_connections(session) == [connection.id]
        assert schedule_syncs(session) == [connection.id]
        session.commit()
        assert due_connections(session) == []  # queued now: not twice
        [job_id] = session.scalars(select(Job.id).where(Job.lock_key == lock_key(connection.id)))
        done = runtime.run(job_id)
    assert done is not None
    assert done.state == "succeeded"
    stale, fresh = _runs(session, connection)
    assert (stale.status, fresh.status, fresh.trigger) == ("interrupted", "succeeded", "schedule")
    assert due_connections(session, now=utcnow() + timedelta(minutes=29)) == []
    assert due_connections(session, now=utcnow() + timedelta(minutes=31)) == [connection.id]


def test_a_killed_workers_sync_is_reaped_and_retried_to_completion(
    session: Session, session_factory: sessionmaker[Session], runtime: JobRuntime
) -> None:
    with FakeGitHub(repos={REPO: sample_repo()}).serve() as server:
        connection = _connection(session, server.url, interval=30)
        job, _started = request_sync(session, connection.id, trigger="schedule")
        session.flush()
        # What a worker killed mid-sync leaves: its job running with a silent heartbeat, the run "running".
        silent = utcnow() - timedelta(minutes=10)
        job.state, job.attempts, job.worker, job.started_at, job.heartbeat_at = "running", 1, "gone:1", silent, silent
        session.add(
            SyncRun(connection_id=connection.id, status="running", started_at=silent, heartbeat_at=silent, owner="gone:1")
        )
        session.commit()
        assert due_connections(session) == []  # its job holds the connection until reaped
        assert runtime.reap() == [job.id]
        done = runtime.run(job.id)
    assert done is not None
    assert (done.state, done.attempts) == ("succeeded", 2)
    assert done.error is not None
    assert done.error.startswith("The worker running attempt 1 (gone:1) stopped answering")
    assert [run.status for run in _runs(session, connection)] == ["interrupted", "succeeded"]
    assert _items(session, connection) == 8


def test_the_api_queues_one_sync_and_names_its_job(client: TestClient, session: Session, settings: Settings) -> None:
    admin = make_user(session, role=Role.ADMIN)
    member = make_user(session, role=Role.MEMBER)
    with FakeGitHub(repos={REPO: sample_repo()}).serve() as server:
        connection = service.create(
            session=session,
            actor=None,
            name="GitHub API",
            kind="github",
            team_id=make_team(session).id,
            settings={"base_url": server.url, "repositories": [REPO]},
            secret=TOKEN,
            app_key=settings.resolved_secret_key(),
        )
        session.commit()
        response = client.post(f"/api/v1/connections/{connection.id}/sync", json={}, headers=token_headers(session, admin))
        assert response.status_code == 202
        body = response.json()
        assert body["started"] is True
        job = session.get(Job, body["job_id"])
        assert job is not None
        session.refresh(job)
        assert (job.name, job.state) == ("sync.connection", "succeeded")  # background syncs are off in tests
        denied = client.post(f"/api/v1/connections/{connection.id}/sync", json={}, headers=token_headers(session, member))
        assert denied.status_code == 403


def test_the_cli_syncs_as_a_job_and_refuses_while_one_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELIVERYOPS_SECRET_KEY", APP_KEY)
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--database", url]).exit_code == 0
    assert runner.invoke(app, ["teams", "create", "Shop", "--database", url]).exit_code == 0
    with FakeGitHub(repos={REPO: sample_repo()}).serve() as server:
        added = runner.invoke(
            app,
            [
                *("connectors", "add", "--name", "GitHub shop", "--kind", "github", "--team", "shop", "--database", url),
                *("--setting", f"base_url={server.url}", "--setting", f'repositories=["{REPO}"]', "--secret", TOKEN),
            ],
        )
        assert added.exit_code == 0, added.output
        synced = runner.invoke(app, ["connectors", "sync", "GitHub shop", "--database", url])
        assert synced.exit_code == 0, synced.output
        assert "GitHub shop: 8 fetched, 8 created, 0 updated" in synced.output
        engine = make_engine(url)
        try:
            with unit_of_work(make_session_factory(engine)) as session:
                [job] = session.scalars(select(Job).where(Job.name == "sync.connection"))
                assert (job.name, job.state, job.requested_by, job.arguments["trigger"]) == (
                    "sync.connection",
                    "succeeded",
                    "command line",
                    "cli",
                )
                job.state = "running"  # a worker is syncing the connection right now
                job.heartbeat_at = utcnow()
            refused = runner.invoke(app, ["connectors", "sync", "GitHub shop", "--database", url])
        finally:
            engine.dispose()
    assert refused.exit_code == 1
    assert "GitHub shop: a sync of this connection is queued or running; try again when it has finished." in " ".join(
        refused.output.split()
    )
