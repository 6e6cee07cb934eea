"""Benchmark the full-history CSV import into SQLite and PostgreSQL: transitions per second and peak memory.

Requirement: import 100,000 items with about 1,200,000 transitions from the full-history format
(docs/import-formats.md) into SQLite and into PostgreSQL at >= 20,000 transitions per second on a
2-core machine, with memory that does not grow with the file size beyond a bounded batch.

What it does:

1. generates a seeded full-history CSV per size (``--items``; about 12 status entries per item, a
   Markov walk over Backlog, Ready, In Progress, Blocked, Review, Testing, Done, Won't Do, with
   timestamps increasing per item; the first row of an item carries its type, title, created_at,
   parent and labels, later rows only key, status and entered_at); the same seed gives the same file
   (its SHA-256 is printed);
2. for each database, runs every measurement in a fresh child process (``--worker``) on a fresh
   schema (SQLite file in a temp dir; PostgreSQL: a throwaway database ``deliveryops_bench_<pid>``,
   dropped at the end, whose ``public`` schema is recreated for every run), creates a team, then
   times separately the validation (``stream_full_history``) and the write (``import_records`` over the streamed
   items, inside one ``unit_of_work``, commit included), as ``deliveryops.work.service.import_file``
   does; peak memory is the child's peak RSS (``VmHWM``, reset once the setup is done; ``ru_maxrss``
   is printed too, see :func:`measure` for why it is not the figure to read);
3. times a re-import of the same file into the already-imported database (every item unchanged),
   by default for SQLite (``--reimport sqlite,postgresql`` for both), in another fresh process;
4. repeats each configuration ``--runs`` times (default 3) and prints the medians as Markdown;
   when the first run of a configuration takes longer than ``--budget-seconds`` (default 120) the
   remaining runs are skipped and the table says so.

``--profile`` runs one cProfile'd import per size and database instead and prints the top functions
of the parse and of the write by cumulative and by own time.

Usage::

    .venv/bin/python benchmarks/import_bench.py                                  # 100k items, both databases
    .venv/bin/python benchmarks/import_bench.py --items 10000,50000,100000 --runs 3
    .venv/bin/python benchmarks/import_bench.py --items 10000 --databases sqlite --runs 1
    .venv/bin/python benchmarks/import_bench.py --items 50000 --databases sqlite --profile

PostgreSQL: ``--postgres-url`` (default ``$DELIVERYOPS_BENCH_POSTGRES_URL`` or
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) is only used to create and drop the
throwaway database.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import hashlib
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from _measure import ThrowawayPostgres, profile_text, reset_peak, status_mb  # benchmarks/_measure.py, beside this script

TARGET_TRANSITIONS_PER_SECOND = 20_000
TEAM_NAME = "Import bench"
TIME_ZONE = "Europe/Berlin"
DEFAULT_POSTGRES_URL = os.environ.get("DELIVERYOPS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HEADER = ["key", "type", "title", "created_at", "status", "entered_at", "parent", "labels"]

# The workflow walked by the generator and, per status, where an item goes next (cumulative weights).
STATUSES = ["Backlog", "Ready", "In Progress", "Blocked", "Review", "Testing", "Done", "Won't Do"]
NEXT_STATUS: dict[str, list[tuple[str, float]]] = {
    "Backlog": [("Ready", 0.85), ("In Progress", 0.10), ("Won't Do", 0.05)],
    "Ready": [("In Progress", 0.80), ("Backlog", 0.20)],
    "In Progress": [("Review", 0.60), ("Blocked", 0.25), ("Ready", 0.15)],
    "Blocked": [("In Progress", 1.0)],
    "Review": [("Testing", 0.55), ("In Progress", 0.45)],
    "Testing": [("Done", 0.60), ("In Progress", 0.40)],
    "Done": [("In Progress", 1.0)],  # reopened
    "Won't Do": [("Backlog", 1.0)],  # revived
}
TYPES = ["Story", "Bug", "Task", "Spike"]
TYPE_WEIGHTS = [0.55, 0.25, 0.15, 0.05]
VERBS = ["Add", "Fix", "Remove", "Refactor", "Speed up", "Document", "Migrate", "Validate", "Export", "Import"]
NOUNS = [
    "login page", "throughput chart", "CSV export", "forecast", "retro board", "team settings", "DORA report",
    "Jira connector", "audit log", "cycle time scatterplot", "WIP limits", "blocked items view",
]  # fmt: skip
LABELS = ["backend", "frontend", "performance", "security", "tech-debt", "ux", "data", "api"]
START = "2023-07-01T00:00:00"
HISTORY_DAYS = 700
MEAN_GAP_HOURS = 30.0


# --------------------------------------------------------------------------------------------------
# The file
# --------------------------------------------------------------------------------------------------


def generate_csv(path: Path, items: int, *, seed: int, per_item: int, dates: str) -> dict[str, Any]:
    """Write a seeded full-history CSV of ``items`` items with about ``per_item`` status entries each.

    Args:
        path: where to write.
        items: number of items.
        seed: numpy seed; the same seed and arguments give the same bytes.
        per_item: mean number of status entries (rows) per item; each item has
            ``per_item - 8 .. per_item + 8`` (at least 1), uniformly.
        dates: ``"local"`` (``2024-03-05T14:07:31``, read in the team's time zone, Europe/Berlin) or
            ``"utc"`` (``2024-03-05T13:07:31Z``).

    Returns:
        Items, rows (= transitions), bytes, SHA-256 and generation seconds.
    """
    import numpy as np  # noqa: PLC0415 - the workers never generate, so they do not load numpy

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    spread = min(8, per_item - 1)
    counts = rng.integers(per_item - spread, per_item + spread + 1, items)
    steps = int(counts.max())
    index = {name: i for i, name in enumerate(STATUSES)}
    cumulative = np.ones((len(STATUSES), len(STATUSES)))
    for name, moves in NEXT_STATUS.items():
        row = np.zeros(len(STATUSES))
        for target, weight in moves:
            row[index[target]] = weight
        cumulative[index[name]] = np.cumsum(row) / row.sum()
    cumulative[cumulative > 1 - 1e-9] = 1.0  # a draw in [0, 1) never falls past the last status
    states = np.zeros((items, steps), dtype=np.int64)
    for step in range(1, steps):
        draw = rng.random(items)
        states[:, step] = (draw[:, None] > cumulative[states[:, step - 1]]).sum(axis=1)
    start = np.datetime64(START, "s")
    created = start + rng.integers(0, HISTORY_DAYS * 86_400, items).astype("timedelta64[s]")
    gaps = np.maximum(1, rng.exponential(MEAN_GAP_HOURS * 3600, (items, steps))).astype(np.int64)
    gaps[:, 0] = 0  # the first entry (Backlog) is the creation
    entered = created[:, None] + np.cumsum(gaps, axis=1).astype("timedelta64[s]")
    suffix = "Z" if dates == "utc" else ""
    entered_text = np.char.add(np.datetime_as_string(entered, unit="s"), suffix).tolist()
    types = rng.choice(len(TYPES), items, p=TYPE_WEIGHTS).tolist()
    verbs = rng.integers(0, len(VERBS), items).tolist()
    nouns = rng.integers(0, len(NOUNS), items).tolist()
    quoted = (rng.random(items) < 0.05).tolist()  # a comma in the title: the cell is quoted
    parents = np.where(rng.random(items) < 0.7, rng.integers(1, max(2, items // 50), items), 0).tolist()
    label_counts = rng.choice(3, items, p=[0.2, 0.5, 0.3]).tolist()
    label_picks = rng.integers(0, len(LABELS), (items, 2)).tolist()
    state_rows = states.tolist()
    counts_list = counts.tolist()
    transitions = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for i in range(items):
            key = f"OPS-{i + 1}"
            title = f"{VERBS[verbs[i]]} {NOUNS[nouns[i]]}"
            title = f"{title}, part {i + 1}" if quoted[i] else f"{title} #{i + 1}"
            labels = ";".join(dict.fromkeys(LABELS[pick] for pick in label_picks[i][: label_counts[i]]))
            parent = f"EPIC-{parents[i]}" if parents[i] else ""
            texts = entered_text[i]
            walk = state_rows[i]
            count = counts_list[i]
            writer.writerow([key, TYPES[types[i]], title, texts[0], STATUSES[walk[0]], texts[0], parent, labels])
            writer.writerows([key, "", "", "", STATUSES[walk[step]], texts[step], "", ""] for step in range(1, count))
            transitions += count
    data = path.read_bytes()
    return {
        "items": items,
        "transitions": transitions,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "seconds": time.perf_counter() - started,
    }


# --------------------------------------------------------------------------------------------------
# One measurement, in a child process
# --------------------------------------------------------------------------------------------------


def _ru_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kilobytes


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Parse and import one file into one database, in this (fresh) process.

    Args:
        spec: ``url``, ``csv`` (path), ``mode`` ("import": fresh schema and team; "reimport": the team
            of a previous import), ``profile`` (0, or how many functions to list).

    Returns:
        Counts, seconds (wall and CPU) per phase, and memory in MB: ``baseline`` (resident before reading
        the file), ``setup_peak`` (peak before reading the file: imports, migrations), ``parse_peak``
        (peak during the parse), ``after_parse`` (resident after the parse, with the parsed file alive),
        ``peak`` (peak during parse and write) and ``ru_maxrss``.

    Peaks are ``VmHWM`` of /proc/self/status, reset to the current RSS once the setup is done, because
    ``ru_maxrss`` is neither the import's own peak nor even this interpreter's: importing
    ``deliveryops.accounts.passwords`` hashes a dummy password with argon2 (64 MiB, freed at once), and
    ``subprocess`` starts children with vfork, so the kernel carries the parent's peak RSS into the
    child's ``ru_maxrss`` at exec (the reset lowers ``ru_maxrss`` too, but not below that).
    """
    from sqlalchemy import func, select, text  # noqa: PLC0415 - imported by the worker only

    from deliveryops.db import make_engine, make_session_factory, unit_of_work  # noqa: PLC0415
    from deliveryops.migrate import upgrade  # noqa: PLC0415
    from deliveryops.teams.models import Team  # noqa: PLC0415
    from deliveryops.teams.service import create_team  # noqa: PLC0415
    from deliveryops.work.csv_history import stream_full_history  # noqa: PLC0415
    from deliveryops.work.importing import import_records  # noqa: PLC0415
    from deliveryops.work.models import StatusTransition, WorkItem  # noqa: PLC0415

    load = os.getloadavg()
    engine = make_engine(spec["url"])
    factory = make_session_factory(engine)
    if spec["mode"] == "import":
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        with unit_of_work(factory) as session:
            team_id = create_team(session=session, actor=None, name=TEAM_NAME, time_zone=TIME_ZONE).id
    else:
        with unit_of_work(factory) as session:
            team_id = session.scalar(select(Team.id).where(Team.name == TEAM_NAME))
    setup_peak, baseline = status_mb("VmHWM"), status_mb("VmRSS")
    peak_was_reset = reset_peak()
    profile = cProfile.Profile() if spec["profile"] else None

    started, cpu_started = time.perf_counter(), time.process_time()
    data = Path(spec["csv"]).read_bytes()
    if profile:
        profile.enable()
    # The product's path for full-history files: validate the whole file first (passes 1 and 2), then
    # stream the items into the database batch by batch (pass 3), in bounded memory.
    stream = stream_full_history(data, zone=ZoneInfo(TIME_ZONE))
    parsed = stream.parsed
    if profile:
        profile.disable()
    parsed_at, cpu_parsed = time.perf_counter(), time.process_time()
    parse_peak, after_parse = status_mb("VmHWM"), status_mb("VmRSS")
    parse_profile = profile_text(profile, spec["profile"]) if profile else ""

    write_profile = cProfile.Profile() if spec["profile"] else None
    written_started, cpu_written_started = time.perf_counter(), time.process_time()
    if write_profile:
        write_profile.enable()
    with unit_of_work(factory) as session:
        team = session.get(Team, team_id)
        assert team is not None
        summary = import_records(
            session=session,
            actor=None,
            team=team,
            records=stream.records,
            import_format=parsed.format.value,
            file_name=Path(spec["csv"]).name,
            workflow=parsed.workflow,
            notes=parsed.notes,
        )
    if write_profile:
        write_profile.disable()
    finished, cpu_finished = time.perf_counter(), time.process_time()
    peak = status_mb("VmHWM")

    with unit_of_work(factory) as session:  # check what was stored (not timed)
        stored_items = session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.team_id == team_id))
        stored_transitions = session.scalar(
            select(func.count()).select_from(StatusTransition).join(WorkItem).where(WorkItem.team_id == team_id)
        )
    engine.dispose()
    return {
        "mode": spec["mode"],
        "database": engine.dialect.name,
        "items": parsed.item_count,
        "transitions": parsed.transition_count,
        "created": summary.created,
        "unchanged": summary.unchanged,
        "written_transitions": summary.transitions,
        "stored_items": stored_items,
        "stored_transitions": stored_transitions,
        "parse_s": parsed_at - started,
        "write_s": finished - written_started,
        "total_s": (parsed_at - started) + (finished - written_started),
        "parse_cpu_s": cpu_parsed - cpu_started,
        "write_cpu_s": cpu_finished - cpu_written_started,
        "baseline_mb": baseline,
        "setup_peak_mb": setup_peak,
        "peak_was_reset": peak_was_reset,
        "ru_maxrss_mb": _ru_maxrss_mb(),
        "parse_peak_mb": parse_peak,
        "after_parse_mb": after_parse,
        "peak_mb": peak,
        "load1": load[0],
        "parse_profile": parse_profile,
        "write_profile": profile_text(write_profile, spec["profile"]) if write_profile else "",
    }


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :func:`measure` in a fresh interpreter and return its result."""
    command = [sys.executable, __file__, "--worker", json.dumps(spec)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise RuntimeError(f"worker failed ({completed.returncode}) for {spec}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------------


def _median(runs: list[dict[str, Any]], name: str) -> float:
    return float(statistics.median(run[name] for run in runs))


def _summarise(
    size: int, file_info: dict[str, Any], database: str, phase: str, runs: list[dict[str, Any]], note: str
) -> dict[str, Any]:
    transitions = runs[0]["transitions"]
    row = {
        name: _median(runs, name)
        for name in (
            "parse_s",
            "write_s",
            "total_s",
            "parse_cpu_s",
            "write_cpu_s",
            "baseline_mb",
            "setup_peak_mb",
            "ru_maxrss_mb",
            "parse_peak_mb",
            "after_parse_mb",
            "peak_mb",
            "load1",
        )
    }
    row.update(
        size=size,
        database=database,
        phase=phase,
        runs=len(runs),
        note=note,
        items=runs[0]["items"],
        transitions=transitions,
        file_mb=file_info["bytes"] / 2**20,
        total_min_s=min(run["total_s"] for run in runs),
        total_max_s=max(run["total_s"] for run in runs),
        # the median of the per-run rates (not the rate of the median times)
        rate_total=statistics.median(transitions / run["total_s"] for run in runs),
        rate_write=statistics.median(transitions / run["write_s"] for run in runs),
        rate_parse=statistics.median(transitions / run["parse_s"] for run in runs),
    )
    return row


def print_tables(rows: list[dict[str, Any]]) -> None:
    """Print the timing and the memory tables (Markdown)."""
    print()
    print("### Time (median of the runs; transitions/s = transitions / seconds)")
    print()
    print(
        "| items | transitions | file MB | database | phase | runs | parse s | write s | total s (min–max) "
        "| transitions/s total | transitions/s write | vs 20k/s target (total) | load1 |"
    )
    print("|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for row in rows:
        verdict = f"{row['rate_total'] / TARGET_TRANSITIONS_PER_SECOND:.2f}× " + (
            "met" if row["rate_total"] >= TARGET_TRANSITIONS_PER_SECOND else "MISSED"
        )
        print(
            f"| {row['items']:,} | {row['transitions']:,} | {row['file_mb']:.1f} | {row['database']} | {row['phase']} "
            f"| {row['runs']}{row['note']} | {row['parse_s']:.2f} | {row['write_s']:.2f} "
            f"| {row['total_s']:.2f} ({row['total_min_s']:.2f}–{row['total_max_s']:.2f}) "
            f"| {row['rate_total']:,.0f} | {row['rate_write']:,.0f} | {verdict} | {row['load1']:.2f} |"
        )
    print()
    print("### Memory of the worker process (MB, median of the runs)")
    print()
    print(
        "before = resident before reading the file (interpreter, SQLAlchemy, models, migrations done); "
        "parse peak = peak RSS during parse_file; held = resident after the parse (ParsedFile alive); "
        "peak = peak RSS during parse and write (VmHWM, reset after the setup); growth = peak − before; "
        "setup peak = peak RSS before the reset (importing deliveryops.accounts.passwords hashes a dummy password "
        "with argon2, 64 MiB); ru_maxrss = what getrusage says at the end (the reset lowers it too, but it never "
        "goes below the parent's peak RSS, which subprocess's vfork carries into the child)."
    )
    print()
    print(
        "| items | database | phase | client CPU s (parse + write) | before | parse peak | held after parse "
        "| peak | growth | growth per 100k items | setup peak | ru_maxrss |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        grown = row["peak_mb"] - row["baseline_mb"]
        print(
            f"| {row['items']:,} | {row['database']} | {row['phase']} "
            f"| {row['parse_cpu_s']:.2f} + {row['write_cpu_s']:.2f} | {row['baseline_mb']:.0f} "
            f"| {row['parse_peak_mb']:.0f} | {row['after_parse_mb']:.0f} | {row['peak_mb']:.0f} | {grown:.0f} "
            f"| {grown / row['items'] * 100_000:.0f} | {row['setup_peak_mb']:.0f} | {row['ru_maxrss_mb']:.0f} |"
        )
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["database"], row["phase"]), []).append(row)
    fits = [(key, group) for key, group in groups.items() if len({row["items"] for row in group}) > 1]
    if fits:
        print()
        print("Memory growth (peak − before) against file size (least-squares line over the sizes measured):")
        print()
        for (database, phase), group in fits:
            xs = [row["items"] / 100_000 for row in group]
            ys = [row["peak_mb"] - row["baseline_mb"] for row in group]
            slope, intercept = statistics.linear_regression(xs, ys)
            per_row = slope * 2**20 / (group[0]["transitions"] / group[0]["items"] * 100_000)
            print(
                f"- {database} {phase}: growth ≈ {intercept:.0f} MB + {slope:.0f} MB per 100k items "
                f"(≈ {per_row:.0f} bytes per CSV row)"
            )


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------


def _sizes(values: list[str] | None) -> list[int]:
    if not values:
        return [100_000]
    return [int(part) for value in values for part in value.split(",") if part.strip()]


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
        f"SQLite {sqlite3.sqlite_version}",
    ]
    if postgres_version:
        import psycopg  # noqa: PLC0415

        parts += [f"psycopg {psycopg.__version__}", f"PostgreSQL {postgres_version}"]
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables.

    Args:
        argv: command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", action="append", help="items per file; repeatable or a comma list (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per configuration; the median is reported (default 3)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma list (default sqlite,postgresql)")
    parser.add_argument("--reimport", default="sqlite", help="databases whose unchanged re-import is timed ('' for none)")
    parser.add_argument(
        "--budget-seconds",
        type=float,
        default=120.0,
        help="skip further runs of a configuration whose first run took longer (default 120)",
    )
    parser.add_argument("--per-item", type=int, default=12, help="mean status entries per item (default 12)")
    parser.add_argument(
        "--dates",
        choices=["local", "utc"],
        default="local",
        help="entered_at as local time without offset (default) or UTC with Z",
    )
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="admin URL to create the throwaway database")
    parser.add_argument("--workdir", help="directory for the CSV and SQLite files (default: a temporary directory)")
    parser.add_argument("--profile", action="store_true", help="cProfile one import per size and database instead")
    parser.add_argument("--top", type=int, default=15, help="functions listed per profile (default 15)")
    parser.add_argument("--json", help="also write every run's raw figures to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: one measurement, printed as JSON
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(measure(json.loads(args.worker))))
        return 0

    sizes = _sizes(args.items)
    databases = _names(args.databases)
    reimport = _names(args.reimport) if args.reimport else []
    with tempfile.TemporaryDirectory(prefix="import_bench_", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        postgres = ThrowawayPostgres(args.postgres_url, prefix="deliveryops_bench") if "postgresql" in databases else None
        if postgres:
            postgres.__enter__()
        try:
            return _run(args, sizes, databases, reimport, workdir, postgres)
        finally:
            if postgres:
                postgres.__exit__(None, None, None)


def _run(
    args: argparse.Namespace,
    sizes: list[int],
    databases: list[str],
    reimport: list[str],
    workdir: Path,
    postgres: ThrowawayPostgres | None,
) -> int:
    started_load = os.getloadavg()
    print("# Full-history CSV import benchmark")
    print()
    print(
        f"- machine: {os.cpu_count()} CPUs, {platform.machine()}, load average at start "
        f"{started_load[0]:.2f} / {started_load[1]:.2f} / {started_load[2]:.2f} (1 / 5 / 15 min)"
    )
    print(f"- {_versions(postgres.version if postgres else '')}")
    print(
        f"- file: seed {args.seed}, ~{args.per_item} status entries per item, dates {args.dates}, team time zone "
        f"{TIME_ZONE}; runs per configuration: {args.runs} (budget {args.budget_seconds:.0f} s per run)"
    )
    print(f"- command: {Path(sys.executable).name} benchmarks/import_bench.py {' '.join(sys.argv[1:])}", flush=True)
    rows: list[dict[str, Any]] = []
    raw: list[dict[str, Any]] = []
    for size in sizes:
        csv_path = workdir / f"full-history-{size}.csv"
        info = generate_csv(csv_path, size, seed=args.seed, per_item=args.per_item, dates=args.dates)
        print(
            f"- generated {csv_path.name}: {info['items']:,} items, {info['transitions']:,} rows, "
            f"{info['bytes'] / 2**20:.1f} MB, sha256 {info['sha256'][:16]}…, in {info['seconds']:.1f} s",
            flush=True,
        )
        for database in databases:
            phases = ["import"] + (["re-import (unchanged)"] if database in reimport and not args.profile else [])
            runs: dict[str, list[dict[str, Any]]] = {phase: [] for phase in phases}
            note = ""
            for run in range(1 if args.profile else args.runs):
                if database == "sqlite":
                    db_path = workdir / f"bench-{size}-{run}.db"
                    url = f"sqlite:///{db_path}"
                else:
                    assert postgres is not None
                    url = postgres.url
                spec = {"url": url, "csv": str(csv_path), "mode": "import", "profile": args.top if args.profile else 0}
                result = run_worker(spec)
                _check(result, info, reimport=False)
                runs["import"].append(result)
                raw.append({"size": size, "run": run, **result})
                if args.profile:
                    _print_profile(size, database, result)
                    continue
                if len(phases) > 1:
                    again = run_worker({**spec, "mode": "reimport"})
                    _check(again, info, reimport=True)
                    runs[phases[1]].append(again)
                    raw.append({"size": size, "run": run, **again})
                if database == "sqlite":
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
                print(
                    f"  {database} {size:,} run {run + 1}: "
                    + "; ".join(
                        f"{phase} parse {r[-1]['parse_s']:.2f} s + write {r[-1]['write_s']:.2f} s, peak {r[-1]['peak_mb']:.0f} MB"
                        for phase, r in runs.items()
                    ),
                    flush=True,
                )
                if run == 0 and args.runs > 1 and result["total_s"] > args.budget_seconds:
                    note = f" (1st run {result['total_s']:.0f} s > {args.budget_seconds:.0f} s budget: runs cut)"
                    break
            if not args.profile:
                rows += [_summarise(size, info, database, phase, phase_runs, note) for phase, phase_runs in runs.items()]
    if not args.profile:
        print_tables(rows)
    ended_load = os.getloadavg()
    print()
    print(
        f"Load average at the end: {ended_load[0]:.2f} / {ended_load[1]:.2f} / {ended_load[2]:.2f} "
        f"(load1 in the table: at the start of each worker)."
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "runs": raw}, indent=1), encoding="utf-8")
    return 0


def _check(result: dict[str, Any], info: dict[str, Any], *, reimport: bool) -> None:
    """Fail loudly when the import did not store what the file holds."""
    expected = (info["items"], info["transitions"])
    stored = (result["stored_items"], result["stored_transitions"])
    read = (result["items"], result["transitions"])
    changed = result["unchanged"] if reimport else result["created"]
    if read != expected or stored != expected or changed != info["items"]:
        raise RuntimeError(f"unexpected import result: file {expected}, read {read}, stored {stored}, {result}")


def _print_profile(size: int, database: str, result: dict[str, Any]) -> None:
    print()
    print(
        f"## Profile: {size:,} items, {database} (parse {result['parse_s']:.2f} s, write {result['write_s']:.2f} s "
        f"under cProfile)"
    )
    print()
    print("### parse_file")
    print()
    print("```text")
    print(result["parse_profile"].strip())
    print("```")
    print()
    print("### import_records (write, commit included)")
    print()
    print("```text")
    print(result["write_profile"].strip())
    print("```", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
