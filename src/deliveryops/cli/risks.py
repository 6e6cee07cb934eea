"""`deliveryops risks list|add`: the ROAM register of cross-team risks from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from deliveryops.cli.common import build, friendly_errors, load_settings, session_scope
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
from deliveryops.risks import service
from deliveryops.risks.models import Impact, RoamStatus
from deliveryops.risks.schemas import RiskFilter, RiskRead, RiskWrite
from deliveryops.schemas import DEFAULT_LIMIT
from deliveryops.teams.service import find_team

risks_app = typer.Typer(help="The ROAM register of cross-team risks: list, add.", no_args_is_help=True)
TeamOption = Annotated[str | None, typer.Option(help="The team (name or slug).")]

COLUMNS: list[Column[RiskRead]] = [
    Column("Id", lambda r: r.id),
    Column("Risk", lambda r: r.title),
    Column("ROAM", lambda r: r.status.label),
    Column("Impact", lambda r: r.impact.value),
    Column("Team", lambda r: r.team or "organisation"),
    Column("Owner", lambda r: r.owner),
    Column("Review", lambda r: f"{r.review_on} (overdue)" if r.review_overdue else r.review_on),
]


def _team_id(session: Session, name: str | None) -> int | None:
    return None if name is None else find_team(session, name).id


@risks_app.command("list")
@friendly_errors
def list_risks(
    team: TeamOption = None,
    status: Annotated[RoamStatus | None, typer.Option(help="Only this ROAM status.")] = None,
    review_overdue: Annotated[
        bool | None, typer.Option("--review-overdue/--review-not-overdue", help="Only overdue reviews, or only the others.")
    ] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List risks, overdue reviews first (the API's list, same filters)."""
    with session_scope(load_settings(database)) as session:
        filters = build(RiskFilter, status=status, team_id=_team_id(session, team), review_overdue=review_overdue)
        page = service.list_(session=session, actor=None, filters=filters, page=page_params(limit, offset))
        print_page(page, COLUMNS, output_format, empty="No risks. Raise one with `deliveryops risks add`.")


@risks_app.command("add")
@friendly_errors
def add_risk(
    title: Annotated[str, typer.Option(help="The risk, in a line.")],
    team: TeamOption = None,
    status: Annotated[RoamStatus, typer.Option(help="ROAM status.")] = RoamStatus.OPEN,
    impact: Annotated[Impact, typer.Option(help="Impact.")] = Impact.MEDIUM,
    review_on: Annotated[str | None, typer.Option("--review-on", help="Next review, YYYY-MM-DD.")] = None,
    description: Annotated[str, typer.Option(help="What could happen, and to whom.")] = "",
    response: Annotated[str, typer.Option(help="How it is owned, accepted or mitigated.")] = "",
    dependencies: Annotated[str, typer.Option(help="Linked dependency ids, comma-separated.")] = "",
    impediments: Annotated[str, typer.Option(help="Linked impediment ids, comma-separated.")] = "",
    epics: Annotated[str, typer.Option(help="Linked epic keys, comma-separated.")] = "",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Raise a risk (as a trusted local caller)."""
    with session_scope(load_settings(database)) as session:
        body = build(
            RiskWrite,
            title=title,
            team_id=_team_id(session, team),
            status=status,
            impact=impact,
            review_on=review_on,
            description=description,
            response=response,
            dependency_ids=dependencies,
            impediment_ids=impediments,
            epic_keys=epics,
        )
        risk = service.create(session=session, actor=None, body=body)
        read = service.reads(session, [risk])[0]
        if output_format is OutputFormat.JSON:
            print_json(read)
        else:
            typer.echo(f"Risk {read.id}: {read.title} — {read.status.label}, impact {read.impact.value}.")
