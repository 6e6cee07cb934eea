"""Stored derived results: the DORA tables computed by one process are read by every other, and a job computes them
again after the data changed (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.analytics.dora import DoraTables
from deliveryops.connectors.base import DeploymentRecord
from deliveryops.dora import service as dora
from deliveryops.dora.ingest import import_deployments
from deliveryops.jobs import JobRuntime, derived
from deliveryops.jobs.models import DerivedResult
from deliveryops.settings import Settings
from deliveryops.teams.models import Team
from tests.factories import make_team

START = datetime(2026, 10, 1, 9, tzinfo=UTC)


def _deploy(session: Session, team: Team, count: int, *, first: int = 0) -> None:
    import_deployments(
        session,
        team=team,
        deployments=[
            DeploymentRecord(
                source="test",
                external_id=f"d-{index}",
                repository="shop/web",
                environment="production",
                result="success",
                started_at=START + timedelta(days=index),
                finished_at=START + timedelta(days=index, minutes=10),
                commit_sha=None,
                commit_shas=(),
            )
            for index in range(first, first + count)
        ],
    )
    session.flush()


def _load(session: Session, team: Team) -> DoraTables:
    return dora.load_tables(session, team_ids=[team.id], zone=ZoneInfo("Europe/Berlin"), environments=["production"])


def _stored(session: Session) -> list[tuple[str, str]]:
    return [(row.kind, row.data_version) for row in session.scalars(select(DerivedResult).order_by(DerivedResult.id))]


def test_tables_computed_once_are_read_back_equal_by_another_process(session: Session) -> None:
    team = make_team(session)
    _deploy(session, team, 5)
    computed = _load(session, team)
    assert computed.deployments.height == 5
    [(kind, version)] = _stored(session)
    assert (kind, version) == ("dora.tables", derived.version_of(dora.tables_version(session, [team.id])))

    dora._TABLES_CACHE.clear()  # what a web process that never computed them has in memory
    read_back = _load(session, team)
    assert read_back is not computed
    for mine, theirs in zip(
        (computed.deployments, computed.changes, computed.incidents),
        (read_back.deployments, read_back.changes, read_back.incidents),
        strict=True,
    ):
        assert mine.schema == theirs.schema
        assert mine.equals(theirs)
    assert session.scalar(select(func.count()).select_from(DerivedResult)) == 1


def test_the_refresh_job_computes_changed_tables_again_and_leaves_current_ones(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    changed, unchanged = make_team(session), make_team(session)
    _deploy(session, changed, 3)
    _load(session, changed)
    _load(session, unchanged)
    _deploy(session, changed, 2, first=3)  # a sync imports more: the team's data version moves on
    session.commit()
    runtime = JobRuntime(Settings(database_url="sqlite://", secret_key="d" * 48), session_factory)
    with session_factory() as writer:
        from deliveryops.dora.jobs import request_refresh  # noqa: PLC0415

        job_id = request_refresh(writer).id
        writer.commit()
    done = runtime.run(job_id)
    assert done is not None
    assert (done.state, done.result) == ("succeeded", "1 of 2 stored sets of DORA tables computed again.")
    session.expire_all()
    current = {derived.version_of(dora.tables_version(session, [team.id])) for team in (changed, unchanged)}
    assert {version for _kind, version in _stored(session)} == current  # the superseded version is gone
    dora._TABLES_CACHE.clear()
    assert _load(session, changed).deployments.height == 5
