"""`deliveryops impediments list|raise|escalate|resolve|clusters|synonyms|link-blockers`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from deliveryops.cli.common import CliError, acting_user, build, console, friendly_errors, load_settings, session_scope
from deliveryops.cli.impediment_clusters import link_blockers, list_clusters, synonyms
from deliveryops.cli.output import FormatOption, LimitOption, OffsetOption, OutputFormat, page_params, print_json
from deliveryops.db import utcnow
from deliveryops.impediments import service
from deliveryops.impediments.models import Category, Level, Severity
from deliveryops.impediments.reads import impediment_detail, impediment_reads
from deliveryops.impediments.schemas import ImpedimentCreate
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.teams.service import find_team, list_teams

impediments_app = typer.Typer(
    help="Impediments: raise, escalate, resolve; cross-team clusters and synonyms.", no_args_is_help=True
)
DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]
AsOption = Annotated[str | None, typer.Option("--as", help="E-mail of the person acting (kept in the timeline).")]


@impediments_app.command("list")
@friendly_errors
def list_impediments(
    team: Annotated[str | None, typer.Option(help="Only this team (name, slug or id).")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open impediments.")] = False,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List impediments, open ones first, with status and level (json: the page GET /api/v1/teams/{id}/impediments answers)."""
    with session_scope(load_settings(database)) as session:
        teams = [find_team(session, team)] if team else list_teams(session=session, actor=None)
        rows = [
            row
            for chosen in teams
            for row in service.list_team(session=session, actor=None, team_id=chosen.id, include_closed=not open_only)
        ]
        if output_format is OutputFormat.JSON:
            print_json(paginate(impediment_reads(session, rows, now=utcnow()), page_params(limit, offset)))
            return
        if not rows:
            console.print("No impediments. Raise one with `deliveryops impediments raise`.")
            return
        names = {t.id: t.name for t in teams}
        table = Table("Id", "Team", "Title", "Severity", "Status", "Level")
        for row in rows:
            table.add_row(
                str(row.id), names.get(row.team_id, "?"), row.title, row.severity.value, row.status.label, row.level.label
            )
        console.print(table)


@impediments_app.command("raise")
@friendly_errors
def raise_impediment(
    team: Annotated[str, typer.Option(help="The team it blocks (name, slug or id).")],
    title: Annotated[str, typer.Option(help="Short and specific.")],
    description: Annotated[str, typer.Option(help="What happens and what it blocks.")] = "",
    category: Annotated[str | None, typer.Option(help="A category name, e.g. 'Data access'.")] = None,
    severity: Annotated[Severity, typer.Option(help="low, medium, high or critical.")] = Severity.MEDIUM,
    items: Annotated[str | None, typer.Option(help="Keys of blocked work items, comma-separated.")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    acting: AsOption = None,
    database: DatabaseOption = None,
) -> None:
    """Raise an impediment for a team (json: what POST /api/v1/teams/{id}/impediments answers)."""
    with session_scope(load_settings(database)) as session:
        category_id = None
        if category:
            category_id = session.scalar(select(Category.id).where(Category.name == category))
            if category_id is None:
                names = ", ".join(c.name for c in service.categories(session))
                raise CliError(f"No category {category!r}; choose one of: {names}.")
        body = build(
            ImpedimentCreate,
            title=title,
            description=description,
            category_id=category_id,
            severity=severity,
            work_item_keys=items.split(",") if items else [],
        )
        impediment = service.raise_(
            session=session,
            actor=acting_user(session, acting),
            team_id=find_team(session, team).id,
            title=body.title,
            description=body.description,
            category_id=body.category_id,
            severity=body.severity,
            work_item_keys=body.work_item_keys,
        )
        if output_format is OutputFormat.JSON:
            print_json(impediment_detail(session, impediment))
            return
        console.print(f"Raised impediment {impediment.id}: {impediment.title}.")


@impediments_app.command("escalate")
@friendly_errors
def escalate(
    impediment_id: Annotated[int, typer.Argument(help="The impediment's id.")],
    tried: Annotated[str, typer.Option(help="What was tried already.")],
    needed: Annotated[str, typer.Option(help="What is needed from the next level.")],
    to: Annotated[Level | None, typer.Option(help="The level to send it to; default the next one up.")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    acting: AsOption = None,
    database: DatabaseOption = None,
) -> None:
    """Move an impediment up: team → delivery manager → Product Ops → leadership (`--to` skips levels; json: as the API)."""
    with session_scope(load_settings(database)) as session:
        impediment = service.escalate(
            session=session,
            actor=acting_user(session, acting),
            impediment_id=impediment_id,
            tried=tried,
            needed=needed,
            to=to,
        )
        if output_format is OutputFormat.JSON:
            print_json(impediment_detail(session, impediment))
            return
        console.print(f"Impediment {impediment.id} is now with {impediment.level.label}.")


@impediments_app.command("resolve")
@friendly_errors
def resolve(
    impediment_id: Annotated[int, typer.Argument(help="The impediment's id.")],
    note: Annotated[str, typer.Option(help="How it was resolved.")],
    wont_fix: Annotated[bool, typer.Option("--wont-fix", help="Close it as won't fix.")] = False,
    output_format: FormatOption = OutputFormat.TABLE,
    acting: AsOption = None,
    database: DatabaseOption = None,
) -> None:
    """Resolve an impediment (members of a confirmed cross-team cluster resolve with their cluster; json: as the API)."""
    with session_scope(load_settings(database)) as session:
        impediment = service.resolve(
            session=session, actor=acting_user(session, acting), impediment_id=impediment_id, note=note, wont_fix=wont_fix
        )
        if output_format is OutputFormat.JSON:
            print_json(impediment_detail(session, impediment))
            return
        console.print(f"Impediment {impediment.id} is {impediment.status.label}.")


# The cross-team commands live in their own module.
impediments_app.command("clusters")(list_clusters)
impediments_app.command("synonyms")(synonyms)
impediments_app.command("link-blockers")(link_blockers)
