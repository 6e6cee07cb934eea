"""KPI series: who may read and write them, their values (JSON, CSV, webhook; all-or-nothing) and tokens."""

from __future__ import annotations

import csv
import io
import math
import secrets
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.accounts.passwords import hash_token
from deliveryops.errors import ConflictError, NotAuthenticatedError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.outcomes.models import KpiSeries, KpiValue
from deliveryops.outcomes.schemas import SeriesCreate, SeriesRead, ValueIn
from deliveryops.teams.models import Group, Team
from deliveryops.teams.service import can_manage_team, team_ids_of

__all__ = [
    "authenticate_webhook",
    "can_edit_scope",
    "can_read_scope",
    "check_scope",
    "create",
    "get_or_raise",
    "list_",
    "parse_csv",
    "read",
    "values_of",
    "write_values",
]

MAX_CSV_LINES = 10_000


def can_read_scope(session: Session, actor: User, *, group_id: int | None, team_id: int | None) -> bool:
    """Cross-team roles read everything; others their teams' and their teams' groups' (and organisation-wide) items."""
    if actor.role.sees_all_teams:
        return True
    own = team_ids_of(session, actor)
    if team_id is not None:
        return team_id in own
    if group_id is not None:
        return session.scalar(select(Team.id).where(Team.group_id == group_id, Team.id.in_(own)).limit(1)) is not None
    return True


def can_edit_scope(session: Session, actor: User, *, group_id: int | None, team_id: int | None) -> bool:
    """Leaders and Product Ops edit group and organisation items; a team's delivery managers its items; admins all."""
    if actor.role is Role.ADMIN:
        return True
    if team_id is not None:
        team = session.get(Team, team_id)
        return team is not None and can_manage_team(session, actor, team)
    return actor.role in (Role.LEADER, Role.PRODUCT_OPS)


def check_scope(session: Session, *, group_id: int | None, team_id: int | None) -> None:
    """Refuse (422, naming the field) a group or team that does not exist."""
    if group_id is not None and session.get(Group, group_id) is None:
        raise ValidationFailedError(f"No group {group_id}.", fields={"group_id": "Choose an existing group."})
    if team_id is not None and session.get(Team, team_id) is None:
        raise ValidationFailedError(f"No team {team_id}.", fields={"team_id": "Choose an existing team."})


def create(*, session: Session, actor: User | None, body: SeriesCreate) -> tuple[KpiSeries, str]:
    """Create a series and its webhook token (returned once; only its hash is stored)."""
    check_scope(session, group_id=body.group_id, team_id=body.team_id)
    if actor is not None and not can_edit_scope(session, actor, group_id=body.group_id, team_id=body.team_id):
        raise PermissionDeniedError("Leaders and Product Ops add group series; a team's delivery managers add its series.")
    if session.scalar(select(KpiSeries.id).where(KpiSeries.name == body.name)) is not None:
        raise ConflictError(f"A KPI series named {body.name!r} exists already.")
    token = "kpi_" + secrets.token_urlsafe(24)
    series = KpiSeries(
        name=body.name,
        unit=body.unit,
        description=body.description,
        group_id=body.group_id,
        team_id=body.team_id,
        token_hash=hash_token(token),
    )
    session.add(series)
    session.flush()
    return series, token


def get_or_raise(*, session: Session, actor: User, series_id: int, edit: bool = False) -> KpiSeries:
    """A series the actor may read (or, with ``edit``, write)."""
    series = session.get(KpiSeries, series_id)
    if series is None or not can_read_scope(session, actor, group_id=series.group_id, team_id=series.team_id):
        raise NotFoundError(f"No KPI series {series_id}.")
    if edit and not can_edit_scope(session, actor, group_id=series.group_id, team_id=series.team_id):
        raise PermissionDeniedError("Only the series' editors (leaders, Product Ops, the team's delivery managers) add values.")
    return series


def list_(*, session: Session, actor: User) -> list[KpiSeries]:
    """The series the actor may read, by name."""
    rows = session.scalars(select(KpiSeries).order_by(KpiSeries.name))
    return [s for s in rows if can_read_scope(session, actor, group_id=s.group_id, team_id=s.team_id)]


def read(session: Session, series: KpiSeries) -> SeriesRead:
    """The API shape of a series."""
    count, first, last = session.execute(
        select(func.count(KpiValue.id), func.min(KpiValue.on), func.max(KpiValue.on)).where(KpiValue.series_id == series.id)
    ).one()
    return SeriesRead(
        id=series.id,
        name=series.name,
        unit=series.unit,
        description=series.description,
        group_id=series.group_id,
        team_id=series.team_id,
        values=int(count),
        first_on=first,
        last_on=last,
        has_webhook_token=series.token_hash is not None,
    )


def values_of(session: Session, series_id: int, *, up_to: date | None = None) -> list[tuple[date, float]]:
    """The series' values in date order (up to a day, inclusive)."""
    statement = select(KpiValue.on, KpiValue.value).where(KpiValue.series_id == series_id).order_by(KpiValue.on)
    if up_to is not None:
        statement = statement.where(KpiValue.on <= up_to)
    return [(on, float(value)) for on, value in session.execute(statement)]


def write_values(session: Session, series: KpiSeries, values: Sequence[ValueIn]) -> int:
    """Write values (already validated); a value for a day that has one replaces it.

    Returns:
        The number of values written.
    """
    by_day = {value.on: value.value for value in values}
    existing = {
        row.on: row for row in session.scalars(select(KpiValue).where(KpiValue.series_id == series.id, KpiValue.on.in_(by_day)))
    }
    for on, value in by_day.items():
        if on in existing:
            existing[on].value = value
        else:
            session.add(KpiValue(series_id=series.id, on=on, value=value))
    session.flush()
    return len(by_day)


def parse_csv(text: str) -> list[ValueIn]:
    """Read ``date,value`` lines (a header row first; dates like 2026-10-05). All-or-nothing.

    Raises:
        ValidationFailedError: naming the first bad line and column; nothing is written.
    """
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise ValidationFailedError("The file is empty.", fields={"file": "Upload a CSV file with the columns date,value."})
    header = [cell.strip().lower() for cell in rows[0]]
    if "date" not in header or "value" not in header:
        message = f"Line 1: the header needs the columns date and value; found {', '.join(header) or 'nothing'}."
        raise ValidationFailedError(message, fields={"file": message})
    if len(rows) - 1 > MAX_CSV_LINES:
        message = f"At most {MAX_CSV_LINES} values per file."
        raise ValidationFailedError(message, fields={"file": message})
    day_at, value_at = header.index("date"), header.index("value")
    values: list[ValueIn] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        day_text = row[day_at].strip() if day_at < len(row) else ""
        value_text = row[value_at].strip() if value_at < len(row) else ""
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            message = f"Line {number}, column date: expected a date like 2026-10-05, got {day_text!r}."
            raise ValidationFailedError(message, fields={"file": message}) from None
        try:
            value = float(value_text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            message = f"Line {number}, column value: expected a number like 412 or 3.5, got {value_text!r}."
            raise ValidationFailedError(message, fields={"file": message})
        values.append(ValueIn(on=day, value=value))
    if not values:
        raise ValidationFailedError("The file has no values.", fields={"file": "Add lines of date,value under the header."})
    return values


def authenticate_webhook(*, session: Session, authorization: str | None) -> KpiSeries:
    """The series an ``Authorization: Bearer <token>`` header stands for, or 401."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticatedError("Send the series' webhook token as 'Authorization: Bearer <token>'.")
    series = session.scalar(select(KpiSeries).where(KpiSeries.token_hash == hash_token(token.strip())))
    if series is None:
        raise NotAuthenticatedError("The webhook token is unknown.")
    return series
