"""`deliveryops flow report` and `deliveryops forecast when|how-many`."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from deliveryops.cli.common import CliError, console, friendly_errors, load_settings, session_scope
from deliveryops.flow import service
from deliveryops.flow.report import items_csv, summary_dict
from deliveryops.teams.service import find_team

flow_app = typer.Typer(help="Flow metrics of a team.", no_args_is_help=True)
forecast_app = typer.Typer(
    help="Monte Carlo forecasts. Kept as what-ifs; --commit marks one as the team's plan, which is scored.",
    no_args_is_help=True,
)

DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]
TeamOption = Annotated[str, typer.Option("--team", help="Name or slug of the team.")]
CommitOption = Annotated[
    bool,
    typer.Option("--commit", help="Commit the forecast as the team's plan, so it is scored (default: a what-if, not scored)."),
]


class ReportFormat(StrEnum):
    """Output formats of `flow report`."""

    HTML = "html"
    CSV = "csv"
    JSON = "json"


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"Wrote {output}.", highlight=False)


@flow_app.command("report")
@friendly_errors
def flow_report(
    team: TeamOption,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default 90 days ago).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default today).")] = None,
    report_format: Annotated[
        ReportFormat, typer.Option("--format", help="html, csv (one row per item) or json.")
    ] = ReportFormat.JSON,
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of standard output.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Report a team's flow metrics for a period."""
    with session_scope(load_settings(database)) as session:
        target = find_team(session, team)
        found, query, summary, _data = service.team_flow(
            session=session, actor=None, team_id=target.id, start=_date(start, "--from"), end=_date(end, "--to")
        )
        if report_format is ReportFormat.JSON:
            text = json.dumps(summary_dict(summary, query, team=found.name, time_zone=found.time_zone), indent=2)
        elif report_format is ReportFormat.CSV:
            text = items_csv(summary)
        else:
            from deliveryops.flow.html_report import standalone_report  # noqa: PLC0415 (templates only for html)

            text = standalone_report(found, query, summary)
    _emit(text, output)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option}: expected a date like 2026-03-31, got {value!r}.") from None


def _print_forecast(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(payload, indent=2, default=str))
        return
    console.print(payload["label"], style="bold")
    for level, value in payload["predicted"].items():
        console.print(f"  {level}%: {value}")
    if payload.get("message"):
        console.print(payload["message"])
    console.print(
        f"Committed as the team's plan (id {payload['id']}): scored once due."
        if payload.get("commitment")
        else f"A what-if (id {payload['id']}), not scored; `deliveryops forecast commit {payload['id']}` commits it."
    )


@forecast_app.command("when")
@friendly_errors
def forecast_when(
    team: TeamOption,
    items: Annotated[int, typer.Option("--items", min=1, max=100_000, help="How many items remain (1 or more).")],
    seed: Annotated[int | None, typer.Option(help="Seed, to reproduce a forecast.")] = None,
    window: Annotated[int, typer.Option("--window", min=7, max=730, help="Throughput window in days.")] = 90,
    trials: Annotated[int, typer.Option(min=10_000, max=200_000, help="Monte Carlo trials.")] = 10_000,
    output_format: Annotated[str, typer.Option("--format", help="json or text.")] = "json",
    commit: CommitOption = False,
    database: DatabaseOption = None,
) -> None:
    """Forecast the dates by which N items will be done (50/70/85/95%)."""
    with session_scope(load_settings(database)) as session:
        target = find_team(session, team)
        row, result = service.create_when(
            session=session,
            actor=None,
            team_id=target.id,
            remaining_items=items,
            window_days=window,
            trials=trials,
            seed=seed,
            commitment="plan" if commit else None,
        )
        payload = {
            "id": row.id,
            "team": target.name,
            "label": row.label,
            "kind": "when",
            "seed": row.seed,
            "trials": row.trials,
            "window": [row.window_start.isoformat(), row.window_end.isoformat()],
            "start_date": row.start_date.isoformat(),
            "predicted": row.predicted,
            "days": {str(k): v for k, v in result.days.items()},
            "message": row.message,
            "commitment": row.commitment,
        }
    _print_forecast(payload, output_format == "json")


@forecast_app.command("how-many")
@friendly_errors
def forecast_how_many(
    team: TeamOption,
    by: Annotated[str, typer.Option("--by", help="The date, YYYY-MM-DD.")],
    seed: Annotated[int | None, typer.Option(help="Seed, to reproduce a forecast.")] = None,
    window: Annotated[int, typer.Option("--window", min=7, max=730, help="Throughput window in days.")] = 90,
    trials: Annotated[int, typer.Option(min=10_000, max=200_000, help="Monte Carlo trials.")] = 10_000,
    output_format: Annotated[str, typer.Option("--format", help="json or text.")] = "json",
    commit: CommitOption = False,
    database: DatabaseOption = None,
) -> None:
    """Forecast how many items will be finished by a date (count reached in 50/70/85/95% of trials)."""
    by_date = _date(by, "--by")
    assert by_date is not None
    with session_scope(load_settings(database)) as session:
        target = find_team(session, team)
        row, _result = service.create_how_many(
            session=session,
            actor=None,
            team_id=target.id,
            by_date=by_date,
            window_days=window,
            trials=trials,
            seed=seed,
            commitment="plan" if commit else None,
        )
        payload = {
            "id": row.id,
            "team": target.name,
            "label": row.label,
            "kind": "how_many",
            "seed": row.seed,
            "trials": row.trials,
            "window": [row.window_start.isoformat(), row.window_end.isoformat()],
            "start_date": row.start_date.isoformat(),
            "predicted": row.predicted,
            "message": row.message,
            "commitment": row.commitment,
        }
    _print_forecast(payload, output_format == "json")


@forecast_app.command("commit")
@friendly_errors
def forecast_commit(
    forecast_id: Annotated[int, typer.Argument(min=1, help="The forecast's id.")],
    output_format: Annotated[str, typer.Option("--format", help="json or text.")] = "json",
    database: DatabaseOption = None,
) -> None:
    """Commit a stored what-if as the team's plan, so that it is scored (committing twice changes nothing)."""
    with session_scope(load_settings(database)) as session:
        row = service.commit_forecast(session=session, actor=None, forecast_id=forecast_id, commitment="plan")
        payload = {"id": row.id, "label": row.label, "kind": row.kind, "predicted": row.predicted, "commitment": row.commitment}
    _print_forecast(payload, output_format == "json")


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
    window: Annotated[int, typer.Option("--window", min=7, max=730, help="Throughput window in days.")] = 90,
    output_format: Annotated[str, typer.Option("--format", help="json or text.")] = "json",
    commit: CommitOption = False,
    database: DatabaseOption = None,
) -> None:
    """Forecast several epics of a team that share its throughput (50/70/85/95% dates per epic)."""
    from deliveryops.analytics.allocation import RULE_TEXT, Allocation  # noqa: PLC0415

    with session_scope(load_settings(database)) as session:
        target = find_team(session, team)
        rows, rule = service.forecast_epics(
            session=session,
            actor=None,
            team_id=target.id,
            epic_keys=epic or None,
            allocation=Allocation(allocation.value),
            window_days=window,
            seed=seed,
            commitment="plan" if commit else None,
        )
        payload: dict[str, Any] = {
            "team": target.name,
            "allocation": rule.value,
            "rule": RULE_TEXT[rule],
            "forecasts": [
                {
                    "id": row.id,
                    "label": row.label,
                    "allocation": row.allocation,
                    "team_items_first": row.remaining_items,
                    "seed": row.seed,
                    "predicted": row.predicted,
                    "commitment": row.commitment,
                    "message": row.message,
                }
                for row, _result in rows
            ],
        }
    if output_format == "json":
        typer.echo(json.dumps(payload, indent=2, default=str))
        return
    console.print(payload["rule"], highlight=False)
    for row in payload["forecasts"]:
        console.print(f"{row['label']} — {row['allocation']}", style="bold", highlight=False)
        console.print(f"  50%: {row['predicted'].get('50')}  85%: {row['predicted'].get('85')}", highlight=False)
