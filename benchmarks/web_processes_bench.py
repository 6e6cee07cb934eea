"""Requests per second with 1 and 2 web processes under 20 concurrent clients, on SQLite and PostgreSQL.

Requirement (issue 18): with 2 web processes on 2 cores, requests per second at least 1.7× one process under
20 clients, 0 errors, on SQLite and on PostgreSQL.

What it does:

1. builds the demo organisation (``deliveryops demo --no-serve``, seed 7: six teams, 18 months of history) in a
   SQLite file and in a throwaway PostgreSQL database (``deliveryops_web_bench_<pid>``, dropped at the end), and
   adds one admin account to sign in with;
2. for each database and each process count (``--processes``, default 1 and 2): starts
   ``deliveryops serve --workers N`` as a real server (``DELIVERYOPS_SCHEDULER=false``: web processes only, no
   background jobs), waits for ``/healthz``, signs ``--clients`` clients in through the login form (one session
   each), lets them run for ``--warmup`` seconds, then counts for ``--seconds`` seconds;
3. each client loops over a fixed mix of what a delivery manager opens (home, a team page, the team's flow page,
   its impediments, its items through the API), the team changing with each round; a request counts when it
   completed inside the window; an error is any answer other than 200 or a failed request;
4. prints a Markdown table: requests per second, p50 and p95 latency, errors, the ratio to one process, the
   server processes' CPU time per answered request and the cores they used on average (CPU seconds over wall
   seconds, warm-up included), and the 1-minute load average before and after the run.

The clients are one asyncio loop (httpx) in this process, which runs on the same machine: its CPU time is
printed, since it competes with the servers for the same cores. Run on a quiet machine for numbers that mean
something: ``python benchmarks/web_processes_bench.py [--databases sqlite postgresql] [--seconds 60]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

CLI = str(Path(sys.executable).parent / "deliveryops")
POSTGRES_ADMIN_URL = os.environ.get("DELIVERYOPS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
EMAIL, PASSWORD = "bench.admin@example.com", "bench-password-123"
SECRET = "web-bench-" * 5


@dataclass
class Result:
    database: str
    processes: int
    seconds: float
    polars_threads: str = "auto"  # POLARS_MAX_THREADS given to the server; "auto": left to `serve`
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    client_cpu: float = 0.0
    answered: int = 0  # every answer, warm-up included (the server CPU time covers the warm-up too)
    server_cpu: float = 0.0  # CPU seconds of every server process, warm-up included
    wall: float = 0.0  # seconds the clients ran, warm-up included
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after the run

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(url: str) -> list[tuple[int, str]]:
    """Build the demo organisation at ``url``, add the benchmark's admin; return the teams (id, slug)."""
    subprocess.run([CLI, "demo", "--no-serve", "--database", url], check=True, stdout=subprocess.DEVNULL)
    from deliveryops.accounts import service as accounts  # noqa: PLC0415
    from deliveryops.accounts.models import Role  # noqa: PLC0415
    from deliveryops.db import make_engine, make_session_factory, unit_of_work  # noqa: PLC0415
    from deliveryops.teams.models import Team  # noqa: PLC0415

    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        accounts.create(session=session, actor=None, email=EMAIL, name="Bench Admin", role=Role.ADMIN, password=PASSWORD)
        teams = [(team.id, team.slug) for team in session.scalars(select(Team).order_by(Team.id))]
    engine.dispose()
    return teams


async def sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    response = await client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"})
    assert response.status_code == 303, response.text[:300]


async def drive(base: str, teams: list[tuple[int, str]], clients: int, warmup: float, seconds: float, result: Result) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    sessions = [httpx.AsyncClient(base_url=base, timeout=120, limits=limits) for _ in range(clients)]
    try:
        for client in sessions:  # one after the other: sign-in is throttled per address only on failures
            await sign_in(client)
        start = time.monotonic()
        counting_from, until = start + warmup, start + warmup + seconds

        async def loop(index: int, client: httpx.AsyncClient) -> None:
            round_ = index
            while time.monotonic() < until:
                team_id, slug = teams[round_ % len(teams)]
                round_ += 1
                for path in (
                    "/",
                    f"/teams/{slug}",
                    f"/teams/{slug}/flow",
                    f"/teams/{slug}/impediments",
                    f"/api/v1/teams/{team_id}/items?limit=100",
                ):
                    began = time.monotonic()
                    try:
                        response = await client.get(path)
                        ok = response.status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    ended = time.monotonic()
                    result.answered += 1
                    if counting_from <= began and ended <= until:
                        if ok:
                            result.latencies.append(ended - began)
                        else:
                            result.errors += 1
                    if ended >= until:
                        return

        await asyncio.gather(*(loop(index, client) for index, client in enumerate(sessions)))
    finally:
        for client in sessions:
            await client.aclose()


def serve(url: str, processes: int, workdir: Path, polars_threads: str = "auto") -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    environment = {
        **{name: value for name, value in os.environ.items() if name != "POLARS_MAX_THREADS"},
        "DELIVERYOPS_DATABASE_URL": url,
        "DELIVERYOPS_SECRET_KEY": SECRET,
        "DELIVERYOPS_SCHEDULER": "false",
    }
    if polars_threads != "auto":  # else `serve --workers N` sets 1 per process when N > 1; one process: polars' default
        environment["POLARS_MAX_THREADS"] = polars_threads
    server = subprocess.Popen(
        [CLI, "serve", "--workers", str(processes), "--port", str(port)],
        env=environment,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the server ended: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not answer within 300 s")
        time.sleep(0.5)
    if processes > 1:
        time.sleep(20)  # every process answers /healthz only once all have started; give the last one time to import
    return server, base


def group_cpu_seconds(group: int) -> float:
    """CPU seconds (user + system) of the live processes of a process group (the server and its web processes)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)


def measure(database: str, url: str, teams: list[tuple[int, str]], args: argparse.Namespace, workdir: Path) -> list[Result]:
    results = []
    for processes, threads in [(processes, threads) for processes in args.processes for threads in args.polars_threads]:
        if processes == 1 and threads != args.polars_threads[0]:
            continue  # one process: measured once
        server, base = serve(url, processes, workdir, threads)
        try:
            result = Result(database, processes, args.seconds, threads)
            before = resource.getrusage(resource.RUSAGE_SELF)
            load_before, cpu_before, began = os.getloadavg()[0], group_cpu_seconds(server.pid), time.monotonic()
            asyncio.run(drive(base, teams, args.clients, args.warmup, args.seconds, result))
            result.server_cpu = group_cpu_seconds(server.pid) - cpu_before
            result.wall = time.monotonic() - began
            result.load = (load_before, os.getloadavg()[0])
            after = resource.getrusage(resource.RUSAGE_SELF)
            result.client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            results.append(result)
            print(
                f"{database}, {processes} process(es), POLARS_MAX_THREADS {threads}: {result.rps:.2f} req/s, "
                f"p50 {result.percentile(0.5):.0f} ms, "
                f"p95 {result.percentile(0.95):.0f} ms, {result.errors} errors, server CPU "
                f"{result.server_cpu * 1000 / max(result.answered, 1):.0f} ms/request, {result.server_cpu / result.wall:.2f} "
                f"cores, load {result.load[0]:.1f} → {result.load[1]:.1f}",
                file=sys.stderr,
            )
        finally:
            stop(server)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--processes", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--polars-threads",
        nargs="+",
        default=["auto"],
        help="POLARS_MAX_THREADS of the server, each value measured in turn; auto (default): as `serve` sets it "
        "(1 per web process when there are several)",
    )
    args = parser.parse_args()
    results: list[Result] = []
    workdir = Path(tempfile.mkdtemp(prefix="deliveryops-web-bench-"))
    try:
        for database in args.databases:
            if database == "sqlite":
                url = f"sqlite:///{workdir / 'bench.db'}"
                results += measure(database, url, prepare(url), args, workdir)
                continue
            name = f"deliveryops_web_bench_{os.getpid()}"
            admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
                results += measure(database, url, prepare(url), args, workdir)
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{args.clients} clients, {args.warmup:.0f} s warm-up, {args.seconds:.0f} s counted, {os.cpu_count()} cores\n")
    print(
        "| database | web processes | POLARS_MAX_THREADS | requests/s | × one process | p50 ms | p95 ms | errors "
        "| server CPU ms/request "
        "| server cores used | load before → after | client CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for result in results:
        one = next((r for r in results if r.database == result.database and r.processes == 1), None)
        ratio = f"{result.rps / one.rps:.2f}×" if one is not None and one.rps else "—"
        print(
            f"| {result.database} | {result.processes} | {result.polars_threads} | {result.rps:.2f} | {ratio} | "
            f"{result.percentile(0.5):.0f} | "
            f"{result.percentile(0.95):.0f} | {result.errors} | {result.server_cpu * 1000 / max(result.answered, 1):.0f} | "
            f"{result.server_cpu / result.wall:.2f} | {result.load[0]:.1f} → {result.load[1]:.1f} | {result.client_cpu:.1f} |"
        )
    if results and statistics.mean(len(r.latencies) for r in results) < 100:
        print("\nFewer than 100 requests per run on average: the ratios are rough.")


if __name__ == "__main__":
    main()
