"""`deliveryops actions list|show|create|update-status`: a team's improvement actions and their measured effect."""

from __future__ import annotations

from typing import Annotated

import typer

from deliveryops.actions import service
from deliveryops.actions.reads import action_read
from deliveryops.actions.schemas import ActionCreate, ActionRead, ActionStatusUpdate
from deliveryops.cli.common import (
    DatabaseOption,
    TeamOption,
    acting_user,
    build,
    console,
    friendly_errors,
    load_settings,
    session_scope,
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
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.teams.service import find_team

actions_app = typer.Typer(
    help="Improvement actions of a team and their measured effect: list, show, create, update-status.", no_args_is_help=True
)
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="E-mail of the person acting: their role and teams are checked (default: a trusted local caller)."),
]
ActionArgument = Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="The action's id.")]
# The options of an action's target, shared with `retros add-action`.
OwnerIdOption = Annotated[int | None, typer.Option("--owner-id", help="Who drives it (a person's id).")]
DueDateOption = Annotated[str | None, typer.Option("--due-date", help="When it should be done, YYYY-MM-DD.")]
TargetMetricOption = Annotated[
    str | None, typer.Option("--target-metric", help="The metric it should move, e.g. cycle_time_p85 or health_card.")
]
TargetCardOption = Annotated[
    str | None, typer.Option("--target-card", help="The health-check card's key (target metric health_card).")
]
ExpectedDirectionOption = Annotated[
    str | None, typer.Option("--expected-direction", help="increase or decrease (default: the better direction).")
]

COLUMNS: list[Column[ActionRead]] = [
    Column("Id", lambda a: a.id),
    Column("Action", lambda a: a.title),
    Column("Status", lambda a: a.status.value),
    Column("Due", lambda a: a.due_date),
    Column("Target", lambda a: a.target_card or (a.target_metric.value if a.target_metric else None)),
    Column("Verdict", lambda a: a.verdict),
]


def _print_action(read: ActionRead, output_format: OutputFormat) -> None:
    if output_format is OutputFormat.JSON:
        print_json(read)
        return
    due = f", due {read.due_date}" if read.due_date else ""
    console.print(f"[bold]{read.title}[/bold] (action {read.id}): {read.status.value}{due}", highlight=False)
    if read.target_metric is None:
        console.print("No target metric: no measured verdict.", highlight=False)
        return
    target = read.target_card or read.target_metric.value
    console.print(f"Target: {target} ({read.expected_direction or 'its better direction'})", highlight=False)
    console.print(f"Verdict: {read.verdict}{'' if read.verdict_final else ' (not final)'}", highlight=False)
    for text in (read.explanation, read.effect and read.effect.text, read.needed_more and read.needed_more.text):
        if text:
            console.print(text, highlight=False)


@actions_app.command("list")
@friendly_errors
def list_actions(
    team: TeamOption,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    acting: AsOption = None,
    database: DatabaseOption = None,
) -> None:
    """List a team's actions, open ones first, with their verdicts (json: GET /api/v1/teams/{id}/actions)."""
    with session_scope(load_settings(database)) as session:
        rows = service.list_team(session=session, actor=acting_user(session, acting), team_id=find_team(session, team).id)
        page = paginate([action_read(session, row) for row in rows], page_params(limit, offset))
        print_page(page, COLUMNS, output_format, empty="No actions. Add one with `deliveryops actions create`.")


@actions_app.command("show")
@friendly_errors
def show(
    action_id: ActionArgument,
    output_format: FormatOption = OutputFormat.TABLE,
    acting: AsOption = None,
    database: DatabaseOption = None,
) -> None:
    """Show an action with its verdict, effect and what the data still needs (json: GET /api/v1/actions/{id})."""
    with session_scope(load_settings(database)) as session:
        action = service.get_or_raise(session=session, actor=acting_user(session, acting), action_id=action_id)
        _print_action(action_read(session, action), output_format)


@actions_app.command("create")
@friendly_errors
def create(
    team: TeamOption,
    title: Annotated[str, typer.Option(help="What the team will do.")],
    description: Annotated[str, typer.Option(help="Why, and how.")] = "",
    source: Annotated[str, typer.Option(help="retro, standup, refinement, planning, impediment, coaching or other.")] = "retro",
    owner_id: OwnerIdOption = None,
    due_date: DueDateOption = None,
    started_on: Annotated[
        str | None, typer.Option("--started-on", help="When it takes effect, YYYY-MM-DD (default today).")
    ] = None,
    target_metric: TargetMetricOption = None,
    target_card: TargetCardOption = None,
    expected_direction: ExpectedDirectionOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    acting: AsOption = None,
    database: DatabaseOption = None,
) -> None:
    """Add an improvement action to a team (json: what POST /api/v1/teams/{id}/actions answers)."""
    body = build(
        ActionCreate,
        title=title,
        description=description,
        source=source,
        owner_id=owner_id,
        due_date=due_date,
        started_on=started_on,
        target_metric=target_metric,
        target_card=target_card,
        expected_direction=expected_direction,
    )
    with session_scope(load_settings(database)) as session:
        team_id = find_team(session, team).id
        action = service.create(session=session, actor=acting_user(session, acting), team_id=team_id, **body.model_dump())
        _print_action(action_read(session, action), output_format)


@actions_app.command("update-status")
@friendly_errors
def update_status(
    action_id: ActionArgument,
    status: Annotated[str, typer.Argument(help="open, doing, done or dropped.")],
    done_on: Annotated[str | None, typer.Option("--done-on", help="The day it was done, YYYY-MM-DD (default today).")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    acting: AsOption = None,
    database: DatabaseOption = None,
) -> None:
    """Mark an action open, doing, done or dropped (json: what PATCH /api/v1/actions/{id} answers)."""
    body = build(ActionStatusUpdate, status=status, done_on=done_on)
    with session_scope(load_settings(database)) as session:
        action = service.update(
            session=session,
            actor=acting_user(session, acting),
            action_id=action_id,
            status=body.status,
            done_on=body.done_on,
        )
        _print_action(action_read(session, action), output_format)
