"""Detection as a job: the periodic check queues one when a team's data changed (a sync or an import), and
the queued job proposes what the new data shows; no change, no detection (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops import jobs
from deliveryops.db import unit_of_work, utcnow
from deliveryops.dependencies import jobs as dependency_jobs
from deliveryops.dependencies.models import DependencyProposal
from deliveryops.jobs import JobRuntime
from deliveryops.jobs.registry import registered
from deliveryops.settings import Settings
from deliveryops.teams.models import Team
from deliveryops.work.importing import import_records
from deliveryops.work.records import LinkRecord, WorkItemRecord
from deliveryops.worker import JOB_MODULES
from tests.factories import make_team

T0 = datetime(2026, 12, 7, 9, 0, 30, tzinfo=UTC)
LATER = timedelta(days=3650)  # the runtime's clock: every job queued now (by the real clock) is due


@pytest.fixture
def runtime(session_factory: sessionmaker[Session]) -> Iterator[JobRuntime]:
    settings = Settings(database_url="sqlite://", secret_key="j" * 48, queue_url="memory://", job_stale_seconds=60)
    runtime = JobRuntime(settings, session_factory, clock=lambda: utcnow() + LATER)
    previous = jobs.configure(runtime)
    yield runtime
    jobs.configure(previous)


def _import(session: Session, team: Team, key: str, *links: LinkRecord) -> None:
    record = WorkItemRecord(source="test", external_key=key, item_type="Story", title=key, created_at=T0, links=links)
    import_records(session=session, actor=None, team=team, import_format="test", records=[record])


def test_the_periodic_check_queues_a_detection_after_the_data_changed(
    runtime: JobRuntime, session_factory: sessionmaker[Session]
) -> None:
    assert "deliveryops.dependencies.jobs" in JOB_MODULES
    periodic = registered()[1]["dependencies.detect_when_data_changed"]
    with unit_of_work(session_factory) as session:
        app, payments = make_team(session, name="Job App"), make_team(session, name="Job Payments")
        _import(session, payments, "JP-1")
        _import(session, app, "JA-1", LinkRecord("is_blocked_by", "JP-1"))

    runtime.fire_periodic(periodic, T0)
    assert runtime.run_queued() == 2  # the check, then the detection it queued
    with unit_of_work(session_factory) as session:
        assert [p.signature for p in session.scalars(select(DependencyProposal))] == ["link:JA-1>JP-1"]

    runtime.fire_periodic(periodic, T0 + timedelta(minutes=1))
    assert runtime.run_queued() == 1  # nothing changed: the check only
    with unit_of_work(session_factory) as session:
        app_team = session.get(Team, app.id)
        assert app_team is not None
        _import(session, app_team, "JA-2", LinkRecord("outward", "JP-1", "depends on"))
    runtime.fire_periodic(periodic, T0 + timedelta(minutes=2))
    assert runtime.run_queued() == 2
    with unit_of_work(session_factory) as session:
        assert sorted(session.scalars(select(DependencyProposal.signature))) == ["link:JA-1>JP-1", "link:JA-2>JP-1"]
        assert dependency_jobs.data_version(session)
