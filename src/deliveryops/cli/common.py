"""What every CLI command shares: settings, a unit of work, and clean error exits."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.errors import DomainError
from deliveryops.migrate import current_revision, head_revision
from deliveryops.settings import Settings, UnsafeConfigError

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


class CliError(Exception):
    """A user mistake or an environment problem, printed as one line."""


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` in red on stderr and return the exit to raise."""
    err_console.print(f"[red]Error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected errors into one clear line and a non-zero exit (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DomainError as exc:
            details = exc.details.get("fields") if isinstance(exc.details, dict) else None
            extra = "; ".join(f"{k}: {v}" for k, v in details.items()) if details else ""
            raise fail(f"{exc.message}{' (' + extra + ')' if extra else ''}") from None
        except (CliError, UnsafeConfigError) as exc:
            raise fail(str(exc)) from None
        except OperationalError as exc:
            raise fail(f"Cannot use the database: {exc.orig}") from None

    return wrapper


def load_settings(database: str | None = None) -> Settings:
    """Settings from the environment, with ``--database`` taking precedence."""
    try:
        settings = Settings()
    except UnsafeConfigError as exc:
        raise CliError(str(exc)) from None
    if database:
        settings = settings.model_copy(update={"database_url": database})
    return settings


def ensure_migrated(engine: Engine) -> None:
    """Refuse to run against a database whose schema is behind this version."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        state = "is empty" if current is None else f"is at schema revision {current}, this version needs {head}"
        raise CliError(f"The database {where} {state}. Run `deliveryops db upgrade` first.")


@contextmanager
def session_scope(settings: Settings, *, check_schema: bool = True) -> Iterator[Session]:
    """One unit of work for a CLI command."""
    engine = make_engine(settings.database_url)
    try:
        if check_schema:
            ensure_migrated(engine)
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()
