"""`deliveryops dependencies list|add|respond|detect|export`: cross-team dependencies from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.cli.common import CliError, acting_user, build, console, friendly_errors, load_settings, session_scope
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
from deliveryops.db import utcnow
from deliveryops.dependencies import detection, export, risk, service
from deliveryops.dependencies.detection_schemas import DetectionRead, ExportFormat
from deliveryops.dependencies.models import DependencyFunction, DependencyState
from deliveryops.dependencies.schemas import (
    ChanceRead,
    DependencyCreate,
    DependencyDetailRead,
    DependencyFilter,
    DependencyRead,
    DependencyTransition,
    TransitionAction,
)
from deliveryops.schemas import DEFAULT_LIMIT, Page
from deliveryops.teams.service import find_team

dependencies_app = typer.Typer(help="Cross-team dependencies: list, request, respond.", no_args_is_help=True)
DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="E-mail of the person acting: their role and teams are checked, and the history names them."),
]


def _function(session: Session, name: str) -> DependencyFunction:
    function = session.scalar(select(DependencyFunction).where(DependencyFunction.name == name))
    if function is None:
        names = ", ".join(f.name for f in service.functions(session))
        raise CliError(f"No function named {name!r}. Functions: {names}.")
    return function


def _print_detail(detail: DependencyDetailRead, output_format: OutputFormat) -> None:
    if output_format is OutputFormat.JSON:
        print_json(detail)
        return
    dated = f", committed {detail.committed_on}" if detail.committed_on else ""
    console.print(
        f"Dependency {detail.id}: {detail.requester_team} needs {detail.title!r} from {detail.provider} "
        f"by {detail.needed_by} — {detail.state.value}{dated}.",
        highlight=False,
    )


COLUMNS: list[Column[DependencyRead]] = [
    Column("Id", lambda d: d.id),
    Column("Requested by", lambda d: d.requester_team),
    Column("From", lambda d: d.provider),
    Column("What", lambda d: d.title),
    Column("Needed by", lambda d: d.needed_by),
    Column("State", lambda d: d.state.value),
    Column("Committed", lambda d: d.committed_on),
    Column("Overdue", lambda d: f"{d.days_late} days" if d.overdue else "no"),
]


@dependencies_app.command("list")
@friendly_errors
def list_dependencies(
    team: Annotated[str | None, typer.Option(help="Only this team's, on either side (name, slug or id).")] = None,
    state: Annotated[DependencyState | None, typer.Option(help="Only this state.")] = None,
    overdue: Annotated[
        bool | None, typer.Option("--overdue/--not-overdue", help="Only overdue ones, or only the others.")
    ] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List dependencies, soonest needed-by date first (the API's list, same filters)."""
    with session_scope(load_settings(database)) as session:
        team_id = find_team(session, team).id if team else None
        filters = build(DependencyFilter, team_id=team_id, state=state, overdue=overdue)
        page = service.list_(session=session, actor=None, filters=filters, page=page_params(limit, offset))
        print_page(page, COLUMNS, output_format, empty="No dependencies. Request one with `deliveryops dependencies add`.")


@dependencies_app.command("add")
@friendly_errors
def add_dependency(
    requester: Annotated[str, typer.Option(help="The team that needs it (name, slug or id).")],
    title: Annotated[str, typer.Option(help="What is needed.")],
    needed_by: Annotated[str, typer.Option("--needed-by", help="The date it is needed by, YYYY-MM-DD.")],
    provider_team: Annotated[str | None, typer.Option("--provider-team", help="The team that provides it.")] = None,
    provider_function: Annotated[str | None, typer.Option("--provider-function", help="Or the function, e.g. Legal.")] = None,
    why: Annotated[str, typer.Option(help="Why it is needed.")] = "",
    items: Annotated[str, typer.Option(help="The requester's work item keys, comma-separated.")] = "",
    acting: AsOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Request something from another team or a function."""
    with session_scope(load_settings(database)) as session:
        body = build(
            DependencyCreate,
            requester_team_id=find_team(session, requester).id,
            provider_team_id=find_team(session, provider_team).id if provider_team else None,
            provider_function_id=_function(session, provider_function).id if provider_function else None,
            title=title,
            why=why,
            needed_by=needed_by,
            requester_keys=items,
        )
        actor = acting_user(session, acting)
        dependency = service.create(session=session, actor=actor, body=body)
        _print_detail(service.detail(session, actor, dependency, today=utcnow().date()), output_format)


@dependencies_app.command("respond")
@friendly_errors
def respond(
    dependency_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="The dependency's id.")],
    action: Annotated[str, typer.Option(help="accept, counter, decline, accept_counter, reject_counter, deliver or miss.")],
    committed_on: Annotated[str | None, typer.Option("--committed-on", help="accept: the committed date.")] = None,
    countered_on: Annotated[str | None, typer.Option("--countered-on", help="counter: the date you can deliver.")] = None,
    delivered_on: Annotated[str | None, typer.Option("--delivered-on", help="deliver: the day (default today).")] = None,
    reason: Annotated[str, typer.Option(help="decline, reject_counter, miss: why (required); counter: optional.")] = "",
    items: Annotated[str, typer.Option(help="The provider's work item keys, comma-separated.")] = "",
    acting: AsOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Take one step of the negotiation (the same steps and rules as the API)."""
    with session_scope(load_settings(database)) as session:
        chosen: TransitionAction | str = action
        body = build(
            DependencyTransition,
            action=chosen,
            committed_on=committed_on,
            countered_on=countered_on,
            delivered_on=delivered_on,
            reason=reason,
            provider_keys=items,
        )
        actor = acting_user(session, acting)
        dependency = service.transition(session=session, actor=actor, dependency_id=dependency_id, body=body)
        _print_detail(service.detail(session, actor, dependency, today=utcnow().date()), output_format)


@dependencies_app.command("detect")
@friendly_errors
def detect(
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Look for dependencies in the synced data now and propose the new ones (a job also does after each sync)."""
    with session_scope(load_settings(database)) as session:
        result = detection.detect(session)
        read = DetectionRead(proposed=len(result.proposed), already_known=result.already_known, covered=result.covered)
        if output_format is OutputFormat.JSON:
            print_json(read)
            return
        console.print(
            f"{read.proposed} new proposal{'' if read.proposed == 1 else 's'}; {read.already_known} seen before, "
            f"{read.covered} already recorded. Decide them at /dependencies/proposals.",
            highlight=False,
        )
        for proposal in result.proposed:
            console.print(f"  {proposal.id}: {proposal.evidence}", highlight=False)


@dependencies_app.command("export")
@friendly_errors
def export_dependencies(
    team: Annotated[str | None, typer.Option(help="Only this team's, on either side (name, slug or id).")] = None,
    state: Annotated[DependencyState | None, typer.Option(help="Only this state.")] = None,
    overdue: Annotated[
        bool | None, typer.Option("--overdue/--not-overdue", help="Only overdue ones, or only the others.")
    ] = None,
    as_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write to this file (default: standard output).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Export the filtered list (every page) as CSV or JSON, like the list page's export buttons."""
    if as_format not in ("csv", "json"):
        raise CliError(f"--format is csv or json, not {as_format!r}.")
    chosen: ExportFormat = "json" if as_format == "json" else "csv"
    with session_scope(load_settings(database)) as session:
        team_id = find_team(session, team).id if team else None
        filters = build(DependencyFilter, team_id=team_id, state=state, overdue=overdue)
        text = export.export(export.rows(session=session, actor=None, filters=filters), chosen)
    if output is None:
        typer.echo(text, nl=False)
    else:
        with open(output, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        console.print(f"Wrote {output}.", highlight=False)


RISK_COLUMNS: list[Column[ChanceRead]] = [
    Column("Id", lambda r: r.dependency.id),
    Column("Requested by", lambda r: r.dependency.requester_team),
    Column("From", lambda r: r.dependency.provider),
    Column("What", lambda r: r.dependency.title),
    Column("Needed by", lambda r: r.dependency.needed_by),
    Column("Committed", lambda r: r.dependency.committed_on),
    Column("Chance", lambda r: f"{round(r.chance_needed * 100)}%" if r.chance_needed is not None else "—"),
    Column("Threshold", lambda r: f"{r.threshold}%"),
    Column("At risk", lambda r: "yes" if r.at_risk else "no"),
]


@dependencies_app.command("risk")
@friendly_errors
def risk_of_dependencies(
    team: Annotated[str | None, typer.Option(help="Only this team's, on either side (name, slug or id).")] = None,
    at_risk_only: Annotated[bool, typer.Option("--at-risk", help="Only those below their threshold.")] = False,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """The chance of delivery of accepted dependencies (the API's /dependencies/risk)."""
    with session_scope(load_settings(database)) as session:
        teams = {find_team(session, team).id} if team else None
        if at_risk_only:
            rows = risk.at_risk(session, actor=None, team_ids=teams)
        else:
            rows = risk.chance_reads(session, risk.visible_open(session, None, team_ids=teams))
        page = Page[ChanceRead](items=rows, total=len(rows), limit=max(1, len(rows)), offset=0)
        empty = "No accepted dependencies" + (" at risk." if at_risk_only else ".")
        print_page(page, RISK_COLUMNS, output_format, empty=empty)
