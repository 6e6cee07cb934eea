"""`deliveryops sessions list|show|start`: a team's stand-ups, refinements and plannings from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from deliveryops.cli.common import PersonOption, build, friendly_errors, load_settings, person_scope, session_scope
from deliveryops.cli.dependencies import DatabaseOption
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
from deliveryops.facilitation import service
from deliveryops.facilitation.models import Kind
from deliveryops.facilitation.schemas import RefinementItemRead, SessionCreate, SessionStateRead, SessionSummary
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.teams.service import find_team

sessions_app = typer.Typer(help="Stand-ups, refinements and plannings: list, show, start.", no_args_is_help=True)

COLUMNS: list[Column[SessionSummary]] = [
    Column("Id", lambda s: s.id),
    Column("Kind", lambda s: s.kind.label),
    Column("Title", lambda s: s.title),
    Column("Items", lambda s: s.items),
    Column("Started", lambda s: s.created_at.strftime("%Y-%m-%d %H:%M")),
    Column("Outcome", lambda s: s.outcome if s.finished_at else "open"),
]


@sessions_app.command("list")
@friendly_errors
def list_sessions(
    team: Annotated[str, typer.Option(help="The team (name or slug).")],
    kind: Annotated[Kind | None, typer.Option(help="Only this kind.")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List the team's sessions, newest first (the API's list)."""
    with session_scope(load_settings(database)) as session:
        found = find_team(session, team)
        page = paginate(service.summaries(session, None, found.id, kind), page_params(limit, offset))
        print_page(page, COLUMNS, output_format, empty="No sessions. Start one on the team's Sessions page.")


@sessions_app.command("show")
@friendly_errors
def show(
    session_id: Annotated[int, typer.Argument(help="The session's id.")],
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Show a session: its agenda with what was noted, and its outcome (``--format json``: the API's state)."""
    with session_scope(load_settings(database)) as session:
        found = service.get_or_raise(session=session, actor=None, session_id=session_id)
        state = service.state(session, found)
        if output_format is OutputFormat.JSON:
            print_json(state)
            return
        _print_state(state)


@sessions_app.command("start")
@friendly_errors
def start(
    team: Annotated[str, typer.Option(help="The team (name or slug).")],
    kind: Annotated[str, typer.Option(help="standup, refinement or planning.")],
    acting: PersonOption,
    title: Annotated[str, typer.Option(help='A title (default "<Kind> <date>").')] = "",
    by_date: Annotated[
        str | None, typer.Option("--by-date", help="Planning: how many items by this date, YYYY-MM-DD (default two weeks).")
    ] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Start a session of the team with its agenda from the board; the person `--as` names facilitates it."""
    body = build(SessionCreate, kind=kind, title=title, by_date=by_date)
    with person_scope(database, acting) as (session, person, _settings):
        found = find_team(session, team)
        created = service.schedule(
            session=session, actor=person, team_id=found.id, kind=body.kind, title=body.title, by_date=body.by_date
        )
        session.flush()
        state = service.state(session, created)
    if output_format is OutputFormat.JSON:
        print_json(state)
        return
    typer.echo(f"Session {state.id} started: {state.title}. Open /sessions/{state.id} to run it.")


def _print_state(state: SessionStateRead) -> None:
    typer.echo(f"{state.title} ({state.kind_label}){' - finished' if state.finished else ''}")
    for item in state.items:
        marker = ">" if item.position == state.focus and not state.finished else " "
        notes = [f"helping: {', '.join(item.helpers)}"] if item.helpers else []
        if item.impediment:
            notes.append(f"impediment: {item.impediment.title}")
        if isinstance(item, RefinementItemRead) and item.decision:
            notes.append(f"decided: {item.decision}")
        typer.echo(f"{marker} {item.key} {item.title}" + (f" ({'; '.join(notes)})" if notes else ""))
    for action in state.actions:
        typer.echo(f"Action: {action.title} ({action.status})")
    if state.outcome:
        typer.echo(f"Outcome: {state.outcome}")
