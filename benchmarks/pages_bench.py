"""Benchmark of pages at organisation scale, through a real server: the team flow page and the cockpit.

Each scenario prepares a database (SQLite file or a PostgreSQL database), starts ``deliveryops serve``
on a free port against it in its own process, signs in as an admin over HTTP and times page requests
with a client in this process. Reported per page: the median (p50) and p90 of the request's wall time
seen by the client on 127.0.0.1 (an upper bound on the server's time: it includes the loopback round
trip), the server process's CPU time per request (from ``/proc/<pid>/stat``, over all timed requests),
and the page's size in bytes. The first request after start-up is reported on its own ("first"):
it fills the per-process caches (the team's frames, the portfolio's timelines).

The cockpit reads each team's row as stored by the job ``cockpit.refresh_portfolio``. Before its first
request the stored rows are deleted, so the first request is the cold one: it computes at most eight teams'
rows and queues the job. Then ``deliveryops worker --burst`` runs that job in its own process (reported:
its wall time and CPU seconds, "job"), and the timed requests read the stored rows.

Scenarios (``--scenarios``, comma list):

- ``flow``: one team of about ``--team-items`` items (default 5,000) simulated over two years; the
  team flow page for the whole history (every item in the period) and for the default 90 days;
- ``cockpit6``: the demo organisation as ``deliveryops demo`` builds it (six teams, 18 months of
  history, deployments, health checks, impediments, actions, experiments); the cockpit (``/cockpit``);
- ``cockpit200``: 200 simulated teams, ``--org-items`` items in total (default 200,000); the cockpit.

Databases are kept between runs in ``--workdir`` (SQLite files) or as PostgreSQL databases named
``deliveryops_pages_<scenario>`` (``--fresh`` rebuilds them).

Usage::

    .venv/bin/python benchmarks/pages_bench.py
    .venv/bin/python benchmarks/pages_bench.py --scenarios flow --databases sqlite --runs 15
    .venv/bin/python benchmarks/pages_bench.py --scenarios cockpit200 --org-items 200000
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url, select, text

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role, User
from deliveryops.accounts.passwords import hash_password
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.demo.simulated import import_simulated
from deliveryops.migrate import upgrade
from deliveryops.simulate import simulate_organisation

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
EMAIL = "bench-admin@example.com"
PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway benchmark database
SEED = 18
STARTUP_SECONDS = 300
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Timing:
    """One page's figures."""

    scenario: str
    database: str
    page: str
    first_ms: float
    job_s: float | None
    job_cpu_s: float | None
    p50_ms: float
    p90_ms: float
    cpu_ms: float
    kib: float
    runs: int
    load: float  # the 1-minute load average once the page was timed


def _database_url(scenario: str, database: str, workdir: Path, postgres_url: str) -> str:
    if database == "sqlite":
        return f"sqlite:///{workdir / f'pages_{scenario}.db'}"
    return make_url(postgres_url).set(database=f"deliveryops_pages_{scenario}").render_as_string(hide_password=False)


def _drop(url: str, postgres_url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _exists(url: str, postgres_url: str) -> bool:
    if url.startswith("sqlite"):
        if not Path(url.split(":///", 1)[1]).exists():
            return False
    else:
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": make_url(url).database}
            ).scalar()
            if not found:
                connection.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
        admin.dispose()
        if not found:
            return False
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            return session.scalar(select(User).where(User.email == EMAIL)) is not None
    except Exception:
        return False
    finally:
        engine.dispose()


def prepare(scenario: str, url: str, *, team_items: int, org_items: int) -> str:
    """Build the scenario's organisation in an empty database; return a description of its size."""
    engine = make_engine(url)
    upgrade(engine)
    end = datetime.now(UTC).date()
    if scenario == "flow":
        teams, months, target = 1, 24, team_items
    elif scenario == "cockpit6":
        teams, months, target = 6, 18, None
    else:
        teams, months, target = 200, 18, org_items
    items = transitions = 0
    with unit_of_work(make_session_factory(engine)) as session:
        admin = accounts.create(session=session, actor=None, email=EMAIL, name="Bench Admin", role=Role.ADMIN)
        admin.password_hash = hash_password(PASSWORD)
        if scenario == "cockpit6":
            from deliveryops.demo import build_demo  # noqa: PLC0415 - every domain: only for this scenario

            demo = build_demo(session, seed=7)
            engine.dispose()
            return f"the demo organisation: {demo.teams} teams, {demo.items:,} items, {demo.transitions:,} transitions, " + (
                ", ".join(f"{count} {name}" for name, count in demo.extras.items())
            )
        for simulated in simulate_organisation(teams=teams, months=months, seed=SEED, end=end, items_target=target):
            summary = import_simulated(session, simulated)
            items += summary.items
            transitions += summary.transitions
    engine.dispose()
    return f"{teams} teams, {items:,} items, {transitions:,} transitions"


def _size(url: str) -> str:
    engine = make_engine(url)
    with engine.connect() as connection:
        teams = connection.execute(text("SELECT count(*) FROM teams")).scalar()
        items = connection.execute(text("SELECT count(*) FROM work_items")).scalar()
        transitions = connection.execute(text("SELECT count(*) FROM status_transitions")).scalar()
    engine.dispose()
    return f"{teams} teams, {items:,} items, {transitions:,} transitions"


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Server:
    """``deliveryops serve`` in its own process on a free port."""

    def __init__(self, url: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DELIVERYOPS_SCHEDULER": "false", "DELIVERYOPS_SECRET_KEY": "bench" * 10}
        executable = shutil.which("deliveryops", path=str(Path(sys.executable).parent)) or "deliveryops"
        command = [executable, "serve", "--port", str(self.port), "--database", url]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped: {self.process.stderr.read().decode() if self.process.stderr else ''}")
            try:
                httpx.get(self.base + "/login", timeout=5)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"the server did not start within {STARTUP_SECONDS} s")

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)

    def client(self) -> httpx.Client:
        """A client signed in as the benchmark's admin."""
        client = httpx.Client(base_url=self.base, timeout=120)
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        if token is None:
            raise RuntimeError("no CSRF token on the sign-in form")
        answer = client.post("/login", data={"csrf_token": token[1], "email": EMAIL, "password": PASSWORD, "next": "/"})
        if answer.status_code != 303:
            raise RuntimeError(f"sign-in failed: {answer.status_code}")
        return client

    def time_page(
        self, client: httpx.Client, path: str, runs: int, *, between: Callable[[], None] | None = None
    ) -> tuple[float, list[float], float, int]:
        """First request's ms, the timed requests' ms, server CPU ms per timed request, bytes.

        ``between`` runs after the first request (the cockpit's worker).
        """
        started = time.perf_counter()
        answer = client.get(path)
        first = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")
        if between is not None:
            between()
        client.get(path)  # one more warm-up: lazily built caches settle
        cpu_before = _cpu_seconds(self.process.pid)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            answer = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        cpu = (_cpu_seconds(self.process.pid) - cpu_before) * 1000 / runs
        return first, times, cpu, len(answer.content)


def _forget_portfolio(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM derived_results WHERE kind = 'cockpit.team'"))
    engine.dispose()


class BurstWorker:
    """``deliveryops worker --burst``: runs every queued job, then exits; its wall time and CPU seconds."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seconds: float | None = None
        self.cpu_seconds: float | None = None

    def __call__(self) -> None:
        executable = shutil.which("deliveryops", path=str(Path(sys.executable).parent)) or "deliveryops"
        env = {**os.environ, "DELIVERYOPS_SECRET_KEY": "bench" * 10}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([executable, "worker", "--burst", "--database", self.url], env=env, check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.seconds = time.perf_counter() - started
        self.cpu_seconds = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def _pages(scenario: str, url: str) -> list[tuple[str, str]]:
    if scenario != "flow":
        return [("cockpit", "/cockpit")]
    engine = make_engine(url)
    with engine.connect() as connection:
        slug = connection.execute(text("SELECT slug FROM teams ORDER BY id LIMIT 1")).scalar()
        first = connection.execute(text("SELECT min(created_at) FROM work_items")).scalar()
    engine.dispose()
    start = (first.date() if isinstance(first, datetime) else date.fromisoformat(str(first)[:10])) - timedelta(days=1)
    end = datetime.now(UTC).date()
    return [
        ("team flow, whole history", f"/teams/{slug}/flow?from={start.isoformat()}&to={end.isoformat()}"),
        ("team flow, last 90 days", f"/teams/{slug}/flow"),
    ]


def run(args: argparse.Namespace) -> list[Timing]:
    """Prepare, serve and time every scenario on every database."""
    workdir = Path(args.workdir or Path(tempfile.gettempdir()) / "deliveryops-pages-bench")
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for scenario in args.scenarios.split(","):
        for database in args.databases.split(","):
            url = _database_url(scenario, database, workdir, args.postgres_url)
            if args.fresh:
                _drop(url, args.postgres_url)
            if not _exists(url, args.postgres_url):
                _drop(url, args.postgres_url)
                if database == "postgresql":
                    _exists(url, args.postgres_url)  # creates the empty database
                started = time.perf_counter()
                built = prepare(scenario, url, team_items=args.team_items, org_items=args.org_items)
                print(f"[{scenario}/{database}] built {built} in {time.perf_counter() - started:.0f} s", flush=True)
            print(f"[{scenario}/{database}] data: {_size(url)}", flush=True)
            worker = BurstWorker(url) if scenario != "flow" else None
            if worker is not None:
                _forget_portfolio(url)
            with Server(url) as server, closing(server.client()) as client:
                for page, path in _pages(scenario, url):
                    first, times, cpu, size = server.time_page(client, path, args.runs, between=worker)
                    timing = Timing(
                        scenario=scenario,
                        database=database,
                        page=page,
                        first_ms=first,
                        job_s=worker.seconds if worker else None,
                        job_cpu_s=worker.cpu_seconds if worker else None,
                        p50_ms=statistics.median(times),
                        p90_ms=statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0],
                        cpu_ms=cpu,
                        kib=size / 1024,
                        runs=len(times),
                        load=os.getloadavg()[0],
                    )
                    results.append(timing)
                    if worker is not None:
                        print(f"[{scenario}/{database}] job: {worker.seconds:.1f} s, {worker.cpu_seconds:.1f} s CPU", flush=True)
                    print(
                        f"[{scenario}/{database}] {page}: first {first:.0f} ms, p50 {timing.p50_ms:.0f} ms, "
                        f"p90 {timing.p90_ms:.0f} ms, server CPU {cpu:.0f} ms/request, {timing.kib:.0f} KiB, "
                        f"load {timing.load:.1f}",
                        flush=True,
                    )
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenarios", default="flow,cockpit6,cockpit200", help="comma list (default: all three)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma list (default sqlite,postgresql)")
    parser.add_argument("--runs", type=int, default=11, help="timed requests per page after two warm-ups (default 11)")
    parser.add_argument("--team-items", type=int, default=5_000, help="items of the flow scenario's team (default 5000)")
    parser.add_argument("--org-items", type=int, default=200_000, help="items of the 200-team organisation (default 200000)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="admin URL to create the databases")
    parser.add_argument("--workdir", help="directory for the SQLite files (default: a folder in the temporary directory)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the databases even when they exist")
    args = parser.parse_args(argv)
    results = run(args)
    load = os.getloadavg()
    print(f"\nload average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print("| scenario | database | page | first ms | job s (CPU s) | p50 ms | p90 ms | server CPU ms | KiB | runs | load |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        job = "" if r.job_s is None else f"{r.job_s:.1f} ({r.job_cpu_s or 0:.1f})"
        print(
            f"| {r.scenario} | {r.database} | {r.page} | {r.first_ms:.0f} | {job} | {r.p50_ms:.0f} | {r.p90_ms:.0f} | "
            f"{r.cpu_ms:.0f} | {r.kib:.0f} | {r.runs} | {r.load:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
