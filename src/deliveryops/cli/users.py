"""`deliveryops users`: people and their roles."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role
from deliveryops.accounts.schemas import UserCreate, UserRead
from deliveryops.cli.common import build, console, friendly_errors, load_settings, session_scope
from deliveryops.cli.output import FormatOption, LimitOption, OffsetOption, OutputFormat, page_params, print_json
from deliveryops.schemas import DEFAULT_LIMIT, paginate

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
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Create a person who can sign in (json: what POST /api/v1/users answers)."""
    display = name or email.split("@", 1)[0].replace(".", " ").title()
    with session_scope(load_settings(database)) as session:
        body = build(UserCreate, email=email, name=display, role=role, password=password)
        user = accounts.create(session=session, actor=None, **body.model_dump())
        if output_format is OutputFormat.JSON:
            print_json(UserRead.model_validate(user))
            return
        console.print(f"Created {user.name} <{user.email}> as {user.role.label}.")


@users_app.command("list")
@friendly_errors
def users_list(
    query: Annotated[str, typer.Option("--query", max=100, help="Only names or e-mails containing this, as the API's q.")] = "",
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List everyone with their role (json: the page GET /api/v1/users answers)."""
    with session_scope(load_settings(database)) as session:
        users = accounts.list_(session=session, actor=None, query=query)
        if output_format is OutputFormat.JSON:
            print_json(paginate([UserRead.model_validate(user) for user in users], page_params(limit, offset)))
            return
        table = Table("Name", "E-mail", "Role", "Active")
        for user in users:
            table.add_row(user.name, user.email, user.role.label, "yes" if user.is_active else "no")
        console.print(table)
