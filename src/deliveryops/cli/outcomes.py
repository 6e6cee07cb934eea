"""`deliveryops outcomes list|show|export|import|edit-objective|delete-objective|edit-key-result|delete-key-result`:
objectives and key results, KPI values from files."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from deliveryops.cli.common import CliError, build, console, friendly_errors, load_settings, session_scope
from deliveryops.cli.output import FormatOption, LimitOption, OffsetOption, OutputFormat, page_params, print_json
from deliveryops.db import utcnow
from deliveryops.errors import validation_failed
from deliveryops.outcomes import series as kpi
from deliveryops.outcomes import service
from deliveryops.outcomes.export import objectives_csv
from deliveryops.outcomes.models import KeyResult, KpiSeries, Objective
from deliveryops.outcomes.schemas import KeyResultUpdate, ObjectiveRead, ObjectiveUpdate, ValuesIn, ValuesWritten
from deliveryops.schemas import DEFAULT_LIMIT, Page, paginate

outcomes_app = typer.Typer(help="Objectives and key results measured from data; KPI values from files.", no_args_is_help=True)
DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]
PeriodOption = Annotated[str | None, typer.Option(help='Only this period, e.g. "2026-Q4".')]


IdArgument = Annotated[int, typer.Argument(min=1, max=2**31 - 1)]
OwnerOption = Annotated[int | None, typer.Option("--owner-id", min=1, max=2**31 - 1, help="The owner's person id.")]


M = TypeVar("M", ObjectiveUpdate, KeyResultUpdate)
R = TypeVar("R", Objective, KeyResult)


def _changes(model: type[M], **fields: object) -> M:
    """The options given (not None) as ``model``, validated as the API would (omitted ones stay unchanged)."""
    return build(model, **{name: value for name, value in fields.items() if value is not None})


def _found(session: Session, model: type[R], row_id: int) -> R:
    """The objective or key result with ``row_id``, or an error pointing at `outcomes list`."""
    row = session.get(model, row_id)
    if row is None:
        label = "objective" if model is Objective else "key result"
        raise CliError(f"No {label} {row_id}. See `deliveryops outcomes list`.")
    return row


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


@outcomes_app.command("list")
@friendly_errors
def list_objectives(
    period: PeriodOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List objectives with their key results measured (progress and verdict); `--format json` is the API's list."""
    with session_scope(load_settings(database)) as session:
        page = _objectives(session, period, limit, offset)
    if output_format is OutputFormat.JSON:
        print_json(page)
        return
    if page.total == 0:
        console.print("No objectives. Set one on the Outcomes page or with `POST /api/v1/objectives`.")
        return
    for o in page.items:
        console.print(f"[bold]{o.title}[/bold] — {o.scope}, {o.period} (objective {o.id})", highlight=False)
        for kr in o.key_results:
            console.print(
                f"  {kr.id}: {kr.title}: {kr.status_label}; progress {_percent(kr.progress)} "
                f"(line {_percent(kr.expected_progress)}); {kr.source_label}",
                highlight=False,
            )


def _objectives(session: Session, period: str | None, limit: int, offset: int) -> Page[ObjectiveRead]:
    """One page of the objectives of a period, measured today (what ``GET /api/v1/objectives`` answers)."""
    rows = service.list_objectives_all(session=session, period=period)
    today = utcnow().date()
    return paginate(rows, page_params(limit, offset)).map(lambda row: service.objective_read(session, row, today=today))


class ExportFormat(StrEnum):
    """How `outcomes export` prints the objectives."""

    CSV = "csv"
    JSON = "json"


@outcomes_app.command("export")
@friendly_errors
def export(
    period: PeriodOption = None,
    output_format: Annotated[
        ExportFormat,
        typer.Option("--format", help="csv (the page's export, one row per key result) or json (GET /api/v1/objectives)."),
    ] = ExportFormat.CSV,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """Print objectives as CSV, one row per key result (the page's CSV export), or as the API's page of objectives."""
    with session_scope(load_settings(database)) as session:
        if output_format is ExportFormat.JSON:
            print_json(_objectives(session, period, limit, offset))
            return
        rows = service.list_objectives_all(session=session, period=period)
        text = objectives_csv([service.objective_read(session, row, today=utcnow().date()) for row in rows])
    typer.echo(text, nl=False)


@outcomes_app.command("show")
@friendly_errors
def show(
    key_result_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="The key result's id.")],
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Show a key result: progress, verdict, confidence and the work linked to it."""
    with session_scope(load_settings(database)) as session:
        row = _found(session, KeyResult, key_result_id)
        detail = service.key_result_detail(session, row, today=utcnow().date())
    if output_format is OutputFormat.JSON:
        print_json(detail)
        return
    console.print(f"[bold]{detail.title}[/bold] ({detail.source_label})", highlight=False)
    current = "no values yet" if detail.current is None else f"{detail.current:.4g} {detail.unit}"
    console.print(f"Baseline {detail.baseline:g} → target {detail.target:g} {detail.unit}; current {current}", highlight=False)
    console.print(f"Progress {_percent(detail.progress)} (straight line {_percent(detail.expected_progress)})", highlight=False)
    console.print(f"Verdict: {detail.status_label} ({detail.detail})", highlight=False)
    console.print(f"Confidence: {detail.confidence}", highlight=False)
    for link in detail.links:
        console.print(f"  {link.kind.value}: {link.title}: {link.state}", highlight=False)


@outcomes_app.command("import")
@friendly_errors
def import_values(
    series: Annotated[str, typer.Argument(help="The KPI series (its name or id).")],
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help='A CSV file (date,value) or JSON ({"values": [...]}).')
    ],
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Import KPI values from a file, all or nothing (errors name the line and column, or the field)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        try:
            values = ValuesIn.model_validate_json(text).values
        except ValidationError as exc:
            raise validation_failed(exc.errors(), ValuesIn) from exc
    else:
        values = kpi.parse_csv(text)
    with session_scope(load_settings(database)) as session:
        found = session.scalar(
            select(KpiSeries).where((KpiSeries.name == series) | (cast(KpiSeries.id, String) == series)).limit(1)
        )
        if found is None:
            raise CliError(f"No KPI series {series!r}.")
        result = ValuesWritten(series_id=found.id, written=kpi.write_values(session, found, values))
    if output_format is OutputFormat.JSON:
        print_json(result)
    else:
        console.print(f"Wrote {result.written} values to {series}.", highlight=False)


@outcomes_app.command("edit-objective")
@friendly_errors
def edit_objective(
    objective_id: IdArgument,
    title: Annotated[str | None, typer.Option(help="A new title.")] = None,
    description: Annotated[str | None, typer.Option(help="A new description (why).")] = None,
    period: Annotated[str | None, typer.Option(help='A new period, e.g. "2027-Q1".')] = None,
    owner_id: OwnerOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Change an objective's title, description, period or owner; `--format json` prints it as the API does."""
    body = _changes(ObjectiveUpdate, title=title, description=description, period=period, owner_id=owner_id)
    with session_scope(load_settings(database)) as session:
        row = _found(session, Objective, objective_id)
        service.update_objective(session=session, actor=None, objective=row, body=body)
        read = service.objective_read(session, row, today=utcnow().date())
    if output_format is OutputFormat.JSON:
        print_json(read)
    else:
        console.print(f"Objective {read.id}: {read.title} — {read.scope}, {read.period}.", highlight=False)


@outcomes_app.command("delete-objective")
@friendly_errors
def delete_objective(objective_id: IdArgument, database: DatabaseOption = None) -> None:
    """Delete an objective with its key results and their links (KPI series and values stay)."""
    with session_scope(load_settings(database)) as session:
        row = _found(session, Objective, objective_id)
        count = len(row.key_results)
        service.delete_objective(session=session, actor=None, objective=row)
    console.print(f"Deleted objective {objective_id} and its {count} key results.", highlight=False)


@outcomes_app.command("edit-key-result")
@friendly_errors
def edit_key_result(
    key_result_id: IdArgument,
    title: Annotated[str | None, typer.Option(help="A new title.")] = None,
    baseline: Annotated[float | None, typer.Option(help="A new baseline.")] = None,
    target: Annotated[float | None, typer.Option(help="A new target.")] = None,
    direction: Annotated[str | None, typer.Option(help="increase or decrease.")] = None,
    owner_id: OwnerOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Change a key result's title, baseline, target, direction or owner (its data source stays)."""
    body = _changes(KeyResultUpdate, title=title, baseline=baseline, target=target, direction=direction, owner_id=owner_id)
    with session_scope(load_settings(database)) as session:
        row = _found(session, KeyResult, key_result_id)
        service.update_key_result(session=session, actor=None, row=row, body=body)
        read = service.key_result_read(session, row, today=utcnow().date())
    if output_format is OutputFormat.JSON:
        print_json(read)
    else:
        change = f"{read.baseline:g} → {read.target:g} ({read.direction})"
        console.print(f"Key result {read.id}: {read.title}: {change}.", highlight=False)


@outcomes_app.command("delete-key-result")
@friendly_errors
def delete_key_result(key_result_id: IdArgument, database: DatabaseOption = None) -> None:
    """Delete a key result and its links (the KPI series and its values stay)."""
    with session_scope(load_settings(database)) as session:
        row = _found(session, KeyResult, key_result_id)
        service.delete_key_result(session=session, actor=None, row=row)
    console.print(f"Deleted key result {key_result_id}.", highlight=False)
