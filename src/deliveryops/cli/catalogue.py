"""`deliveryops catalogue checks`: every team's data check of every catalogue entry, with its evidence."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from deliveryops.cli.common import CliError, console, friendly_errors, load_settings, session_scope
from deliveryops.cockpit import adoption
from deliveryops.teams.service import find_team

__all__ = ["catalogue_app"]

catalogue_app = typer.Typer(help="The catalogue of tools and practices.", no_args_is_help=True)


@catalogue_app.command("checks")
@friendly_errors
def checks(
    team: Annotated[str | None, typer.Option(help="Only this team (name or slug); default every team.")] = None,
    entry: Annotated[str | None, typer.Option(help="Only this catalogue entry (its name).")] = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    database: Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")] = None,
) -> None:
    """Run the data checks: per team and entry, the declared state, what the data says, its evidence and how sure."""
    if output not in ("table", "json"):
        raise CliError(f"--format must be table or json, got {output!r}.")
    with session_scope(load_settings(database)) as session:
        team_ids = None
        if team:
            team_ids = [find_team(session, team).id]
        matrix = adoption.matrix(session, team_ids=team_ids)
        entries = [e for e in matrix.entries if entry is None or e.name == entry]
        if entry and not entries:
            raise CliError(f"No active catalogue entry named {entry!r}.")
        rows: list[dict[str, str | int | bool | None]] = []
        for e in entries:
            for t in matrix.teams:
                result = matrix.check(t.id, e.id)
                if result is None:
                    continue
                rows.append(
                    {
                        "team": t.name,
                        "entry": e.name,
                        "declared": matrix.state(t.id, e.id).value,
                        "check": result.check.value,
                        "observable": result.check.observable,
                        "confirmed": result.confirmed,
                        "mismatch": matrix.mismatch(t.id, e.id),
                        "strength": result.strength,
                        "certainty": result.certainty,
                        "window_days": result.window_days,
                        "evidence": result.evidence,
                    }
                )
    if output == "json":
        console.print_json(json.dumps(rows))
        return
    if not rows:
        console.print("No catalogue entry has a data check yet.")
        return
    table = Table("Team", "Entry", "Declared", "Data", "How sure", "Evidence")
    for row in rows:
        data = "confirmed" if row["confirmed"] is True else "not confirmed" if row["confirmed"] is False else "no verdict"
        if not row["observable"]:
            data = "not observable"
        elif row["mismatch"]:
            data += " (mismatch)"
        table.add_row(
            str(row["team"]), str(row["entry"]), str(row["declared"]), data, str(row["certainty"]), str(row["evidence"])
        )
    console.print(table)
