"""Connections and the sync engine against the fake GitHub on 127.0.0.1 (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.accounts.models import Role
from deliveryops.connectors.base import ConnectorError
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.sync import service
from deliveryops.sync.engine import run_sync
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.work.models import Change, WorkItem
from tests.connectors.fake_github import REPO, TOKEN, FakeGitHub, sample_repo
from tests.factories import make_team, make_user

APP_KEY = "k" * 48


def _connection(session: Session, url: str, *, token: str = TOKEN) -> Connection:
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
    )
    session.flush()
    return connection


def test_secret_is_encrypted_and_settings_validated(session: Session) -> None:
    connection = _connection(session, "http://127.0.0.1:1")
    assert TOKEN not in connection.secret_encrypted
    assert connection.settings["repositories"] == [REPO]
    with pytest.raises(ValidationFailedError) as bad:
        service.create(
            session=session,
            actor=None,
            name="Bad",
            kind="github",
            team_id=connection.team_id,
            settings={"repositories": ["not a repo"]},
            secret="x",
            app_key=APP_KEY,
        )
    assert "repositories" in bad.value.fields
    with pytest.raises(ValidationFailedError) as unknown:
        service.create(
            session=session,
            actor=None,
            name="Bad",
            kind="gitlab-ee",
            team_id=connection.team_id,
            settings={},
            secret="x",
            app_key=APP_KEY,
        )
    assert unknown.value.message == "Unknown connector kind 'gitlab-ee'."
    member = make_user(session)
    with pytest.raises(PermissionDeniedError):
        service.list_(session=session, actor=member)


def test_sync_then_incremental_sync_is_idempotent(session: Session, session_factory: sessionmaker[Session]) -> None:
    fake = FakeGitHub(repos={REPO: sample_repo()})
    with fake.serve() as server:
        connection = _connection(session, server.url)
        session.commit()
        assert service.check(session=session, actor=None, connection_id=connection.id, app_key=APP_KEY) == (
            f"Connected to GitHub as octocat; repositories {REPO} found."
        )
        first = run_sync(session_factory, connection.id, app_key=APP_KEY, sleep=lambda _s: None)
        second = run_sync(session_factory, connection.id, app_key=APP_KEY, sleep=lambda _s: None)
    runs = {run.id: run for run in session.scalars(select(SyncRun))}
    assert runs[first].status == "succeeded"
    assert runs[first].created == 8  # the recorded issues, pull requests left out
    assert runs[second].created == 0
    assert runs[second].since is not None  # incremental: from the watermark minus the overlap
    items = session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.team_id == connection.team_id))
    assert items == 8
    assert session.scalar(select(func.count()).select_from(Change)) == 8


def test_failed_sync_says_why_in_plain_words(session: Session, session_factory: sessionmaker[Session]) -> None:
    fake = FakeGitHub(repos={REPO: sample_repo()})
    with fake.serve() as server:
        connection = _connection(session, server.url, token="expired")
        session.commit()
        with pytest.raises(ConnectorError):
            run_sync(session_factory, connection.id, app_key=APP_KEY, sleep=lambda _s: None)
    run = session.scalars(select(SyncRun).where(SyncRun.connection_id == connection.id)).one()
    assert run.status == "failed"
    assert run.message == (
        f"{connection.name}: the server refused the credentials (401 Unauthorized: Bad credentials). "
        "The token may have expired or lack access: update it on the connection."
    )


def test_changed_app_key_asks_for_the_token_again(session: Session, session_factory: sessionmaker[Session]) -> None:
    connection = _connection(session, "http://127.0.0.1:1")
    session.commit()
    with pytest.raises(ConnectorError) as caught:
        run_sync(session_factory, connection.id, app_key="another key entirely")
    assert caught.value.message == (
        f"{connection.name}: The stored token cannot be decrypted: the secret key "
        "changed since it was saved. Enter the token again."
    )


def test_admin_only(session: Session) -> None:
    connection = _connection(session, "http://127.0.0.1:1")
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    with pytest.raises(PermissionDeniedError):
        service.get_or_raise(session=session, actor=dm, connection_id=connection.id)
