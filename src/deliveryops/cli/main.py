"""`deliveryops`: the command line. A thin shell over the services."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from deliveryops import __version__
from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role, User
from deliveryops.cli import impediment_clusters  # noqa: F401 - registers `impediments clusters|synonyms|link-blockers`
from deliveryops.cli.coaching import coaching_app
from deliveryops.cli.common import (
    CliError,
    console,
    ensure_migrated,
    friendly_errors,
    load_settings,
    session_scope,
)
from deliveryops.cli.connectors import connectors_app
from deliveryops.cli.dora import dora_app
from deliveryops.cli.experiments import experiments_app
from deliveryops.cli.flow import flow_app, forecast_app
from deliveryops.cli.impediments import impediments_app
from deliveryops.cli.report import report_app
from deliveryops.cli.work import import_app, simulate_command
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.demo import build_demo
from deliveryops.migrate import current_revision, head_revision
from deliveryops.migrate import upgrade as migrate_upgrade
from deliveryops.settings import Settings
from deliveryops.teams import service as teams
from deliveryops.teams.models import Group, Team

app = typer.Typer(
    name="deliveryops",
    help="DeliveryOps: flow, forecasts, impediments and more for delivery managers and Product Ops.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="People and their roles.", no_args_is_help=True)
teams_app = typer.Typer(help="Teams.", no_args_is_help=True)
groups_app = typer.Typer(help="Groups of teams (tribes, value streams).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(teams_app, name="teams")
app.add_typer(groups_app, name="groups")
app.add_typer(import_app, name="import")
app.add_typer(connectors_app, name="connectors")
app.add_typer(flow_app, name="flow")
app.add_typer(impediments_app, name="impediments")
app.add_typer(forecast_app, name="forecast")
app.add_typer(dora_app, name="dora")
app.add_typer(coaching_app, name="coaching")
app.add_typer(experiments_app, name="experiments")
app.add_typer(report_app, name="report")
app.command("simulate")(simulate_command)

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="Database URL; default DELIVERYOPS_DATABASE_URL or sqlite:///deliveryops.db."),
]


def _version(value: bool) -> None:
    if value:
        console.print(f"deliveryops {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """DeliveryOps command line."""


def _serve(settings: Settings, host: str, port: int) -> None:
    from deliveryops.web.app import create_app  # noqa: PLC0415 (the web stack is heavy for other commands)

    console.print(f"DeliveryOps is running on [bold]http://{host}:{port}[/bold]  (Ctrl+C to stop)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@app.command()
@friendly_errors
def demo(
    database: Annotated[str, typer.Option("--database", help="Database URL for the demo.")] = "sqlite:///deliveryops-demo.db",
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8000,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed for the simulated organisation.")] = 7,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the web app afterwards.")] = True,
) -> None:
    """Build a demo organisation with realistic history, then start the web app."""
    settings = load_settings(database)
    _reset_demo_database(settings)
    engine = make_engine(settings.database_url)
    migrate_upgrade(engine)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("Building the demo organisation", total=1)

        def report(step: str, done: int, total: int) -> None:
            progress.update(task, description=f"Demo: {step}", completed=done, total=total)

        with unit_of_work(make_session_factory(engine)) as session:
            result = build_demo(session, seed=seed, progress=report)
    engine.dispose()
    table = Table(title="Demo sign-ins (every demo account shares this password)")
    table.add_column("Role")
    table.add_column("Name")
    table.add_column("E-mail")
    for login in result.logins:
        table.add_row(login.role, login.name, login.email)
    console.print(table)
    console.print(f"Password: [bold]{result.password}[/bold]   Admin login: [bold]{result.logins[0].email}[/bold]")
    console.print(
        f"Database: {settings.database_url} ({result.teams} teams, {result.people} people, "
        f"{result.items} work items with {result.transitions} status changes)"
    )
    if result.extras:
        console.print("Also: " + ", ".join(f"{count} {name}" for name, count in result.extras.items()))
    if serve:
        _serve(settings, host, port)


def _reset_demo_database(settings: Settings) -> None:
    if settings.is_sqlite:
        path = Path(settings.database_url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            candidate = path.with_name(path.name + suffix)
            if candidate.exists():
                candidate.unlink()
        return
    engine = make_engine(settings.database_url)
    try:
        if inspect(engine).get_table_names():
            where = engine.url.render_as_string(hide_password=True)
            raise CliError(f"The database {where} is not empty; the demo needs an empty database.")
    finally:
        engine.dispose()


@app.command()
@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    database: DatabaseOption = None,
) -> None:
    """Start the web app against the configured database."""
    settings = load_settings(database)
    engine = make_engine(settings.database_url)
    try:
        ensure_migrated(engine)
    finally:
        engine.dispose()
    _serve(settings, host, port)


@db_app.command("upgrade")
@friendly_errors
def db_upgrade(database: DatabaseOption = None) -> None:
    """Create or migrate the database schema to this version."""
    settings = load_settings(database)
    engine = make_engine(settings.database_url)
    try:
        before = current_revision(engine)
        migrate_upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    if before == after:
        console.print(f"The database is up to date (revision {after}).")
    else:
        console.print(f"Upgraded the database from {before or 'empty'} to {after}.")


@db_app.command("status")
@friendly_errors
def db_status(database: DatabaseOption = None) -> None:
    """Show the schema revision of the database and of this version."""
    settings = load_settings(database)
    engine = make_engine(settings.database_url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    state = "up to date" if current == head else "needs `deliveryops db upgrade`"
    console.print(f"Database revision: {current or 'empty'}; this version: {head}; {state}.")


@users_app.command("create")
@friendly_errors
def users_create(
    email: Annotated[str, typer.Option(help="Sign-in e-mail.")],
    role: Annotated[Role, typer.Option(help="Organisation role.")] = Role.MEMBER,
    name: Annotated[str | None, typer.Option(help="Display name (default: from the e-mail).")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="Password (at least 10 characters); asked for when omitted.",
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Create a person who can sign in."""
    display = name or email.split("@", 1)[0].replace(".", " ").title()
    with session_scope(load_settings(database)) as session:
        user = accounts.create(session=session, actor=None, email=email, name=display, role=role, password=password)
        console.print(f"Created {user.name} <{user.email}> as {user.role.label}.")


@users_app.command("list")
@friendly_errors
def users_list(database: DatabaseOption = None) -> None:
    """List everyone with their role."""
    with session_scope(load_settings(database)) as session:
        table = Table("Name", "E-mail", "Role", "Active")
        for user in session.scalars(select(User).order_by(User.name)):
            table.add_row(user.name, user.email, user.role.label, "yes" if user.is_active else "no")
        console.print(table)


@teams_app.command("list")
@friendly_errors
def teams_list(database: DatabaseOption = None) -> None:
    """List every team with its group and time zone."""
    with session_scope(load_settings(database)) as session:
        rows = list(session.scalars(select(Team).order_by(Team.name)))
        if not rows:
            console.print("No teams yet. Create one with `deliveryops teams create NAME`.")
            return
        table = Table("Team", "Slug", "Group", "Time zone")
        for team in rows:
            table.add_row(team.name, team.slug, team.group.name if team.group else "-", team.time_zone)
        console.print(table)


@teams_app.command("create")
@friendly_errors
def teams_create(
    name: Annotated[str, typer.Argument(help="Team name.")],
    time_zone: Annotated[str, typer.Option("--time-zone", help="IANA time zone, e.g. Europe/Berlin.")] = "UTC",
    group: Annotated[str | None, typer.Option(help="Name or slug of the group it belongs to.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Create a team."""
    with session_scope(load_settings(database)) as session:
        group_id = _group_id(session, group) if group else None
        team = teams.create_team(session=session, actor=None, name=name, time_zone=time_zone, group_id=group_id)
        console.print(f"Created team {team.name} ({team.slug}).")


def _group_id(session: Session, name: str) -> int:
    found = session.scalar(select(Group.id).where((Group.name == name) | (Group.slug == name)))
    if found is None:
        raise CliError(f"No group named {name!r}. See `deliveryops groups list`.")
    return found


@groups_app.command("list")
@friendly_errors
def groups_list(database: DatabaseOption = None) -> None:
    """List every group with its teams."""
    with session_scope(load_settings(database)) as session:
        rows = list(session.scalars(select(Group).order_by(Group.name)))
        if not rows:
            console.print("No groups yet. Create one with `deliveryops groups create NAME`.")
            return
        table = Table("Group", "Slug", "Teams")
        for group in rows:
            table.add_row(group.name, group.slug, ", ".join(t.name for t in group.teams) or "-")
        console.print(table)


@groups_app.command("create")
@friendly_errors
def groups_create(
    name: Annotated[str, typer.Argument(help="Group name.")],
    description: Annotated[str, typer.Option(help="What the group delivers.")] = "",
    database: DatabaseOption = None,
) -> None:
    """Create a group of teams."""
    with session_scope(load_settings(database)) as session:
        group = teams.create_group(session=session, actor=None, name=name, description=description)
        console.print(f"Created group {group.name} ({group.slug}).")
