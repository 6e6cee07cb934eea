"""`deliveryops catalogue checks`: every team's data check of every catalogue entry, with its evidence;
`deliveryops catalogue custom-checks define|list|delete`: admin-defined checks (a signal, a threshold, a window);
`deliveryops catalogue rollout-effect`: the measured effect of adopting an entry across teams."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from deliveryops.actions.models import TargetMetric
from deliveryops.cli.common import CliError, acting_user, console, friendly_errors, load_settings, session_scope
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
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.catalogue.schemas import CustomCheckListed, CustomCheckRead, TeamCheckRead, custom_check_listed
from deliveryops.cockpit.models import Signal
from deliveryops.cockpit.rollouts.schemas import RolloutEffectRead, effect_read
from deliveryops.cockpit.rollouts.service import FLOW_METRICS, measure_rollout
from deliveryops.errors import ValidationFailedError, validation_failed
from deliveryops.flow.service import today_in
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.teams.service import find_team, list_teams

__all__ = ["catalogue_app"]

catalogue_app = typer.Typer(help="The catalogue of tools and practices.", no_args_is_help=True)
custom_app = typer.Typer(
    help="Admin-defined checks of catalogue entries: a signal, a threshold and a window.", no_args_is_help=True
)
catalogue_app.add_typer(custom_app, name="custom-checks")
DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")]
AsOption = Annotated[str | None, typer.Option("--as", help="E-mail of the person asking (default: the trusted local caller).")]


def _data(row: TeamCheckRead) -> str:
    result = row.result
    if not result.observable:
        return "not observable"
    data = "confirmed" if result.confirmed is True else "not confirmed" if result.confirmed is False else "no verdict"
    return data + (" (mismatch)" if row.mismatch else "")


_CHECK_COLUMNS: list[Column[TeamCheckRead]] = [
    Column("Team", lambda row: row.team_name),
    Column("Entry", lambda row: row.entry_name),
    Column("Declared", lambda row: row.state.value),
    Column("Data", _data),
    Column("How sure", lambda row: row.result.certainty),
    Column("Evidence", lambda row: row.result.evidence),
]


@catalogue_app.command("checks")
@friendly_errors
def checks(
    team: Annotated[str | None, typer.Option(help="Only this team (name, slug or id); default every team.")] = None,
    entry: Annotated[str | None, typer.Option(help="Only this catalogue entry (its name).")] = None,
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: Annotated[str | None, typer.Option("--database", help="Database URL (default from the environment).")] = None,
) -> None:
    """Run the data checks: per team and entry, the declared state, what the data says, its evidence and how sure.

    ``--format json`` prints the answer of ``GET /api/v1/cockpit/catalogue/checks``.
    """
    with session_scope(load_settings(database)) as session:
        team_ids = [find_team(session, team).id] if team else None
        matrix = adoption.matrix(session, team_ids=team_ids)
        entry_id = None
        if entry:
            entry_id = next((e.id for e in matrix.entries if e.name == entry), None)
            if entry_id is None:
                raise CliError(f"No active catalogue entry named {entry!r}.")
        found = paginate(TeamCheckRead.rows(matrix, entry_id=entry_id), page_params(limit, offset))
    print_page(found, _CHECK_COLUMNS, output_format, empty="No catalogue entry has a data check yet.")


@catalogue_app.command("rollout-effect")
@friendly_errors
def rollout_effect(
    entry: Annotated[str, typer.Argument(help="The catalogue entry rolled out (its name).")],
    team: Annotated[
        list[str] | None,
        typer.Option(help="A team of the rollout or the comparison (name, slug or id); repeat. Default: every team."),
    ] = None,
    metric: Annotated[str, typer.Option(help="throughput, cycle_time_p85, wip, flow_efficiency or blocked_days.")] = "throughput",
    output_format: FormatOption = OutputFormat.TABLE,
    database: DatabaseOption = None,
) -> None:
    """Measure a rollout: the teams that declared the entry adopted, before and after, against those that had not yet.

    ``--format json`` prints the answer of ``GET /api/v1/cockpit/catalogue/{id}/rollout-effect``; a metric it
    refuses reads as its error.
    """
    try:
        chosen = _METRIC.validate_python(metric)
    except ValidationError as exc:
        raise validation_failed([{**error, "loc": ("metric",)} for error in exc.errors()]) from None
    if chosen not in FLOW_METRICS:
        raise ValidationFailedError("Choose a flow metric.", fields={"metric": "Choose a flow metric."})
    with session_scope(load_settings(database)) as session:
        entry_id = _entry(session, entry)
        named = {found.id: found for found in (find_team(session, name) for name in team or [])}  # each team once, as the API
        teams = list(named.values()) or list_teams(session=session, actor=None)
        if not teams:
            raise ValidationFailedError("There are no teams to compare.", fields={"team_id": "Choose at least one team."})
        result = measure_rollout(session, entry_id=entry_id, teams=teams, today=today_in(teams[0]), metric=chosen)
    read = RolloutEffectRead(entry_id=entry_id, metric=chosen, **effect_read(result).model_dump())
    if output_format is OutputFormat.JSON:
        print_json(read)
        return
    console.print(f"{entry} on {chosen.value}: {read.outcome.value.replace('_', ' ')}. {read.detail}.", highlight=False)


_METRIC: TypeAdapter[TargetMetric] = TypeAdapter(TargetMetric)


def _entry(session: Session, name: str) -> int:
    found = [e.id for e in catalogue.list_entries(session=session, kind=None, active_only=False) if e.name == name]
    if not found:
        raise CliError(f"No catalogue entry named {name!r}. See `deliveryops catalogue checks`.")
    return found[0]


_CUSTOM_COLUMNS: list[Column[CustomCheckListed]] = [
    Column("Entry", lambda row: row.entry_name),
    Column("Signal", lambda row: row.signal.value),
    Column("Threshold", lambda row: f"{row.threshold:g}"),
    Column("Window (days)", lambda row: row.window_days),
    Column("Updated", lambda row: row.updated_at.date().isoformat()),
]


@custom_app.command("list")
@friendly_errors
def list_custom_checks(
    output_format: FormatOption = OutputFormat.TABLE,
    limit: LimitOption = DEFAULT_LIMIT,
    offset: OffsetOption = 0,
    database: DatabaseOption = None,
) -> None:
    """List the admin-defined checks by entry (json: the page GET /api/v1/cockpit/custom-checks answers)."""
    with session_scope(load_settings(database)) as session:
        items = [custom_check_listed(rule, entry) for rule, entry in catalogue.custom_checks(session)]
    print_page(
        paginate(items, page_params(limit, offset)),
        _CUSTOM_COLUMNS,
        output_format,
        empty="No admin-defined check yet. Define one with `deliveryops catalogue custom-checks define`.",
    )


@custom_app.command("define")
@friendly_errors
def define_custom_check(
    entry: Annotated[str, typer.Argument(help="The catalogue entry (its name).")],
    signal: Annotated[str, typer.Option(help="One of: " + ", ".join(s.value for s in Signal) + ".")],
    threshold: Annotated[float, typer.Option(help="Pass at or above it (at or below for pr_lifetime_hours).")],
    window_days: Annotated[int, typer.Option("--window-days", help="The window the signal is read over, 7 to 365.")] = 28,
    output_format: FormatOption = OutputFormat.TABLE,
    acting: AsOption = None,
    database: DatabaseOption = None,
) -> None:
    """Define or change an entry's check (json: what PUT /api/v1/cockpit/catalogue/{id}/custom-check answers)."""
    with session_scope(load_settings(database)) as session:
        actor = acting_user(session, acting)
        rule = catalogue.set_custom_check(
            session=session,
            actor=actor,
            entry_id=_entry(session, entry),
            signal=signal,
            threshold=threshold,
            window_days=window_days,
        )
        listed = custom_check_listed(rule, catalogue.get_or_raise(session=session, entry_id=rule.entry_id))
    if output_format is OutputFormat.JSON:
        print_json(CustomCheckRead.model_validate(listed.model_dump()))
        return
    console.print(
        f"{listed.entry_name}: confirmed when {listed.signal.value} over {listed.window_days} days passes {listed.threshold:g}.",
        highlight=False,
    )


@custom_app.command("delete")
@friendly_errors
def delete_custom_check(
    entry: Annotated[str, typer.Argument(help="The catalogue entry (its name).")],
    acting: AsOption = None,
    database: DatabaseOption = None,
) -> None:
    """Remove an entry's admin-defined check; the entry then has no data check (DELETE .../custom-check)."""
    with session_scope(load_settings(database)) as session:
        removed = catalogue.delete_custom_check(
            session=session, actor=acting_user(session, acting), entry_id=_entry(session, entry)
        )
        name = removed.name
    console.print(f"{name}: its admin-defined check is removed.", highlight=False)
