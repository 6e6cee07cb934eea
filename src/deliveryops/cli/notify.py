"""`deliveryops notify webhooks|add|enable|disable|deliveries`: a team's Slack and Microsoft Teams channels."""

from __future__ import annotations

from typing import Annotated, get_args

import typer

from deliveryops.cli.common import CliError, build, friendly_errors, load_settings, session_scope
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
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.notify import service
from deliveryops.notify.schemas import DeliveryRead, DeliveryStatus, WebhookCreate, WebhookRead
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.teams.service import find_team

notify_app = typer.Typer(
    help="Teams' Slack and Microsoft Teams channels: webhooks, add, enable, disable, deliveries.", no_args_is_help=True
)
TeamArgument = Annotated[str, typer.Argument(help="The team: its name, slug or id.")]

WEBHOOK_COLUMNS: list[Column[WebhookRead]] = [
    Column("Id", lambda w: w.id),
    Column("Channel", lambda w: w.name),
    Column("Service", lambda w: w.kind),
    Column("URL", lambda w: w.url_hint),
    Column("Posts", lambda w: ", ".join(w.events) or "nothing"),
    Column("State", lambda w: "enabled" if w.enabled else "disabled"),
]
DELIVERY_COLUMNS: list[Column[DeliveryRead]] = [
    Column("Id", lambda d: d.id),
    Column("Queued", lambda d: d.created_at.strftime("%Y-%m-%d %H:%M")),
    Column("Message", lambda d: d.title),
    Column("Status", lambda d: d.status),
    Column("Attempts", lambda d: d.attempts),
    Column("Last answer", lambda d: d.error or (d.last_status or "")),
]


@notify_app.command("webhooks")
@friendly_errors
def list_webhooks(
    team: TeamArgument,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """The team's webhooks, with a hint of each URL (the API's list)."""
    with session_scope(load_settings(database)) as session:
        hooks = service.webhooks_of(session=session, actor=None, team_id=find_team(session, team).id)
        page = paginate([WebhookRead.model_validate(hook) for hook in hooks], page_params(limit, offset))
        print_page(page, WEBHOOK_COLUMNS, output_format, empty="No channel. Add one with `deliveryops notify add`.")


@notify_app.command("add")
@friendly_errors
def add_webhook(
    team: TeamArgument,
    kind: Annotated[str, typer.Option(help="slack or teams.")],
    name: Annotated[str, typer.Option(help="Where it posts, for people (e.g. #payments-team).")],
    event: Annotated[
        list[str] | None,
        typer.Option(help="What it posts: retro_finished, session_finished, impediment_escalated, digest (repeat the option)."),
    ] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Add a channel; the incoming-webhook URL is asked for without echo and stored encrypted."""
    url = typer.prompt("Incoming-webhook URL", hide_input=True)
    body = build(WebhookCreate, kind=kind, name=name, url=url, events=list(event or []))  # as the API validates it
    settings = load_settings(database)
    with session_scope(settings) as session:
        hook = service.add_webhook(
            session=session,
            actor=None,
            team_id=find_team(session, team).id,
            app_key=settings.resolved_secret_key(),
            hosts=HostPolicy.from_settings(settings),
            **body.model_dump(),
        )
        read = WebhookRead.model_validate(hook)
    if output_format is OutputFormat.JSON:
        print_json(read)
    else:
        typer.echo(f"Added {read.name} ({read.kind}, {read.url_hint}) posting {', '.join(read.events) or 'nothing yet'}.")


def _switch(webhook_id: int, *, enabled: bool, output_format: OutputFormat, database: str | None) -> None:
    with session_scope(load_settings(database)) as session:
        hook = service.set_enabled(session=session, actor=None, webhook_id=webhook_id, enabled=enabled)
        read = WebhookRead.model_validate(hook)
    if output_format is OutputFormat.JSON:
        print_json(read)
    else:
        typer.echo(f"{read.name} ({read.kind}) is {'enabled' if read.enabled else 'disabled: it posts nothing'}.")


WebhookArgument = Annotated[int, typer.Argument(help="The webhook's id (see `deliveryops notify webhooks`).", min=1)]


@notify_app.command("enable")
@friendly_errors
def enable_webhook(
    webhook_id: WebhookArgument, output_format: FormatOption = OutputFormat.TABLE, database: DatabaseOption = None
) -> None:
    """Turn a channel on: it posts the team's messages again (the API's PATCH)."""
    _switch(webhook_id, enabled=True, output_format=output_format, database=database)


@notify_app.command("disable")
@friendly_errors
def disable_webhook(
    webhook_id: WebhookArgument, output_format: FormatOption = OutputFormat.TABLE, database: DatabaseOption = None
) -> None:
    """Turn a channel off: it posts nothing until enabled again (the API's PATCH)."""
    _switch(webhook_id, enabled=False, output_format=output_format, database=database)


@notify_app.command("deliveries")
@friendly_errors
def list_deliveries(
    team: TeamArgument,
    status: Annotated[
        str | None, typer.Option(help="Only messages of this status: queued, retrying, sent or failed (the failures).")
    ] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """Messages to the team's channels, newest first, with their status (the API's list)."""
    if status is not None and status not in get_args(DeliveryStatus):
        raise CliError(f"--status: choose one of {', '.join(get_args(DeliveryStatus))}.")
    with session_scope(load_settings(database)) as session:
        rows = service.deliveries_of(session=session, actor=None, team_id=find_team(session, team).id, status=status)
        page = paginate([DeliveryRead.model_validate(row) for row in rows], page_params(limit, offset))
        print_page(
            page, DELIVERY_COLUMNS, output_format, empty="Nothing sent yet." if status is None else f"No {status} message."
        )
