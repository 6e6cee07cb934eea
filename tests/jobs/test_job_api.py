"""The job API: declare, enqueue, run, progress, retries, locks, reaping, cancel and retry (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops import jobs
from deliveryops.db import unit_of_work
from deliveryops.errors import ConflictError, ValidationFailedError
from deliveryops.jobs import Job, JobRuntime, ledger
from deliveryops.jobs.registry import registered
from deliveryops.settings import Settings
from tests.jobs import sample_jobs

T0 = datetime(2026, 12, 1, 9, 0, 30, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def runtime(session_factory: sessionmaker[Session], clock: Clock) -> Iterator[JobRuntime]:
    settings = Settings(database_url="sqlite://", secret_key="j" * 48, queue_url="memory://", job_stale_seconds=60)
    runtime = JobRuntime(settings, session_factory, clock=clock)
    previous = jobs.configure(runtime)
    yield runtime
    jobs.configure(previous)


def test_enqueue_stores_a_queued_job_that_a_worker_runs(runtime: JobRuntime, session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        job = jobs.enqueue(session, sample_jobs.add, arguments={"a": 2, "b": 3}, requested_by="ada@example.com", now=T0)
        job_id = job.id
    with unit_of_work(session_factory) as session:
        queued = jobs.get_or_raise(session=session, job_id=job_id)
        assert (queued.name, queued.title, queued.arguments, queued.state) == (
            "tests.add",
            "Add 2 and 3",
            {"a": 2, "b": 3},
            "queued",
        )
        assert (queued.attempts, queued.max_attempts, queued.requested_by) == (0, 4, "ada@example.com")
        assert queued.delivered_at == T0  # handed to the queue once the enqueueing unit of work committed

    assert runtime.run_queued() == 1

    with unit_of_work(session_factory) as session:
        done = jobs.get_or_raise(session=session, job_id=job_id)
        assert (done.state, done.result, done.error, done.attempts) == ("succeeded", "2 + 3 = 5", None, 1)
        assert (done.progress_done, done.progress_total, done.progress_message, done.progress_percent) == (1, 1, "added", 100)
        assert (done.started_at, done.finished_at, done.worker) == (T0, T0, runtime.worker)


def test_a_rolled_back_enqueue_leaves_no_job(runtime: JobRuntime, session_factory: sessionmaker[Session]) -> None:
    def failing_request() -> None:
        with unit_of_work(session_factory) as session:
            jobs.enqueue(session, sample_jobs.add, arguments={"a": 1}, now=T0)
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        failing_request()
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_enqueue_refuses_wrong_arguments_with_the_reason(session: Session) -> None:
    with pytest.raises(ValidationFailedError) as missing:
        jobs.enqueue(session, sample_jobs.add, arguments={"b": 1}, now=T0)
    assert missing.value.message == "Job tests.add: missing a required argument: 'a'."
    with pytest.raises(ValidationFailedError) as unknown:
        jobs.enqueue(session, sample_jobs.add, arguments={"a": 1, "c": 2}, now=T0)
    assert unknown.value.message == "Job tests.add: got an unexpected keyword argument 'c'."
    with pytest.raises(ValidationFailedError) as unserialisable:
        jobs.enqueue(session, sample_jobs.add, arguments={"a": object()}, now=T0)
    assert unserialisable.value.message.startswith("Job tests.add: Object of type object is not JSON serializable")


def test_job_arguments_must_be_keyword_only() -> None:
    with pytest.raises(TypeError, match=r"Job 'tests\.positional': argument 'a' must be keyword-only\."):

        @jobs.job("tests.positional", title="x")
        def positional(context: jobs.JobContext, a: int) -> None:
            return None


def test_a_failing_job_is_retried_then_fails_with_its_error(runtime: JobRuntime, session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        recovers = jobs.enqueue(session, sample_jobs.flaky, arguments={"succeed_on": 3}, now=T0).id
        never = jobs.enqueue(session, sample_jobs.flaky, arguments={"succeed_on": 9}, now=T0).id

    runtime.run_queued()

    with unit_of_work(session_factory) as session:
        ok = jobs.get_or_raise(session=session, job_id=recovers)
        assert (ok.state, ok.attempts, ok.retried, ok.result) == ("succeeded", 3, True, "succeeded on attempt 3")
        assert ok.error == "RuntimeError: attempt 2 broke"  # the last failure stays visible
        failed = jobs.get_or_raise(session=session, job_id=never)
        assert (failed.state, failed.attempts, failed.max_attempts) == ("failed", 3, 3)
        assert failed.error == "RuntimeError: attempt 3 broke"
        assert [job.id for job in jobs.list_(session=session, state="retried")] == [never, recovers]
        assert [job.id for job in jobs.list_(session=session, state="failed")] == [never]
        assert jobs.counts(session=session) == {
            "queued": 0,
            "running": 0,
            "succeeded": 1,
            "failed": 1,
            "cancelled": 0,
            "retried": 2,
        }


def test_a_retry_waits_for_its_delay(runtime: JobRuntime, session_factory: sessionmaker[Session], clock: Clock) -> None:
    spec = jobs.JobSpec("tests.flaky_delayed", sample_jobs.flaky.function, "Flaky", retries=1, retry_delay=timedelta(minutes=2))
    with unit_of_work(session_factory) as session:
        job_id = jobs.enqueue(session, spec, arguments={"succeed_on": 2}, now=T0).id
    ledger_spec = {spec.name: spec}
    registered_jobs = registered()[0]
    assert spec.name not in registered_jobs  # not declared: the runtime cannot find it by name
    jobs.registry._JOBS.update(ledger_spec)
    try:
        assert runtime.run_queued() == 1
        with unit_of_work(session_factory) as session:
            waiting = jobs.get_or_raise(session=session, job_id=job_id)
            assert (waiting.state, waiting.attempts, waiting.run_after) == ("queued", 1, T0 + timedelta(minutes=2))
            assert waiting.progress_message == "Attempt 1 of 2 failed; retried from 09:02:30 UTC."
        assert runtime.run_queued() == 0  # not due yet
        clock.now = T0 + timedelta(minutes=2)
        assert runtime.run_queued() == 1
        with unit_of_work(session_factory) as session:
            assert jobs.get_or_raise(session=session, job_id=job_id).state == "succeeded"
    finally:
        jobs.registry._JOBS.pop(spec.name)


def test_jobs_holding_the_same_lock_never_run_at_once(runtime: JobRuntime, session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        first = jobs.enqueue(session, sample_jobs.steps, arguments={"key": "payments"}, now=T0).id
        second = jobs.enqueue(session, sample_jobs.steps, arguments={"key": "payments"}, now=T0).id
        other = jobs.enqueue(session, sample_jobs.steps, arguments={"key": "checkout"}, now=T0).id
        assert jobs.get_or_raise(session=session, job_id=first).lock_key == "steps:payments"
    with unit_of_work(session_factory) as session:
        assert ledger.claim(session, first, worker="a:1", stale_after=runtime.stale_after, now=T0).outcome == "claimed"
    with unit_of_work(session_factory) as session:
        refused = ledger.claim(session, second, worker="b:2", stale_after=runtime.stale_after, now=T0 + timedelta(seconds=30))
        assert (refused.outcome, refused.retry_at) == ("locked", T0 + timedelta(seconds=35))
    with unit_of_work(session_factory) as session:
        assert ledger.claim(session, other, worker="b:2", stale_after=runtime.stale_after, now=T0).outcome == "claimed"
        assert jobs.active_for_lock(session=session, lock_key="steps:payments").id == first  # type: ignore[union-attr]


def test_a_job_whose_worker_stopped_is_reaped_and_retried(
    runtime: JobRuntime, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    with unit_of_work(session_factory) as session:
        job_id = jobs.enqueue(session, sample_jobs.steps, arguments={"key": "payments"}, now=T0).id
        waiting = jobs.enqueue(session, sample_jobs.steps, arguments={"key": "payments"}, now=T0).id
    with unit_of_work(session_factory) as session:
        ledger.claim(session, job_id, worker="gone:41", stale_after=runtime.stale_after, now=T0)
    clock.now = T0 + timedelta(seconds=59)
    assert runtime.reap() == []  # its heartbeat is 59 s old: still alive
    clock.now = T0 + timedelta(seconds=61)
    assert runtime.reap() == [job_id]
    with unit_of_work(session_factory) as session:
        reaped = jobs.get_or_raise(session=session, job_id=job_id)
        assert (reaped.state, reaped.attempts) == ("queued", 1)
        assert (
            reaped.error == "The worker running attempt 1 (gone:41) stopped answering (last heartbeat 2026-12-01 09:00:30 UTC)."
        )
        assert reaped.progress_message == "Attempt 1 of 3 was interrupted; retried."
    assert runtime.run_queued() == 2
    with unit_of_work(session_factory) as session:
        assert [(job.state, job.attempts) for job in jobs.list_(session=session)] == [("succeeded", 1), ("succeeded", 2)]
        assert jobs.get_or_raise(session=session, job_id=waiting).result == "payments: 3 steps on attempt 1"


def test_a_stale_lock_holder_is_reaped_when_another_job_claims_the_lock(
    runtime: JobRuntime, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        stuck = jobs.enqueue(session, sample_jobs.steps, arguments={"key": "payments"}, now=T0).id
        waiting = jobs.enqueue(session, sample_jobs.steps, arguments={"key": "payments"}, now=T0).id
    with unit_of_work(session_factory) as session:
        ledger.claim(session, stuck, worker="gone:41", stale_after=runtime.stale_after, now=T0)
    with unit_of_work(session_factory) as session:
        claim = ledger.claim(session, waiting, worker="b:2", stale_after=runtime.stale_after, now=T0 + timedelta(minutes=2))
        assert claim.outcome == "claimed"
        assert jobs.get_or_raise(session=session, job_id=stuck).state == "queued"


def test_the_last_attempt_of_a_reaped_job_fails(
    runtime: JobRuntime, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    with unit_of_work(session_factory) as session:
        job_id = jobs.enqueue(session, sample_jobs.add, arguments={"a": 1}, now=T0).id
        jobs.get_or_raise(session=session, job_id=job_id).max_attempts = 1
    with unit_of_work(session_factory) as session:
        ledger.claim(session, job_id, worker="gone:41", stale_after=runtime.stale_after, now=T0)
    clock.now = T0 + timedelta(minutes=5)
    runtime.reap()
    with unit_of_work(session_factory) as session:
        failed = jobs.get_or_raise(session=session, job_id=job_id)
        assert (failed.state, failed.finished_at) == ("failed", T0 + timedelta(minutes=5))


def test_cancel_a_queued_job_and_ask_a_running_one_to_stop(runtime: JobRuntime, session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        queued = jobs.enqueue(session, sample_jobs.add, arguments={"a": 1}, now=T0).id
        running = jobs.enqueue(session, sample_jobs.steps, arguments={"key": "payments"}, now=T0).id
    with unit_of_work(session_factory) as session:
        ledger.claim(session, running, worker="a:1", stale_after=runtime.stale_after, now=T0)
    with unit_of_work(session_factory) as session:
        assert jobs.cancel(session=session, job_id=queued, now=T0).state == "cancelled"
        asked = jobs.cancel(session=session, job_id=running)
        assert (asked.state, asked.cancel_requested) == ("running", True)
    with unit_of_work(session_factory) as session:
        assert ledger.record_progress(session, running, 1, done=1, total=3) is True  # the job's next report sees it
        with pytest.raises(ConflictError) as finished:
            jobs.cancel(session=session, job_id=queued)
        assert finished.value.message == f"Job {queued} has finished (cancelled); there is nothing to cancel."


def test_a_running_job_stops_at_its_next_progress_report_once_cancelled(
    runtime: JobRuntime, session_factory: sessionmaker[Session]
) -> None:
    seen: list[str | None] = []

    def cancel_at_step_two(done: int, total: int | None, message: str | None) -> None:
        seen.append(message)
        if message == "step 2":
            with unit_of_work(session_factory) as session:
                job = session.scalar(select(Job).where(Job.state == "running"))
                assert job is not None
                jobs.cancel(session=session, job_id=job.id)

    runtime.progress_every_seconds = 0  # write every report (by default at most two a second)
    ended = runtime.run_now(sample_jobs.steps, arguments={"key": "payments", "count": 4}, on_progress=cancel_at_step_two)
    assert (ended.state, ended.error, ended.result) == ("cancelled", "Cancelled while running.", None)
    assert seen == ["step 1", "step 2"]  # the report of step 2 is written after the request, and sees it


def test_retry_queues_a_failed_job_with_one_more_attempt(runtime: JobRuntime, session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        job_id = jobs.enqueue(session, sample_jobs.flaky, arguments={"succeed_on": 4}, now=T0).id
    runtime.run_queued()
    with unit_of_work(session_factory) as session:
        with pytest.raises(ConflictError) as not_failed:
            jobs.retry(session=session, job_id=jobs.enqueue(session, sample_jobs.add, arguments={"a": 1}, now=T0).id)
        assert not_failed.value.message.endswith("is queued; only failed or cancelled jobs can be retried.")
        again = jobs.retry(session=session, job_id=job_id, requested_by="ada@example.com", now=T0)
        assert (again.state, again.attempts, again.max_attempts) == ("queued", 3, 4)
        assert again.progress_message == "Retry requested by ada@example.com."
    runtime.run_queued()
    with unit_of_work(session_factory) as session:
        assert jobs.get_or_raise(session=session, job_id=job_id).result == "succeeded on attempt 4"


def test_run_now_refuses_while_the_lock_is_held(runtime: JobRuntime, session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        holder = jobs.enqueue(session, sample_jobs.steps, arguments={"key": "payments"}, now=T0).id
    with unit_of_work(session_factory) as session:
        ledger.claim(session, holder, worker="a:1", stale_after=runtime.stale_after, now=T0)
    with pytest.raises(ConflictError) as held:
        runtime.run_now(sample_jobs.steps, arguments={"key": "payments"})
    assert held.value.message == "Steps for payments: another run holds its lock; try again when it has finished."


def test_a_periodic_job_is_enqueued_once_per_period(runtime: JobRuntime, clock: Clock) -> None:
    periodic = registered()[1]["tests.every_minute"]
    first = runtime.fire_periodic(periodic, now=T0)
    assert first is not None
    assert first.unique_key == "tests.every_minute@2026-12-01T09:00Z"
    assert runtime.fire_periodic(periodic, now=T0 + timedelta(seconds=20)) is None  # another worker's scheduler, same minute
    later = runtime.fire_periodic(periodic, now=T0 + timedelta(seconds=40))
    assert later is not None
    assert later.unique_key == "tests.every_minute@2026-12-01T09:01Z"
    clock.now = T0 + timedelta(seconds=40)
    assert runtime.run_queued() == 2


def test_periods_must_divide_an_hour_or_a_day() -> None:
    with pytest.raises(ValueError, match="the period must divide an hour or a day in whole minutes"):
        jobs.periodic("tests.odd", title="x", every=timedelta(minutes=7))


def test_jobs_inline_run_when_the_enqueueing_unit_of_work_commits(session_factory: sessionmaker[Session]) -> None:
    settings = Settings(database_url="sqlite://", secret_key="j" * 48, queue_url="memory://", jobs_inline=True)
    previous = jobs.configure(JobRuntime(settings, session_factory))
    try:
        with unit_of_work(session_factory) as session:
            job_id = jobs.enqueue(session, sample_jobs.add, arguments={"a": 40, "b": 2}, now=T0).id
            assert jobs.get_or_raise(session=session, job_id=job_id).state == "queued"
        with unit_of_work(session_factory) as session:
            assert jobs.get_or_raise(session=session, job_id=job_id).result == "40 + 2 = 42"
    finally:
        jobs.configure(previous)


def test_the_reaper_deletes_succeeded_jobs_after_a_week_once_an_hour_and_keeps_failed_ones(
    runtime: JobRuntime, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    with unit_of_work(session_factory) as session:
        old_done, old_failed, recent_done = (
            jobs.enqueue(session, sample_jobs.add, arguments={"a": a}, now=T0) for a in (1, 2, 3)
        )
        old_done.state, old_done.finished_at = "succeeded", T0
        old_failed.state, old_failed.finished_at = "failed", T0
        recent_done.state, recent_done.finished_at = "succeeded", T0 + timedelta(days=6)
        ids = [old_done.id, old_failed.id, recent_done.id]
    clock.now = T0 + timedelta(days=7, minutes=-10)
    runtime.reap()  # the first pass prunes: nothing is a week old yet
    clock.now = T0 + timedelta(days=7, minutes=30)
    runtime.reap()  # 40 minutes after the last prune: it waits for the hour
    with unit_of_work(session_factory) as session:
        assert sorted(session.scalars(select(Job.id).where(Job.id.in_(ids)))) == sorted(ids)
    clock.now = T0 + timedelta(days=7, minutes=50)
    runtime.reap()
    with unit_of_work(session_factory) as session:
        assert sorted(session.scalars(select(Job.id).where(Job.id.in_(ids)))) == sorted([old_failed.id, recent_done.id])
