"""A sync killed at random points ends, after a rerun, with exactly the content of an uninterrupted sync.

The sync runs in a child process against the fake Jira on 127.0.0.1; the fake holds request K
until the test has killed the child with SIGKILL (no clean-up of any kind runs). Then the next
run resumes, is killed again at another point, and a last run completes. The database is then
compared, table by table, with a database filled by one uninterrupted sync. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.migrate import upgrade
from deliveryops.sync import service
from deliveryops.sync.engine import run_sync
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.teams.service import create_team
from deliveryops.work.models import BlockedInterval, ItemLink, StatusTransition, WorkflowStatus, WorkItem
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_problem, need_or_skip
from tests.connectors.fake_jira import EMAIL, TOKEN, FakeJira, synthetic_issues
from tests.connectors.fakeserver import Reply, Request

APP_KEY = "resume" * 8
CHILD = """
import sys
from deliveryops.db import make_engine, make_session_factory
from deliveryops.sync.engine import run_sync
engine = make_engine(sys.argv[1])
run_sync(make_session_factory(engine), int(sys.argv[2]), app_key=sys.argv[3], sleep=lambda _s: None)
"""


class KillableJira(FakeJira):
    """The fake Jira, able to hold one chosen request until the test has killed the client."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received = 0
        self.hold_at: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()

    def handle(self, request: Request) -> Reply:
        self.received += 1
        if self.received == self.hold_at:
            self.held.set()
            self.release.wait(30)
        return super().handle(request)


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


def add_connection(url: str, base_url: str) -> int:
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        team = create_team(session=session, actor=None, name="Operations", time_zone="Europe/Berlin")
        connection = service.create(
            session=session,
            actor=None,
            name="Jira OPS",
            kind="jira-cloud",
            team_id=team.id,
            settings={"base_url": base_url, "email": EMAIL, "projects": ["OPS"]},
            secret=TOKEN,
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
            "watermark": session.scalar(select(Connection.watermark)),
        }
        runs = list(session.execute(select(SyncRun.status, SyncRun.resumed_from).order_by(SyncRun.id)).all())
    engine.dispose()
    return {"dump": dump, "runs": runs}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_killed_sync_resumes_to_the_same_content(kind: str, tmp_path: Path) -> None:
    jira = KillableJira(synthetic_issues(240, seed=5), page_size=20)
    jira.precompute()
    with jira.serve() as server, fresh_database(kind, tmp_path) as reference, fresh_database(kind, tmp_path) as target:
        reference_id = add_connection(reference, server.url)
        run_sync(make_session_factory(make_engine(reference)), reference_id, app_key=APP_KEY, sleep=lambda _s: None)
        total_requests = jira.received
        expected = content(reference)
        assert len(expected["dump"]["items"]) == 240

        target_id = add_connection(target, server.url)
        rng = random.Random(20261126)
        # The first child dies anywhere in a full sync; the resumed one early (it has fewer requests left,
        # but always at least its three set-up requests and one page).
        kill_points = [rng.randrange(2, total_requests - 1), rng.randrange(2, 5)]
        for kill_at in kill_points:
            jira.received, jira.hold_at = 0, kill_at
            jira.held.clear()
            jira.release.clear()
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, target, str(target_id), APP_KEY], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            while not jira.held.wait(0.2):
                if child.poll() is not None:
                    error = child.stderr.read().decode() if child.stderr else ""
                    pytest.fail(
                        f"the child ended ({child.returncode}) before request {kill_at} ({jira.received} received): {error}"
                    )
            child.kill()
            child.wait(10)
            jira.release.set()
        jira.hold_at = None
        run_sync(make_session_factory(make_engine(target)), target_id, app_key=APP_KEY, sleep=lambda _s: None)
        actual = content(target)

    assert actual["dump"] == expected["dump"]
    statuses = [status for status, _resumed in actual["runs"]]
    assert statuses == ["interrupted", "interrupted", "succeeded"]
    assert actual["runs"][-1][1] is not None  # the last run resumed an interrupted one
