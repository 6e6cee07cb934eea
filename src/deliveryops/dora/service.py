"""Use cases of DORA: the four keys and the rework rate per team and group, drill-downs, settings and webhook sources."""

from __future__ import annotations

import io
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import polars as pl
from cachetools import LRUCache, cached
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.accounts.passwords import hash_token
from deliveryops.analytics.dora import (
    CHANGE_SCHEMA,
    DEFAULT_PRODUCTION_ENVIRONMENTS,
    DEPLOYMENT_SCHEMA,
    INCIDENT_SCHEMA,
    LINK_SCHEMA,
    Band,
    DoraKeys,
    DoraTables,
    dora_keys,
    dora_tables,
    local_bounds,
)
from deliveryops.analytics.dora.series import Period, dora_series
from deliveryops.db import utcnow
from deliveryops.dora.models import Deployment, DeploymentChange, DoraSettings, Incident, WebhookSource
from deliveryops.dora.schemas import DoraSummary, KeysRead, SeriesPoint, TeamKeys
from deliveryops.errors import NotAuthenticatedError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.jobs import derived
from deliveryops.teams.models import Group, Team
from deliveryops.teams.service import can_manage_team, get_group_or_raise, get_team_or_raise
from deliveryops.work.models import Change

__all__ = [
    "Band",
    "DoraKeys",
    "DoraReport",
    "authenticate_webhook",
    "create_webhook_source",
    "default_period",
    "group_report",
    "list_webhook_sources",
    "load_tables",
    "production_environments",
    "revoke_webhook_source",
    "set_production_environments",
    "summary_of",
    "team_keys",
    "team_report",
]

PERIODS: tuple[Period, ...] = ("week", "month", "quarter")
DEFAULT_DAYS = 90
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class DoraReport:
    """What a team or group DORA page, the API and the CLI report show."""

    title: str
    start: date
    end: date
    period: Period
    zone: ZoneInfo
    environments: tuple[str, ...]
    keys: DoraKeys
    series: pl.DataFrame
    tables: DoraTables
    teams: list[tuple[Team, DoraKeys]]


def default_period(today: date, start: date | None, end: date | None) -> tuple[date, date]:
    """The period asked for, or the last 90 days up to ``today``; raises when it runs backwards."""
    for name, value in (("start", start), ("end", end)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise ValidationFailedError(
                f"{value.isoformat()} is out of range.", fields={name: f"Use a date from {EARLIEST.year} to {LATEST.year}."}
            )
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationFailedError("The period starts after it ends.", fields={"start": "Must be on or before the end."})
    if (end - start).days > 366 * 5:
        raise ValidationFailedError("The period is longer than five years.", fields={"start": "Choose a later start."})
    return start, end


def report_period(
    session: Session, *, teams: Sequence[Team], start: date | None, end: date | None, as_of: date | None = None
) -> tuple[date, date]:
    """The period of a report on ``teams``: as asked, or the 90 days up to today (or up to ``as_of``).

    ``as_of`` evaluates as if today were that day (in the zone of the first team): the default period
    ends there and a period may not end after it.

    Raises:
        ValidationFailedError: the period runs backwards or out of range; ``as_of`` is in the future, before
            the teams' first deployment or incident, or before the period's end (fields ``start``, ``end``, ``as_of``).
    """
    zone = teams[0].zone if teams else ZoneInfo("UTC")
    today = utcnow().astimezone(zone).date()
    if as_of is None:
        return default_period(today, start, end)
    if as_of > today:
        message = f"as_of {as_of.isoformat()} is in the future: choose today ({today.isoformat()}) or an earlier day."
        raise ValidationFailedError(message, fields={"as_of": message})
    ids = [team.id for team in teams]
    firsts = [
        session.scalar(select(func.min(Deployment.started_at)).where(Deployment.team_id.in_(ids))),
        session.scalar(select(func.min(Incident.created_at)).where(Incident.team_id.in_(ids))),
    ]
    known = [value.astimezone(zone).date() for value in firsts if value is not None]
    if not known or as_of < min(known):
        where = f"starts on {min(known).isoformat()}" if known else "has no deployments or incidents yet"
        message = f"as_of {as_of.isoformat()} is before the history starts: it {where}."
        raise ValidationFailedError(message, fields={"as_of": message})
    first, last = default_period(as_of, start, end)
    if last > as_of:
        message = "The end is after as_of: choose an end on or before it."
        raise ValidationFailedError(message, fields={"end": message})
    return first, last


def group_today(group: Group) -> date:
    """Today in the zone of the group's first team (UTC for a group without teams)."""
    zone = group.teams[0].zone if group.teams else ZoneInfo("UTC")
    return utcnow().astimezone(zone).date()


def production_environments(session: Session, team_id: int) -> tuple[str, ...]:
    """The environment names that count as production for the team (default "production", "prod")."""
    row = session.get(DoraSettings, team_id)
    if row is None or not row.production_environments:
        return DEFAULT_PRODUCTION_ENVIRONMENTS
    return tuple(row.production_environments)


def set_production_environments(*, session: Session, actor: User, team_id: int, names: Sequence[str]) -> tuple[str, ...]:
    """Set which environment names count as production (admins and the team's delivery manager).

    Args:
        session: the unit of work.
        actor: who asks.
        team_id: the team.
        names: environment names; empty restores the default.

    Returns:
        The names now in force.
    """
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    if not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can change its DORA settings.")
    cleaned = sorted({name.strip() for name in names if name.strip()})
    if any(len(name) > 100 for name in cleaned):
        raise ValidationFailedError("Environment name too long.", fields={"environments": "Use at most 100 characters each."})
    row = session.get(DoraSettings, team.id)
    if row is None:
        row = DoraSettings(team_id=team.id, production_environments=cleaned)
        session.add(row)
    else:
        row.production_environments = cleaned
    team.data_version = (team.data_version or 0) + 1
    session.flush()
    return production_environments(session, team.id)


# Tables per set of teams and their data versions: every ingest, relink and settings change bumps a team's
# version, so a cached entry is never stale (the team's creation time tells apart databases that reuse ids).
_TABLES_CACHE: LRUCache[tuple[object, ...], DoraTables] = LRUCache(maxsize=32)
DORA_TABLES = "dora.tables"  # the kind of the stored tables (deliveryops.jobs.derived), one per set of teams and settings


def load_tables(session: Session, *, team_ids: Sequence[int], zone: ZoneInfo, environments: Sequence[str]) -> DoraTables:
    """Read the teams' deployments, shipped changes and incidents, and link them (see analytics.dora).

    Results are kept per teams' data version: in this process's memory, and in ``derived_results`` so that
    every web process reads what one computed (the job ``dora.refresh_tables`` computes them again after a
    sync). A change of the data bumps a team's version, so a kept result is never stale.

    Args:
        session: the unit of work.
        team_ids: the teams.
        zone: the zone days are counted in.
        environments: production environment names.

    Returns:
        The per-item tables.
    """
    return _tables(session, tables_version(session, team_ids), team_ids, zone, environments)


def _tables_key(
    session: Session,
    versions: tuple[tuple[int, str, int], ...],
    team_ids: Sequence[int],
    zone: ZoneInfo,
    environments: Sequence[str],
) -> tuple[object, ...]:
    return (versions, zone.key, tuple(environments))


@cached(_TABLES_CACHE, key=_tables_key, lock=threading.Lock())
def _tables(
    session: Session,
    versions: tuple[tuple[int, str, int], ...],
    team_ids: Sequence[int],
    zone: ZoneInfo,
    environments: Sequence[str],
) -> DoraTables:
    parameters: dict[str, object] = {"teams": sorted(team_ids), "time_zone": zone.key, "environments": list(environments)}
    scope, data_version = derived.scope_of(parameters), derived.version_of(versions)
    stored = derived.read(session, kind=DORA_TABLES, scope=scope, data_version=data_version)
    if stored is not None:
        tables = _decode_tables(stored)
    else:
        started = time.perf_counter()
        tables = _read_tables(session, team_ids=team_ids, zone=zone, environments=environments)
        derived.store(
            session,
            kind=DORA_TABLES,
            scope=scope,
            data_version=data_version,
            parameters=parameters,
            payload=_encode_tables(tables),
            compute_seconds=time.perf_counter() - started,
        )
    return tables


def tables_version(session: Session, team_ids: Sequence[int]) -> tuple[tuple[int, str, int], ...]:
    """What the teams' DORA tables depend on: each team's id, creation time and data version."""
    return tuple(
        sorted(
            (team_id, created_at.isoformat(), version or 0)
            for team_id, created_at, version in session.execute(
                select(Team.id, Team.created_at, Team.data_version).where(Team.id.in_(list(team_ids)))
            ).all()
        )
    )


def _encode_tables(tables: DoraTables) -> bytes:
    """The three frames as Arrow IPC, each preceded by its length (8 bytes, big-endian)."""
    out = io.BytesIO()
    for frame in (tables.deployments, tables.changes, tables.incidents):
        buffer = io.BytesIO()
        frame.write_ipc(buffer)
        out.write(len(buffer.getvalue()).to_bytes(8, "big"))
        out.write(buffer.getvalue())
    return out.getvalue()


def _decode_tables(payload: bytes) -> DoraTables:
    frames, offset = [], 0
    for _ in range(3):
        size = int.from_bytes(payload[offset : offset + 8], "big")
        frames.append(pl.read_ipc(io.BytesIO(payload[offset + 8 : offset + 8 + size])))
        offset += 8 + size
    return DoraTables(deployments=frames[0], changes=frames[1], incidents=frames[2])


def _read_tables(session: Session, *, team_ids: Sequence[int], zone: ZoneInfo, environments: Sequence[str]) -> DoraTables:
    ids = list(team_ids)
    deployment_rows = session.execute(
        select(
            Deployment.id,
            Deployment.repository,
            Deployment.environment,
            Deployment.result,
            Deployment.started_at,
            Deployment.finished_at,
            Deployment.team_id,
            Deployment.external_id,
            Deployment.url,
            Deployment.ref,
        ).where(Deployment.team_id.in_(ids))
    ).all()
    deployments = pl.DataFrame(
        [tuple(row) for row in deployment_rows],
        schema={**DEPLOYMENT_SCHEMA, "team_id": pl.Int64, "external_id": pl.Utf8, "url": pl.Utf8, "ref": pl.Utf8},
        orient="row",
    )
    link_rows = session.execute(
        select(DeploymentChange.deployment_id, DeploymentChange.change_id)
        .join(Deployment, Deployment.id == DeploymentChange.deployment_id)
        .where(Deployment.team_id.in_(ids))
    ).all()
    links = pl.DataFrame([tuple(row) for row in link_rows], schema=LINK_SCHEMA, orient="row")
    change_ids = sorted(set(links.get_column("change_id").to_list()))
    change_rows: list[tuple[object, ...]] = []
    for chunk_start in range(0, len(change_ids), 5000):
        chunk = change_ids[chunk_start : chunk_start + 5000]
        change_rows += [
            tuple(row)
            for row in session.execute(
                select(
                    Change.id,
                    Change.repository,
                    Change.first_commit_at,
                    Change.opened_at,
                    Change.first_review_at,
                    Change.merged_at,
                    Change.number,
                    Change.title,
                    Change.author,
                    Change.url,
                ).where(Change.id.in_(chunk))
            ).all()
        ]
    changes = pl.DataFrame(
        change_rows,
        schema={**CHANGE_SCHEMA, "number": pl.Int64, "title": pl.Utf8, "author": pl.Utf8, "url": pl.Utf8},
        orient="row",
    )
    incident_rows = session.execute(
        select(
            Incident.id,
            Incident.created_at,
            Incident.resolved_at,
            Incident.repository,
            Incident.deployment_id,
            Incident.title,
            Incident.severity,
            Incident.external_id,
            Incident.url,
        ).where(Incident.team_id.in_(ids))
    ).all()
    incidents = pl.DataFrame(
        [tuple(row) for row in incident_rows],
        schema={**INCIDENT_SCHEMA, "title": pl.Utf8, "severity": pl.Utf8, "external_id": pl.Utf8, "url": pl.Utf8},
        orient="row",
    )
    return dora_tables(deployments, changes, links, incidents, zone=zone, environments=environments)


def team_keys(session: Session, *, team_id: int, start: date, end: date) -> DoraKeys:
    """The four keys of a team over ``start``..``end`` (days in the team's zone), without a scope check.

    Callers (coaching insights, the cockpit) check that their user may see the team.

    Args:
        session: the unit of work.
        team_id: the team.
        start: first day.
        end: last day.

    Returns:
        The keys and bands.
    """
    team = session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"No team with id {team_id}.")
    tables = load_tables(session, team_ids=[team.id], zone=team.zone, environments=production_environments(session, team.id))
    return dora_keys(tables, start=start, end=end)


def _check_period(period: str) -> Period:
    if period not in PERIODS:
        raise ValidationFailedError(f"Unknown period {period!r}.", fields={"period": "Use week, month or quarter."})
    return period


def team_report(
    *, session: Session, actor: User | None, team_id: int, start: date, end: date, period: str = "week"
) -> DoraReport:
    """A team's keys, trend series and drill-down tables (team members, its DM, product ops, leaders, admins).

    Args:
        session: the unit of work.
        actor: who asks (None for the CLI).
        team_id: the team.
        start: first day.
        end: last day.
        period: "week", "month" or "quarter" for the series.

    Returns:
        The report.
    """
    checked = _check_period(period)
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id) if actor else session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"No team with id {team_id}.")
    environments = production_environments(session, team.id)
    tables = load_tables(session, team_ids=[team.id], zone=team.zone, environments=environments)
    keys = dora_keys(tables, start=start, end=end)
    return DoraReport(
        title=team.name,
        start=start,
        end=end,
        period=checked,
        zone=team.zone,
        environments=environments,
        keys=keys,
        series=dora_series(tables, start=start, end=end, period=checked),
        tables=tables,
        teams=[(team, keys)],
    )


def group_report(
    *, session: Session, actor: User | None, group_id: int, start: date, end: date, period: str = "week"
) -> DoraReport:
    """A group's roll-up: the keys over all its teams' deployments pooled, plus each team's keys.

    Days are counted in the zone of the group's first team (UTC without teams); each team's own row uses
    its own zone and production environments.
    """
    checked = _check_period(period)
    group = get_group_or_raise(session=session, actor=actor, group_id=group_id) if actor else session.get(Group, group_id)
    if group is None:
        raise NotFoundError(f"No group with id {group_id}.")
    teams = list(group.teams)
    zone = teams[0].zone if teams else ZoneInfo("UTC")
    environments = sorted({name for team in teams for name in production_environments(session, team.id)})
    tables = load_tables(
        session,
        team_ids=[team.id for team in teams],
        zone=zone,
        environments=environments or DEFAULT_PRODUCTION_ENVIRONMENTS,
    )
    per_team = [(team, team_keys(session, team_id=team.id, start=start, end=end)) for team in teams]
    return DoraReport(
        title=group.name,
        start=start,
        end=end,
        period=checked,
        zone=zone,
        environments=tuple(environments),
        keys=dora_keys(tables, start=start, end=end),
        series=dora_series(tables, start=start, end=end, period=checked),
        tables=tables,
        teams=per_team,
    )


def period_bounds_utc(report: DoraReport) -> tuple[str, str]:
    """The report's period as ISO instants (for captions)."""
    low, high = local_bounds(report.start, report.end, report.zone)
    return low.isoformat(), high.isoformat()


# --- webhook sources -------------------------------------------------------------------------------------------

WEBHOOK_TOKEN_PREFIX = "dwh_"  # noqa: S105 (a marker that makes leaked tokens recognisable, not a secret)


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDeniedError("Only admins can manage webhook sources.")


def list_webhook_sources(*, session: Session, actor: User, team_id: int | None = None) -> list[WebhookSource]:
    """Every webhook source (admins), newest first."""
    _require_admin(actor)
    statement = select(WebhookSource).order_by(WebhookSource.id.desc())
    if team_id is not None:
        statement = statement.where(WebhookSource.team_id == team_id)
    return list(session.scalars(statement))


def create_webhook_source(*, session: Session, actor: User, team_id: int, name: str) -> tuple[WebhookSource, str]:
    """Create a webhook source for a team (admins).

    Returns:
        The row and the token, which is shown once and never again (only its SHA-256 is stored).
    """
    _require_admin(actor)
    name = name.strip()
    if not name:
        raise ValidationFailedError("Give the webhook source a name.", fields={"name": "Give the webhook source a name."})
    if len(name) > 100:
        raise ValidationFailedError("Name too long.", fields={"name": "Use at most 100 characters."})
    if session.get(Team, team_id) is None:
        raise ValidationFailedError(f"No team with id {team_id}.", fields={"team_id": "Choose an existing team."})
    token = WEBHOOK_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = WebhookSource(team_id=team_id, name=name, token_hash=hash_token(token), prefix=token[:10], created_by_id=actor.id)
    session.add(row)
    session.flush()
    return row, token


def revoke_webhook_source(*, session: Session, actor: User, source_id: int) -> WebhookSource:
    """Revoke a webhook source (admins); its token stops working at once."""
    _require_admin(actor)
    row = session.get(WebhookSource, source_id)
    if row is None:
        raise NotFoundError(f"No webhook source with id {source_id}.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def authenticate_webhook(*, session: Session, authorization: str | None) -> tuple[WebhookSource, Team]:
    """The webhook source and team an ``Authorization: Bearer <token>`` header stands for, or 401."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticatedError("Send the webhook token as 'Authorization: Bearer <token>'.")
    row = session.scalar(select(WebhookSource).where(WebhookSource.token_hash == hash_token(token.strip())))
    if row is None or row.revoked_at is not None:
        raise NotAuthenticatedError("The webhook token is unknown or revoked.")
    team = session.get(Team, row.team_id)
    if team is None:  # pragma: no cover - the foreign key cascades
        raise NotAuthenticatedError("The webhook token's team no longer exists.")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return row, team


# --- drill-downs -----------------------------------------------------------------------------------------------

DRILL_KINDS = ("deployments", "changes", "incidents")


def drill_down(report: DoraReport, kind: str) -> list[dict[str, object]]:
    """The items behind the report's numbers, newest first.

    Args:
        report: a team or group report.
        kind: "deployments" (every deployment that finished in the period, counted or not), "changes"
            (pull requests deployed to production in the period) or "incidents" (created in the period).

    Returns:
        One dict per item (the fields of the API's DeploymentRow / ChangeRow / IncidentRow).
    """
    tables = report.tables
    within = pl.col("local_date").is_between(report.start, report.end)
    if kind == "deployments":
        frame = (
            tables.deployments.filter(within)
            .sort("at", "id", descending=True)
            .select(
                "id",
                "external_id",
                "repository",
                "environment",
                "result",
                "started_at",
                "finished_at",
                "production",
                "counted",
                "incidents",
                "changes",
                "recovery_minutes",
                "ref",
                "rework",
                "rework_reason",
                "url",
            )
        )
    elif kind == "changes":
        frame = (
            tables.changes.filter(within & pl.col("deployed_at").is_not_null())
            .sort("deployed_at", "id", descending=True)
            .select(
                "id",
                "repository",
                "number",
                "title",
                "author",
                "first_commit_at",
                "opened_at",
                "first_review_at",
                "merged_at",
                "deployment_id",
                "deployed_at",
                "lead_time_minutes",
                "coding_minutes",
                "pickup_minutes",
                "review_minutes",
                "deploy_minutes",
                "url",
            )
        )
    elif kind == "incidents":
        frame = (
            tables.incidents.filter(within)
            .sort("created_at", "id", descending=True)
            .select(
                "id",
                "external_id",
                "title",
                "severity",
                "created_at",
                "resolved_at",
                "deployment_id",
                "link",
                "recovery_minutes",
                "url",
            )
        )
    else:
        raise ValidationFailedError(f"Unknown list {kind!r}.", fields={"kind": "Use deployments, changes or incidents."})
    return frame.to_dicts()


def series_rows(report: DoraReport) -> list[dict[str, object]]:
    """The report's series as dicts (for the API and the CLI)."""
    return report.series.to_dicts()


def can_upload(session: Session, actor: User, team: Team) -> bool:
    """Whether ``actor`` may upload DORA CSV files for the team (admins and its delivery manager)."""
    return can_manage_team(session, actor, team)


def movable_from(session: Session, actor: User | None) -> Callable[[int], bool]:
    """Whether records may be moved from a team into another by ``actor``: they must manage that team too.

    The CLI (no actor) may move from any team.
    """

    def allowed(team_id: int) -> bool:
        if actor is None:
            return True
        team = session.get(Team, team_id)
        return team is not None and can_manage_team(session, actor, team)

    return allowed


def summary_of(report: DoraReport) -> DoraSummary:
    """The API shape of a report."""
    return DoraSummary(
        name=report.title,
        start=report.start,
        end=report.end,
        period=report.period,
        time_zone=report.zone.key,
        production_environments=list(report.environments),
        keys=KeysRead.of(report.keys),
        series=[SeriesPoint.model_validate(row) for row in series_rows(report)],
        teams=[TeamKeys(team_id=team.id, name=team.name, keys=KeysRead.of(keys)) for team, keys in report.teams],
    )
