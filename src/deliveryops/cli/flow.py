"""`deliveryops flow report|items` and `deliveryops forecast when|how-many|commit|epics`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer

from deliveryops.cli.common import (
    DatabaseOption,
    TeamOption,
    console,
    friendly_errors,
    load_settings,
    parse_date,
    session_scope,
)
from deliveryops.cli.output import (
    Column,
    FormatOption,
    LimitOption,
    OffsetOption,
    OutputFormat,
    ReportFormat,
    TextFormat,
    emit,
    page_params,
    print_json,
    print_page,
)
from deliveryops.flow import service
from deliveryops.flow.items import flow_items
from deliveryops.flow.report import items_csv, summary_dict
from deliveryops.flow.schemas import EpicsRead, FlowItemRead, FlowRead, ForecastRead, ForecastResult
from deliveryops.schemas import DEFAULT_LIMIT
from deliveryops.teams.service import find_team

flow_app = typer.Typer(help="Flow metrics of a team.", no_args_is_help=True)
forecast_app = typer.Typer(
    help="Monte Carlo forecasts. Kept as what-ifs; --commit marks one as the team's plan, which is scored.",
    no_args_is_help=True,
)

AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Evaluate as if today were this day, YYYY-MM-DD (team time zone): only what was known by its end counts.",
    ),
]
CommitOption = Annotated[
    bool,
    typer.Option("--commit", help="Commit the forecast as the team's plan, so it is scored (default: a what-if, not scored)."),
]


ForecastFormatOption = Annotated[
    TextFormat, typer.Option("--format", help="json (the API's answer to the same question) or text.")
]


@flow_app.command("report")
@friendly_errors
def flow_report(
    team: TeamOption,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default 90 days ago).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default today).")] = None,
    freq: Annotated[
        Literal["day", "week"], typer.Option("--freq", help="Buckets of throughput and net flow: day or week.")
    ] = "week",
    as_of: AsOfOption = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="html, csv (one row per item) or json (as GET .../flow).")
    ] = ReportFormat.JSON,
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of standard output.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Report a team's flow metrics for a period."""
    with session_scope(load_settings(database)) as session:
        found, query, summary, _data = service.team_flow(
            session=session,
            actor=None,
            team_id=find_team(session, team).id,
            start=parse_date(start, "--from"),
            end=parse_date(end, "--to"),
            freq=freq,
            as_of=parse_date(as_of, "--as-of"),
        )
        if output_format is ReportFormat.JSON:
            flow = FlowRead(**summary_dict(summary, query, team=found.name, time_zone=found.time_zone))
            text = flow.model_dump_json(indent=2)
        elif output_format is ReportFormat.CSV:
            text = items_csv(summary)
        else:
            from deliveryops.flow.html_report import standalone_report  # noqa: PLC0415 (templates only for html)

            text = standalone_report(found, query, summary)
    emit(text, output)


ITEM_COLUMNS: list[Column[FlowItemRead]] = [
    Column("Item", lambda item: item.key),
    Column("Type", lambda item: item.item_type),
    Column("Status", lambda item: item.current_status),
    Column("Started", lambda item: item.started_date),
    Column("Finished", lambda item: item.finished_date),
    Column("Blocked (days)", lambda item: f"{item.blocked_days:.1f}"),
    Column("Blocked by", lambda item: "; ".join(sorted({i.reason or "(no reason)" for i in item.blocked_intervals}))),
]


@flow_app.command("items")
@friendly_errors
def flow_items_command(
    team: TeamOption,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default 90 days ago).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default today).")] = None,
    as_of: AsOfOption = None,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """List the items in progress during a period, most blocked first, with their blocked days (json: as GET .../flow/items)."""
    with session_scope(load_settings(database)) as session:
        page = flow_items(
            session=session,
            actor=None,
            team_id=find_team(session, team).id,
            page=page_params(limit, offset),
            start=parse_date(start, "--from"),
            end=parse_date(end, "--to"),
            as_of=parse_date(as_of, "--as-of"),
        )
    print_page(page, ITEM_COLUMNS, output_format, empty="No item was in progress in this period.")


def _print_forecast(forecast: ForecastRead, output_format: TextFormat) -> None:
    if output_format is TextFormat.JSON:
        print_json(forecast)
        return
    console.print(forecast.label, style="bold", highlight=False)
    for level, value in forecast.predicted.items():
        console.print(f"  {level}%: {value}", highlight=False)
    if forecast.probability_by_target is not None and forecast.target_date is not None:
        chance = f"{forecast.probability_by_target:.0%}"
        console.print(f"  Chance of finishing by {forecast.target_date.isoformat()}: {chance}", highlight=False)
    if forecast.message:
        console.print(forecast.message, highlight=False)
    console.print(
        f"Committed as the team's plan (id {forecast.id}): scored once due."
        if forecast.commitment
        else f"A what-if (id {forecast.id}), not scored; `deliveryops forecast commit {forecast.id}` commits it.",
        highlight=False,
    )


SeedOption = Annotated[int | None, typer.Option(help="Seed, to reproduce a forecast.")]
WindowOption = Annotated[int, typer.Option("--window", min=7, max=730, help="Throughput window in days, ending yesterday.")]
TrialsOption = Annotated[int, typer.Option(min=10_000, max=200_000, help="Monte Carlo trials.")]


@forecast_app.command("when")
@friendly_errors
def forecast_when(
    team: TeamOption,
    items: Annotated[int, typer.Option("--items", min=1, max=100_000, help="How many items remain (1 or more).")],
    target_date: Annotated[
        str | None,
        typer.Option("--target-date", help="Also give the chance of finishing the items by this day, YYYY-MM-DD."),
    ] = None,
    seed: SeedOption = None,
    window: WindowOption = 90,
    trials: TrialsOption = 10_000,
    as_of: AsOfOption = None,
    output_format: ForecastFormatOption = TextFormat.JSON,
    commit: CommitOption = False,
    database: DatabaseOption = None,
) -> None:
    """Forecast the dates by which N items will be done (50/70/85/95%), as POST .../forecasts/when."""
    with session_scope(load_settings(database)) as session:
        row, result = service.create_when(
            session=session,
            actor=None,
            team_id=find_team(session, team).id,
            remaining_items=items,
            window_days=window,
            trials=trials,
            seed=seed,
            target_date=parse_date(target_date, "--target-date"),
            commitment="plan" if commit else None,
            as_of=parse_date(as_of, "--as-of"),
        )
        forecast = ForecastResult.of_when(row, result)
    _print_forecast(forecast, output_format)


@forecast_app.command("how-many")
@friendly_errors
def forecast_how_many(
    team: TeamOption,
    by: Annotated[str, typer.Option("--by", help="The date, YYYY-MM-DD.")],
    seed: SeedOption = None,
    window: WindowOption = 90,
    trials: TrialsOption = 10_000,
    as_of: AsOfOption = None,
    output_format: ForecastFormatOption = TextFormat.JSON,
    commit: CommitOption = False,
    database: DatabaseOption = None,
) -> None:
    """Forecast how many items will be finished by a date (count reached in 50/70/85/95% of trials)."""
    by_date = parse_date(by, "--by")
    assert by_date is not None
    with session_scope(load_settings(database)) as session:
        row, result = service.create_how_many(
            session=session,
            actor=None,
            team_id=find_team(session, team).id,
            by_date=by_date,
            window_days=window,
            trials=trials,
            seed=seed,
            commitment="plan" if commit else None,
            as_of=parse_date(as_of, "--as-of"),
        )
        forecast = ForecastResult.of_how_many(row, result)
    _print_forecast(forecast, output_format)


@forecast_app.command("commit")
@friendly_errors
def forecast_commit(
    forecast_id: Annotated[int, typer.Argument(min=1, help="The forecast's id.")],
    output_format: ForecastFormatOption = TextFormat.JSON,
    database: DatabaseOption = None,
) -> None:
    """Commit a stored what-if as the team's plan, so that it is scored (committing twice changes nothing)."""
    with session_scope(load_settings(database)) as session:
        row = service.commit_forecast(session=session, actor=None, forecast_id=forecast_id, commitment="plan")
        forecast = ForecastRead.model_validate(row)
    _print_forecast(forecast, output_format)


class AllocationChoice(StrEnum):
    """How parallel epics share the team's throughput."""

    PRIORITY = "priority"
    EVEN = "even"


@forecast_app.command("epics")
@friendly_errors
def forecast_epics(
    team: TeamOption,
    epic: Annotated[
        list[str] | None,
        typer.Option("--epic", help="An epic key; repeat in priority order (default: every open epic, oldest first)."),
    ] = None,
    allocation: Annotated[
        AllocationChoice,
        typer.Option(help="priority: one epic after another (default); even: equal shares of each day's throughput."),
    ] = AllocationChoice.PRIORITY,
    seed: Annotated[int | None, typer.Option(help="Seed of the first epic (epic i uses seed + i).")] = None,
    window: WindowOption = 90,
    output_format: ForecastFormatOption = TextFormat.JSON,
    commit: CommitOption = False,
    database: DatabaseOption = None,
) -> None:
    """Forecast several epics of a team that share its throughput (50/70/85/95% dates per epic)."""
    from deliveryops.analytics.allocation import RULE_TEXT, Allocation  # noqa: PLC0415

    with session_scope(load_settings(database)) as session:
        rows, rule = service.forecast_epics(
            session=session,
            actor=None,
            team_id=find_team(session, team).id,
            epic_keys=epic or None,
            allocation=Allocation(allocation.value),
            window_days=window,
            seed=seed,
            commitment="plan" if commit else None,
        )
        answer = EpicsRead(
            allocation=rule.value, rule=RULE_TEXT[rule], forecasts=[ForecastRead.model_validate(row) for row, _ in rows]
        )
    if output_format is TextFormat.JSON:
        print_json(answer)
        return
    console.print(answer.rule, highlight=False)
    for forecast in answer.forecasts:
        console.print(f"{forecast.label} — {forecast.allocation}", style="bold", highlight=False)
        console.print(f"  50%: {forecast.predicted.get('50')}  85%: {forecast.predicted.get('85')}", highlight=False)
