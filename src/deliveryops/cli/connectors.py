"""`deliveryops connectors add|test|sync|list`."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from deliveryops.cli.common import CliError, console, friendly_errors, load_settings, session_scope
from deliveryops.cli.output import FormatOption, LimitOption, OffsetOption, OutputFormat, page_params, print_json
from deliveryops.db import make_engine, make_session_factory
from deliveryops.errors import ConflictError
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.sync import service
from deliveryops.sync.jobs import sync_connection
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.sync.schemas import ConnectionRead, TestResult
from deliveryops.teams.service import find_team, list_teams

connectors_app = typer.Typer(
    help="Connections to Jira, GitHub, GitLab, Azure DevOps and Linear, and their syncs.", no_args_is_help=True
)
DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]


def _setting_values(pairs: list[str]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--setting expects KEY=VALUE, got {pair!r}.")
        text = value.strip()
        if text.startswith(("[", "{")):
            try:
                settings[key.strip()] = json.loads(text)
            except ValueError:
                raise CliError(f"--setting {key.strip()}: not valid JSON: {text!r}.") from None
        elif "," in text:
            settings[key.strip()] = [part.strip() for part in text.split(",") if part.strip()]
        else:
            settings[key.strip()] = text
    return settings


@connectors_app.command("add")
@friendly_errors
def add(
    name: Annotated[str, typer.Option(help="A name for the connection, e.g. 'Jira Payments'.")],
    kind: Annotated[str, typer.Option(help="jira-cloud, jira-server, github, gitlab, azure-devops or linear.")],
    team: Annotated[str, typer.Option(help="The team it feeds: its name, slug or id.")],
    setting: Annotated[
        list[str],
        typer.Option(
            help="KEY=VALUE, repeatable: base_url=..., email=..., projects=OPS,ENG, repositories=org/repo, teams=ENG; "
            "a JSON value ([...] or {...}) is read as JSON."
        ),
    ],
    secret: Annotated[
        str, typer.Option(prompt="API token", hide_input=True, help="The API token (asked for, hidden, when omitted).")
    ],
    interval: Annotated[int | None, typer.Option(help="Sync every N minutes while the web app runs.")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Add a connection; the token is stored encrypted and never shown again (json: what POST /api/v1/connections answers)."""
    settings = load_settings(database)
    with session_scope(settings) as session:
        target = find_team(session, team)
        connection = service.create(
            session=session,
            actor=None,
            name=name,
            kind=kind,
            team_id=target.id,
            settings=_setting_values(setting),
            secret=secret,
            app_key=settings.resolved_secret_key(),
            interval_minutes=interval,
        )
        if output_format is OutputFormat.JSON:
            print_json(ConnectionRead.model_validate(connection))
            return
        console.print(
            f"Added connection {connection.name} ({kind}) feeding {target.name}. "
            f"Check it with `deliveryops connectors test {connection.name!r}`."
        )


def _connection(session: Any, name: str) -> Connection:
    found = session.scalar(select(Connection).where(Connection.name == name))
    if found is None:
        raise CliError(f"No connection named {name!r}. See `deliveryops connectors list`.")
    assert isinstance(found, Connection)
    return found


@connectors_app.command("test")
@friendly_errors
def check(
    name: Annotated[str, typer.Argument(help="The connection's name.")],
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Reach the source with the stored credentials (json: what POST /api/v1/connections/{id}/test answers)."""
    settings = load_settings(database)
    with session_scope(settings) as session:
        connection = _connection(session, name)
        result = TestResult(
            message=service.check(
                session=session, actor=None, connection_id=connection.id, app_key=settings.resolved_secret_key()
            )
        )
    if output_format is OutputFormat.JSON:
        print_json(result)
        return
    console.print(result.message)


@connectors_app.command("sync")
@friendly_errors
def sync(
    name: Annotated[str, typer.Argument(help="The connection's name.")],
    full: Annotated[bool, typer.Option(help="Read everything and remove items the source no longer has.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Sync a connection now, with a progress line; an interrupted sync resumes where it stopped.

    The sync runs here as a job (it shows on the admin jobs page) and holds the connection's lock, so it never
    runs beside a sync of the same connection on a worker; a failure a retry may mend is retried by a worker.
    """
    from deliveryops.jobs import JobRuntime  # noqa: PLC0415 (loads the queue library)

    settings = load_settings(database)
    with session_scope(settings) as session:
        connection_id = _connection(session, name).id
    engine = make_engine(settings.database_url)
    runtime = JobRuntime(settings, make_session_factory(engine))
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task(f"Syncing {name}", total=None)

            def report(_done: int, _total: int | None, message: str | None) -> None:
                progress.update(task, description=f"Syncing {name}: {message or ''}")

            try:
                job = runtime.run_now(
                    sync_connection,
                    arguments={"connection_id": connection_id, "full": full, "trigger": "cli"},
                    requested_by="command line",
                    on_progress=report,
                )
            except ConflictError as exc:
                raise CliError(
                    f"{name}: a sync of this connection is queued or running; try again when it has finished."
                ) from exc
        if job.state != "succeeded":
            later = " A worker tries it again." if job.state == "queued" else ""
            raise CliError(f"{job.error or 'The sync failed.'}{later}")
        with session_scope(settings) as session:
            run = session.scalar(
                select(SyncRun).where(SyncRun.connection_id == connection_id).order_by(SyncRun.id.desc()).limit(1)
            )
            assert run is not None
            console.print(
                f"{name}: {run.fetched} fetched, {run.created} created, {run.updated} updated, "
                f"{run.unchanged} unchanged, {run.deleted} deleted, {run.changes} pull requests, "
                f"{run.requests} requests in {run.duration_seconds or 0:.1f} s."
            )
    finally:
        runtime.stop()
        engine.dispose()


@connectors_app.command("list")
@friendly_errors
def list_connections(
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List connections with their last sync (json: the page GET /api/v1/connections answers)."""
    with session_scope(load_settings(database)) as session:
        rows = service.list_(session=session, actor=None)
        if output_format is OutputFormat.JSON:
            print_json(paginate([ConnectionRead.model_validate(row) for row in rows], page_params(limit, offset)))
            return
        if not rows:
            console.print("No connections yet. Add one with `deliveryops connectors add`.")
            return
        teams = {team.id: team.name for team in list_teams(session=session, actor=None)}
        table = Table("Name", "Kind", "Team", "Schedule", "Last sync")
        for connection in rows:
            last = session.scalar(
                select(SyncRun).where(SyncRun.connection_id == connection.id).order_by(SyncRun.id.desc()).limit(1)
            )
            table.add_row(
                connection.name,
                connection.kind,
                teams.get(connection.team_id, "-"),
                f"every {connection.interval_minutes} min" if connection.interval_minutes else "by hand",
                f"{last.status} {last.started_at:%Y-%m-%d %H:%M}" if last else "never",
            )
        console.print(table)
