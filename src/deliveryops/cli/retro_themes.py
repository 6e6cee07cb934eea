"""`deliveryops retro-themes`: themes that recur across teams' retros over a period (the retro of retros)."""

from __future__ import annotations

from typing import Annotated

import typer

from deliveryops.cli.common import friendly_errors, load_settings, parse_date, session_scope
from deliveryops.cli.output import Column, FormatOption, LimitOption, OffsetOption, OutputFormat, page_params, print_page
from deliveryops.retros import themes
from deliveryops.retros.multi_schemas import RecurringThemeRead
from deliveryops.schemas import DEFAULT_LIMIT, paginate

__all__ = ["retro_themes"]

COLUMNS = [
    Column[RecurringThemeRead]("Theme", lambda r: r.title),
    Column[RecurringThemeRead]("Retros", lambda r: r.retros),
    Column[RecurringThemeRead]("Teams", lambda r: ", ".join(r.teams)),
]


@friendly_errors
def retro_themes(
    start: Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD (default: 90 days before --end).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day, YYYY-MM-DD (default: today).")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")] = None,
) -> None:
    """List themes that recur across teams' retros over a period, with the number of retros and the teams.

    Only groups shared by at least the privacy minimum of teams (``min_group_size``) are shown, and never a
    card. ``--format json`` prints the page ``GET /api/v1/retro-themes`` answers.
    """
    settings = load_settings(database)
    first, last = themes.period(parse_date(start, "--start"), parse_date(end, "--end"))
    with session_scope(settings) as session:
        found = themes.recurring_themes(
            session=session, actor=None, start=first, end=last, min_group_size=int(settings.min_group_size)
        )
        rows = [RecurringThemeRead(title=r.title, retros=r.retros, teams=r.teams) for r in found]
        print_page(
            paginate(rows, page_params(limit, offset)),
            COLUMNS,
            output_format,
            empty=f"No theme recurs across {max(2, int(settings.min_group_size))} teams or more from {first} to {last}.",
        )
