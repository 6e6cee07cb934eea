"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each test runs inside a connection-level transaction; sessions join it with
``join_transaction_mode="create_savepoint"``, so code that commits is still rolled back.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.app.main import create_app
from deliveryops.db import make_engine
from deliveryops.migrate import upgrade
from deliveryops.settings import Settings
from tests.parity import parity  # noqa: F401 (the fixture of the API/pages/CLI parity tests)

IN_CI = os.environ.get("CI", "").lower() == "true"
# The connector fakes serve plain http on 127.0.0.1: allow that (and only that) in every test's settings.
# Tests of the host policy itself pass an explicit HostPolicy or Settings.
os.environ["DELIVERYOPS_CONNECTOR_ALLOW_HTTP_LOOPBACK"] = "true"
POSTGRES_ADMIN_URL = os.environ.get("DELIVERYOPS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc.__class__.__name__}"
    return None


def need_or_skip(problem: str | None) -> None:
    """Skip with a visible reason, except under CI=true, where a missing service fails."""
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"{problem} (CI=true: required)")
    pytest.skip(problem)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    need_or_skip(_postgres_problem())
    name = f"deliveryops_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database URL each database test runs against: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated with the real Alembic migrations."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions that join the test's transaction through savepoints."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging data and calling services directly."""
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def settings() -> Settings:
    """Test settings with a fixed secret and low throttling limits."""
    return Settings(
        database_url="sqlite://",
        secret_key="t" * 48,
        login_max_failures=3,
        login_window_seconds=600,
        scheduler=False,
        sync_in_background=False,
    )


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    """The app, its requests using the test's transaction."""
    return create_app(settings, session_factory)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the app (cookies kept between requests)."""
    with TestClient(app, follow_redirects=False) as client:
        yield client


def chromium_path() -> str | None:
    """The system Chromium, which Playwright drives (its own download cannot work offline)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")
