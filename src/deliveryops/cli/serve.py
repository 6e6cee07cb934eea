"""`deliveryops demo` and `deliveryops serve`: the web app, on a demo organisation or the configured database."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import inspect

from deliveryops.cli.common import CliError, console, ensure_migrated, friendly_errors, load_settings
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.migrate import upgrade as migrate_upgrade
from deliveryops.settings import Settings

__all__ = ["demo", "serve"]

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="Database URL; default DELIVERYOPS_DATABASE_URL or sqlite:///deliveryops.db."),
]


def served_url(settings: Settings, host: str, port: int) -> Settings:
    """The settings with ``public_url`` set to the address being served, unless it was configured.

    Links in exports, e-mails and PDFs use ``public_url``; without ``DELIVERYOPS_PUBLIC_URL`` they follow
    ``--host``/``--port`` (a wildcard host is replaced by this machine's name). The value is also put in
    the environment, where the web processes of ``--workers N`` read their settings.
    """
    if "public_url" in settings.model_fields_set:
        return settings
    shown = socket.getfqdn() if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (comparing, not binding)
    if ":" in shown:
        shown = f"[{shown}]"
    url = f"http://{shown}:{port}"
    os.environ["DELIVERYOPS_PUBLIC_URL"] = url
    return settings.model_copy(update={"public_url": url})


def web_process_environment(settings: Settings) -> None:
    """Put in the environment what each web process of ``serve --workers N`` (N > 1) reads when it starts.

    Each web process builds the app from the environment: the database and the secret key (the generated key of the
    embedded default is written once, here, before the processes start and read it). Each also computes on one polars
    thread unless ``POLARS_MAX_THREADS`` is set: the processes already share the cores, and a pool of threads per
    process only adds threads waiting for a core (see docs/deployment.md). Polars reads it when a process loads it.
    """
    settings.resolved_secret_key()
    os.environ["DELIVERYOPS_DATABASE_URL"] = settings.database_url
    os.environ.setdefault("POLARS_MAX_THREADS", "1")


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    import uvicorn  # noqa: PLC0415 (the web stack is heavy for other commands)

    settings = served_url(settings, host, port)
    processes = f"{workers} web processes" if workers > 1 else "one web process"
    jobs = "running background jobs too" if settings.scheduler else "queueing background jobs for `deliveryops worker`"
    console.print(f"DeliveryOps is running on [bold]http://{host}:{port}[/bold]: {processes}, {jobs}  (Ctrl+C to stop)")
    if workers == 1:
        from deliveryops.app.main import create_app  # noqa: PLC0415 (with N > 1, only the web processes import the app)

        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
        return
    web_process_environment(settings)
    uvicorn.run("deliveryops.app.main:create_app", factory=True, host=host, port=port, workers=workers, log_level="warning")


@friendly_errors
def demo(
    database: Annotated[str, typer.Option("--database", help="Database URL for the demo.")] = "sqlite:///deliveryops-demo.db",
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8000,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed for the simulated organisation.")] = 7,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the web app afterwards.")] = True,
) -> None:
    """Build a demo organisation with realistic history, then start the web app."""
    from deliveryops.demo import build_demo  # noqa: PLC0415 (every domain: only for this command)

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
            result = build_demo(
                session,
                seed=seed,
                progress=report,
                min_group_size=settings.min_group_size,
                app_key=settings.resolved_secret_key(),
            )
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


@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Web processes sharing the port (about one per core). Each also runs background jobs unless "
            "DELIVERYOPS_SCHEDULER=false (then run `deliveryops worker`).",
        ),
    ] = 1,
    database: DatabaseOption = None,
) -> None:
    """Start the web app against the configured database."""
    settings = load_settings(database)
    engine = make_engine(settings.database_url)
    try:
        ensure_migrated(engine)
    finally:
        engine.dispose()
    _serve(settings, host, port, workers)
