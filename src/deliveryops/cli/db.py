"""`deliveryops db`: create, migrate and inspect the database schema."""

from __future__ import annotations

from typing import Annotated

import typer

from deliveryops.cli.common import console, friendly_errors, load_settings
from deliveryops.cli.output import TextFormat, print_json
from deliveryops.db import make_engine
from deliveryops.migrate import current_revision, head_revision
from deliveryops.migrate import upgrade as migrate_upgrade
from deliveryops.schemas import SchemaStatus

__all__ = ["db_app"]


db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="Database URL; default DELIVERYOPS_DATABASE_URL or sqlite:///deliveryops.db."),
]


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
def db_status(
    database: DatabaseOption = None,
    output_format: Annotated[TextFormat, typer.Option("--format", help="text, or json.")] = TextFormat.TEXT,
) -> None:
    """Show the schema revision of the database and of this version."""
    settings = load_settings(database)
    engine = make_engine(settings.database_url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    status = SchemaStatus(revision=current, head=head_revision(), up_to_date=current == head_revision())
    if output_format is TextFormat.JSON:
        print_json(status)
        return
    state = "up to date" if status.up_to_date else "needs `deliveryops db upgrade`"
    console.print(f"Database revision: {current or 'empty'}; this version: {status.head}; {state}.")
