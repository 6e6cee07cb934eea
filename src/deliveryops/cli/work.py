"""`deliveryops import csv` and `deliveryops simulate`: filling the work-item history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from deliveryops.cli.common import CliError, console, friendly_errors, load_settings, session_scope
from deliveryops.db import utcnow
from deliveryops.teams.service import find_team
from deliveryops.work.importing import ImportSummary
from deliveryops.work.service import import_file

import_app = typer.Typer(help="Import work-item history from files.", no_args_is_help=True)

DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"Cannot read the {what} {path}: {exc.strerror}.") from None


def print_summary(summary: ImportSummary, *, team: str) -> None:
    """Say what an import changed and what still needs mapping."""
    console.print(
        f"{team}: {summary.created} items created, {summary.updated} updated, {summary.unchanged} unchanged "
        f"({summary.transitions} status changes, {summary.blocked_intervals} blocked periods written)."
    )
    for note in summary.notes:
        console.print(f"[yellow]Note:[/yellow] {note}")
    if summary.unmapped_statuses:
        names = ", ".join(summary.unmapped_statuses)
        console.print(f"[yellow]Statuses to map[/yellow] on the team's workflow page before they count: {names}")


@import_app.command("csv")
@friendly_errors
def import_csv(
    file: Annotated[Path, typer.Argument(help="The CSV file (stage-dates, full-history or Jira export).")],
    team: Annotated[str, typer.Option(help="The team the items belong to: its name, slug or id.")],
    file_format: Annotated[
        str | None,
        typer.Option("--format", help="stage-dates, full-history or jira-export; detected from the header when omitted."),
    ] = None,
    workflow: Annotated[Path | None, typer.Option(help="A workflow file (status, category) that replaces the team's.")] = None,
    blocked: Annotated[Path | None, typer.Option(help="Blocked periods (key, from, to, reason) for full-history.")] = None,
    date_order: Annotated[
        str | None, typer.Option(help="day_first or month_first, for files whose numeric dates could be either.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Validate a whole file, then import it; a bad file imports nothing."""
    data = _read(file, "file")
    workflow_data = _read(workflow, "workflow file") if workflow else None
    blocked_data = _read(blocked, "blocked-periods file") if blocked else None
    with session_scope(load_settings(database)) as session:
        target = find_team(session, team)
        with _progress() as progress:
            task = progress.add_task(f"Importing {file.name}", total=None)
            summary = import_file(
                session=session,
                actor=None,
                team=target,
                data=data,
                file_name=file.name,
                import_format=file_format,
                date_order=date_order,
                blocked=blocked_data,
                workflow_file=workflow_data,
                progress=lambda done: progress.update(task, completed=done),
            )
        print_summary(summary, team=target.name)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console)


def simulate(
    teams_count: Annotated[int, typer.Option("--teams", min=1, max=1000, help="How many teams to simulate.")] = 6,
    months: Annotated[int, typer.Option(min=1, max=120, help="Months of history, ending today.")] = 18,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same organisation.")] = 7,
    items: Annotated[int | None, typer.Option(help="Aim for about this many items in total (scales arrivals).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Simulate teams' work-item histories from a process model and import them."""
    from deliveryops.demo.simulated import import_simulated  # noqa: PLC0415 (the demo package loads every domain)
    from deliveryops.simulate import simulate_organisation  # noqa: PLC0415

    with session_scope(load_settings(database)) as session, _progress() as progress:
        task = progress.add_task("Simulating teams", total=teams_count)
        total = ImportSummary()
        for simulated in simulate_organisation(
            teams=teams_count, months=months, seed=seed, end=utcnow().date(), items_target=items
        ):
            summary = import_simulated(session, simulated)
            total.created += summary.created
            total.updated += summary.updated
            total.unchanged += summary.unchanged
            total.transitions += summary.transitions
            total.blocked_intervals += summary.blocked_intervals
            progress.update(task, advance=1, description=f"Simulated {simulated.name}")
    print_summary(total, team=f"{teams_count} teams")


simulate_command = friendly_errors(simulate)
