"""`deliveryops roadmap show|calendar|absence|plan`: a group's roadmap (with a what-if) and the team calendar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from deliveryops.cli.common import CliError, build, console, friendly_errors, load_settings, parse_date, session_scope
from deliveryops.cli.output import FormatOption, OutputFormat, print_json
from deliveryops.roadmap import service
from deliveryops.roadmap.engine import Rule
from deliveryops.roadmap.schemas import (
    AbsenceCreate,
    AbsenceItem,
    CalendarUpdate,
    PlanUpdate,
    WhatIfBody,
    calendar_read,
    keys_from_text,
    plan_read,
    roadmap_csv,
    roadmap_read,
)
from deliveryops.teams.service import find_group, find_team

roadmap_app = typer.Typer(
    help="Roadmap: epic dates that share each team's capacity, what-ifs, team calendars.", no_args_is_help=True
)
DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]


def _shares(text: str) -> dict[str, str]:
    """``KEY=PERCENT,KEY=PERCENT`` as text pairs; the model the command builds checks the numbers."""
    return {key.strip(): value.strip() for key, _, value in (p.partition("=") for p in text.split(",") if p.strip())}


def _absence(text: str) -> dict[str, str]:
    """An ``--absence FROM:TO:PERCENT`` as the API's what-if absence (the model checks its values)."""
    parts = text.split(":")
    if len(parts) != 3:
        raise CliError(f"--absence: write FROM:TO:PERCENT, e.g. 2027-01-04:2027-01-15:50, not {text!r}.")
    return dict(zip(("start", "end", "percent"), parts, strict=True))


def _what_if(
    team_id: int, cut_date: str | None, rule: Rule | None, order: str | None, shares: str | None, absences: list[str]
) -> WhatIfBody:
    """The body ``POST /api/v1/groups/{id}/roadmap/what-if`` takes for one team's what-if, validated as the API does."""
    team = {
        "team_id": team_id,
        "rule": rule.value if rule else None,
        "order": keys_from_text(order) if order else None,
        "shares": _shares(shares) if shares else None,
        "absences": [_absence(text) for text in absences],
    }
    return build(WhatIfBody, cut_date=cut_date, teams=[team])


@roadmap_app.command("show")
@friendly_errors
def show(
    group: Annotated[str, typer.Option(help="The group (name or slug).")],
    cut_date: Annotated[
        str | None, typer.Option("--cut-date", help="The cut line's date, YYYY-MM-DD (default: 13 weeks).")
    ] = None,
    what_if_team: Annotated[str | None, typer.Option("--what-if-team", help="Try a change for this team (name or slug).")] = None,
    rule: Annotated[Rule | None, typer.Option(help="What-if: the sharing rule.")] = None,
    order: Annotated[str | None, typer.Option(help="What-if: epic keys in priority order, comma-separated.")] = None,
    shares: Annotated[str | None, typer.Option(help="What-if: shares, KEY=PERCENT,KEY=PERCENT.")] = None,
    absence: Annotated[list[str] | None, typer.Option(help="What-if: extra absence FROM:TO:PERCENT (repeatable).")] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Also write the roadmap as CSV to this file.")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Show a group's roadmap (the API's shape with --format json); what-if options show a change beside it, unstored."""
    with session_scope(load_settings(database)) as session:
        found = find_group(session, group)
        if what_if_team:
            body = _what_if(find_team(session, what_if_team).id, cut_date, rule, order, shares, absence or [])
            changes, cut = {team.team_id: team.to_what_if() for team in body.teams}, body.cut_date
        elif rule or order or shares or absence:
            raise CliError("What-if options need --what-if-team.")
        else:
            changes, cut = None, parse_date(cut_date, "--cut-date")
        roadmap = service.group_roadmap(session=session, actor=None, group_id=found.id, cut_date=cut, what_if=changes)
        if csv_path is not None:
            csv_path.write_text(roadmap_csv(roadmap), encoding="utf-8")
        read = roadmap_read(roadmap)
        if output_format is OutputFormat.JSON:
            print_json(read)
            return
        plans = [("Roadmap", read.teams)] + ([("What-if (not stored)", read.what_if)] if read.what_if else [])
        for title, lanes in plans:
            table = Table(title=f"{title} of {read.group}, cut line {read.cut_date} at 85%")
            for column in ("Team", "Epic", "Left", "50%", "85%", "Alone 85%", "Fits"):
                table.add_column(column)
            for lane in lanes:
                for e in lane.epics:
                    table.add_row(
                        lane.team,
                        e.key,
                        str(e.remaining),
                        str(e.p50 or "—"),
                        str(e.p85 or "—"),
                        str(e.alone_p85 or "—"),
                        "yes" if e.fits else "no",
                    )
            console.print(table)


@roadmap_app.command("calendar")
@friendly_errors
def calendar(
    team: Annotated[str, typer.Option(help="The team (name or slug).")],
    country: Annotated[str, typer.Option(help="ISO country code of its public holidays; empty for none.")],
    subdivision: Annotated[str, typer.Option(help="Optional subdivision, e.g. BY.")] = "",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Set where a team's public holidays come from (json: what PUT /api/v1/teams/{id}/calendar answers)."""
    body = build(CalendarUpdate, country=country, subdivision=subdivision)
    with session_scope(load_settings(database)) as session:
        team_id = find_team(session, team).id
        row = service.set_calendar(
            session=session, actor=None, team_id=team_id, country=body.country, subdivision=body.subdivision
        )
        if output_format is OutputFormat.JSON:
            print_json(calendar_read(session, None, team_id))
            return
        console.print(
            f"{team}: public holidays of {row.country or 'no country'}{'-' + row.subdivision if row.subdivision else ''}."
        )


@roadmap_app.command("absence")
@friendly_errors
def add_absence(
    team: Annotated[str, typer.Option(help="The team (name or slug).")],
    start: Annotated[str, typer.Option(help="First day away, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Last day away, YYYY-MM-DD.")],
    percent: Annotated[int, typer.Option(help="Share of the team's capacity away, 1-100.")],
    note: Annotated[str, typer.Option(help="What it is.")] = "",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Plan an absence as a share of a team's capacity (json: what POST /api/v1/teams/{id}/absences answers)."""
    body = build(AbsenceCreate, start=start, end=end, percent=percent, note=note)
    with session_scope(load_settings(database)) as session:
        row = service.add_absence(
            session=session,
            actor=None,
            team_id=find_team(session, team).id,
            start=body.start,
            end=body.end,
            percent=body.percent,
            note=body.note,
        )
        if output_format is OutputFormat.JSON:
            print_json(AbsenceItem(id=row.id, start=row.start, end=row.end, percent=row.percent, note=row.note))
            return
        console.print(f"Absence {row.id}: {row.percent}% away from {row.start} to {row.end}.")


@roadmap_app.command("plan")
@friendly_errors
def plan(
    team: Annotated[str, typer.Option(help="The team (name or slug).")],
    rule: Annotated[Rule, typer.Option(help="How its open epics share its throughput.")] = Rule.PRIORITY,
    order: Annotated[str, typer.Option(help="Epic keys in priority order, comma-separated.")] = "",
    shares: Annotated[str, typer.Option(help="For 'shares': KEY=PERCENT,KEY=PERCENT.")] = "",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Store how a team's open epics share its throughput (json: what PUT /api/v1/teams/{id}/roadmap-plan answers)."""
    body = build(PlanUpdate, rule=rule.value, order=keys_from_text(order), shares=_shares(shares))
    with session_scope(load_settings(database)) as session:
        keys = body.order
        team_id = find_team(session, team).id
        service.set_plan(session=session, actor=None, team_id=team_id, rule=rule, order=keys, shares=body.shares)
        if output_format is OutputFormat.JSON:
            print_json(plan_read(session, None, team_id))
            return
        console.print(f"{team}: {rule.label}, order {', '.join(keys) or 'oldest epic first'}.")
