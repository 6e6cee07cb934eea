"""`deliveryops dora`: DORA's four keys: reports and imports."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from deliveryops.cli.common import (
    CliError,
    DatabaseOption,
    TeamOption,
    console,
    friendly_errors,
    load_settings,
    parse_date,
    session_scope,
)
from deliveryops.cli.output import ReportFormat, emit
from deliveryops.dora import service
from deliveryops.dora.csv_formats import import_csv, preview_csv
from deliveryops.dora.schemas import ImportResult
from deliveryops.teams.service import find_group, find_team

__all__ = ["dora_app"]

dora_app = typer.Typer(help="DORA's four keys: reports and imports.", no_args_is_help=True)
import_app = typer.Typer(help="Import deployments, changes or incidents from a CSV file.", no_args_is_help=True)
dora_app.add_typer(import_app, name="import")


class Period(StrEnum):
    """Buckets of the trend series."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


@dora_app.command("report")
@friendly_errors
def report(
    team: Annotated[str | None, typer.Option("--team", help="The team: its name, slug or id.")] = None,
    group: Annotated[str | None, typer.Option("--group", help="Name or slug of the group (all its teams).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default 90 days before --to).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default today).")] = None,
    period: Annotated[Period, typer.Option("--period", help="Trend buckets: week, month or quarter.")] = Period.WEEK,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Evaluate as if today were this day, YYYY-MM-DD: the default period ends there."),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="html, csv (one row per period) or json (as GET .../dora).")
    ] = ReportFormat.JSON,
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of standard output.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Report the four DORA keys, their bands and trends of a team or a group."""
    if (team is None) == (group is None):
        raise CliError("Give either --team or --group.")
    first_day, last_day, as_of_day = parse_date(start, "--from"), parse_date(end, "--to"), parse_date(as_of, "--as-of")
    from deliveryops.dora.report import report_csv, report_html, report_json  # noqa: PLC0415 (loads Plotly)

    with session_scope(load_settings(database)) as session:
        if team is not None:
            target = find_team(session, team)
            first, last = service.report_period(session, teams=[target], start=first_day, end=last_day, as_of=as_of_day)
            found = service.team_report(
                session=session, actor=None, team_id=target.id, start=first, end=last, period=period.value
            )
        else:
            assert group is not None
            chosen = find_group(session, group)
            first, last = service.report_period(session, teams=chosen.teams, start=first_day, end=last_day, as_of=as_of_day)
            found = service.group_report(
                session=session, actor=None, group_id=chosen.id, start=first, end=last, period=period.value
            )
        if output_format is ReportFormat.JSON:
            text = report_json(found)
        elif output_format is ReportFormat.CSV:
            text = report_csv(found)
        else:
            text = report_html(found)
    emit(text, output)


class ImportFormat(StrEnum):
    """Output formats of `dora import`."""

    TEXT = "text"
    JSON = "json"


def _import(
    kind: str, file: Path, team: str, database: str | None, move: bool, output: ImportFormat, preview: bool = False
) -> None:
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise CliError(f"Cannot read {file}: {exc.strerror}.") from None
    with session_scope(load_settings(database)) as session:
        outcome = (preview_csv if preview else import_csv)(
            session,
            team=find_team(session, team),
            kind=kind,
            content=content,
            file_name=file.name,
            on_conflict="move" if move else "skip",
        )
    if output is ImportFormat.JSON:
        typer.echo(ImportResult.of(kind, outcome).model_dump_json(indent=2))
        return
    console.print(outcome.summary(kind, f"from {file.name}"), highlight=False)
    for conflict in [*outcome.moved, *outcome.skipped]:
        console.print(f"  {conflict.reason}", highlight=False)


FileArgument = Annotated[Path, typer.Argument(help="The CSV file (see docs/dora.md for its columns).")]
MoveOption = Annotated[
    bool,
    typer.Option(
        "--move-from-other-teams",
        help="Move deployments and incidents whose source and id are already another team's to this team "
        "(default: skip and list them).",
    ),
]
ImportFormatOption = Annotated[ImportFormat, typer.Option("--format", help="text or json.")]
PreviewOption = Annotated[bool, typer.Option("--preview", help="Only report what the import would do; save nothing.")]


@import_app.command("deployments")
@friendly_errors
def import_deployments(
    file: FileArgument,
    team: TeamOption,
    database: DatabaseOption = None,
    move: MoveOption = False,
    output: ImportFormatOption = ImportFormat.TEXT,
    preview: PreviewOption = False,
) -> None:
    """Import deployments from a CSV file (all or nothing); changes are linked to them."""
    _import("deployments", file, team, database, move, output, preview)


@import_app.command("changes")
@friendly_errors
def import_changes(
    file: FileArgument, team: TeamOption, database: DatabaseOption = None, output: ImportFormatOption = ImportFormat.TEXT
) -> None:
    """Import pull requests from a CSV file (all or nothing); deployments are relinked to them."""
    _import("changes", file, team, database, False, output)


@import_app.command("incidents")
@friendly_errors
def import_incidents(
    file: FileArgument,
    team: TeamOption,
    database: DatabaseOption = None,
    move: MoveOption = False,
    output: ImportFormatOption = ImportFormat.TEXT,
    preview: PreviewOption = False,
) -> None:
    """Import incidents from a CSV file (all or nothing)."""
    _import("incidents", file, team, database, move, output, preview)
