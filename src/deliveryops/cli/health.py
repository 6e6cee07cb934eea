"""`deliveryops health rounds|show|history|open|close`: a team's health checks, as the person asking may see them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
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
    page_params,
    print_json,
    print_page,
)
from deliveryops.health import service, views
from deliveryops.health.models import HealthRound
from deliveryops.health.schemas import RoundCreate, RoundRead
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.settings import Settings
from deliveryops.teams.service import find_team, get_team_or_raise

health_app = typer.Typer(
    help="Health checks of a team: list its rounds, show one's results and the history, open and close a round.",
    no_args_is_help=True,
)
RoundArgument = Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="The round's id.")]


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _score(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}"


COLUMNS: list[Column[RoundRead]] = [
    Column("Id", lambda r: r.id),
    Column("Round", lambda r: r.title),
    Column("State", lambda r: r.state),
    Column("Opened", lambda r: _when(r.opened_at)),
    Column("Respondents", lambda r: r.respondents),
    Column("Overall", lambda r: _score(r.results.overall)),
]


def _print_round(
    session: Session, actor: User, health_round: HealthRound, settings: Settings, output_format: OutputFormat
) -> None:
    data = views.round_read(session, actor, health_round, minimum=settings.min_group_size)
    if output_format is OutputFormat.JSON:
        print_json(data)
        return
    console.print(f"[bold]{data.title}[/bold] (round {data.id}, {data.team_name}): {data.state}", highlight=False)
    if data.respondents is not None:
        console.print(f"Respondents: {data.respondents}", highlight=False)
    results = data.results
    if not results.shown:
        reason = "the round is open" if results.hidden_reason == "open" else f"fewer than {results.minimum} answered"
        console.print(f"Results hidden: {reason}.", highlight=False)
        return
    table = Table("Card", "Result", "Score", "Answers", "Change")
    for card in results.cards:
        change = "-" if card.change is None else f"{card.change:+.2f}"
        table.add_row(card.title, card.result.value, _score(card.score), str(card.answers), change)
    console.print(table)
    console.print(f"Overall: {_score(results.overall)}", highlight=False)


@health_app.command("rounds")
@friendly_errors
def list_rounds(
    team: TeamOption,
    acting: PersonOption,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List a team's rounds, newest first, with results when shown (json: GET /api/v1/teams/{id}/health/rounds)."""
    with person_scope(database, acting) as (session, actor, settings):
        rounds = service.list_rounds(session=session, actor=actor, team_id=find_team(session, team).id)
        data = [views.round_read(session, actor, r, minimum=settings.min_group_size) for r in rounds]
        print_page(
            paginate(data, page_params(limit, offset)),
            COLUMNS,
            output_format,
            empty="No health checks yet. Open one with `deliveryops health open`.",
        )


@health_app.command("show")
@friendly_errors
def show(
    round_id: RoundArgument,
    acting: PersonOption,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Show a round: its cards, progress, and results once closed with enough respondents (json: the API's)."""
    with person_scope(database, acting) as (session, actor, settings):
        health_round = service.get_round_or_raise(session=session, actor=actor, round_id=round_id)
        _print_round(session, actor, health_round, settings, output_format)


@health_app.command("history")
@friendly_errors
def history(
    team: TeamOption,
    acting: PersonOption,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Show a team's closed rounds and the cards red several rounds running (json: GET /api/v1/teams/{id}/health/history)."""
    with person_scope(database, acting) as (session, actor, settings):
        found = get_team_or_raise(session=session, actor=actor, team_id=find_team(session, team).id)
        data = views.team_history_read(session, found.id, minimum=settings.min_group_size)
    if output_format is OutputFormat.JSON:
        print_json(data)
        return
    if not data.rounds:
        console.print("No closed health checks yet.", highlight=False)
    for row in data.rounds:
        shown = f"overall {_score(row.overall)}, {row.respondents} answered" if row.shown else row.hidden_reason
        console.print(f"{_when(row.closed_at)}: {row.title} (round {row.round_id}): {shown}", highlight=False)
    for streak in data.red_streaks:
        console.print(f"Red {streak.red_rounds} rounds running: {streak.card_title}", highlight=False)


@health_app.command("open")
@friendly_errors
def open_round(
    team: TeamOption,
    acting: PersonOption,
    title: Annotated[str, typer.Option(help='e.g. "Health check Q4" (default: "Health check <month year>").')] = "",
    template_id: Annotated[
        int | None, typer.Option("--template-id", help="The template's id (default: the standard Squad Health Check).")
    ] = None,
    closes_at: Annotated[
        str | None, typer.Option("--closes-at", help="When it closes by itself, ISO 8601 with a zone, e.g. 2027-01-15T17:00Z.")
    ] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Open a health check for a team (its delivery manager or an admin; json: what the API answers)."""
    body = build(RoundCreate, template_id=template_id, title=title, closes_at=closes_at)
    with person_scope(database, acting) as (session, actor, settings):
        health_round = service.open_round(
            session=session,
            actor=actor,
            team_id=find_team(session, team).id,
            template_id=body.template_id,
            title=body.title,
            closes_at=body.closes_at,
        )
        _print_round(session, actor, health_round, settings, output_format)


@health_app.command("close")
@friendly_errors
def close(
    round_id: RoundArgument,
    acting: PersonOption,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Close a round (its team's delivery manager or an admin); results show with enough respondents."""
    with person_scope(database, acting) as (session, actor, settings):
        health_round = service.close_round(session=session, actor=actor, round_id=round_id)
        _print_round(session, actor, health_round, settings, output_format)
