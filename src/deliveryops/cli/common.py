"""What every CLI command shares: settings, a unit of work, and clean error exits."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.errors import DomainError, ErrorResponse, validation_failed
from deliveryops.migrate import current_revision, head_revision
from deliveryops.settings import Settings, UnsafeConfigError
from deliveryops.teams.service import find_team, get_team_or_raise

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)


DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]
TeamOption = Annotated[str, typer.Option("--team", help="The team: its name, slug or id.")]
PersonOption = Annotated[
    str,
    typer.Option("--as", help="E-mail of the person asking: the answer is what they may see, the change what they may do."),
]


class CliError(Exception):
    """A user mistake or an environment problem, printed as one line."""


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` in red on stderr and return the exit to raise."""
    err_console.print(f"[red]Error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def domain_error_text(exc: DomainError) -> str:
    """The API's message, followed by each field's message that it does not already say."""
    details = exc.details.get("fields") if isinstance(exc.details, dict) else None
    extra = "; ".join(f"{k}: {v}" for k, v in details.items() if str(v) not in exc.message) if details else ""
    return f"{exc.message}{' (' + extra + ')' if extra else ''}"


def _wants_json(output_format: object) -> bool:
    from deliveryops.cli.output import OutputFormat, ReportFormat, TextFormat  # noqa: PLC0415 (output imports this module)

    return any(output_format is json for json in (OutputFormat.JSON, ReportFormat.JSON, TextFormat.JSON))


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected errors into one clear line and a non-zero exit (no traceback).

    A domain error prints the API's message. Under ``--format json`` (an ``output_format`` argument of
    :class:`deliveryops.cli.output.OutputFormat`, ``ReportFormat`` or ``TextFormat``) it prints the API's error body instead,
    ``{"error": {"code", "message", "details"}}``. A model that breaks a rule reads as the API's error.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            try:
                return func(*args, **kwargs)
            except ValidationError as exc:
                raise validation_failed(exc.errors()) from None
        except DomainError as exc:
            if _wants_json(kwargs.get("output_format")):
                typer.echo(ErrorResponse.of(exc).model_dump_json(indent=2), err=True)
                raise typer.Exit(1) from None
            raise fail(domain_error_text(exc)) from None
        except (CliError, UnsafeConfigError) as exc:
            raise fail(str(exc)) from None
        except OperationalError as exc:
            raise fail(f"Cannot use the database: {exc.orig}") from None

    return wrapper


def build(model: type[M], /, **values: Any) -> M:
    """The model a command builds from its options, validated as the API validates it.

    Raises:
        ValidationFailedError: what the API says for the same input, fields named as in the API.
    """
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise validation_failed(exc.errors(), model) from None


def parse_date(value: str | None, option: str) -> date | None:
    """The date an option gives (YYYY-MM-DD), or None when it is not given."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option}: expected a date like 2026-03-31, got {value!r}.") from None


def acting_user(session: Session, email: str | None) -> User | None:
    """The person an ``--as`` option names (None: the trusted local caller)."""
    if email is None:
        return None
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise CliError(f"Nobody has the e-mail {email!r}.")
    return user


def team_id(session: Session, team: str, actor: User | None = None) -> int:
    """The id of the team an option names (its name, slug or id, see ``teams.service.find_team``).

    Args:
        session: the unit of work.
        team: what the option says.
        actor: the person asking, who must be allowed to see the team (None: the trusted local caller).

    Raises:
        NotFoundError: no team has that name, slug or id (the message names it).
        PermissionDeniedError: ``actor`` may not see the team, as the API answers.
    """
    found = find_team(session, team)
    if actor is not None:
        get_team_or_raise(session=session, actor=actor, team_id=found.id)
    return found.id


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
def person_scope(database: str | None, email: str) -> Iterator[tuple[Session, User, Settings]]:
    """One unit of work for a command that answers as the person a required ``--as`` names sees it (health
    checks, retros): the session, that person, and the settings."""
    settings = load_settings(database)
    with session_scope(settings) as session:
        person = acting_user(session, email)
        assert person is not None  # acting_user refuses an unknown e-mail
        yield session, person, settings


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
