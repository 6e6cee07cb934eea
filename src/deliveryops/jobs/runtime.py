"""The queue behind the ledger: huey delivers job ids to workers; workers claim, run, heartbeat and reap.

One :class:`JobRuntime` per process. Web processes use it to hand committed jobs to the queue; worker
processes (``deliveryops worker``, or the embedded worker that ``deliveryops serve`` starts) also consume the
queue with a huey consumer. The queue's store follows the database: a SQLite file beside a SQLite database
(``deliveryops.db`` → ``deliveryops.queue.db``), huey's own tables in the same PostgreSQL database, or memory
(tests). What a message carries is only a ledger id, so a lost or duplicated message is harmless: a duplicate
finds the job no longer queued, and a reaper pass (every ``job_reap_seconds``, in every worker) re-delivers queued jobs
whose message never arrived and re-queues running jobs whose heartbeat stopped.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import psycopg
from huey import Huey, MemoryHuey, PostgresHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from deliveryops.db import begin_writing, unit_of_work, utcnow
from deliveryops.errors import ConflictError, DomainError
from deliveryops.jobs import ledger
from deliveryops.jobs.models import Job
from deliveryops.jobs.registry import JobCancelledError, JobContext, JobFailedError, JobSpec, PeriodicSpec, registered, spec_of
from deliveryops.settings import Settings

__all__ = ["JobRuntime", "configure", "current", "queue_location", "worker_name"]

log = logging.getLogger(__name__)

PRUNE_AFTER = timedelta(days=7)  # succeeded jobs are kept this long for the admin page, then deleted
PRUNE_EVERY = timedelta(hours=1)  # how often a worker's reaper deletes them
REDELIVER_AFTER = timedelta(minutes=5)  # a queued, due job whose message was sent this long ago is sent again
QUEUE_DDL_LOCK = 0x6465_6C69_7665_72  # a fixed PostgreSQL advisory lock id ("deliver")
PROGRESS_EVERY_SECONDS = 0.5  # progress reports closer together than this are not written (except the last)


def worker_name() -> str:
    """This process, as the ledger names the worker running a job (``host:pid``)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def queue_location(settings: Settings) -> str:
    """Where the queue keeps its messages: ``settings.queue_url``, or next to the database when empty."""
    if settings.queue_url:
        return settings.queue_url
    if settings.is_sqlite:
        if ":memory:" in settings.database_url or settings.database_url.rstrip("/") in ("sqlite:", "sqlite:/"):
            return "memory://"
        database = Path(settings.database_url.split(":///", 1)[1])
        return f"sqlite:///{database.with_name(database.stem + '.queue' + (database.suffix or '.db'))}"
    return settings.database_url


def _make_huey(location: str) -> Huey:
    if location.startswith("memory:"):
        return MemoryHuey("deliveryops", results=False, utc=True)
    if location.startswith("sqlite"):
        return SqliteHuey("deliveryops", filename=location.split(":///", 1)[1], results=False, utc=True, timeout=10)
    if location.startswith("postgresql"):
        dsn = make_url(location).set(drivername="postgresql").render_as_string(hide_password=False)
        huey = PostgresHuey(
            "deliveryops", dsn=dsn, table_prefix="deliveryops_queue", results=False, utc=True, create_tables=False
        )
        # Huey's tables (deliveryops_queue_task, _schedule, _kv, _counter) beside the app's, created on first use;
        # under an advisory lock, since web and worker processes starting together would race on CREATE TABLE.
        with psycopg.connect(dsn) as connection, connection.transaction():
            connection.execute("select pg_advisory_xact_lock(%s)", (QUEUE_DDL_LOCK,))
            for statement in huey.storage.ddl:
                connection.execute(statement)
        return huey
    raise ValueError(f"DELIVERYOPS_QUEUE_URL: {location!r} is not a sqlite:///, postgresql:// or memory:// URL.")


def _crontab(every: timedelta) -> Callable[[datetime], bool]:
    minutes = int(every.total_seconds() // 60)
    if minutes < 60:
        return crontab(minute=f"*/{minutes}")  # type: ignore[no-any-return]
    return crontab(minute="0", hour=f"*/{minutes // 60}")  # type: ignore[no-any-return]


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer that leaves signal handling to its host process (the web server)."""

    def _set_signal_handlers(self) -> None:
        return None


class JobRuntime:
    """The process's queue: delivers jobs, runs them, and (in workers) consumes the queue.

    Args:
        settings: queue location, worker threads, heartbeat and staleness.
        session_factory: every unit of work of the runtime and of the jobs it runs.
        clock: the current time (tests pass their own).
    """

    def __init__(
        self, settings: Settings, session_factory: sessionmaker[Session], *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.clock = clock
        self.worker = worker_name()
        self.stale_after = timedelta(seconds=settings.job_stale_seconds)
        self.progress_every_seconds = PROGRESS_EVERY_SECONDS
        self.location = queue_location(settings)
        self.huey = _make_huey(self.location)
        self._consumer: Consumer | None = None
        self._consumer_thread: threading.Thread | None = None

        @self.huey.task(name="run_job")  # type: ignore[untyped-decorator]
        def run_job(job_id: int) -> None:
            self.run(job_id)

        self._run_job = run_job
        self._stop_reaping = threading.Event()
        self._reaper: threading.Thread | None = None
        self._periodic: dict[str, Any] = {}
        self._pruned_at: datetime | None = None
        self.register_periodic()

    # -- delivering -------------------------------------------------------------------------------------------

    def register_periodic(self) -> None:
        """Give huey's scheduler every periodic job declared so far (call again after importing more)."""
        for name, periodic in registered()[1].items():
            if name in self._periodic:
                continue

            def fire(periodic: PeriodicSpec = periodic) -> None:
                self.fire_periodic(periodic)

            fire.__name__ = f"periodic_{name.replace('.', '_')}"
            self._periodic[name] = self.huey.periodic_task(_crontab(periodic.every), name=f"periodic:{name}")(fire)

    def deliver(self, job_ids: list[int]) -> None:
        """Hand committed jobs to the queue (or run them here and now when ``jobs_inline`` is set)."""
        if self.settings.jobs_inline:
            for job_id in job_ids:
                self.run(job_id)
            return
        try:
            for job_id in job_ids:
                self._run_job(job_id)
            with unit_of_work(self.session_factory) as session:
                ledger.mark_delivered(session, job_ids, now=self.clock())
        except Exception:  # the jobs are committed: the next reaper pass delivers them
            log.exception("could not hand jobs %s to the queue; a worker's reaper will", job_ids)

    def _deliver_later(self, job_id: int, at: datetime) -> None:
        if self.settings.jobs_inline:
            return  # inline runs do not wait: the reaper or the next run_queued() picks it up
        self._run_job.schedule(args=(job_id,), eta=at.astimezone(UTC).replace(tzinfo=None))

    def fire_periodic(self, periodic: PeriodicSpec, now: datetime | None = None) -> Job | None:
        """Enqueue this period's run of a periodic job, unless a worker did already; returns the new job."""
        now = now or self.clock()
        minute = int(now.timestamp() // 60)
        start = datetime.fromtimestamp(periodic.period_start(minute) * 60, tz=UTC)
        key = f"{periodic.spec.name}@{start:%Y-%m-%dT%H:%MZ}"
        try:
            with unit_of_work(self.session_factory) as session:
                begin_writing(session)
                if session.scalar(select(Job.id).where(Job.unique_key == key)) is not None:
                    return None  # another worker's scheduler fired this period first
                job = ledger.enqueue(session, periodic.spec, unique_key=key, now=now)
                if job.id not in session.info.get(ledger.PENDING, ()):
                    return None  # committed by another worker since the check above
        except IntegrityError:  # it did so at the same moment: its insert won
            return None
        return job

    # -- running ----------------------------------------------------------------------------------------------

    def run(self, job_id: int) -> Job | None:
        """Claim and run one job in this thread; returns the job as it ended (None if not claimed)."""
        with unit_of_work(self.session_factory) as session:
            claim = ledger.claim(session, job_id, worker=self.worker, stale_after=self.stale_after, now=self.clock())
            job = claim.job
            started = (job.name, dict(job.arguments), job.attempts) if job is not None else None
        if started is None:
            if claim.retry_at is not None:  # not due yet, or its lock is held: try again then
                self._deliver_later(job_id, claim.retry_at)
            return None
        return self._execute(job_id, *started)

    def _execute(
        self,
        job_id: int,
        name: str,
        arguments: dict[str, Any],
        attempt: int,
        on_progress: Callable[[int, int | None, str | None], None] | None = None,
    ) -> Job | None:
        last_write = [0.0]

        def report(done: int, total: int | None, message: str | None) -> bool:
            if on_progress is not None:
                on_progress(done, total, message)
            final = total is not None and done >= total
            if not final and time.monotonic() - last_write[0] < self.progress_every_seconds:
                return False
            last_write[0] = time.monotonic()
            with unit_of_work(self.session_factory) as session:
                return ledger.record_progress(session, job_id, attempt, done=done, total=total, message=message, now=self.clock())

        context = JobContext(job_id, attempt, self.settings, self.session_factory, report)
        stop_beating = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job_id, attempt, context, stop_beating), daemon=True)
        beat.start()
        outcome: Literal["succeeded", "failed", "cancelled"] = "succeeded"
        result: str | None = None
        error: str | None = None
        delay = timedelta(0)
        no_retry = False
        try:
            spec = spec_of(name)
            delay = spec.retry_delay * attempt
            result = spec.function(context, **arguments)
        except JobCancelledError:
            outcome, error = "cancelled", "Cancelled while running."
        except JobFailedError as exc:
            outcome, error, no_retry = "failed", exc.message, not exc.retry
            log.warning("job %s (%s) failed: %s", job_id, name, exc.message)
        except DomainError as exc:
            outcome, error = "failed", exc.message
            log.warning("job %s (%s) failed: %s", job_id, name, exc.message)
        except KeyError:
            outcome, error = "failed", f"No job named {name!r} is declared in this worker."
        except Exception as exc:
            outcome, error = "failed", f"{exc.__class__.__name__}: {exc}"
            log.exception("job %s (%s) crashed", job_id, name)
        finally:
            stop_beating.set()
            beat.join(timeout=5)
        with unit_of_work(self.session_factory) as session:
            job = ledger.finish(
                session,
                job_id,
                attempt,
                outcome=outcome,
                result=result,
                error=error,
                retry_delay=delay,
                final=no_retry,
                now=self.clock(),
            )
            requeued = job is not None and job.state == "queued"
            run_after = job.run_after if job is not None else None
        if requeued and run_after is not None:
            self._deliver_later(job_id, run_after)
        with unit_of_work(self.session_factory) as session:
            return session.get(Job, job_id)

    def _heartbeat(self, job_id: int, attempt: int, context: JobContext, stop: threading.Event) -> None:
        while not stop.wait(self.settings.job_heartbeat_seconds):
            try:
                with unit_of_work(self.session_factory) as session:
                    if ledger.record_progress(session, job_id, attempt, now=self.clock()):
                        context.cancel_event.set()
            except Exception:  # the database is briefly away: the next beat tries again
                log.warning("heartbeat of job %s failed", job_id, exc_info=True)

    def run_now(
        self,
        spec: JobSpec,
        *,
        arguments: dict[str, Any] | None = None,
        requested_by: str | None = None,
        on_progress: Callable[[int, int | None, str | None], None] | None = None,
    ) -> Job:
        """Enqueue a job and run it in this thread at once (the command line), with the same lock and ledger.

        Raises:
            ConflictError: a job holding the same lock is running.
        """
        with unit_of_work(self.session_factory) as session:
            queued = ledger.enqueue(session, spec, arguments=arguments, requested_by=requested_by, now=self.clock())
            job_id, title = queued.id, queued.title
            session.info.pop(ledger.PENDING, None)  # run here, not by a worker
        with unit_of_work(self.session_factory) as session:
            claim = ledger.claim(session, job_id, worker=self.worker, stale_after=self.stale_after, now=self.clock())
            job = claim.job
            started = (job.name, dict(job.arguments), job.attempts) if job is not None else None
        if started is None:
            with unit_of_work(self.session_factory) as session:
                ledger.cancel(session=session, job_id=job_id, now=self.clock())
            raise ConflictError(f"{title}: another run holds its lock; try again when it has finished.")
        finished = self._execute(job_id, *started, on_progress=on_progress)
        assert finished is not None
        return finished

    def run_queued(self, *, limit: int = 1000) -> int:
        """Run every queued job that is due, one after the other in this thread; returns how many ran.

        ``deliveryops worker --burst`` and tests use it instead of a consumer.
        """
        ran, tried = 0, set()
        while ran < limit:
            with unit_of_work(self.session_factory) as session:
                due = [
                    job_id
                    for job_id in session.scalars(
                        select(Job.id).where(Job.state == "queued", Job.run_after <= self.clock()).order_by(Job.id)
                    )
                    if job_id not in tried
                ]
            if not due:
                return ran
            for job_id in due:
                tried.add(job_id)
                if self.run(job_id) is not None:
                    ran += 1
                    tried.discard(job_id)  # a failed attempt may be due again at once (no retry delay)
        return ran

    def reap(self) -> list[int]:
        """One reaper pass: recover jobs of stopped workers, re-deliver lost messages; returns the ids delivered."""
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            due = ledger.reap(session, stale_after=self.stale_after, redeliver_after=REDELIVER_AFTER, now=now)
            if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
                self._pruned_at = now
                if pruned := ledger.prune(session, older_than=PRUNE_AFTER, now=now):
                    log.info("deleted %d succeeded jobs finished before %s", pruned, now - PRUNE_AFTER)
        if due:
            log.info("reaper delivers jobs %s", due)
            self.deliver(due)
        return due

    # -- consuming --------------------------------------------------------------------------------------------

    def consumer(self, *, threads: int | None = None, embedded: bool = False) -> Consumer:
        """A huey consumer of this queue: ``threads`` worker threads and huey's scheduler (periodic jobs, delays)."""
        self.register_periodic()
        cls = _EmbeddedConsumer if embedded else Consumer
        return cls(
            self.huey,
            workers=threads or self.settings.worker_threads,
            periodic=True,
            worker_type="thread",
            initial_delay=0.1,
            max_delay=2.0,
            check_worker_health=True,
        )

    def start(self, *, threads: int | None = None) -> None:
        """Consume the queue in background threads of this process (the embedded worker of ``serve``)."""
        self._consumer = self.consumer(threads=threads, embedded=True)
        self._consumer.start()
        self.start_reaper()

    def run_forever(self, *, threads: int | None = None) -> None:
        """Consume the queue until SIGINT or SIGTERM (``deliveryops worker``)."""
        self.start_reaper()
        try:
            self.consumer(threads=threads).run()
        finally:
            self._stop_reaping.set()

    def start_reaper(self) -> None:
        """Reap now (jobs left behind by a previous process start again at once), then every ``job_reap_seconds``."""
        self._stop_reaping.clear()
        self._reaper = threading.Thread(target=self._reap_loop, name="job-reaper", daemon=True)
        self._reaper.start()

    def _reap_loop(self) -> None:
        while True:
            try:
                self.reap()
            except Exception:  # the database restarting, say: the next pass tries again
                log.exception("reaper pass failed")
            if self._stop_reaping.wait(self.settings.job_reap_seconds):
                return

    def stop(self) -> None:
        """Stop consuming; a job still running finishes on its own or is reaped after this process ends."""
        self._stop_reaping.set()
        if self._consumer is not None:
            self._consumer.stop(graceful=False)
            self._consumer = None
        self.huey.storage.close()


_current: JobRuntime | None = None


def configure(runtime: JobRuntime | None) -> JobRuntime | None:
    """Make ``runtime`` the process's queue: jobs committed from now on are handed to it."""
    global _current
    previous, _current = _current, runtime
    ledger.set_delivery(runtime.deliver if runtime is not None else None)
    return previous


def current() -> JobRuntime | None:
    """The process's queue, if one was configured."""
    return _current
