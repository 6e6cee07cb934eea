"""The server setup, in real processes on PostgreSQL: two web processes (``deliveryops serve --workers 2``, no embedded
worker) and two worker processes (``deliveryops worker``).

A connection on a five-minute schedule is synced by the scheduler of the workers exactly once; while it runs, the
web processes refuse to start a second sync of it; the worker running it is killed (SIGKILL) in the middle of the
sync; the other worker's reaper finds its job silent, queues it again and runs it to completion, resuming the
interrupted run; the database then holds exactly what one uninterrupted sync wrote into another database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from deliveryops.accounts.models import Role
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.jobs import Job
from deliveryops.sync.engine import run_sync
from deliveryops.sync.models import Connection, SyncRun
from tests.factories import make_user, token_headers
from tests.live import free_port
from tests.sync.test_kill_and_resume import APP_KEY, add_connection, content, fresh_database, source

CLI = str(Path(sys.executable).parent / "deliveryops")


def wait_for(what: str, check: Callable[[], bool], timeout: float, processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        for process in processes:
            if process.poll() is not None:
                error = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"{process.args!r} ended ({process.returncode}) while waiting until {what}: {error[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        time.sleep(0.2)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.mark.slow
def test_two_web_processes_and_two_workers_sync_once_and_survive_a_killed_worker(tmp_path: Path) -> None:
    chosen = source("jira-cloud")
    with (
        chosen.serve() as (fake, settings),
        fresh_database("postgresql", tmp_path) as reference,
        fresh_database("postgresql", tmp_path) as target,
    ):
        connection_id = add_connection(target, "jira-cloud", settings, chosen.secret)
        engine = make_engine(target)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            connection = session.get(Connection, connection_id)
            assert connection is not None
            connection.interval_minutes = 5
            headers = token_headers(session, make_user(session, role=Role.ADMIN))

        environment = {
            **os.environ,
            "DELIVERYOPS_DATABASE_URL": target,
            "DELIVERYOPS_SECRET_KEY": APP_KEY,
            "DELIVERYOPS_SCHEDULER": "false",  # web processes only queue: the workers run the jobs
            "DELIVERYOPS_JOB_HEARTBEAT_SECONDS": "0.5",
            "DELIVERYOPS_JOB_STALE_SECONDS": "5",
            "DELIVERYOPS_JOB_REAP_SECONDS": "1",
        }
        port = free_port()
        # The web processes start first: they never call the tracker, and the reference sync runs while they start.
        web = subprocess.Popen(
            [CLI, "serve", "--workers", "2", "--port", str(port)], env=environment, cwd=tmp_path, stderr=subprocess.PIPE
        )
        workers: list[subprocess.Popen[bytes]] = []
        everything = [web]
        base = f"http://127.0.0.1:{port}"

        def job() -> Job | None:
            with unit_of_work(factory) as session:
                return session.scalar(select(Job).where(Job.name == "sync.connection"))

        def web_answers() -> bool:
            try:
                return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            reference_id = add_connection(reference, "jira-cloud", settings, chosen.secret)
            run_sync(make_session_factory(make_engine(reference)), reference_id, app_key=APP_KEY, sleep=lambda _s: None)
            total_requests = fake.received
            expected = content(reference)
            fake.received, fake.hold_at, fake.hold_seconds = 0, total_requests // 2, 300

            # The workers start once the web processes answer: a worker starved of the CPU while they start could miss
            # its heartbeats and have its sync taken over before the test kills it.
            wait_for("the web processes answer", web_answers, 300, everything)
            workers += [
                subprocess.Popen([CLI, "worker", "--threads", "2"], env=environment, cwd=tmp_path, stderr=subprocess.PIPE)
                for _ in range(2)
            ]
            everything += workers
            # The schedule fires as each worker starts, and every minute; one sync starts and holds a request.
            wait_for("the scheduled sync is half-way", fake.held.is_set, 300, everything)
            running = job()
            assert running is not None
            assert (running.state, running.arguments["trigger"], running.attempts) == ("running", "schedule", 1)
            for _ in range(4):  # a manual sync through either web process joins the running one
                started = httpx.post(f"{base}/api/v1/connections/{connection_id}/sync", json={}, headers=headers, timeout=30)
                assert started.status_code == 202
                assert started.json() == {"started": False, "job_id": running.id}

            assert running.worker is not None
            victim = next(worker for worker in workers if running.worker.endswith(f":{worker.pid}"))
            victim.kill()  # SIGKILL: no clean-up of any kind
            victim.wait(10)
            fake.release.set()
            survivor = next(worker for worker in workers if worker is not victim)
            wait_for(
                "the other worker finishes the sync",
                lambda: (j := job()) is not None and j.state == "succeeded",
                300,
                [web, survivor],
            )

            done = job()
            assert done is not None
            assert done.worker is not None
            assert done.worker.endswith(f":{survivor.pid}")
            assert done.attempts == 2
            assert done.error is not None
            assert done.error.startswith(f"The worker running attempt 1 ({running.worker}) stopped answering")
            listed = httpx.get(f"{base}/api/v1/jobs?state=retried", headers=headers, timeout=30).json()
            assert [item["id"] for item in listed["items"]] == [done.id]
        finally:
            stop(everything)
            fake.release.set()

        with unit_of_work(factory) as session:
            sync_jobs = list(session.scalars(select(Job).where(Job.name == "sync.connection")))
            schedule_keys = list(session.scalars(select(Job.unique_key).where(Job.name == "sync.schedule")))
            runs = list(session.execute(select(SyncRun.status, SyncRun.trigger, SyncRun.resumed_from).order_by(SyncRun.id)))
        engine.dispose()
        actual = content(target)

    assert len(sync_jobs) == 1  # scheduled once, however many workers fired the schedule
    assert len(schedule_keys) == len(set(schedule_keys)) >= 1  # one schedule job per minute, not one per worker
    assert [(status, trigger) for status, trigger, _resumed in runs] == [("interrupted", "schedule"), ("succeeded", "schedule")]
    assert runs[1][2] is not None  # the retry resumed the interrupted run
    assert actual["dump"] == expected["dump"]
