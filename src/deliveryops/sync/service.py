"""Use cases for connections: add, test, sync (a job on a worker, see :mod:`deliveryops.sync.jobs`), history."""

from __future__ import annotations

import logging
from datetime import datetime
from enum import Enum
from typing import Any, Literal

import httpx
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.accounts.service import require_role
from deliveryops.connectors.base import ConnectorError
from deliveryops.connectors.hosts import HostPolicy, HostRefusedError, check_target
from deliveryops.connectors.registry import available, connector_class
from deliveryops.db import utcnow
from deliveryops.errors import ConflictError, DomainError, NotFoundError, ValidationFailedError
from deliveryops.jobs import Job, active_for_lock
from deliveryops.secrets import SecretError, encrypt
from deliveryops.sync.engine import STALE_AFTER, build_connector, connection_origins
from deliveryops.sync.jobs import lock_key, request_sync
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.teams.models import Team

__all__ = [
    "KEEP",
    "ConnectionFailedError",
    "check",
    "create",
    "delete",
    "get_or_raise",
    "kinds",
    "list_",
    "runs_of",
    "start_sync",
    "sync_under_way",
    "update",
]

log = logging.getLogger(__name__)


class ConnectionFailedError(DomainError):
    """The source could not be reached or refused the credentials."""

    code = "connection_failed"
    status = 422


def kinds() -> dict[str, str]:
    """Available connector kinds and their labels."""
    return {kind: cls.label for kind, cls in sorted(available().items())}


def _parse_settings(kind: str, settings: dict[str, Any]) -> dict[str, Any]:
    try:
        cls = connector_class(kind)
    except KeyError:
        raise ValidationFailedError(
            f"Unknown connector kind {kind!r}.", fields={"kind": f"Choose one of: {', '.join(kinds())}."}
        ) from None
    try:
        return cls.settings_model.model_validate(settings).model_dump(mode="json")
    except ValidationError as exc:
        fields = {
            ".".join(str(p) for p in error["loc"]) or "settings": str(error["msg"]).removeprefix("Value error, ")
            for error in exc.errors()
        }
        raise ValidationFailedError(
            "Please correct the connection settings: " + "; ".join(f"{name}: {message}" for name, message in fields.items()),
            fields=fields,
        ) from None


def _origins(kind: str, settings: dict[str, Any]) -> list[str]:
    return connection_origins(connector_class(kind).settings_model.model_validate(settings))


def _check_hosts(kind: str, settings: dict[str, Any], hosts: HostPolicy | None) -> None:
    """Refuse a base URL that would send the token over plain http or to a private address."""
    policy = hosts or HostPolicy.from_settings()
    for origin in _origins(kind, settings):
        try:
            check_target(origin, policy)
        except HostRefusedError as exc:
            message = f"The base URL {exc}."
            raise ValidationFailedError(message, fields={"base_url": message}) from None


def _field_errors(*, name: str | None, secret: str | None, interval_minutes: int | None) -> dict[str, str]:
    """Messages for the plain fields of a connection (None: not being set)."""
    errors: dict[str, str] = {}
    if name is not None and not name.strip():
        errors["name"] = "Give the connection a name."
    if secret is not None and not secret.strip():
        errors["secret"] = "Enter the API token."  # noqa: S105 (a message, not a password)
    if interval_minutes is not None and not 5 <= interval_minutes <= 7 * 24 * 60:
        errors["interval_minutes"] = "Sync every 5 minutes to 7 days, or leave empty."
    return errors


def _check_name_free(session: Session, name: str, *, connection_id: int | None = None) -> None:
    query = select(Connection.id).where(Connection.name == name.strip())
    if connection_id is not None:
        query = query.where(Connection.id != connection_id)
    if session.scalar(query) is not None:
        raise ConflictError(f"A connection named {name.strip()!r} exists already.", details={"field": "name"})


def create(
    *,
    session: Session,
    actor: User | None,
    name: str,
    kind: str,
    team_id: int,
    settings: dict[str, Any],
    secret: str,
    app_key: str,
    interval_minutes: int | None = None,
    hosts: HostPolicy | None = None,
) -> Connection:
    """Add a connection (admins only); the secret is stored encrypted and never shown again.

    Args:
        session: the unit of work.
        actor: who adds it (None for the CLI).
        name: unique name, used in messages ("Jira: Payments").
        kind: connector kind ("jira-cloud", "jira-server", "github").
        team_id: the team it feeds.
        settings: the connector's settings (base URL, projects or repositories...).
        secret: the API token.
        app_key: the app's secret key (encrypts the token).
        interval_minutes: sync on a schedule every so many minutes (None: only by hand).
        hosts: where tokens may go (default: from the process's settings).

    Returns:
        The connection.
    """
    if actor is not None:
        require_role(actor, Role.ADMIN)
    errors = _field_errors(name=name, secret=secret, interval_minutes=interval_minutes)
    if session.get(Team, team_id) is None:
        errors["team_id"] = "Choose an existing team."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    parsed = _parse_settings(kind, settings)
    _check_hosts(kind, parsed, hosts)
    _check_name_free(session, name)
    connection = Connection(
        name=name.strip(),
        kind=kind,
        team_id=team_id,
        settings=parsed,
        secret_encrypted=encrypt(secret.strip(), app_key=app_key),
        interval_minutes=interval_minutes,
    )
    session.add(connection)
    session.flush()
    return connection


class Keep(Enum):
    """The value of a field that an update leaves as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


def update(
    *,
    session: Session,
    actor: User | None,
    connection_id: int,
    app_key: str,
    name: str | None = None,
    settings: dict[str, Any] | None = None,
    secret: str | None = None,
    interval_minutes: int | Literal[Keep.KEEP] | None = KEEP,
    now: datetime | None = None,
    hosts: HostPolicy | None = None,
) -> Connection:
    """Change a connection (admins only); its kind, team and sync history stay.

    Settings given are merged over the stored ones key by key (keys not given stay) and validated as a
    whole by the connector, like on creation. When the merged settings differ from the stored ones (other
    repositories or projects, deployment sources, incident settings...), the connection's watermark and any
    resume cursor are cleared, so the next sync reads the whole history again (deleting nothing, unlike a
    full sync). That is refused while a sync of the connection is running.

    Args:
        session: the unit of work.
        actor: who changes it (None for the CLI).
        connection_id: the connection.
        app_key: the app's secret key (encrypts a new token).
        name: a new name (None: keep).
        settings: connector settings to change (None: keep all).
        secret: a new API token, stored encrypted (None: keep the current one).
        interval_minutes: a new schedule, None for by hand only (KEEP: keep).
        now: the clock (to tell a running sync from one whose process died).
        hosts: where tokens may go (default: from the process's settings).

    A change of host (another scheme, host or port in the base URL) needs the token again: the stored
    token was given for the old host and is never sent to a new one on the old token's strength.

    Returns:
        The connection.
    """
    connection = get_or_raise(session=session, actor=actor, connection_id=connection_id)
    errors = _field_errors(name=name, secret=secret, interval_minutes=None if interval_minutes is KEEP else interval_minutes)
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    parsed = _parse_settings(connection.kind, {**connection.settings, **settings}) if settings is not None else None
    if parsed is not None:
        _check_hosts(connection.kind, parsed, hosts)
        old, new = _origins(connection.kind, connection.settings), _origins(connection.kind, parsed)
        if new != old and secret is None:
            message = (
                f"Enter the API token again: the connection moves from {', '.join(old)} to {', '.join(new)}, "
                "and the stored token is never sent to a new host."
            )
            raise ValidationFailedError(message, fields={"secret": message})
    if name is not None:
        _check_name_free(session, name, connection_id=connection.id)
    if parsed is not None and parsed != connection.settings:
        _clear_sync_position(session, connection, now=now or utcnow())
        connection.settings = parsed
    if name is not None:
        connection.name = name.strip()
    if secret is not None:
        connection.secret_encrypted = encrypt(secret.strip(), app_key=app_key)
    if interval_minutes is not KEEP:
        connection.interval_minutes = interval_minutes
    session.flush()
    return connection


def _clear_sync_position(session: Session, connection: Connection, *, now: datetime) -> None:
    """Make the next sync read the whole history: no watermark, no run to resume (none may be running)."""
    runs = list(
        session.scalars(
            select(SyncRun).where(
                SyncRun.connection_id == connection.id, SyncRun.status.in_(("running", "interrupted", "failed"))
            )
        )
    )
    job = sync_under_way(session=session, connection_id=connection.id)
    if (job is not None and job.state == "running") or any(
        run.status == "running" and now - run.heartbeat_at < STALE_AFTER for run in runs
    ):
        raise ConflictError(
            "A sync of this connection is running; save these changes once it has finished.", details={"field": "settings"}
        )
    for run in runs:
        run.cursor = None
    connection.watermark = None


def list_(*, session: Session, actor: User | None) -> list[Connection]:
    """Every connection (admins, or ``None``: the trusted local caller)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    return list(session.scalars(select(Connection).order_by(Connection.name)))


def get_or_raise(*, session: Session, actor: User | None, connection_id: int) -> Connection:
    """One connection (admins only)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    connection = session.get(Connection, connection_id)
    if connection is None:
        raise NotFoundError(f"No connection with id {connection_id}.")
    return connection


def delete(*, session: Session, actor: User, connection_id: int) -> None:
    """Remove a connection and its sync history (the items it imported stay)."""
    session.delete(get_or_raise(session=session, actor=actor, connection_id=connection_id))
    session.flush()


def check(
    *,
    session: Session,
    actor: User | None,
    connection_id: int,
    app_key: str,
    transport: httpx.BaseTransport | None = None,
    hosts: HostPolicy | None = None,
) -> str:
    """Reach the source with the stored credentials; return what was found."""
    connection = get_or_raise(session=session, actor=actor, connection_id=connection_id)
    try:
        return build_connector(connection, app_key=app_key, transport=transport, sleep=lambda _s: None, hosts=hosts).test()
    except (ConnectorError, SecretError) as exc:
        raise ConnectionFailedError(str(exc)) from None


def runs_of(*, session: Session, actor: User | None, connection_id: int, limit: int = 20) -> list[SyncRun]:
    """The connection's latest sync runs, newest first."""
    get_or_raise(session=session, actor=actor, connection_id=connection_id)
    return list(
        session.scalars(select(SyncRun).where(SyncRun.connection_id == connection_id).order_by(SyncRun.id.desc()).limit(limit))
    )


def sync_under_way(*, session: Session, connection_id: int) -> Job | None:
    """The queued or running sync job of the connection, if any (from the job ledger: true in every process)."""
    return active_for_lock(session=session, lock_key=lock_key(connection_id))


def start_sync(
    session: Session, *, actor: User | None, connection_id: int, full: bool = False, requested_by: str | None = None
) -> tuple[Job, bool]:
    """Queue a sync of the connection (admins only); it runs on a worker once ``session`` commits.

    Returns:
        The job and whether it is new; False when a sync of the connection is queued or running already (that
        job is returned: one connection is never synced twice at once).
    """
    get_or_raise(session=session, actor=actor, connection_id=connection_id)
    return request_sync(session, connection_id, full=full, requested_by=requested_by or (actor.email if actor else None))
