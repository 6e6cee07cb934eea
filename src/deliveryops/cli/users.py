"""`deliveryops users`: people and their roles."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role, User
from deliveryops.cli.common import console, friendly_errors, load_settings, session_scope

__all__ = ["users_app"]

users_app = typer.Typer(help="People and their roles.", no_args_is_help=True)
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="Database URL; default DELIVERYOPS_DATABASE_URL or sqlite:///deliveryops.db."),
]


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
