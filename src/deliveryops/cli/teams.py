"""`deliveryops teams` and `deliveryops groups`: teams and the groups they belong to."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.cli.common import CliError, console, friendly_errors, load_settings, session_scope
from deliveryops.teams import service as teams
from deliveryops.teams.models import Group, Team

__all__ = ["groups_app", "teams_app"]

teams_app = typer.Typer(help="Teams.", no_args_is_help=True)
groups_app = typer.Typer(help="Groups of teams (tribes, value streams).", no_args_is_help=True)
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="Database URL; default DELIVERYOPS_DATABASE_URL or sqlite:///deliveryops.db."),
]


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
