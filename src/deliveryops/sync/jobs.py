"""Connector syncs as jobs: one job per sync, locked per connection; a periodic job starts the scheduled ones.

The lock ``sync:<connection id>`` means a connection is never synced twice at once, in any process on any
machine; a worker killed mid-sync leaves the job to the reaper, which queues it again, and the next attempt
resumes the interrupted run from its cursor (see :mod:`deliveryops.sync.engine`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.connectors.base import ConnectorError
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.db import begin_writing, unit_of_work, utcnow
from deliveryops.dependencies.risk_jobs import request_risk_refresh
from deliveryops.dora.jobs import request_refresh
from deliveryops.jobs import Job, JobContext, JobFailedError, active_for_lock, enqueue, job, periodic
from deliveryops.jobs.runtime import worker_name
from deliveryops.sync.engine import SyncProgress, run_sync
from deliveryops.sync.models import Connection, SyncRun

__all__ = ["due_connections", "lock_key", "request_sync", "schedule_syncs", "sync_connection"]


def lock_key(connection_id: int) -> str:
    """The lock every sync of the connection holds."""
    return f"sync:{connection_id}"


@job(
    "sync.connection",
    title="Sync connection {connection_id}",
    lock="sync:{connection_id}",
    retries=2,
    retry_delay=timedelta(minutes=1),
    coalesce=True,
)
def sync_connection(context: JobContext, *, connection_id: int, full: bool = False, trigger: str = "manual") -> str:
    """Sync one connection; a source's failure that another attempt cannot mend is not retried."""

    def report(state: SyncProgress) -> None:
        context.progress(
            state.pages, None, f"Page {state.pages}: {state.fetched} fetched, {state.created} created, {state.updated} updated"
        )

    try:
        run_id = run_sync(
            context.session_factory,
            connection_id,
            app_key=context.settings.resolved_secret_key(),
            full=full,
            trigger=trigger,
            progress=report,
            owner=worker_name(),
            hosts=HostPolicy.from_settings(context.settings),
        )
    except ConnectorError as exc:
        raise JobFailedError(exc.message, retry=exc.retryable) from None
    with unit_of_work(context.session_factory) as session:
        request_refresh(session)  # the stored DORA tables of the changed teams, before a page asks for them
        request_risk_refresh(session)  # the chance of delivery of dependencies on the changed teams
        run = session.get(SyncRun, run_id)
        assert run is not None
        return (
            f"{run.fetched} fetched, {run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
            f"{run.deleted} deleted (sync run {run.id})."
        )


def request_sync(
    session: Session, connection_id: int, *, full: bool = False, trigger: str = "manual", requested_by: str | None = None
) -> tuple[Job, bool]:
    """Queue a sync of the connection in the caller's unit of work, unless one is queued or running.

    Returns:
        The job, and whether it is new (False: the sync already under way, which this request joins).
    """
    begin_writing(session)
    active = active_for_lock(session=session, lock_key=lock_key(connection_id))
    if active is not None:
        return active, False
    arguments = {"connection_id": connection_id, "full": full, "trigger": trigger}
    return enqueue(session, sync_connection, arguments=arguments, requested_by=requested_by), True


def due_connections(session: Session, *, now: datetime | None = None) -> list[int]:
    """Enabled connections with an interval, no sync queued or running, and whose last run began an interval ago.

    A run left "running" by a process that died does not hold the connection back: the job ledger, not the run,
    says whether a sync is under way (the reaper recovers the job of a stopped worker).
    """
    now = now or utcnow()
    busy = set(
        session.scalars(select(Job.lock_key).where(Job.name == sync_connection.name, Job.state.in_(("queued", "running"))))
    )
    due = []
    for connection in session.scalars(
        select(Connection).where(Connection.enabled.is_(True), Connection.interval_minutes.is_not(None)).order_by(Connection.id)
    ):
        if lock_key(connection.id) in busy:
            continue
        last = session.scalar(
            select(SyncRun.started_at).where(SyncRun.connection_id == connection.id).order_by(SyncRun.id.desc()).limit(1)
        )
        if last is None or last + timedelta(minutes=connection.interval_minutes or 0) <= now:
            due.append(connection.id)
    return due


def schedule_syncs(session: Session, *, now: datetime | None = None) -> list[int]:
    """Queue a sync of every due connection; returns their ids."""
    due = due_connections(session, now=now)
    for connection_id in due:
        request_sync(session, connection_id, trigger="schedule")
    return due


@periodic("sync.schedule", title="Start scheduled syncs", every=timedelta(minutes=1))
def start_scheduled_syncs(context: JobContext) -> str:
    """Every minute, once however many workers run: queue the syncs that are due."""
    with unit_of_work(context.session_factory) as session:
        started = schedule_syncs(session)
    if not started:
        return "No sync due."
    return (
        f"Queued {len(started)} sync{'' if len(started) == 1 else 's'}: connection{'' if len(started) == 1 else 's'} "
        + ", ".join(str(connection_id) for connection_id in started)
        + "."
    )
