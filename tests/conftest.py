"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each test runs inside a connection-level transaction; sessions join it with
``join_transaction_mode="create_savepoint"``, so code that commits is still rolled back.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.app.main import create_app
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.demo.builder import build_demo
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


@contextmanager
def _postgres_database(name: str) -> Iterator[str]:
    """Create the PostgreSQL database ``name``; drop it (and its connections) on leaving."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Databases:
    """The run's databases and engines, each made once and released at the end of the run, last made first.

    Engines are cached by URL, so a test order that switches between SQLite and PostgreSQL (as pytest-xdist's
    distribution can) never migrates or builds a database twice.
    """

    def __init__(self, stack: ExitStack, base: Path) -> None:
        self.stack = stack
        self.base = base
        self.prefix = f"deliveryops_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.engines: dict[str, Engine] = {}

    def url(self, kind: str, name: str) -> str:
        """A new empty database of ``kind`` (``sqlite`` or ``postgresql``) named after ``name``."""
        if kind == "sqlite":
            return f"sqlite:///{self.base / f'{name}.db'}"
        need_or_skip(_postgres_problem())
        return self.stack.enter_context(_postgres_database(f"{self.prefix}_{name}" if name != "test" else self.prefix))

    def engine(self, url: str, fill: Callable[[Session], object] | None = None) -> Engine:
        """The engine on ``url``, migrated with the real Alembic migrations and filled by ``fill`` the first time."""
        if url not in self.engines:
            engine = make_engine(url)
            self.stack.callback(engine.dispose)
            upgrade(engine)
            if fill is not None:
                with unit_of_work(make_session_factory(engine)) as session:
                    fill(session)
            self.engines[url] = engine
        return self.engines[url]


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """The run's databases (one set per pytest-xdist worker: the names carry the process id)."""
    with ExitStack() as stack:
        yield Databases(stack, tmp_path_factory.mktemp("databases"))


@pytest.fixture(scope="session")
def postgres_url(databases: Databases) -> str:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    return databases.url("postgresql", "test")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, databases: Databases) -> str:
    """The database URL each database test runs against: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return databases.url("sqlite", "test")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def engine(database_url: str, databases: Databases) -> Engine:
    """An engine on a database migrated with the real Alembic migrations."""
    return databases.engine(database_url)


DEMO_SEED = 3
DEMO_NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _build_demo(session: Session) -> None:
    build_demo(session, seed=DEMO_SEED, now=DEMO_NOW)


@pytest.fixture(scope="session")
def demo_engine(database_url: str, databases: Databases) -> Engine:
    """A second database of the same kind holding the demo organisation (seed 3, "today" DEMO_NOW), built once per run."""
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    key = f"demo-{kind}"
    if key not in databases.engines:
        databases.engines[key] = databases.engine(databases.url(kind, "demo"), _build_demo)
    return databases.engines[key]


@contextmanager
def _rolled_back(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def demo_session(demo_engine: Engine) -> Iterator[Session]:
    """A session on the demo organisation; what the test writes is rolled back, as with ``session``."""
    with _rolled_back(demo_engine) as connection:
        session = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)()
        yield session
        session.close()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with _rolled_back(engine) as connection:
        yield connection


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
