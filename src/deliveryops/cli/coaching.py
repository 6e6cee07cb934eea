"""`deliveryops coaching`: coaching insights over teams' data."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from deliveryops.cli.common import console, friendly_errors, load_settings, session_scope
from deliveryops.coaching import service
from deliveryops.teams.service import find_team, list_teams

__all__ = ["coaching_app"]

coaching_app = typer.Typer(help="Coaching insights over teams' data.", no_args_is_help=True)


@coaching_app.command("refresh")
@friendly_errors
def refresh(
    team: Annotated[str | None, typer.Option(help="Only this team (name or slug); default every team.")] = None,
    database: Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")] = None,
) -> None:
    """Recompute the coaching insights of every team (or one) and list the open ones."""
    with session_scope(load_settings(database)) as session:
        teams = [find_team(session, team)] if team else list_teams(session=session, actor=None)
        results = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Recomputing insights", total=len(teams))
            for row in teams:
                results.append((row, service.refresh(session, team_id=row.id)))
                progress.advance(task)
        table = Table("Team", "Severity", "Kind", "Insight")
        for row, insights in results:
            for insight in insights:
                table.add_row(row.name, insight.severity, insight.kind, str(insight.payload.get("title", "")))
        total = sum(len(insights) for _row, insights in results)
        if total:
            console.print(table)
        console.print(f"{total} open insight(s) in {len(teams)} team(s).")
