"""`deliveryops coaching`: coaching insights over teams' data."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from deliveryops.cli.common import console, friendly_errors, load_settings, session_scope
from deliveryops.cli.output import FormatOption, LimitOption, OffsetOption, OutputFormat, page_params, print_json
from deliveryops.coaching import service
from deliveryops.coaching.schemas import InsightRead
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.teams.service import find_team, list_teams

__all__ = ["coaching_app"]

coaching_app = typer.Typer(help="Coaching insights over teams' data.", no_args_is_help=True)


@coaching_app.command("refresh")
@friendly_errors
def refresh(
    team: Annotated[str | None, typer.Option(help="Only this team (name, slug or id); default every team.")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")] = None,
) -> None:
    """Recompute the coaching insights of every team (or one) and list the open ones.

    ``--format json`` prints the open, not dismissed, insights as ``GET /api/v1/teams/{id}/coaching/insights``
    does (one page over every team when no ``--team`` is given).
    """
    with session_scope(load_settings(database)) as session:
        teams = [find_team(session, team)] if team else list_teams(session=session, actor=None)
        results = []
        with Progress(console=console, transient=True, disable=output_format is OutputFormat.JSON) as progress:
            task = progress.add_task("Recomputing insights", total=len(teams))
            for row in teams:
                results.append((row, service.refresh(session, team_id=row.id)))
                progress.advance(task)
        if output_format is OutputFormat.JSON:
            active = [r for t in teams for r in service.list_insights(session=session, actor=None, team_id=t.id).active]
            print_json(paginate([InsightRead.of(row) for row in active], page_params(limit, offset)))
            return
        table = Table("Team", "Severity", "Kind", "Insight")
        for row, insights in results:
            for insight in insights:
                table.add_row(row.name, insight.severity, insight.kind, str(insight.payload.get("title", "")))
        total = sum(len(insights) for _row, insights in results)
        if total:
            console.print(table)
        console.print(f"{total} open insight(s) in {len(teams)} team(s).")
