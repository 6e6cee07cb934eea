"""`deliveryops retros list|show|export|create`: a team's retrospectives, as one of its people sees them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from deliveryops.cli.common import (
    DatabaseOption,
    PersonOption,
    TeamOption,
    build,
    console,
    friendly_errors,
    person_scope,
)
from deliveryops.cli.output import (
    Column,
    FormatOption,
    LimitOption,
    OffsetOption,
    OutputFormat,
    emit,
    page_params,
    print_data,
    print_page,
)
from deliveryops.retros import service
from deliveryops.retros.models import Retro
from deliveryops.retros.participants import retro_token
from deliveryops.retros.schemas import RetroCreate, RetroSummary
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.teams.service import find_team

retros_app = typer.Typer(
    help="Retrospectives of a team: list, show the board, export as Markdown, schedule.", no_args_is_help=True
)
TokenOption = Annotated[
    str,
    typer.Option(
        "--token",
        help="A participant secret, as the API's X-Retro-Token: shows that participant's own cards and votes (default: none).",
    ),
]
RetroArgument = Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="The retro's id.")]

COLUMNS: list[Column[RetroSummary]] = [
    Column("Id", lambda r: r.id),
    Column("Retro", lambda r: r.title),
    Column("Phase", lambda r: r.phase),
    Column("Format", lambda r: r.format),
]


def _print_board(session: Session, retro: Retro, token: str, output_format: OutputFormat) -> None:
    session.flush()
    board = service.state(session, retro, token=retro_token(token, retro.id))
    if output_format is OutputFormat.JSON:
        print_data(board)
        return
    console.print(f"[bold]{board['title']}[/bold] (retro {board['id']}): {board['phase']}", highlight=False)
    for column in board["columns"]:
        texts = [c["text"] for c in board["cards"] if c["column"] == column]
        hidden = board["hidden_cards"].get(column, 0)
        console.print(f"{column}: {len(texts)} cards{f', {hidden} private' if hidden else ''}", highlight=False)
        for text in texts:
            console.print(f"  - {text}", highlight=False)
    for theme in board["themes"]:
        votes = "" if theme["votes"] is None else f" ({theme['votes']} votes)"
        console.print(f"Theme: {theme['title']}{votes}", highlight=False)
    for action in board["actions"]:
        console.print(f"Action {action['id']}: {action['title']} ({action['status']})", highlight=False)


@retros_app.command("list")
@friendly_errors
def list_retros(
    team: TeamOption,
    acting: PersonOption,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List a team's retros, newest first (json: GET /api/v1/teams/{id}/retros)."""
    with person_scope(database, acting) as (session, person, _settings):
        rows = service.list_team(session=session, actor=person, team_id=find_team(session, team).id)
        page = paginate([RetroSummary.of(r) for r in rows], page_params(limit, offset))
        print_page(page, COLUMNS, output_format, empty="No retros. Schedule one with `deliveryops retros create`.")


@retros_app.command("show")
@friendly_errors
def show(
    retro_id: RetroArgument,
    acting: PersonOption,
    token: TokenOption = "",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Show the board as a participant sees it: others' cards stay private while reflecting (json: the API's)."""
    with person_scope(database, acting) as (session, person, _settings):
        retro = service.get_or_raise(session=session, actor=person, retro_id=retro_id)
        _print_board(session, retro, token, output_format)


@retros_app.command("export")
@friendly_errors
def export(
    retro_id: RetroArgument,
    acting: PersonOption,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of printing.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Print the retro as Markdown, with the team's health check at the time (the page's export)."""
    with person_scope(database, acting) as (session, person, settings):
        retro = service.get_or_raise(session=session, actor=person, retro_id=retro_id)
        text = service.export_markdown(session, retro, min_group_size=settings.min_group_size, base_url=str(settings.public_url))
    emit(text, output)


@retros_app.command("create")
@friendly_errors
def create(
    team: TeamOption,
    title: Annotated[str, typer.Option(help='e.g. "Sprint 42 retro".')],
    acting: PersonOption,
    retro_format: Annotated[
        str, typer.Option("--retro-format", help="start-stop-continue, 4ls, mad-sad-glad, sailboat, or custom (with --columns).")
    ] = "start-stop-continue",
    columns: Annotated[str | None, typer.Option(help="A custom format's columns, comma-separated (1 to 6).")] = None,
    vote_budget: Annotated[int, typer.Option("--vote-budget", help="Votes per person (1 to 10).")] = 3,
    anonymous: Annotated[bool, typer.Option("--anonymous/--named", help="Store no author on cards (the default).")] = True,
    token: TokenOption = "",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Schedule a retro for a team; the person acting facilitates it (json: what POST /api/v1/teams/{id}/retros answers)."""
    body = build(RetroCreate, title=title, format=retro_format, columns=columns, vote_budget=vote_budget, anonymous=anonymous)
    with person_scope(database, acting) as (session, person, _settings):
        retro = service.schedule(
            session=session,
            actor=person,
            team_id=find_team(session, team).id,
            title=body.title,
            retro_format=body.format,
            custom_columns=body.columns,
            vote_budget=body.vote_budget,
            anonymous=body.anonymous,
        )
        _print_board(session, retro, token, output_format)
