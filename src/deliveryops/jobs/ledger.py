"""The job ledger's use cases: enqueue, read, cancel and retry jobs; claim, finish and reap them for workers.

Enqueueing writes a row in the caller's unit of work, so a job exists exactly when the change that asked for
it was committed. Once that transaction commits, the row's id is handed to the queue (see
:mod:`deliveryops.jobs.runtime`), which wakes a worker; a row whose hand-over was lost (the process died in
between, or nothing was configured to deliver) is delivered by the next reaper pass of any worker.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deliveryops.db import begin_writing, utcnow
from deliveryops.errors import ConflictError, NotFoundError, ValidationFailedError
from deliveryops.jobs.models import JOB_STATES, Job
from deliveryops.jobs.registry import JobSpec

__all__ = [
    "Claim",
    "active_for_lock",
    "cancel",
    "claim",
    "counts",
    "enqueue",
    "finish",
    "get_or_raise",
    "list_",
    "prune",
    "reap",
    "record_progress",
    "retry",
]

PENDING = "deliveryops_jobs_pending"  # session.info key: ids of jobs to deliver once the session commits
# session.info key: the delivery of the app whose sessions these are (set on its session factory), so that an
# app keeps handing jobs to its own queue when another app is built later in the same process (tests do).
DELIVER = "deliveryops_jobs_deliver"
LOCK_RETRY = timedelta(seconds=5)  # a job whose lock is held is tried again after this long

_deliver: Callable[[list[int]], None] | None = None


def set_delivery(deliver: Callable[[list[int]], None] | None) -> None:
    """Where committed jobs are handed over (the process's queue runtime); None: leave them to the reaper."""
    global _deliver  # noqa: PLW0603 (one delivery hook per process, set by the runtime that owns the queue)
    _deliver = deliver


@event.listens_for(Session, "after_commit")
def _deliver_committed(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    deliver = session.info.get(DELIVER, _deliver)
    if pending and deliver is not None:
        deliver(list(pending))


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)


def _mark_pending(session: Session, job: Job) -> None:
    session.info.setdefault(PENDING, []).append(job.id)


def enqueue(
    session: Session,
    spec: JobSpec,
    *,
    arguments: Mapping[str, Any] | None = None,
    delay: timedelta | None = None,
    unique_key: str | None = None,
    requested_by: str | None = None,
    now: datetime | None = None,
) -> Job:
    """Add a job to the queue; it is handed to a worker once ``session`` commits.

    Args:
        session: the caller's unit of work (flushed, not committed).
        spec: the declared job.
        arguments: its keyword arguments (JSON-serialisable), checked against its signature now.
        delay: run no earlier than this long from now.
        unique_key: at most one job ever carries this key; a second enqueue returns the first job.
        requested_by: who asked (shown to admins), e.g. an e-mail address.
        now: the clock.

    Returns:
        The new job, or the queued one it coalesced with (see ``JobSpec.coalesce``), or the job already
        holding ``unique_key``.

    Raises:
        ValidationFailedError: an argument is missing, unknown or not JSON-serialisable.
    """
    now = now or utcnow()
    try:
        bound = spec.bind(dict(arguments or {}))
        json.dumps(bound)
    except (TypeError, ValueError) as exc:
        raise ValidationFailedError(f"Job {spec.name}: {exc}.", fields={"arguments": str(exc)}) from None
    lock_key = spec.lock_for(bound)
    if spec.coalesce and lock_key is not None:
        waiting = session.scalar(
            select(Job).where(Job.name == spec.name, Job.lock_key == lock_key, Job.state == "queued").order_by(Job.id).limit(1)
        )
        if waiting is not None:
            return waiting
    if unique_key is not None:
        existing = session.scalar(select(Job).where(Job.unique_key == unique_key))
        if existing is not None:
            return existing
    job = Job(
        name=spec.name,
        title=spec.title_for(bound),
        arguments=bound,
        state="queued",
        lock_key=lock_key,
        unique_key=unique_key,
        attempts=0,
        max_attempts=spec.retries + 1,
        run_after=now + (delay or timedelta(0)),
        requested_by=requested_by,
        created_at=now,
    )
    session.add(job)
    session.flush()
    _mark_pending(session, job)
    return job


def get_or_raise(*, session: Session, job_id: int) -> Job:
    """One job."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"No job with id {job_id}.")
    return job


def job_for(*, session: Session, job_id: int, name: str, missing: str, **arguments: object) -> Job:
    """Job ``job_id`` if it is a ``name`` job whose arguments include ``arguments`` (e.g. its team's id).

    Raises:
        NotFoundError: no such job, with the message ``missing``.
    """
    job = session.get(Job, job_id)
    if job is None or job.name != name or any(job.arguments.get(key) != value for key, value in arguments.items()):
        raise NotFoundError(missing)
    return job


Listing = Literal["queued", "running", "succeeded", "failed", "cancelled", "retried", "all"]


def list_(*, session: Session, state: Listing = "all", limit: int = 100, offset: int = 0) -> list[Job]:
    """Jobs, newest first; ``state`` "retried" lists jobs tried more than once, whatever their state."""
    query = select(Job)
    if state == "retried":
        query = query.where(Job.attempts > 1)
    elif state != "all":
        query = query.where(Job.state == state)
    return list(session.scalars(query.order_by(Job.id.desc()).limit(limit).offset(offset)))


def counts(*, session: Session) -> dict[str, int]:
    """How many jobs are in each state, and how many were retried."""
    found = {str(state): int(count) for state, count in session.execute(select(Job.state, func.count()).group_by(Job.state))}
    result = {state: found.get(state, 0) for state in JOB_STATES}
    result["retried"] = int(session.scalar(select(func.count()).where(Job.attempts > 1)) or 0)
    return result


def active_for_lock(*, session: Session, lock_key: str) -> Job | None:
    """The queued or running job holding ``lock_key``, if any (the running one first)."""
    return session.scalar(
        select(Job)
        .where(Job.lock_key == lock_key, Job.state.in_(("queued", "running")))
        .order_by(Job.state.desc(), Job.id)  # "running" sorts after "queued": descending puts it first
        .limit(1)
    )


def cancel(*, session: Session, job_id: int, now: datetime | None = None) -> Job:
    """Cancel a queued job now, or ask a running one to stop at its next progress report.

    Raises:
        ConflictError: the job has finished already.
    """
    job = get_or_raise(session=session, job_id=job_id)
    if job.state == "queued":
        job.state, job.finished_at = "cancelled", now or utcnow()
        job.error = "Cancelled before it started."
    elif job.state == "running":
        job.cancel_requested = True
    else:
        raise ConflictError(f"Job {job_id} has finished ({job.state}); there is nothing to cancel.")
    session.flush()
    return job


def retry(*, session: Session, job_id: int, requested_by: str | None = None, now: datetime | None = None) -> Job:
    """Queue a failed or cancelled job again, with one more attempt (its arguments and lock stay).

    Raises:
        ConflictError: the job is queued, running or succeeded.
    """
    job = get_or_raise(session=session, job_id=job_id)
    if job.state not in ("failed", "cancelled"):
        raise ConflictError(f"Job {job_id} is {job.state}; only failed or cancelled jobs can be retried.")
    now = now or utcnow()
    job.state, job.run_after, job.finished_at = "queued", now, None
    job.max_attempts = job.attempts + 1
    job.cancel_requested, job.delivered_at = False, None
    job.progress_message = f"Retry requested by {requested_by}." if requested_by else "Retry requested."
    session.flush()
    _mark_pending(session, job)
    return job


@dataclass(frozen=True)
class Claim:
    """The outcome of trying to start a job: ``job`` when this worker now runs it, else why not."""

    outcome: Literal["claimed", "gone", "later", "locked"]
    job: Job | None = None
    retry_at: datetime | None = None


def claim(session: Session, job_id: int, *, worker: str, stale_after: timedelta, now: datetime | None = None) -> Claim:
    """Start job ``job_id`` for ``worker`` if it is queued and due and its lock is free.

    A job holding the same lock whose heartbeat is older than ``stale_after`` is reaped first. Commit the
    session to make the claim visible; a concurrent claim of the same lock fails on the unique index,
    which is reported as "locked".

    Returns:
        "claimed" with the job; "gone" (not queued: done, cancelled, running elsewhere or unknown);
        "later" with the time it is due; "locked" with the time to try again.
    """
    now = now or utcnow()
    begin_writing(session)
    job = session.get(Job, job_id)
    if job is None or job.state != "queued":
        return Claim("gone")
    if job.run_after > now:
        return Claim("later", retry_at=job.run_after)
    if job.lock_key is not None:
        holder = session.scalar(select(Job).where(Job.lock_key == job.lock_key, Job.state == "running"))
        if holder is not None:
            if holder.heartbeat_at is not None and holder.heartbeat_at >= now - stale_after:
                return Claim("locked", retry_at=now + LOCK_RETRY)
            _reap_one(holder, now=now)
            session.flush()
    try:
        started = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "queued")
            .values(
                state="running",
                attempts=Job.attempts + 1,
                worker=worker[:120],
                started_at=now,
                heartbeat_at=now,
                finished_at=None,
                progress_done=0,
                progress_total=None,
                cancel_requested=False,
            )
            .execution_options(synchronize_session=False)
        )
    except IntegrityError:  # another job with this lock started in between (the partial unique index)
        session.rollback()
        return Claim("locked", retry_at=now + LOCK_RETRY)
    if started.rowcount != 1:  # type: ignore[attr-defined]
        return Claim("gone")
    session.refresh(job)
    return Claim("claimed", job)


def record_progress(
    session: Session,
    job_id: int,
    attempt: int,
    *,
    done: int | None = None,
    total: int | None = None,
    message: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Store a running job's progress and heartbeat; return whether it was asked to cancel.

    Only the attempt that runs it writes: after a reaper passed the job to another worker, a late report of
    the old attempt changes nothing.
    """
    values: dict[str, Any] = {"heartbeat_at": now or utcnow()}
    if done is not None:
        values["progress_done"] = done
        values["progress_total"] = total
    if message is not None:
        values["progress_message"] = message[:300]
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.attempts == attempt, Job.state == "running")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def finish(
    session: Session,
    job_id: int,
    attempt: int,
    *,
    outcome: Literal["succeeded", "failed", "cancelled"],
    result: str | None = None,
    error: str | None = None,
    retry_delay: timedelta = timedelta(0),
    final: bool = False,
    now: datetime | None = None,
) -> Job | None:
    """Record how an attempt ended; a failure with attempts left is queued again after ``retry_delay``
    (unless ``final``: another attempt cannot help).

    Returns:
        The job, queued again when it will be retried (the caller hands it to the queue); None when this
        attempt no longer owns the job (a reaper gave it to another worker).
    """
    now = now or utcnow()
    begin_writing(session)
    job = session.get(Job, job_id)
    if job is None or job.state != "running" or job.attempts != attempt:
        return None
    job.result = result
    job.error = error if error is not None else job.error  # a success keeps the last failure visible
    if outcome == "failed" and job.attempts < job.max_attempts and not final:
        job.state, job.run_after, job.delivered_at = "queued", now + retry_delay, None
        job.progress_message = f"Attempt {job.attempts} of {job.max_attempts} failed; retried from {job.run_after:%H:%M:%S} UTC."
    else:
        job.state, job.finished_at = outcome, now
    session.flush()
    return job


def _reap_one(job: Job, *, now: datetime) -> None:
    beat = f"{job.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC" if job.heartbeat_at else "never"
    job.error = f"The worker running attempt {job.attempts} ({job.worker}) stopped answering (last heartbeat {beat})."
    if job.attempts < job.max_attempts:
        job.state, job.run_after, job.delivered_at = "queued", now, None
        job.progress_message = f"Attempt {job.attempts} of {job.max_attempts} was interrupted; retried."
    else:
        job.state, job.finished_at = "failed", now


def reap(session: Session, *, stale_after: timedelta, redeliver_after: timedelta, now: datetime | None = None) -> list[int]:
    """Recover running jobs whose worker stopped, and find queued jobs to hand to the queue again.

    Returns:
        The ids of queued, due jobs that were never delivered or were delivered more than ``redeliver_after``
        ago (including those just reaped); the caller delivers them after committing.
    """
    now = now or utcnow()
    begin_writing(session)
    for job in session.scalars(select(Job).where(Job.state == "running", Job.heartbeat_at < now - stale_after)):
        _reap_one(job, now=now)
    session.flush()
    due = list(
        session.scalars(
            select(Job.id)
            .where(
                Job.state == "queued",
                Job.run_after <= now,
                or_(Job.delivered_at.is_(None), Job.delivered_at < now - redeliver_after),
            )
            .order_by(Job.id)
            .limit(500)
        )
    )
    return due


def mark_delivered(session: Session, job_ids: list[int], *, now: datetime | None = None) -> None:
    """Note that these jobs were handed to the queue."""
    if job_ids:
        session.execute(
            update(Job)
            .where(Job.id.in_(job_ids), Job.state == "queued")
            .values(delivered_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )


def prune(session: Session, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete succeeded jobs that finished more than ``older_than`` ago (the schedule adds one a minute); failed and
    cancelled ones stay for admins to read and retry. Returns how many were deleted."""
    cutoff = (now or utcnow()) - older_than
    deleted = session.execute(
        delete(Job).where(Job.state == "succeeded", Job.finished_at < cutoff).execution_options(synchronize_session=False)
    )
    return int(deleted.rowcount or 0)  # type: ignore[attr-defined]
