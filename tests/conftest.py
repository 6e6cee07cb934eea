"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each test runs inside a connection-level transaction; sessions join it with
``join_transaction_mode="create_savepoint"``, so code that commits is still rolled back.

Databases that take long to make (the migrated schema, the demo organisation) are made once per run for
every pytest-xdist worker, as templates in the run's shared temporary directory: a SQLite file that each
worker copies, a PostgreSQL template database that each worker clones (``CREATE DATABASE ... TEMPLATE``).
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
from filelock import FileLock
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.app.main import create_app
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.demo.builder import build_demo
from deliveryops.jobs import ledger
from deliveryops.jobs.runtime import JobRuntime
from deliveryops.jobs.runtime import configure as configure_jobs
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


def _admin() -> Engine:
    return create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _postgres_url(name: str) -> str:
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(name: str) -> None:
    admin = _admin()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def _postgres_database(name: str, template: str | None = None) -> Iterator[str]:
    """Create the PostgreSQL database ``name`` (a copy of ``template`` if given); drop it on leaving."""
    admin = _admin()
    copy_of = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
    admin.dispose()
    try:
        yield _postgres_url(name)
    finally:
        _drop_postgres_database(name)


def _migrated(session: Session) -> None:
    """No data: the migrated schema only."""


def shared_temp_dir(base: Path) -> Path:
    """The directory every pytest-xdist worker of the run shares: the parent of a worker's base temporary
    directory (the controller's), or the base temporary directory itself without workers."""
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


TEMPLATE_SUFFIX = ".template"


class Templates:
    """Template databases made once per run for all workers, under a file lock in the run's shared directory.

    ``<name>-<kind>.template`` holds where the template is (a SQLite file path or a PostgreSQL database name)
    once it is complete; PostgreSQL templates are dropped at the end of the run (``pytest_sessionfinish``).
    """

    def __init__(self, shared: Path) -> None:
        self.shared = shared

    def get(self, kind: str, name: str, fill: Callable[[Session], object]) -> str:
        """The template ``name`` of ``kind``: migrated with the real Alembic migrations, then filled by ``fill``."""
        if kind == "postgresql":
            need_or_skip(_postgres_problem())
        marker = self.shared / f"{name}-{kind}{TEMPLATE_SUFFIX}"
        with FileLock(self.shared / f"{name}-{kind}.lock"):
            if marker.exists():
                return marker.read_text()
            if kind == "sqlite":
                where = str(self.shared / f"{name}-template.db")
                Path(where).unlink(missing_ok=True)  # a build that failed half-way
                self._build(f"sqlite:///{where}", fill)
            else:
                where = f"deliveryops_template_{uuid.uuid4().hex[:10]}_{name}"
                admin = _admin()
                with admin.connect() as connection:
                    connection.execute(text(f'CREATE DATABASE "{where}"'))
                admin.dispose()
                try:
                    self._build(_postgres_url(where), fill)
                except BaseException:
                    _drop_postgres_database(where)
                    raise
            marker.write_text(where)
            return where

    @staticmethod
    def _build(url: str, fill: Callable[[Session], object]) -> None:
        engine = make_engine(url)
        try:
            upgrade(engine)
            with unit_of_work(make_session_factory(engine)) as session:
                fill(session)
            if url.startswith("sqlite"):
                with engine.connect() as connection:  # everything into the main file, which workers copy
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()  # a PostgreSQL template must have no connections to be copied


def drop_postgres_templates(shared: Path) -> None:
    """Drop the run's PostgreSQL templates (called once, after every worker is done)."""
    for marker in shared.glob(f"*-postgresql{TEMPLATE_SUFFIX}"):
        _drop_postgres_database(marker.read_text())
        marker.unlink()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The controller (or the only process) drops the run's PostgreSQL templates: no worker uses them any more."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    factory: pytest.TempPathFactory | None = getattr(session.config, "_tmp_path_factory", None)
    if factory is not None:
        drop_postgres_templates(shared_temp_dir(factory.getbasetemp()))


class Databases:
    """The run's databases and engines, each made once and released at the end of the run, last made first.

    Engines are cached by name and kind, so a test order that switches between SQLite and PostgreSQL (as
    pytest-xdist's distribution can) never copies a database twice.
    """

    def __init__(self, stack: ExitStack, base: Path, templates: Templates) -> None:
        self.stack = stack
        self.base = base
        self.templates = templates
        self.prefix = f"deliveryops_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.engines: dict[str, Engine] = {}

    def _postgres_name(self, name: str) -> str:
        return f"{self.prefix}_{name}" if name != "test" else self.prefix

    @contextmanager
    def copy(self, kind: str, name: str, template: str, fill: Callable[[Session], object] = _migrated) -> Iterator[str]:
        """A new database of ``kind`` named after ``name``: a copy of the run's template ``template`` (migrated,
        then filled by ``fill``; made once per run for all workers). Dropped (PostgreSQL) on leaving."""
        where = self.templates.get(kind, template, fill)
        if kind == "sqlite":
            path = self.base / f"{name}.db"
            shutil.copyfile(where, path)
            yield f"sqlite:///{path}"
            return
        with _postgres_database(self._postgres_name(name), template=where) as url:
            yield url

    def copied_engine(self, kind: str, name: str, template: str, fill: Callable[[Session], object] = _migrated) -> Engine:
        """The engine on this worker's copy of the template ``template`` (see :meth:`copy`), made once per run."""
        key = f"{name}-{kind}"
        if key not in self.engines:
            engine = make_engine(self.stack.enter_context(self.copy(kind, name, template, fill)))
            self.stack.callback(engine.dispose)
            self.engines[key] = engine
        return self.engines[key]


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """The run's databases (one set per pytest-xdist worker: the names carry the process id)."""
    templates = Templates(shared_temp_dir(tmp_path_factory.getbasetemp()))
    with ExitStack() as stack:
        yield Databases(stack, tmp_path_factory.mktemp("databases"), templates)


def _url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@pytest.fixture(scope="session")
def postgres_url(databases: Databases) -> str:
    """This worker's migrated PostgreSQL test database, dropped at the end."""
    return _url_of(databases.copied_engine("postgresql", "test", "migrated"))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, databases: Databases) -> str:
    """The database URL each database test runs against: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return _url_of(databases.copied_engine("sqlite", "test", "migrated"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def engine(database_url: str, databases: Databases) -> Engine:
    """An engine on a database migrated with the real Alembic migrations."""
    return databases.copied_engine(_kind(database_url), "test", "migrated")


DEMO_SEED = 3
DEMO_NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _build_demo(session: Session) -> None:
    build_demo(session, seed=DEMO_SEED, now=DEMO_NOW)


@pytest.fixture(scope="session")
def demo_engine(database_url: str, databases: Databases) -> Engine:
    """A second database of the same kind holding the demo organisation (seed 3, "today" DEMO_NOW), built once
    per run for every worker and copied."""
    return databases.copied_engine(_kind(database_url), "demo", "demo", _build_demo)


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


class Apps:
    """The worker's apps, one per distinct settings, each built once and wired to each test's session factory.

    ``create_app`` costs about a second of CPU, nearly all of it FastAPI building every route's parameter
    models, which depend on nothing of a test. What does depend on the test, the settings' object, the
    session factory and the job queue bound to it, is made for each test as ``create_app`` makes it. An app
    that a test changed (a route, a middleware, an override, a handler, its state) is not handed out again;
    apps whose settings start the embedded worker (``scheduler``) are built for each test.
    """

    KEEP = 8

    def __init__(self) -> None:
        self.apps: dict[str, FastAPI] = {}

    def app(self, settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[FastAPI]:
        """The app for ``settings`` using ``session_factory``, as ``create_app(settings, session_factory)`` makes it."""
        key = settings.model_dump_json()
        app = self.apps.pop(key, None)
        if app is None:
            app = create_app(settings, session_factory)
        else:
            assert set(app.state._state) == {"settings", "session_factory", "jobs"}, "create_app keeps more: rewire it"
            jobs = JobRuntime(settings, session_factory)
            configure_jobs(jobs)
            session_factory.configure(info={**session_factory.kw.get("info", {}), ledger.DELIVER: jobs.deliver})
            app.state.settings, app.state.session_factory, app.state.jobs = settings, session_factory, jobs
        before = self._shape(app)
        yield app
        if not settings.scheduler and self._shape(app) == before:
            self.apps[key] = app
            while len(self.apps) > self.KEEP:  # settings unique to one test are not met again
                del self.apps[next(iter(self.apps))]

    @staticmethod
    def _shape(app: FastAPI) -> tuple[object, ...]:
        return (
            list(app.router.routes),
            list(app.user_middleware),
            dict(app.dependency_overrides),
            dict(app.exception_handlers),
            dict(app.state._state),
        )


@pytest.fixture(scope="session")
def apps() -> Apps:
    """The worker's apps (see :class:`Apps`)."""
    return Apps()


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session], apps: Apps) -> Iterator[FastAPI]:
    """The app, its requests using the test's transaction."""
    yield from apps.app(settings, session_factory)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the app (cookies kept between requests)."""
    with TestClient(app, follow_redirects=False) as client:
        yield client


def chromium_path() -> str | None:
    """The system Chromium, which Playwright drives (its own download cannot work offline)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")
