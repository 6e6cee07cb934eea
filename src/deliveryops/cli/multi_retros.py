"""`deliveryops multi-retros list|show`: retros across several teams, as the person acting sees them."""

from __future__ import annotations

from typing import Annotated

import typer

from deliveryops.cli.common import DatabaseOption, PersonOption, console, friendly_errors, person_scope
from deliveryops.cli.output import (
    Column,
    FormatOption,
    LimitOption,
    OffsetOption,
    OutputFormat,
    page_params,
    print_json,
    print_page,
)
from deliveryops.retros import multi
from deliveryops.retros.multi_schemas import MultiRetroSummary
from deliveryops.retros.participants import MULTI_RETRO, vote_token
from deliveryops.schemas import DEFAULT_LIMIT, paginate

multi_retros_app = typer.Typer(help="Retros across several teams: list, show the synthesis board.", no_args_is_help=True)
MultiRetroArgument = Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="The multi-team retro's id.")]

COLUMNS: list[Column[MultiRetroSummary]] = [
    Column("Id", lambda r: r.id),
    Column("Retro", lambda r: r.title),
    Column("Phase", lambda r: r.phase),
    Column("Teams", lambda r: ", ".join(r.teams)),
]


@multi_retros_app.command("list")
@friendly_errors
def list_multi_retros(
    acting: PersonOption,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List the multi-team retros the person sees, newest first (json: GET /api/v1/multi-retros)."""
    with person_scope(database, acting) as (session, person, _settings):
        rows = multi.summaries(session, multi.list_visible(session=session, actor=person))
        print_page(paginate(rows, page_params(limit, offset)), COLUMNS, output_format, empty="No multi-team retro.")


@multi_retros_app.command("show")
@friendly_errors
def show(
    multi_id: MultiRetroArgument,
    acting: PersonOption,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Show the synthesis board: breakouts, themes with their teams and votes, actions; never a card (json: the API's)."""
    with person_scope(database, acting) as (session, person, settings):
        found = multi.get_or_raise(session=session, actor=person, multi_id=multi_id)
        session.flush()
        voter = vote_token(settings.resolved_secret_key(), found.id, person.id, purpose=MULTI_RETRO)
        board = multi.state(session, found, actor=person, token=voter)
    if output_format is OutputFormat.JSON:
        print_json(board)
        return
    console.print(f"[bold]{board.title}[/bold] (multi-team retro {board.id}): {board.phase}", highlight=False)
    for b in board.breakouts:
        console.print(f"Breakout {b.team}: {b.phase}{' (voted)' if b.voted else ''}", highlight=False)
    for theme in board.themes:
        votes = "" if theme.votes is None else f", {theme.votes} votes"
        console.print(f"Theme: {theme.title} ({', '.join(theme.teams)}{votes})", highlight=False)
    for action in board.actions:
        owner = f", {action.owner}" if action.owner else ""
        line = f"Action {action.id}: {action.title} ({action.team}{owner}, due {action.due_date})"
        console.print(line, highlight=False)
