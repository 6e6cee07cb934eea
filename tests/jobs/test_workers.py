"""Workers in separate processes and threads, on SQLite and PostgreSQL: a killed worker's job is retried to
completion by another, one lock never runs twice at once, and a period is enqueued once however many fire it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from deliveryops import jobs
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.jobs import Job, JobRuntime, ledger
from deliveryops.jobs.registry import registered
from deliveryops.settings import Settings
from tests.jobs import sample_jobs
from tests.sync.test_kill_and_resume import fresh_database

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import sys
sys.path.insert(0, sys.argv[2])
import tests.jobs.sample_jobs
from deliveryops.db import make_engine, make_session_factory
from deliveryops.jobs import JobRuntime, configure
from deliveryops.settings import Settings
settings = Settings(
    database_url=sys.argv[1], secret_key="w" * 48, worker_threads=1,
    job_heartbeat_seconds=0.2, job_stale_seconds=1.5, job_reap_seconds=0.5,
)
runtime = JobRuntime(settings, make_session_factory(make_engine(sys.argv[1])))
configure(runtime)
runtime.run_forever()
"""


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, secret_key="w" * 48, job_stale_seconds=1.5)


def wait_for(condition: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {condition}")
        time.sleep(0.1)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.mark.slow
def test_a_killed_workers_job_is_retried_to_completion_by_another(database: str) -> None:
    engine = make_engine(database)
    factory = make_session_factory(engine)
    runtime = JobRuntime(settings_for(database), factory)  # this process only enqueues
    previous = jobs.configure(runtime)
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, database, str(ROOT)], stderr=subprocess.PIPE, cwd=ROOT) for _ in range(2)
    ]
    try:
        with unit_of_work(factory) as session:
            job_id = jobs.enqueue(session, sample_jobs.steps, arguments={"key": "payments", "hang_on_first_attempt": True}).id

        def job() -> Job:
            with unit_of_work(factory) as session:
                return jobs.get_or_raise(session=session, job_id=job_id)

        wait_for("a worker runs the job", lambda: job().progress_message == "hanging")
        first = job()
        assert first.worker is not None
        victim = next(worker for worker in workers if first.worker.endswith(f":{worker.pid}"))
        victim.kill()  # SIGKILL: no clean-up of any kind
        victim.wait(10)
        wait_for("the other worker finishes it", lambda: job().state == "succeeded")
        done = job()
        survivor = next(worker for worker in workers if worker is not victim)
        assert done.worker is not None
        assert done.worker.endswith(f":{survivor.pid}")
        assert (done.attempts, done.result) == (2, "payments: 3 steps on attempt 2")
        assert done.error is not None
        assert done.error.startswith(f"The worker running attempt 1 ({first.worker}) stopped answering (last heartbeat ")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(10)
                except subprocess.TimeoutExpired:
                    worker.kill()
        jobs.configure(previous)
        runtime.stop()
        engine.dispose()


@pytest.mark.slow
def test_concurrent_claims_start_one_job_per_lock_and_schedulers_one_job_per_period(database: str) -> None:
    contenders = 4
    engines = [make_engine(database) for _ in range(contenders)]
    runtimes = [
        JobRuntime(settings_for(database).model_copy(update={"queue_url": "memory://"}), make_session_factory(e)) for e in engines
    ]
    factory = runtimes[0].session_factory
    with unit_of_work(factory) as session:
        ids = [jobs.enqueue(session, sample_jobs.steps, arguments={"key": "payments"}).id for _ in range(contenders)]
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []
    fired: list[int | None] = []
    period = registered()[1]["tests.every_minute"]
    moment = datetime.now(UTC)

    def contend(index: int) -> None:
        barrier.wait()
        with unit_of_work(runtimes[index].session_factory) as session:
            claim = ledger.claim(session, ids[index], worker=f"w:{index}", stale_after=runtimes[index].stale_after)
        outcomes.append(claim.outcome)
        barrier.wait()
        new = runtimes[index].fire_periodic(period, now=moment)
        fired.append(new.id if new is not None else None)

    threads = [threading.Thread(target=contend, args=(index,)) for index in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert sorted(outcomes) == ["claimed", "locked", "locked", "locked"]
        assert len([job_id for job_id in fired if job_id is not None]) == 1
        with unit_of_work(factory) as session:
            assert session.scalar(select(Job.state).where(Job.id.in_(ids), Job.state == "running")) == "running"
            periodic = list(session.scalars(select(Job).where(Job.name == "tests.every_minute")))
            assert len(periodic) == 1
    finally:
        for runtime in runtimes:
            runtime.stop()
        for engine in engines:
            engine.dispose()
