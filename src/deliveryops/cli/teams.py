"""`deliveryops teams` and `deliveryops groups`: teams and the groups they belong to."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from deliveryops.cli.common import build, console, friendly_errors, load_settings, session_scope
from deliveryops.cli.output import FormatOption, LimitOption, OffsetOption, OutputFormat, page_params, print_json
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.teams import service as teams
from deliveryops.teams.schemas import GroupCreate, GroupRead, TeamCreate, TeamRead

__all__ = ["groups_app", "teams_app"]

teams_app = typer.Typer(help="Teams.", no_args_is_help=True)
groups_app = typer.Typer(help="Groups of teams (tribes, value streams).", no_args_is_help=True)
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="Database URL; default DELIVERYOPS_DATABASE_URL or sqlite:///deliveryops.db."),
]


@teams_app.command("list")
@friendly_errors
def teams_list(
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List every team with its group and time zone (json: the page GET /api/v1/teams answers)."""
    with session_scope(load_settings(database)) as session:
        rows = teams.list_teams(session=session, actor=None)
        if output_format is OutputFormat.JSON:
            print_json(paginate([TeamRead.model_validate(team) for team in rows], page_params(limit, offset)))
            return
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
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Create a team (json: what POST /api/v1/teams answers)."""
    with session_scope(load_settings(database)) as session:
        group_id = teams.find_group(session, group).id if group else None
        body = build(TeamCreate, name=name, time_zone=time_zone, group_id=group_id)
        team = teams.create_team(session=session, actor=None, **body.model_dump())
        if output_format is OutputFormat.JSON:
            print_json(TeamRead.model_validate(team))
            return
        console.print(f"Created team {team.name} ({team.slug}).")


@groups_app.command("list")
@friendly_errors
def groups_list(
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List every group with its teams (json: the page GET /api/v1/groups answers)."""
    with session_scope(load_settings(database)) as session:
        rows = teams.list_groups(session=session, actor=None)
        if output_format is OutputFormat.JSON:
            print_json(paginate([GroupRead.of(group) for group in rows], page_params(limit, offset)))
            return
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
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Create a group of teams (json: what POST /api/v1/groups answers)."""
    with session_scope(load_settings(database)) as session:
        body = build(GroupCreate, name=name, description=description)
        group = teams.create_group(session=session, actor=None, **body.model_dump())
        if output_format is OutputFormat.JSON:
            print_json(GroupRead.of(group))
            return
        console.print(f"Created group {group.name} ({group.slug}).")
