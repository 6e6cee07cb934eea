"""The sync engine every connector uses: incremental, idempotent, resumable.

Each page a connector yields is written in its own transaction together with the run's resume
cursor. A sync killed at any point therefore leaves whole pages behind; the next run finds the
interrupted one, continues from its cursor with the same ``since``, and, because imports are
idempotent upserts, ends with exactly the content an uninterrupted sync would have written.

Deployments and incidents (DORA) of a page go to :mod:`deliveryops.dora.ingest` in the same
transaction; their counts go to the run's ``deployments`` and ``incidents`` columns and, in words, to its
``message`` ("12 deployments and 3 incidents imported."). Pull requests imported after the deployments that
shipped them (a later sync, another source) are linked again at the end of the run.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.connectors.base import Connector, ConnectorError, FetchPage, SyncRequest
from deliveryops.connectors.hosts import GuardedTransport, HostPolicy, origin_of
from deliveryops.connectors.registry import connector_class
from deliveryops.db import unit_of_work, utcnow
from deliveryops.dora.ingest import import_deployments, import_incidents, relink_changes
from deliveryops.errors import ValidationFailedError
from deliveryops.jobs import JobCancelledError
from deliveryops.secrets import SecretError, decrypt
from deliveryops.sync.models import Connection, SyncRun
from deliveryops.teams.models import Team
from deliveryops.work import workflow as workflows
from deliveryops.work.importing import KnownItems, delete_items, import_changes, import_records, keys_of

__all__ = ["OVERLAP", "SyncProgress", "build_connector", "run_sync"]

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=10)  # re-read a little before the watermark: clocks and indexes lag
STALE_AFTER = timedelta(minutes=15)  # a run whose heartbeat is older than this is not taken to be running
OWNER = f"{socket.gethostname()}:{os.getpid()}"  # the default owner recorded on a run (a job passes its worker)


@dataclass
class SyncProgress:
    """What a progress callback sees after each page."""

    pages: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    errors: int = 0
    deployments: int = 0
    incidents: int = 0
    skipped: int = 0
    changed_repositories: set[str] = field(default_factory=set)

    def summary(self) -> str | None:
        """The DORA counts in words, for the run's message (None when there were none)."""
        parts = [
            f"{count} {noun}{'' if count == 1 else 's'}"
            for count, noun in ((self.deployments, "deployment"), (self.incidents, "incident"))
            if count
        ]
        text = f"{' and '.join(parts)} imported." if parts else None
        if self.skipped:
            skipped = (
                f"{self.skipped} deployment{'s' if self.skipped != 1 else ''} or incident{'s' if self.skipped != 1 else ''} "
                "skipped: already another team's (the same source and id belongs to one team)."
            )
            text = f"{text} {skipped}" if text else skipped
        return text


def build_connector(
    connection: Connection,
    *,
    app_key: str,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    hosts: HostPolicy | None = None,
) -> Connector:
    """Instantiate the connection's connector with its decrypted secret.

    Every request of the connector goes through a :class:`GuardedTransport`: only to the connection's own
    origins (a redirect elsewhere is refused) and only to hosts the policy allows (see
    :mod:`deliveryops.connectors.hosts`).

    Args:
        connection: the stored connection.
        app_key: the app's secret key (decrypts the token).
        transport: an httpx transport (tests and benchmarks inject one; default: the network).
        sleep: how to wait between retries.
        hosts: where tokens may go (default: from the process's settings).

    Returns:
        The connector.
    """
    cls = connector_class(connection.kind)
    settings = cls.settings_model.model_validate(connection.settings)
    secret = decrypt(connection.secret_encrypted, app_key=app_key)
    guarded = GuardedTransport(
        transport or httpx.HTTPTransport(),
        name=connection.name,
        origins=connection_origins(settings),
        policy=hosts or HostPolicy.from_settings(),
        resolve_hosts=transport is None,
    )
    factory: Any = cls
    return factory(settings, secret, name=connection.name, transport=guarded, sleep=sleep)  # type: ignore[no-any-return]


def connection_origins(settings: Any) -> list[str]:
    """The origins a connection's requests go to: its base URL's, and Azure DevOps' release host."""
    urls = [str(settings.base_url)]
    releases_root = getattr(settings, "releases_root", None)
    if callable(releases_root):
        urls.append(str(releases_root()))
    return [origin_of(url) for url in urls]


def _connector_name(connector: Connector) -> str:
    """The connection name a connector reports in its messages."""
    return str(getattr(connector, "name", connector.label))


def _server_seconds(connector: Connector) -> float:
    """Seconds the connector's HTTP client spent waiting on the server so far (0 if it keeps no stats)."""
    stats = getattr(getattr(connector, "http", None), "stats", None)
    return float(getattr(stats, "server_seconds", 0.0))


def _start(session: Session, connection: Connection, *, full: bool, trigger: str, owner: str, now: datetime) -> SyncRun:
    previous = session.scalar(select(SyncRun).where(SyncRun.connection_id == connection.id).order_by(SyncRun.id.desc()).limit(1))
    if previous is not None and previous.status == "running":
        # The caller holds the connection's sync lock (the job "sync.connection", lock "sync:<id>"), so a run
        # still marked running belongs to a process that stopped: take it over and resume from its cursor.
        previous.status = "interrupted"
        previous.finished_at = now
        previous.message = "The process running this sync stopped before it finished; the next sync resumed it."
    resume = (
        previous
        if previous is not None and previous.status in ("interrupted", "failed") and previous.cursor and previous.full == full
        else None
    )
    if resume is not None:
        since = resume.since
    elif full or connection.watermark is None:
        since = None
    else:
        since = connection.watermark - OVERLAP
    run = SyncRun(
        connection_id=connection.id,
        status="running",
        full=full,
        trigger=trigger,
        owner=owner[:120],
        since=since,
        cursor=dict(resume.cursor) if resume and resume.cursor else None,
        resumed_from=resume.id if resume else None,
        started_at=now,
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    return run


def run_sync(
    factory: sessionmaker[Session],
    connection_id: int,
    *,
    app_key: str,
    full: bool = False,
    trigger: str = "manual",
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[SyncProgress], None] | None = None,
    now: Callable[[], datetime] = utcnow,
    hosts: HostPolicy | None = None,
    owner: str = OWNER,
) -> int:
    """Sync one connection, committing page by page; returns the run's id.

    The caller makes sure no other sync of the connection runs (the job ``sync.connection`` holds the lock
    ``sync:<id>`` in every process); a run of the connection still marked "running" is taken to be
    interrupted and is resumed. A failure of any kind is recorded on the run (status "failed" with a
    plain-words message, never left "running") and re-raised: a source's failure as
    :class:`ConnectorError`, anything else as it was; the next run resumes from the last page written.

    Args:
        factory: makes sessions; each page gets its own unit of work.
        connection_id: the connection.
        app_key: the app's secret key, to decrypt the token.
        full: read everything (and delete items the source no longer has), not only what changed.
        trigger: "manual", "schedule" or "cli", recorded on the run.
        transport: an httpx transport to use instead of the network.
        sleep: how to wait between retries.
        progress: called after each page (it may raise to stop the sync, e.g. when the job is cancelled).
        now: the clock.
        owner: who runs it (``host:pid``), recorded on the run.

    Returns:
        The id of the sync run.
    """
    connection_failed: ConnectorError | None = None
    with unit_of_work(factory) as session:
        connection = session.get(Connection, connection_id)
        if connection is None:
            raise ConnectorError(f"No connection with id {connection_id}.")
        run = _start(session, connection, full=full, trigger=trigger, owner=owner, now=now())
        run_id, since, cursor = run.id, run.since, run.cursor
        name, team_id = connection.name, connection.team_id
        try:
            connector = build_connector(connection, app_key=app_key, transport=transport, sleep=sleep, hosts=hosts)
        except SecretError as exc:
            run.status, run.message, run.finished_at = "failed", f"{name}: {exc}", now()
            connection_failed = ConnectorError(run.message)
        except Exception as exc:
            run.status, run.finished_at = "failed", now()
            run.message = f"{name}: the connection's settings could not be used ({exc.__class__.__name__}: {exc})."
            connection_failed = ConnectorError(run.message)
    if connection_failed is not None:
        raise connection_failed
    state = SyncProgress()
    known = KnownItems()  # the team's items, read on the first page and kept up to date by each page
    try:
        if cursor is None:
            _adopt_workflow(factory, team_id, connector)
        for page in connector.fetch(SyncRequest(since=since, cursor=cursor, full=full)):
            _write_page(factory, run_id, team_id, connector, page, state, now(), known)
            if progress:
                progress(state)
        _finish(factory, run_id, connection_id, team_id, state, now())
    except BaseException as exc:
        _record_failure(factory, run_id, connector, exc, name=name, now=now())
        raise
    finally:
        connector.close()
    return run_id


def _finish(
    factory: sessionmaker[Session], run_id: int, connection_id: int, team_id: int, state: SyncProgress, now: datetime
) -> None:
    with unit_of_work(factory) as session:
        done = session.get(SyncRun, run_id)
        connection = session.get(Connection, connection_id)
        assert done is not None
        assert connection is not None
        done.status, done.finished_at = "succeeded", now
        done.cursor = None
        team = session.get(Team, team_id)
        if team is not None and state.changed_repositories:
            # Pull requests may arrive after the deployments that shipped them (a later page, a later sync).
            relink_changes(session, team=team, repositories=sorted(state.changed_repositories))
        if done.watermark is not None and (connection.watermark is None or done.watermark > connection.watermark):
            connection.watermark = done.watermark
        connection.last_success_at = done.finished_at


def _record_failure(
    factory: sessionmaker[Session], run_id: int, connector: Connector, exc: BaseException, *, name: str, now: datetime
) -> None:
    """End the run as failed (or interrupted, when it was asked to stop), keeping its cursor to resume from."""
    if isinstance(exc, ConnectorError):
        status, message = "failed", exc.message
    elif isinstance(exc, JobCancelledError):
        status, message = "interrupted", f"{name}: the sync was cancelled; the next sync resumes where it stopped."
    elif isinstance(exc, Exception):
        status = "failed"
        message = (
            f"{name}: the sync stopped on an unexpected error ({exc.__class__.__name__}: {exc}); "
            "the next sync resumes from the last page written."
        )
    else:  # KeyboardInterrupt, SystemExit: the process is stopping
        status, message = "interrupted", "The process running this sync stopped before it finished; the next sync resumes it."
    try:
        with unit_of_work(factory) as session:
            failed = session.get(SyncRun, run_id)
            if failed is None or failed.status != "running":
                return
            failed.status, failed.message, failed.finished_at = status, message[:2000], now
            failed.errors += 1 if status == "failed" else 0
            failed.server_seconds = _server_seconds(connector)
    except Exception:  # the database itself failed: the next sync takes the run over as interrupted
        log.exception("could not record the end of sync run %s", run_id)


def _adopt_workflow(factory: sessionmaker[Session], team_id: int, connector: Connector) -> None:
    with unit_of_work(factory) as session:
        team = session.get(Team, team_id)
        if team is None or workflows.has_workflow(session, team):
            return
        suggested = connector.workflow()
        if suggested:
            workflows.replace_workflow(session=session, team=team, statuses=suggested)


def _write_page(
    factory: sessionmaker[Session],
    run_id: int,
    team_id: int,
    connector: Connector,
    page: FetchPage,
    state: SyncProgress,
    now: datetime,
    known: KnownItems,
) -> None:
    with unit_of_work(factory) as session:
        run = session.get(SyncRun, run_id)
        team = session.get(Team, team_id)
        assert run is not None
        assert team is not None
        summary = import_records(
            session=session,
            actor=None,
            team=team,
            records=page.items,
            import_format=connector.kind,
            file_name=f"sync run {run_id}",
            record_run=False,
            known=known,
        )
        written_changes = import_changes(session=session, team=team, changes=page.changes)
        run.changes += written_changes
        if written_changes:
            state.changed_repositories.update(change.repository for change in page.changes)
        try:
            if page.deployments:
                deployed = import_deployments(session, team=team, deployments=page.deployments)
                state.deployments += deployed.written
                state.skipped += len(deployed.skipped)
            if page.incidents:
                reported = import_incidents(session, team=team, incidents=page.incidents)
                state.incidents += reported.written
                state.skipped += len(reported.skipped)
        except ValidationFailedError as exc:
            raise ConnectorError(
                f"{_connector_name(connector)}: {exc.message} The sync stopped before this page; "
                "correct the record at its source."
            ) from None
        if page.deployments or page.incidents:
            run.deployments, run.incidents = state.deployments, state.incidents
            run.message = state.summary()
        deleted = delete_items(session=session, team=team, source=connector.kind, keys=page.deleted_keys)
        if page.existing_keys is not None:
            missing = keys_of(session=session, team=team, source=connector.kind) - set(page.existing_keys)
            deleted += delete_items(session=session, team=team, source=connector.kind, keys=sorted(missing))
        run.fetched += len(page.items)
        run.created += summary.created
        run.updated += summary.updated
        run.unchanged += summary.unchanged
        run.deleted += deleted
        run.requests += page.requests
        run.server_seconds = _server_seconds(connector)  # the connector (and its client) lives for this run only
        run.cursor = page.cursor
        run.heartbeat_at = now
        if page.watermark is not None and (run.watermark is None or page.watermark > run.watermark):
            run.watermark = page.watermark
        state.pages += 1
        state.fetched, state.created, state.updated = run.fetched, run.created, run.updated
