"""Concurrent writes against a real ``deliveryops serve`` process: errors, dropped connections, lost writes, latency.

N writers, each with its own API token, write for T seconds: they raise impediments and add retro cards in
turn, each write carrying a unique text. Afterwards the script reads the database directly and checks that
every write the server acknowledged (201) is stored exactly once. It reports errors (any other status), dropped
connections (no answer at all), acknowledged writes missing or duplicated, and latency percentiles.

    python benchmarks/write_load_bench.py --writers 20 --seconds 30 --databases sqlite,postgresql

The test suite runs :func:`run_load` at a small size (tests/web/test_write_load.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from deliveryops.accounts import service as accounts
from deliveryops.accounts.models import Role
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.impediments.models import Impediment
from deliveryops.migrate import upgrade
from deliveryops.retros import service as retros
from deliveryops.retros.models import Card
from deliveryops.teams import service as teams
from deliveryops.teams.models import TeamRole

POSTGRES_ADMIN_URL = os.environ.get("DELIVERYOPS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc.__class__.__name__}"
    return None


@dataclass
class LoadResult:
    """What one run measured."""

    database: str
    writers: int
    seconds: float
    attempted: int = 0
    acknowledged: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    missing: int = 0
    duplicated: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        """Answers other than 201."""
        return sum(self.errors.values())

    @property
    def dropped_count(self) -> int:
        """Requests that got no answer (connection closed, refused or timed out)."""
        return sum(self.dropped.values())

    def percentile(self, q: float) -> float:
        """Latency percentile in seconds (nearest rank), over every request that got an answer."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1]


@dataclass
class _Seed:
    tokens: list[str]
    team_id: int
    retro_id: int


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _database(kind: str) -> Iterator[str]:
    """A fresh database of ``kind`` (sqlite or postgresql), removed afterwards."""
    if kind == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="write-load-"))
        try:
            yield f"sqlite:///{directory / 'load.db'}"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    name = f"deliveryops_load_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _seed(url: str, writers: int) -> _Seed:
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        team = teams.create_team(session=session, actor=None, name="Load team", time_zone="UTC")
        people = []
        for number in range(writers):
            person = accounts.create(
                session=session, actor=None, email=f"writer{number}@example.com", name=f"Writer {number}", role=Role.MEMBER
            )
            teams.add_member(session=session, actor=None, team_id=team.id, user_id=person.id, team_role=TeamRole.MEMBER)
            people.append(person)
        session.flush()
        retro = retros.schedule(session=session, actor=people[0], team_id=team.id, title="Load retro")
        retros.advance(session=session, actor=people[0], retro_id=retro.id)  # review -> reflect
        tokens = [accounts.create_token(session=session, actor=person, name="load")[1] for person in people]
        seed = _Seed(tokens=tokens, team_id=team.id, retro_id=retro.id)
    engine.dispose()
    return seed


@contextmanager
def _server(url: str, log: Path | None = None) -> Iterator[str]:
    """``deliveryops serve`` in its own process, with the production defaults (embedded worker on)."""
    port = _free_port()
    env = {**os.environ, "DELIVERYOPS_DATABASE_URL": url, "DELIVERYOPS_SECRET_KEY": "load-" * 10}
    command = [sys.executable, "-c", "from deliveryops.cli.main import app; app()", "serve", "--port", str(port)]
    stderr = log.open("wb") if log else subprocess.PIPE
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    "deliveryops serve exited: " + (process.stderr.read().decode() if process.stderr else str(log))
                )
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("deliveryops serve did not start within 180 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
        if log:
            stderr.close()  # type: ignore[union-attr]


def _writer(
    base: str,
    token: str,
    seed: _Seed,
    number: int,
    stop_at: float,
    result: LoadResult,
    lock: threading.Lock,
    acked: dict[str, set[str]],
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    own_latencies: list[float] = []
    own_errors: Counter[str] = Counter()
    own_dropped: Counter[str] = Counter()
    own_acked: dict[str, set[str]] = {"impediment": set(), "card": set()}
    attempted = 0
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        sequence = 0
        while time.monotonic() < stop_at:
            sequence += 1
            marker = f"w{number}-{sequence}-{uuid.uuid4().hex[:8]}"
            if sequence % 2:
                kind, path, body = "impediment", f"/api/v1/teams/{seed.team_id}/impediments", {"title": f"Load {marker}"}
            else:
                kind, path, body = "card", f"/api/v1/retros/{seed.retro_id}/cards", {"column": "Start", "text": marker}
            attempted += 1
            started = time.perf_counter()
            try:
                response = client.post(path, json=body)
            except httpx.HTTPError as exc:
                own_dropped[exc.__class__.__name__] += 1
                continue
            own_latencies.append(time.perf_counter() - started)
            if response.status_code == 201:
                own_acked[kind].add(marker)
            else:
                kind_of_body = "json" if response.headers.get("content-type", "").startswith("application/json") else "other"
                own_errors[f"{response.status_code} {kind_of_body}: {response.text[:80]}"] += 1
    with lock:
        result.attempted += attempted
        result.latencies.extend(own_latencies)
        result.errors.update(own_errors)
        result.dropped.update(own_dropped)
        for kind, markers in own_acked.items():
            acked[kind] |= markers


def _check_stored(url: str, acked: dict[str, set[str]], result: LoadResult) -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        titles = Counter(t.removeprefix("Load ") for t in connection.scalars(select(Impediment.title)))
        texts = Counter(connection.scalars(select(Card.text)))
        result.missing = sum(1 for m in acked["impediment"] if titles[m] == 0) + sum(1 for m in acked["card"] if texts[m] == 0)
        result.duplicated = sum(1 for c in titles.values() if c > 1) + sum(1 for c in texts.values() if c > 1)
    engine.dispose()


def run_load(kind: str, *, writers: int, seconds: float, log: Path | None = None) -> LoadResult:
    """Seed a fresh database of ``kind``, serve it, let ``writers`` write for ``seconds``, check what was stored."""
    result = LoadResult(database=kind, writers=writers, seconds=seconds)
    with _database(kind) as url:
        seed = _seed(url, writers)
        with _server(url, log) as base:
            acked: dict[str, set[str]] = {"impediment": set(), "card": set()}
            lock = threading.Lock()
            stop_at = time.monotonic() + seconds
            threads = [
                threading.Thread(target=_writer, args=(base, seed.tokens[n], seed, n, stop_at, result, lock, acked))
                for n in range(writers)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        result.acknowledged = sum(len(m) for m in acked.values())
        _check_stored(url, acked, result)
    return result


def _print(results: list[LoadResult]) -> None:
    columns = "database writers seconds requests acknowledged errors dropped missing duplicated req/s p50_ms p95_ms p99_ms max_ms"
    print("| " + " | ".join(c.replace("_", " ") for c in columns.split()) + " |")
    print("|---" + "|---:" * (len(columns.split()) - 1) + "|")
    for r in results:
        print(
            f"| {r.database} | {r.writers} | {r.seconds:g} | {r.attempted:,} | {r.acknowledged:,} | {r.error_count} | "
            f"{r.dropped_count} | {r.missing} | {r.duplicated} | {r.attempted / r.seconds:.1f} | "
            f"{r.percentile(50) * 1000:.0f} | {r.percentile(95) * 1000:.0f} | {r.percentile(99) * 1000:.0f} | "
            f"{(max(r.latencies) if r.latencies else float('nan')) * 1000:.0f} |"
        )
    for r in results:
        for what, counter in (("error", r.errors), ("dropped", r.dropped)):
            for message, count in counter.most_common(5):
                print(f"{r.database} {what} x{count}: {message}")


def main() -> None:
    """Run the load against each database and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--server-log", type=Path, default=None, help="Write the server's log here (one file per database)")
    arguments = parser.parse_args()
    results = [
        run_load(
            kind,
            writers=arguments.writers,
            seconds=arguments.seconds,
            log=arguments.server_log.with_suffix(f".{kind}.log") if arguments.server_log else None,
        )
        for kind in arguments.databases.split(",")
    ]
    _print(results)


if __name__ == "__main__":
    main()
