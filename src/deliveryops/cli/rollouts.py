"""`deliveryops rollouts list|show|create`: rollouts of a tool or practice across teams and their measured effect.

``--format json`` prints what ``GET /api/v1/cockpit/rollouts``, ``GET /api/v1/cockpit/rollouts/{id}`` and
``POST /api/v1/cockpit/rollouts`` answer.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from deliveryops.cli.common import CliError, acting_user, build, console, friendly_errors, load_settings, session_scope
from deliveryops.cli.output import (
    Column,
    FormatOption,
    LimitOption,
    OffsetOption,
    OutputFormat,
    page_params,
    print_json,
    print_page,
)
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.rollouts import service as rollouts
from deliveryops.cockpit.rollouts import stored as rollout_stored
from deliveryops.cockpit.rollouts.schemas import RolloutCreate, RolloutRead, create_from, read_of
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.teams.service import find_team

__all__ = ["rollouts_app"]

rollouts_app = typer.Typer(help="Rollouts of a tool or practice across teams, and their measured effect.", no_args_is_help=True)
DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]
AsOption = Annotated[str | None, typer.Option("--as", help="E-mail of the person asking (default: the trusted local caller).")]


def _entry_id(session: Session, name: str) -> int:
    found = [e for e in catalogue.list_entries(session=session) if e.name == name]
    if not found:
        raise CliError(f"No catalogue entry named {name!r}. See `deliveryops catalogue checks`.")
    return found[0].id


@rollouts_app.command("list")
@friendly_errors
def list_rollouts(
    entry: Annotated[str | None, typer.Option(help="Only the rollouts of this catalogue entry (its name).")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    acting: AsOption = None,
    database: DatabaseOption = None,
) -> None:
    """List rollouts, newest start first (json: the page GET /api/v1/cockpit/rollouts answers)."""
    with session_scope(load_settings(database)) as session:
        rollouts.require_reader(acting_user(session, acting))
        entry_id = _entry_id(session, entry) if entry else None
        items = [read_of(session, r) for r in rollouts.list_rollouts(session=session, entry_id=entry_id)]
    columns: list[Column[RolloutRead]] = [
        Column("Id", lambda r: r.id),
        Column("Rollout", lambda r: r.title),
        Column("Entry", lambda r: r.entry_name),
        Column("Metric", lambda r: r.metric.value),
        Column("Starts", lambda r: r.starts_on.isoformat()),
        Column("Teams", lambda r: len(r.teams)),
    ]
    print_page(
        paginate(items, page_params(limit, offset)),
        columns,
        output_format,
        empty="No rollouts yet. Plan one with `deliveryops rollouts create`.",
    )


@rollouts_app.command("show")
@friendly_errors
def show_rollout(
    rollout_id: Annotated[int, typer.Argument(help="The rollout's id (see `deliveryops rollouts list`).", min=1)],
    output_format: FormatOption = OutputFormat.TABLE,
    acting: AsOption = None,
    database: DatabaseOption = None,
) -> None:
    """A rollout's progress per team, adoption curve and measured effect (json: GET /api/v1/cockpit/rollouts/{id})."""
    with session_scope(load_settings(database)) as session:
        rollouts.require_reader(acting_user(session, acting))
        rollout = rollouts.get_rollout_or_raise(session=session, rollout_id=rollout_id)
        detail = rollout_stored.read(session, rollout).detail
    if output_format is OutputFormat.JSON:
        print_json(detail)
        return
    console.print(f"{detail.title}: {detail.entry_name}, from {detail.starts_on.isoformat()}", highlight=False)
    for team in detail.progress:
        adopted = f"adopted {team.adopted_on.isoformat()}" if team.adopted_on else team.declared.value.replace("_", " ")
        late = "" if team.on_time is None else (" (on time)" if team.on_time else " (late)")
        data = (
            "-" if team.check is None else {True: "confirmed", False: "not confirmed", None: "no verdict"}[team.check.confirmed]
        )
        console.print(f"  {team.team_name}: target {team.target_on.isoformat()}, {adopted}{late}; data: {data}", highlight=False)
    effect = detail.effect
    console.print(f"Effect on {detail.metric.value}: {effect.outcome.value.replace('_', ' ')}. {effect.detail}.", highlight=False)


@rollouts_app.command("create")
@friendly_errors
def create_rollout(
    entry: Annotated[str, typer.Option(help="The catalogue entry rolled out (its name).")],
    title: Annotated[str, typer.Option(help="A short name for the rollout.")],
    starts_on: Annotated[str, typer.Option("--starts-on", help="The day it starts (YYYY-MM-DD).")],
    team: Annotated[list[str], typer.Option(help="TEAM=YYYY-MM-DD: a team (name or slug) and its target date; repeat.")],
    metric: Annotated[str, typer.Option(help="throughput, cycle_time_p85, wip, flow_efficiency or blocked_days.")] = "throughput",
    notes: Annotated[str, typer.Option(help="What the rollout is for.")] = "",
    output_format: FormatOption = OutputFormat.TABLE,
    acting: AsOption = None,
    database: DatabaseOption = None,
) -> None:
    """Plan a rollout (json: what POST /api/v1/cockpit/rollouts answers)."""
    with session_scope(load_settings(database)) as session:
        actor = acting_user(session, acting)
        pairs = []
        for value in team:
            name, sep, day = value.rpartition("=")
            if not sep or not name:
                raise CliError(f"--team: expected TEAM=YYYY-MM-DD, got {value!r}.")
            pairs.append({"team_id": find_team(session, name).id, "target_on": day})
        body = build(
            RolloutCreate,
            entry_id=_entry_id(session, entry),
            title=title,
            metric=metric,
            starts_on=starts_on,
            teams=pairs,
            notes=notes,
            owner_id=actor.id if actor else None,
        )
        read = read_of(session, create_from(session, actor, body))
    if output_format is OutputFormat.JSON:
        print_json(read)
        return
    console.print(f"Rollout {read.id} planned: {read.title} ({len(read.teams)} teams).", highlight=False)
