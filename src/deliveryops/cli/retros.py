"""`deliveryops retros`: a team's retrospectives, as one of its people sees them: list, show, export and schedule
them; write and list cards, group them into themes, vote, move to the next phase, list the actions decided.

Each command calls the service the API calls, with the API's ``schemas.py`` body, and under ``--format json``
prints what the API answers: a change prints the board (as ``POST /api/v1/retros/{id}/...`` answers), a list
prints a page of the board's own entries (``cards``, ``themes`` or ``actions`` of ``GET /api/v1/retros/{id}``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.cli.actions import (
    DueDateOption,
    ExpectedDirectionOption,
    OwnerIdOption,
    TargetCardOption,
    TargetMetricOption,
)
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
    TextFormat,
    emit,
    page_params,
    print_json,
    print_page,
)
from deliveryops.retros import service
from deliveryops.retros.models import Retro
from deliveryops.retros.participants import retro_token, vote_token
from deliveryops.retros.schemas import (
    CardCreate,
    CardRead,
    RetroAction,
    RetroActionRead,
    RetroCreate,
    RetroRead,
    RetroSummary,
    ThemeCreate,
    ThemeRead,
    VoteCast,
)
from deliveryops.schemas import DEFAULT_LIMIT, PageParams, paginate
from deliveryops.settings import Settings
from deliveryops.teams.service import find_team

retros_app = typer.Typer(
    help="Retrospectives of a team: list, show the board, export, schedule; cards, themes, votes, phases, actions.",
    no_args_is_help=True,
)
TokenOption = Annotated[
    str,
    typer.Option(
        "--token",
        help="A participant secret, as the API's X-Retro-Token: shows that participant's own cards (default: none).",
    ),
]
RetroArgument = Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="The retro's id.")]

COLUMNS: list[Column[RetroSummary]] = [
    Column("Id", lambda r: r.id),
    Column("Retro", lambda r: r.title),
    Column("Phase", lambda r: r.phase),
    Column("Format", lambda r: r.format),
]
Entry = TypeVar("Entry", CardRead, ThemeRead, RetroActionRead)  # a card, theme or action of the board
CARD_COLUMNS: list[Column[CardRead]] = [
    Column("Id", lambda c: c.id),
    Column("Column", lambda c: c.column),
    Column("Card", lambda c: c.text),
    Column("Theme", lambda c: c.theme_id),
    Column("Mine", lambda c: "yes" if c.mine else ""),
]
THEME_COLUMNS: list[Column[ThemeRead]] = [
    Column("Id", lambda t: t.id),
    Column("Theme", lambda t: t.title),
    Column("Votes", lambda t: t.votes),
    Column("My votes", lambda t: t.my_votes),
]
ACTION_COLUMNS: list[Column[RetroActionRead]] = [
    Column("Id", lambda a: a.id),
    Column("Action", lambda a: a.title),
    Column("Status", lambda a: a.status),
    Column("Owner", lambda a: a.owner),
    Column("Due", lambda a: a.due_date),
]


@dataclass(frozen=True)
class Participant:
    """Who looks at a board from the command line: the person acting (``--as``), whose votes count
    against their budget, and the ``--token`` secret that marks their own cards (the API's X-Retro-Token)."""

    person: User
    key: str  # the app's secret key: it derives the person's vote token, as the web app does
    secret: str

    @classmethod
    def of(cls, person: User, settings: Settings, secret: str) -> Participant:
        """The participant ``person`` is with ``--token secret``."""
        return cls(person, settings.resolved_secret_key(), secret)

    def token(self, retro_id: int) -> str:
        """The participant token of their cards (a random one without ``--token``)."""
        return retro_token(self.secret, retro_id)

    def voter(self, retro_id: int) -> str:
        """The person's vote token: one per person per retro, whatever the ``--token``."""
        return vote_token(self.key, retro_id, self.person.id)


def _print_board(session: Session, retro: Retro, you: Participant, output_format: OutputFormat) -> None:
    board = _board(session, retro, you)
    if output_format is OutputFormat.JSON:
        print_json(board)
        return
    console.print(f"[bold]{board.title}[/bold] (retro {board.id}): {board.phase}", highlight=False)
    for column in board.columns:
        texts = [c.text for c in board.cards if c.column == column]
        hidden = board.hidden_cards.get(column, 0)
        console.print(f"{column}: {len(texts)} cards{f', {hidden} private' if hidden else ''}", highlight=False)
        for text in texts:
            console.print(f"  - {text}", highlight=False)
    for theme in board.themes:
        votes = "" if theme.votes is None else f" ({theme.votes} votes)"
        console.print(f"Theme: {theme.title}{votes}", highlight=False)
    for action in board.actions:
        console.print(f"Action {action.id}: {action.title} ({action.status})", highlight=False)
    if board.phase == "vote":
        console.print(f"Votes left: {board.votes_left} of {board.vote_budget}.", highlight=False)


def _board(session: Session, retro: Retro, you: Participant) -> RetroRead:
    """The board as the participant sees it (the API's, for their ``X-Retro-Token``)."""
    session.flush()
    return service.state(session, retro, token=you.token(retro.id), voter=you.voter(retro.id))


def _list_entries(
    database: str | None,
    acting: str,
    retro_id: int,
    token: str,
    entries: Callable[[RetroRead], Sequence[Entry]],
    columns: list[Column[Entry]],
    output_format: OutputFormat,
    page: PageParams,
    empty: str,
    *,
    cards: bool = False,
) -> None:
    """One page of the board's ``cards``, ``themes`` or ``actions``; with ``cards``, a table also says how
    many cards stay private."""
    with person_scope(database, acting) as (session, person, settings):
        retro = service.get_or_raise(session=session, actor=person, retro_id=retro_id)
        board = _board(session, retro, Participant.of(person, settings, token))
    print_page(paginate(entries(board), page), columns, output_format, empty=empty)
    hidden = sum(board.hidden_cards.values()) if cards else 0
    if hidden and output_format is OutputFormat.TABLE:
        console.print(f"{hidden} more private until reflecting ends.", highlight=False)


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
    with person_scope(database, acting) as (session, person, settings):
        retro = service.get_or_raise(session=session, actor=person, retro_id=retro_id)
        _print_board(session, retro, Participant.of(person, settings, token), output_format)


@retros_app.command("export")
@friendly_errors
def export(
    retro_id: RetroArgument,
    acting: PersonOption,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of printing.")] = None,
    output_format: Annotated[
        TextFormat,
        typer.Option("--format", help="text: Markdown (the page's export); json: the board as GET /api/v1/retros/{id} answers."),
    ] = TextFormat.TEXT,
    database: DatabaseOption = None,
) -> None:
    """Print the retro as Markdown, with the team's health check at the time (the page's export); json: the board
    as the API answers it to the person, without a participant token."""
    with person_scope(database, acting) as (session, person, settings):
        retro = service.get_or_raise(session=session, actor=person, retro_id=retro_id)
        if output_format is TextFormat.JSON:
            text = _board(session, retro, Participant.of(person, settings, "")).model_dump_json(indent=2) + "\n"
        else:
            text = service.export_markdown(
                session, retro, min_group_size=settings.min_group_size, base_url=str(settings.public_url)
            )
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
    with person_scope(database, acting) as (session, person, settings):
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
        _print_board(session, retro, Participant.of(person, settings, token), output_format)


@retros_app.command("cards")
@friendly_errors
def cards(
    retro_id: RetroArgument,
    acting: PersonOption,
    token: TokenOption = "",
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List the cards a participant sees: while reflecting only their own (json: a page of the board's `cards`)."""
    empty = "No card to show. Write one with `deliveryops retros add-card` while reflecting."
    page = page_params(limit, offset)
    _list_entries(database, acting, retro_id, token, lambda b: b.cards, CARD_COLUMNS, output_format, page, empty, cards=True)


@retros_app.command("add-card")
@friendly_errors
def add_card(
    retro_id: RetroArgument,
    column: Annotated[str, typer.Option(help="One of the retro's columns, e.g. Start.")],
    text: Annotated[str, typer.Option(help="What the card says.")],
    acting: PersonOption,
    token: TokenOption = "",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Write a card (reflect phase); it stays private to its writer until reflecting ends (json: what POST
    /api/v1/retros/{id}/cards answers)."""
    body = build(CardCreate, column=column, text=text)
    with person_scope(database, acting) as (session, person, settings):
        card = service.add_card(
            session=session,
            actor=person,
            retro_id=retro_id,
            token=retro_token(token, retro_id),
            column=body.column,
            text=body.text,
        )
        _print_board(session, card.retro, Participant.of(person, settings, token), output_format)
    if not token and output_format is OutputFormat.TABLE:
        console.print("Without --token nobody, you included, sees the card until reflecting ends.", highlight=False)


@retros_app.command("themes")
@friendly_errors
def themes(
    retro_id: RetroArgument,
    acting: PersonOption,
    token: TokenOption = "",
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List the themes with the participant's votes; counts show once voting ends (json: a page of the board's `themes`)."""
    empty = "No theme yet. Group cards with `deliveryops retros add-theme` in the group phase."
    page = page_params(limit, offset)
    _list_entries(database, acting, retro_id, token, lambda b: b.themes, THEME_COLUMNS, output_format, page, empty)


@retros_app.command("add-theme")
@friendly_errors
def add_theme(
    retro_id: RetroArgument,
    acting: PersonOption,
    title: Annotated[str, typer.Option(help='e.g. "Slow reviews" (default: "Untitled theme").')] = "",
    card: Annotated[list[int] | None, typer.Option("--card", help="A card's id to group under it; repeat.")] = None,
    token: TokenOption = "",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Group cards under a new theme (group phase) (json: what POST /api/v1/retros/{id}/themes answers)."""
    body = build(ThemeCreate, title=title, card_ids=card or [])
    with person_scope(database, acting) as (session, person, settings):
        theme = service.create_theme(session=session, actor=person, retro_id=retro_id, title=body.title, card_ids=body.card_ids)
        _print_board(session, theme.retro, Participant.of(person, settings, token), output_format)


@retros_app.command("vote")
@friendly_errors
def vote(
    retro_id: RetroArgument,
    theme: Annotated[int, typer.Option("--theme", help="The theme's id.")],
    acting: PersonOption,
    take_back: Annotated[bool, typer.Option("--take-back", help="Take one of your votes on it back.")] = False,
    token: TokenOption = "",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Vote on a theme within the person's budget, whatever the --token (vote phase) (json: what POST
    /api/v1/retros/{id}/votes answers)."""
    body = build(VoteCast, theme_id=theme, add=not take_back)
    with person_scope(database, acting) as (session, person, settings):
        you = Participant.of(person, settings, token)
        service.vote(
            session=session, actor=person, retro_id=retro_id, token=you.voter(retro_id), theme_id=body.theme_id, add=body.add
        )
        _print_board(session, service.get_or_raise(session=session, actor=person, retro_id=retro_id), you, output_format)


@retros_app.command("advance")
@friendly_errors
def advance(
    retro_id: RetroArgument,
    acting: PersonOption,
    token: TokenOption = "",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Move the retro to its next phase (its facilitator or the team's delivery manager) (json: what POST
    /api/v1/retros/{id}/advance answers)."""
    with person_scope(database, acting) as (session, person, settings):
        retro = service.advance(session=session, actor=person, retro_id=retro_id)
        _print_board(session, retro, Participant.of(person, settings, token), output_format)


@retros_app.command("actions")
@friendly_errors
def actions(
    retro_id: RetroArgument,
    acting: PersonOption,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List the improvement actions decided in the retro (json: a page of the board's `actions`)."""
    empty = "No action decided yet. Add one with `deliveryops retros add-action` in the discuss or actions phase."
    page = page_params(limit, offset)
    _list_entries(database, acting, retro_id, "", lambda b: b.actions, ACTION_COLUMNS, output_format, page, empty)


@retros_app.command("add-action")
@friendly_errors
def add_action(
    retro_id: RetroArgument,
    title: Annotated[str, typer.Option(help="What the team will do.")],
    acting: PersonOption,
    owner_id: OwnerIdOption = None,
    due_date: DueDateOption = None,
    target_metric: TargetMetricOption = None,
    target_card: TargetCardOption = None,
    expected_direction: ExpectedDirectionOption = None,
    expected_size: Annotated[
        float | None, typer.Option("--expected-size", help="The expected change, in the metric's unit.")
    ] = None,
    token: TokenOption = "",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Decide an improvement action (discuss or actions phase); it joins the team's actions, due in two weeks by
    default (json: what POST /api/v1/retros/{id}/actions answers)."""
    body = build(
        RetroAction,
        title=title,
        owner_id=owner_id,
        due_date=due_date,
        target_metric=target_metric,
        target_card=target_card,
        expected_direction=expected_direction,
        expected_size=expected_size,
    )
    with person_scope(database, acting) as (session, person, settings):
        service.add_action(session=session, actor=person, retro_id=retro_id, **body.model_dump())
        retro = service.get_or_raise(session=session, actor=person, retro_id=retro_id)
        _print_board(session, retro, Participant.of(person, settings, token), output_format)
