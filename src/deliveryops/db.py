"""Engine, session factory, declarative base and the unit of work.

Services ``flush()``; the caller (a request, a CLI command, a job) owns the transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, MetaData, Select, create_engine, event, func, select
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Base",
    "UTCDateTime",
    "begin_writing",
    "enum_values",
    "fetch_page",
    "make_engine",
    "make_session_factory",
    "unit_of_work",
    "utcnow",
]

RowT = TypeVar("RowT")

# How long a SQLite connection waits for another one's write to finish before "database is locked".
# Requests of one process take turns before they get here (deliveryops.web.security.write_turn); this
# covers the other writers: the embedded worker's threads and separate worker processes.
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option: begin the SQLite transaction with BEGIN IMMEDIATE (see begin_writing).
SQLITE_BEGIN_IMMEDIATE = "deliveryops_sqlite_begin_immediate"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def enum_values(enum_class: type[enum.Enum]) -> list[str]:
    """Store enums by their values (``"delivery_manager"``), not their Python names."""
    return [str(member.value) for member in enum_class]


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no time zone type, so values are stored naive in UTC and re-labelled on read.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every ORM class."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL mode, foreign keys and a busy timeout.

    Args:
        url: SQLAlchemy database URL (``sqlite:///file.db`` or ``postgresql+psycopg://...``).
        **kwargs: passed on to ``create_engine``.

    Returns:
        The engine.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("check_same_thread", False)
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A unit of work that will write asks for the write lock up front (see begin_writing).
            immediate = connection.get_execution_options().get(SQLITE_BEGIN_IMMEDIATE, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def begin_writing(session: Session) -> None:
    """Start ``session``'s transaction ready to write, on SQLite holding the write lock from the start.

    In a deferred SQLite transaction, the first write after a read fails at once with "database is
    locked" when another connection committed in between (the busy timeout does not apply), so a
    request that changes data takes the lock before it reads; it waits up to the busy timeout for its
    turn. Other databases, and sessions bound to a connection that is already open, are left as they are.
    """
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "sqlite" and not session.in_transaction():
        session.connection(execution_options={SQLITE_BEGIN_IMMEDIATE: True})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine``."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, commit when the block succeeds, roll back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def fetch_page(session: Session, statement: Select[RowT], *, limit: int, offset: int) -> tuple[list[RowT], int]:
    """One page of a query's rows and how many rows the whole query has.

    Args:
        session: the unit of work.
        statement: the query, in its order (rows of one entity or value).
        limit: at most this many rows.
        offset: skip this many rows first.

    Returns:
        The page's rows and the total.
    """
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    rows = list(session.scalars(statement.limit(limit).offset(offset)))
    return rows, total
