"""Benchmark the Jira Cloud sync against the fake Jira: issues per second, requests, time waiting on the server.

Requirement (issue 5, "Performance"): a full sync of 20,000 Jira issues (about 12 status changes each)
from the fake server reports issues per second and requests made; an incremental sync after 1% of
the issues changed makes at most 5% of the requests of the full sync; parsing and storing must not be
the bottleneck, so the share of time spent waiting on the server is reported.

What it does:

1. starts the fake Jira Cloud (``tests.connectors.fake_jira.FakeJira`` over
   ``synthetic_issues(--issues, --seed)``, search pages of 100 issues) in its own process
   (``--serve``), so that neither its CPU time nor its memory (every issue cached as JSON) is
   counted against the sync; it answers a few extra ``/__bench/...`` paths (stats, change, reset)
   that the benchmark uses and that are not counted as requests;
2. for each database (SQLite file in a temp dir; PostgreSQL: a throwaway database
   ``deliveryops_sync_bench_<pid>``, dropped WITH (FORCE) at the end, whose ``public`` schema is
   recreated for every run), runs, in a fresh child process per run (``--worker``): migrations, a
   team and a ``jira-cloud`` connection, then a **full** sync (``run_sync(full=True)``), then changes
   ``--changed`` (default 1%) of the issues on the fake (each gets one more status move: forward
   from 开发中 to 测试中, otherwise back to 开发中, i.e. reopened, with ``updated`` = now), then an
   **incremental** sync (``run_sync()``, from the connection's watermark);
3. repeats that ``--runs`` times (default 3; the fake is reset to the original issues before each
   run) and prints the medians as Markdown; runs after the first are skipped when the first full
   sync took longer than ``--budget-seconds``.

What is measured, per sync:

- seconds: wall time of ``run_sync`` (connector, mapping, hashing, database writes and commits);
- requests: counted by the fake server (the requirement's figure), and as the engine records them
  on the ``SyncRun`` (``requests``);
- waiting on the server: the client-side time from sending each request until its whole body has
  been received, measured by an httpx transport wrapped around ``httpx.HTTPTransport`` and passed
  to ``run_sync(transport=...)``; the fake's own handler time (routing, JQL, assembling the page
  from cached JSON) is shown too; the rest of the wait is Python's ``http.server`` (one thread and
  one TCP connection per request: it answers HTTP/1.0) and the loopback network;
- database: time inside the DB-API (``cursor.execute``/``executemany`` and ``commit``), measured
  with SQLAlchemy's cursor events and a wrapped ``dialect.do_commit``; everything else is client
  Python (JSON decoding, mapping, hashing, SQLAlchemy statement building);
- peak RSS: the worker's ``VmHWM`` (reset to the current RSS once migrations and setup are done,
  as in ``import_bench.py``), during the full sync and during the incremental one.

``--profile`` runs one cProfile'd full SQLite sync instead and prints the top functions by
cumulative and by own time (main thread: the sync; the fake runs in another process).

Usage (from the repository root)::

    .venv/bin/python benchmarks/sync_bench.py                         # 20,000 issues, SQLite and PostgreSQL, 3 runs
    .venv/bin/python benchmarks/sync_bench.py --issues 2000 --runs 1 --databases sqlite
    .venv/bin/python benchmarks/sync_bench.py --profile               # cProfile of one full SQLite sync
    .venv/bin/python benchmarks/sync_bench.py --key-page-size 5000    # key listing pages as large as Jira Cloud's
    .venv/bin/python benchmarks/sync_bench.py --server-latency-ms 300 # each answer 300 ms late, like a remote Jira

PostgreSQL: ``--postgres-url`` (default ``$DELIVERYOPS_BENCH_POSTGRES_URL`` or
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) is only used to create and drop the
throwaway database.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import importlib.util
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from _measure import ThrowawayPostgres, profile_text, reset_peak, status_mb  # benchmarks/_measure.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.connectors.fake_jira

TARGET_REQUEST_RATIO = 0.05
APP_KEY = "sync-bench-app-key-" + "x" * 32
TEAM_NAME = "Sync bench"
TEAM_TIME_ZONE = "Europe/Berlin"
DEFAULT_POSTGRES_URL = os.environ.get("DELIVERYOPS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CONTROL = "/__bench"
IN_PROGRESS, TESTING = "10074", "10084"  # recorded status ids: 开发中, 测试中


# --------------------------------------------------------------------------------------------------
# The fake Jira, in its own process
# --------------------------------------------------------------------------------------------------


def serve(spec: dict[str, Any]) -> int:
    """Run the fake Jira until stdin closes; print its URL (JSON) on stdout first."""
    from tests.connectors.fake_jira import FakeJira, jira_time, parse_jira_time, status, synthetic_issues  # noqa: PLC0415
    from tests.connectors.fakeserver import Reply, Request  # noqa: PLC0415

    class BenchJira(FakeJira):
        """FakeJira that counts and times the requests it answers, and can change and reset its issues."""

        def __init__(self, issues: list[Any], *, key_page_size: int | None, latency: float, **kwargs: Any) -> None:
            super().__init__(issues, **kwargs)
            self.original = dict(self.issues)
            self.key_page_size = key_page_size
            self.latency = latency
            self.served: dict[str, int] = {}
            self.handler_seconds = 0.0
            self.pristine = True
            self.expected_transitions = _transitions(self.issues.values())

        def handle(self, request: Request) -> Reply:
            if request.path.startswith(CONTROL):
                return self._control(request)
            started = time.perf_counter()
            if self.latency:
                time.sleep(self.latency)  # a remote Jira's think time (--server-latency-ms)
            kind = _request_kind(request)
            page_size = self.page_size
            if kind == "search (keys)" and self.key_page_size:
                self.page_size = self.key_page_size
            try:
                reply = super().handle(request)
            finally:
                self.page_size = page_size
            self.handler_seconds += time.perf_counter() - started
            self.served[kind] = self.served.get(kind, 0) + 1
            return reply

        def _control(self, request: Request) -> Reply:
            with self._lock:
                action = request.path.removeprefix(CONTROL + "/")
                if action == "change":
                    return Reply(self.change(float(request.param("fraction") or 0.01), int(request.param("seed") or 0)))
                if action == "reset":
                    self.reset()
                return Reply(self.stats())

        def stats(self) -> dict[str, Any]:
            return {
                "served": dict(self.served),
                "handler_seconds": self.handler_seconds,
                "issues": len(self.issues),
                "transitions": self.expected_transitions,
                "rss_mb": status_mb("VmRSS"),
                "pristine": self.pristine,
            }

        def reset(self) -> None:
            if not self.pristine:
                self.issues = dict(self.original)
                self._changed()
                self.precompute()
                self.expected_transitions = _transitions(self.issues.values())
                self.pristine = True

        def change(self, fraction: float, seed: int) -> dict[str, Any]:
            """Give ``fraction`` of the issues one more status move, updated now (after every other update)."""
            rng = random.Random(seed)
            count = max(1, round(len(self.issues) * fraction))
            keys = rng.sample(sorted(self.issues, key=lambda key: self.issues[key].sort_key()), count)
            latest = max(parse_jira_time(issue.fields["updated"]) for issue in self.issues.values())
            base = max(datetime.now(UTC), latest) + timedelta(minutes=1)
            for index, key in enumerate(sorted(keys)):
                issue = copy.deepcopy(self.issues[key])
                current = str(issue.fields["status"]["id"])
                target = TESTING if current == IN_PROGRESS else IN_PROGRESS  # forward, or reopened
                at = jira_time(base + timedelta(seconds=index))
                number = int(key.rsplit("-", 1)[1])
                item = {
                    "field": "status",
                    "fieldtype": "jira",
                    "fieldId": "status",
                    "from": current,
                    "fromString": issue.fields["status"]["name"],
                    "to": target,
                    "toString": status(target)["name"],
                }
                author = issue.histories[-1]["author"] if issue.histories else {"displayName": "Bench"}
                issue.histories.append(
                    {"id": str(number * 1000 + len(issue.histories)), "author": author, "created": at, "items": [item]}
                )
                issue.fields.update(status=status(target), updated=at, resolution=None, resolutiondate=None)
                self.issues[key] = issue
            self._changed()
            self.precompute()
            self.expected_transitions = _transitions(self.issues.values())
            self.pristine = False
            return {"changed": count, "keys": sorted(keys)}

    started = time.perf_counter()
    jira = BenchJira(
        synthetic_issues(spec["issues"], spec["seed"]),
        page_size=100,
        key_page_size=spec["key_page_size"],
        latency=spec["latency_ms"] / 1000,
    )
    built = time.perf_counter() - started
    with jira.serve() as server:
        started = time.perf_counter()
        jira.precompute()
        print(
            json.dumps({"url": server.url, "build_s": built, "precompute_s": time.perf_counter() - started, "pid": os.getpid()}),
            flush=True,
        )
        sys.stdin.read()  # until the parent closes it
    return 0


def _transitions(issues: Any) -> int:
    """Status transitions the connector maps: the creation status, then one per status change."""
    return sum(
        1 + sum(1 for history in issue.histories for item in history["items"] if item["field"] == "status") for issue in issues
    )


def _request_kind(request: Any) -> str:
    path = request.path
    if path.endswith("/search/jql") or path.endswith("/search"):
        return "search (keys)" if request.param("fields") == "key" else "search (issues)"
    if path.endswith("/changelog"):
        return "changelog"
    return "setup (" + path.rsplit("/", 1)[-1] + ")"


class FakeJiraProcess:
    """The fake Jira in a child process; ``control`` talks to its ``/__bench`` paths."""

    def __init__(self, issues: int, seed: int, key_page_size: int | None, latency_ms: float) -> None:
        spec = {"issues": issues, "seed": seed, "key_page_size": key_page_size, "latency_ms": latency_ms}
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the fake Jira did not start (exit code {self.process.wait()})")
        self.info: dict[str, Any] = json.loads(line)
        self.url: str = self.info["url"]

    def control(self, action: str, **params: Any) -> dict[str, Any]:
        return control(self.url, action, **params)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def control(url: str, action: str, **params: Any) -> dict[str, Any]:
    """Ask the fake Jira for its stats, to change issues, or to reset them."""
    response = httpx.get(f"{url}{CONTROL}/{action}", params=params, timeout=600)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


# --------------------------------------------------------------------------------------------------
# Instruments
# --------------------------------------------------------------------------------------------------


class TimedTransport(httpx.BaseTransport):
    """``httpx.HTTPTransport`` that times each request until its whole body has arrived (= waiting on the server)."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.seconds = 0.0
        self.requests = 0
        self.errors = 0
        self.bytes = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = self._inner.handle_request(request)
        body = response.read()  # the body is part of the wait; httpx then reuses it
        self.seconds += time.perf_counter() - started
        self.requests += 1
        self.bytes += len(body)
        self.errors += response.status_code >= 400
        return response

    def close(self) -> None:
        self._inner.close()


class DbTimer:
    """Time spent inside the DB-API: statement execution (cursor events) and commits."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event  # noqa: PLC0415

        self.seconds = 0.0
        self.statements = 0
        self.commits = 0
        self.by_statement: dict[str, list[float]] = {}  # statement's start → [seconds, executions]
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        dialect = engine.dialect
        commit = dialect.do_commit

        def do_commit(dbapi_connection: Any) -> None:
            started = time.perf_counter()
            try:
                commit(dbapi_connection)
            finally:
                elapsed = time.perf_counter() - started
                self.seconds += elapsed
                self.commits += 1
                self._count("COMMIT", elapsed)

        dialect.do_commit = do_commit

    def _before(self, conn: Any, _cursor: Any, _statement: Any, _parameters: Any, _context: Any, _many: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, _many: Any) -> None:
        elapsed = time.perf_counter() - conn.info["bench_started"].pop()
        self.seconds += elapsed
        self.statements += 1
        self._count(" ".join(statement.split())[:70], elapsed)

    def _count(self, key: str, elapsed: float) -> None:
        entry = self.by_statement.setdefault(key, [0.0, 0])
        entry[0] += elapsed
        entry[1] += 1

    def top(self, since: dict[str, list[float]], n: int = 6) -> list[tuple[str, float, int]]:
        """The statements that took the most time since the snapshot ``since``."""
        deltas = [
            (key, seconds - since.get(key, [0.0, 0])[0], int(count - since.get(key, [0.0, 0])[1]))
            for key, (seconds, count) in self.by_statement.items()
        ]
        return sorted((d for d in deltas if d[2]), key=lambda d: -d[1])[:n]

    def snapshot(self) -> dict[str, list[float]]:
        return {key: list(value) for key, value in self.by_statement.items()}


# --------------------------------------------------------------------------------------------------
# One run (full sync, change, incremental sync), in a child process
# --------------------------------------------------------------------------------------------------


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Set up a fresh database, then time a full sync, change issues on the fake, and time an incremental sync."""
    from sqlalchemy import func, select, text  # noqa: PLC0415 - the workers only

    from deliveryops.connectors.hosts import HostPolicy  # noqa: PLC0415
    from deliveryops.db import make_engine, make_session_factory, unit_of_work  # noqa: PLC0415
    from deliveryops.migrate import upgrade  # noqa: PLC0415
    from deliveryops.sync import service  # noqa: PLC0415
    from deliveryops.sync.engine import run_sync  # noqa: PLC0415
    from deliveryops.sync.models import SyncRun  # noqa: PLC0415
    from deliveryops.teams.service import create_team  # noqa: PLC0415
    from deliveryops.work.models import StatusTransition, WorkItem  # noqa: PLC0415
    from tests.connectors.fake_jira import EMAIL, TOKEN  # noqa: PLC0415

    LOOPBACK_FAKE = HostPolicy(allow_http_loopback=True)  # noqa: N806 (the fake Jira serves plain http on 127.0.0.1)
    load = os.getloadavg()
    engine = make_engine(spec["db_url"])
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        team = create_team(session=session, actor=None, name=TEAM_NAME, time_zone=TEAM_TIME_ZONE)
        connection_id = service.create(
            session=session,
            actor=None,
            name="Jira OPS",
            kind="jira-cloud",
            team_id=team.id,
            settings={"base_url": spec["jira_url"], "email": EMAIL, "projects": ["OPS"]},
            secret=TOKEN,
            app_key=APP_KEY,
            hosts=LOOPBACK_FAKE,
        ).id
        team_id = team.id
    db = DbTimer(engine)
    baseline = status_mb("VmRSS")

    def one_sync(kind: str, *, full: bool, profile: cProfile.Profile | None = None) -> dict[str, Any]:
        transport = TimedTransport()
        before = control(spec["jira_url"], "stats")
        db_seconds, statements, commits, by_statement = db.seconds, db.statements, db.commits, db.snapshot()
        peak_reset = reset_peak()
        started, cpu_started = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        run_id = run_sync(factory, connection_id, app_key=APP_KEY, full=full, transport=transport, hosts=LOOPBACK_FAKE)
        if profile:
            profile.disable()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        peak = status_mb("VmHWM")
        after = control(spec["jira_url"], "stats")
        served = {name: after["served"].get(name, 0) - before["served"].get(name, 0) for name in after["served"]}
        with unit_of_work(factory) as session:
            run = session.get(SyncRun, run_id)
            assert run is not None
            recorded = {
                name: getattr(run, name)
                for name in ("status", "fetched", "created", "updated", "unchanged", "deleted", "requests", "server_seconds")
            }
            stored_items = session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.team_id == team_id))
            stored_transitions = session.scalar(
                select(func.count()).select_from(StatusTransition).join(WorkItem).where(WorkItem.team_id == team_id)
            )
        return {
            "kind": kind,
            "seconds": seconds,
            "cpu_seconds": cpu,
            "requests": sum(served.values()),
            "served": {name: n for name, n in served.items() if n},
            "client_requests": transport.requests,
            "http_errors": transport.errors,
            "megabytes": transport.bytes / 2**20,
            "wait_seconds": transport.seconds,
            "handler_seconds": after["handler_seconds"] - before["handler_seconds"],
            "db_seconds": db.seconds - db_seconds,
            "statements": db.statements - statements,
            "commits": db.commits - commits,
            "top_statements": db.top(by_statement),
            "run": recorded,
            "stored_items": stored_items,
            "stored_transitions": stored_transitions,
            "expected_items": after["issues"],
            "expected_transitions": after["transitions"],
            "peak_mb": peak,
            "peak_was_reset": peak_reset,
            "server_rss_mb": after["rss_mb"],
        }

    profile = cProfile.Profile() if spec["profile"] else None
    full = one_sync("full", full=True, profile=profile)
    result: dict[str, Any] = {
        "database": engine.dialect.name,
        "load1": load[0],
        "baseline_mb": baseline,
        "full": full,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if profile:
        result["profile"] = profile_text(profile, spec["profile"])
    else:
        result["changed"] = control(spec["jira_url"], "change", fraction=spec["fraction"], seed=spec["change_seed"])
        result["incremental"] = one_sync("incremental", full=False)
    engine.dispose()
    return result


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :func:`measure` in a fresh interpreter and return its result."""
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)], capture_output=True, text=True, check=False, cwd=ROOT
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise RuntimeError(f"worker failed ({completed.returncode}) for {spec}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _check(result: dict[str, Any]) -> None:
    """Fail loudly when a sync did not store what the fake holds, or did not read what changed."""
    problems = []
    for phase in ("full", "incremental"):
        sync = result.get(phase)
        if sync is None:
            continue
        if sync["run"]["status"] != "succeeded" or sync["http_errors"]:
            problems.append(f"{phase}: status {sync['run']['status']}, {sync['http_errors']} HTTP errors")
        if (sync["stored_items"], sync["stored_transitions"]) != (sync["expected_items"], sync["expected_transitions"]):
            problems.append(
                f"{phase}: stored {sync['stored_items']} items / {sync['stored_transitions']} transitions, "
                f"the fake has {sync['expected_items']} / {sync['expected_transitions']}"
            )
        if sync["client_requests"] != sync["requests"]:
            problems.append(f"{phase}: the client sent {sync['client_requests']} requests, the fake counted {sync['requests']}")
    full = result["full"]
    if full["run"]["fetched"] != full["expected_items"] or full["run"]["created"] != full["expected_items"]:
        problems.append(f"full: fetched {full['run']['fetched']}, created {full['run']['created']}")
    if "incremental" in result and result["incremental"]["run"]["updated"] != result["changed"]["changed"]:
        problems.append(
            f"incremental: updated {result['incremental']['run']['updated']} items, {result['changed']['changed']} changed"
        )
    if problems:
        raise RuntimeError("unexpected sync result: " + "; ".join(problems))


# --------------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def _summarise(database: str, phase: str, results: list[dict[str, Any]], note: str) -> dict[str, Any]:
    syncs = [result[phase] for result in results]
    row: dict[str, Any] = {"database": database, "phase": phase, "runs": len(syncs), "note": note}
    for name in (
        "seconds",
        "cpu_seconds",
        "requests",
        "wait_seconds",
        "handler_seconds",
        "db_seconds",
        "peak_mb",
        "megabytes",
        "statements",
        "commits",
    ):
        row[name] = _median([sync[name] for sync in syncs])
    row["fetched"] = _median([sync["run"]["fetched"] for sync in syncs])
    row["recorded_requests"] = _median([sync["run"]["requests"] for sync in syncs])
    row["recorded_server_seconds"] = _median([sync["run"]["server_seconds"] for sync in syncs])
    row["updated"] = _median([sync["run"]["updated"] for sync in syncs])
    row["min_s"], row["max_s"] = min(s["seconds"] for s in syncs), max(s["seconds"] for s in syncs)
    row["rate"] = _median([sync["run"]["fetched"] / sync["seconds"] for sync in syncs])
    row["wait_share"] = _median([sync["wait_seconds"] / sync["seconds"] for sync in syncs])
    row["handler_share"] = _median([sync["handler_seconds"] / sync["seconds"] for sync in syncs])
    row["db_share"] = _median([sync["db_seconds"] / sync["seconds"] for sync in syncs])
    row["growth_mb"] = _median([sync["peak_mb"] - result["baseline_mb"] for sync, result in zip(syncs, results, strict=True)])
    row["baseline_mb"] = _median([result["baseline_mb"] for result in results])
    row["load1"] = _median([result["load1"] for result in results])
    row["served"] = syncs[0]["served"]
    row["top_statements"] = syncs[0]["top_statements"]
    row["server_rss_mb"] = max(sync["server_rss_mb"] for sync in syncs)
    return row


def print_tables(rows: list[dict[str, Any]], ratios: list[dict[str, Any]]) -> None:
    """Print the sync table, the request ratio table and the request breakdown (Markdown)."""
    print()
    print("### Syncs (median of the runs)")
    print()
    print(
        "waiting on server = client-side time from sending each request to having its whole body; fake handler = "
        "the fake's own code (part of that wait); DB = inside the DB-API (execute + commit); "
        "other = the rest of the wall time (client Python: JSON decoding, mapping, hashing, SQLAlchemy)."
    )
    print()
    print(
        "| database | sync | runs | issues fetched | requests | seconds (min–max) | issues/s | waiting on server "
        "| fake handler | DB | other | client CPU s | peak RSS MB (growth) | load1 |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        other = 1 - row["wait_share"] - row["db_share"]
        print(
            f"| {row['database']} | {row['phase']} | {row['runs']}{row['note']} | {row['fetched']:,.0f} "
            f"| {row['requests']:,.0f} | {row['seconds']:.2f} ({row['min_s']:.2f}–{row['max_s']:.2f}) "
            f"| {row['rate']:,.0f} | {row['wait_share']:.0%} | {row['handler_share']:.0%} | {row['db_share']:.0%} "
            f"| {other:.0%} | {row['cpu_seconds']:.2f} | {row['peak_mb']:.0f} ({row['growth_mb']:+.0f}) "
            f"| {row['load1']:.2f} |"
        )
    print()
    print("### Incremental sync after the change vs full sync: requests (target: at most 5%)")
    print()
    print("| database | changed issues | full requests | incremental requests | ratio | target | verdict |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for ratio in ratios:
        verdict = "PASS" if ratio["ratio"] <= TARGET_REQUEST_RATIO else "FAIL"
        how_far = (
            f"{TARGET_REQUEST_RATIO / ratio['ratio']:.1f}× under the limit"
            if verdict == "PASS" and ratio["ratio"]
            else f"{ratio['ratio'] / TARGET_REQUEST_RATIO:.1f}× the limit"
        )
        print(
            f"| {ratio['database']} | {ratio['changed']:,} | {ratio['full']:,.0f} | {ratio['incremental']:,.0f} "
            f"| {ratio['ratio']:.2%} | ≤ {TARGET_REQUEST_RATIO:.0%} | {verdict} ({how_far}) |"
        )
    print()
    print("### Requests by kind (counted by the fake), and what the engine recorded on the sync run")
    print()
    print(
        "| database | sync | requests by kind | SyncRun.requests | SyncRun.server_seconds | measured wait s "
        "| MB received | SQL statements | commits |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        kinds = ", ".join(f"{name}: {count}" for name, count in sorted(row["served"].items()))
        print(
            f"| {row['database']} | {row['phase']} | {kinds} | {row['recorded_requests']:,.0f} "
            f"| {row['recorded_server_seconds']:.2f} | {row['wait_seconds']:.2f} | {row['megabytes']:.1f} "
            f"| {row['statements']:,.0f} | {row['commits']:,.0f} |"
        )
    print()
    print("### Where the database time goes (first run; statements grouped by their first 70 characters)")
    print()
    print("| database | sync | statement | executions | seconds |")
    print("|---|---|---|---:|---:|")
    for row in rows:
        for statement, seconds, count in row["top_statements"]:
            print(f"| {row['database']} | {row['phase']} | `{statement}` | {count:,} | {seconds:.2f} |")


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def _names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    for name in names:
        if name not in ("sqlite", "postgresql"):
            raise SystemExit(f"unknown database {name!r}: expected sqlite and/or postgresql")
    return names


def _versions(postgres_version: str) -> str:
    import sqlalchemy  # noqa: PLC0415

    parts = [
        f"Python {platform.python_version()}",
        f"SQLAlchemy {sqlalchemy.__version__}",
        f"httpx {httpx.__version__}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    if postgres_version:
        import psycopg  # noqa: PLC0415

        parts += [f"psycopg {psycopg.__version__}", f"PostgreSQL {postgres_version}"]
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--issues", type=int, default=20_000, help="issues on the fake Jira (default 20000)")
    parser.add_argument("--changed", type=float, default=0.01, help="share of issues changed before the incremental sync")
    parser.add_argument("--runs", type=int, default=3, help="runs per database; the median is reported (default 3)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma list (default sqlite,postgresql)")
    parser.add_argument(
        "--budget-seconds",
        type=float,
        default=120.0,
        help="skip further runs of a database whose first full sync took longer (default 120)",
    )
    parser.add_argument("--seed", type=int, default=20_000, help="synthetic_issues seed (default 20000)")
    parser.add_argument(
        "--key-page-size",
        type=int,
        default=None,
        help="let the fake answer key-only searches with pages this large (Jira Cloud: up to 5000); "
        "default: the fake's 100, like every other search",
    )
    parser.add_argument(
        "--server-latency-ms",
        type=float,
        default=0.0,
        help="make the fake wait this long before answering each request, like a remote Jira (default 0)",
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="admin URL to create the throwaway database")
    parser.add_argument("--workdir", help="directory for the SQLite files (default: a temporary directory)")
    parser.add_argument("--profile", action="store_true", help="cProfile one full SQLite sync instead")
    parser.add_argument("--top", type=int, default=15, help="functions listed per profile (default 15)")
    parser.add_argument("--json", help="also write every run's raw figures to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(json.loads(args.serve))
    if args.worker:
        print(json.dumps(measure(json.loads(args.worker))))
        return 0

    databases = ["sqlite"] if args.profile else _names(args.databases)
    with tempfile.TemporaryDirectory(prefix="sync_bench_", dir=args.workdir) as tmp:
        postgres = ThrowawayPostgres(args.postgres_url, prefix="deliveryops_sync_bench") if "postgresql" in databases else None
        if postgres:
            postgres.__enter__()
        try:
            return _run(args, databases, Path(tmp), postgres)
        finally:
            if postgres:
                postgres.__exit__(None, None, None)


def _run(args: argparse.Namespace, databases: list[str], workdir: Path, postgres: ThrowawayPostgres | None) -> int:
    started_load = os.getloadavg()
    print("# Jira sync benchmark")
    print()
    print(
        f"- machine: {os.cpu_count()} CPUs, {platform.machine()}, load average at start "
        f"{started_load[0]:.2f} / {started_load[1]:.2f} / {started_load[2]:.2f} (1 / 5 / 15 min)"
    )
    print(f"- {_versions(postgres.version if postgres else '')}")
    spec = importlib.util.find_spec("deliveryops")
    print(f"- deliveryops imported from {Path(spec.origin).parent if spec and spec.origin else '?'}")
    print(f"- command: {Path(sys.executable).name} benchmarks/sync_bench.py {' '.join(sys.argv[1:])}", flush=True)
    fake = FakeJiraProcess(args.issues, args.seed, args.key_page_size, args.server_latency_ms)
    try:
        info = fake.control("stats")
        print(
            f"- fake Jira Cloud (own process, pid {fake.info['pid']}): synthetic_issues({args.issues:,}, seed={args.seed}), "
            f"{info['transitions']:,} status transitions ({info['transitions'] / args.issues:.1f} per issue, the creation "
            f"status included), search pages of 100 issues, key-only pages of {args.key_page_size or 100}; built in "
            f"{fake.info['build_s']:.1f} s, serialised in {fake.info['precompute_s']:.1f} s; RSS {info['rss_mb']:.0f} MB; "
            f"added latency per request: {args.server_latency_ms:g} ms"
        )
        print(
            f"- runs per database: {1 if args.profile else args.runs} (budget {args.budget_seconds:.0f} s per full "
            f"sync); incremental sync after changing {args.changed:.1%} of the issues",
            flush=True,
        )
        rows, ratios, raw = _measure_all(args, databases, workdir, postgres, fake)
    finally:
        fake.close()
    if not args.profile:
        print_tables(rows, ratios)
        print()
        print(
            f"Checked after every run: each sync succeeded without HTTP errors; the database holds exactly the fake's "
            f"{args.issues:,} issues and their status transitions; the incremental sync updated exactly the changed "
            f"issues; the client sent as many requests as the fake counted."
        )
    ended_load = os.getloadavg()
    print()
    print(
        f"Load average at the end: {ended_load[0]:.2f} / {ended_load[1]:.2f} / {ended_load[2]:.2f} "
        f"(load1 in the table: at the start of each worker)."
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "ratios": ratios, "runs": raw}, indent=1), encoding="utf-8")
    return 0


def _measure_all(
    args: argparse.Namespace,
    databases: list[str],
    workdir: Path,
    postgres: ThrowawayPostgres | None,
    fake: FakeJiraProcess,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    ratios: list[dict[str, Any]] = []
    raw: list[dict[str, Any]] = []
    for database in databases:
        results: list[dict[str, Any]] = []
        note = ""
        for run in range(1 if args.profile else args.runs):
            fake.control("reset")
            if database == "sqlite":
                db_path = workdir / f"sync-{run}.db"
                url = f"sqlite:///{db_path}"
            else:
                assert postgres is not None
                url = postgres.url
            spec = {
                "db_url": url,
                "jira_url": fake.url,
                "fraction": args.changed,
                "change_seed": run,
                "profile": args.top if args.profile else 0,
            }
            result = run_worker(spec)
            _check(result)
            results.append(result)
            raw.append({"database": database, "run": run, **result})
            if database == "sqlite":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db_path}{suffix}").unlink(missing_ok=True)
            full = result["full"]
            line = (
                f"  {database} run {run + 1}: full {full['run']['fetched']:,} issues in {full['seconds']:.2f} s "
                f"({full['run']['fetched'] / full['seconds']:,.0f}/s), {full['requests']} requests, "
                f"waiting {full['wait_seconds'] / full['seconds']:.0%}, peak {full['peak_mb']:.0f} MB"
            )
            if "incremental" in result:
                inc = result["incremental"]
                line += (
                    f"; incremental {inc['run']['fetched']} issues ({inc['run']['updated']} updated) in "
                    f"{inc['seconds']:.2f} s, {inc['requests']} requests"
                )
            print(line, flush=True)
            if args.profile:
                print()
                print(
                    f"## Profile: full sync of {full['run']['fetched']:,} issues into SQLite "
                    f"({full['seconds']:.2f} s under cProfile; main thread only, the fake runs in another process)"
                )
                print()
                print("```text")
                print(result["profile"].strip())
                print("```", flush=True)
                continue
            if run == 0 and args.runs > 1 and full["seconds"] > args.budget_seconds:
                note = f" (1st full sync {full['seconds']:.0f} s > {args.budget_seconds:.0f} s budget: runs cut)"
                break
        if args.profile:
            continue
        rows += [_summarise(database, "full", results, note), _summarise(database, "incremental", results, note)]
        full_requests = _median([result["full"]["requests"] for result in results])
        incremental_requests = _median([result["incremental"]["requests"] for result in results])
        ratios.append(
            {
                "database": database,
                "changed": results[0]["changed"]["changed"],
                "full": full_requests,
                "incremental": incremental_requests,
                "ratio": _median([r["incremental"]["requests"] / r["full"]["requests"] for r in results]),
            }
        )
    return rows, ratios, raw


if __name__ == "__main__":
    raise SystemExit(main())
