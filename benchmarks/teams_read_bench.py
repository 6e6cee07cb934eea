"""Benchmark of reading every team's history into polars (``deliveryops.flow.data.read_teams_data``).

Times two readers of the same four queries (items, transitions, blocked intervals of every team; team ids in
chunks of 500), alternated round by round so both see the same load, in CPU time of the process:

- rows: SQLAlchemy ORM rows (each timestamp through ``UTCDateTime``), then ``pl.DataFrame(rows, orient="row")``,
  as the reader did before it read columns;
- columns: ``read_teams_data``, the session's DBAPI cursor, columns built into polars and timestamps parsed by
  polars.

Both results are checked equal frame for frame before timing. The database is built with ``pages_bench.py``'s
``cockpit200`` organisation (200 simulated teams) when ``--prepare`` is given.

Usage::

    .venv/bin/python benchmarks/teams_read_bench.py --url sqlite:///cockpit200.db --prepare --org-items 50000
    .venv/bin/python benchmarks/teams_read_bench.py --url sqlite:///cockpit200.db --runs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.db import make_engine, make_session_factory
from deliveryops.flow.data import read_teams_data
from deliveryops.teams.models import Team
from deliveryops.work.models import BlockedInterval, StatusTransition, WorkItem

_UTC = pl.Datetime("us", "UTC")
_CHUNK = 500


def read_rows(session: Session, teams: Sequence[Team]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The three frames as SQLAlchemy rows build them (the reader before this one)."""
    ids = [team.id for team in teams]
    parts: list[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        items = session.execute(
            select(
                WorkItem.team_id,
                WorkItem.id,
                WorkItem.external_key,
                WorkItem.title,
                WorkItem.item_type,
                WorkItem.created_at,
                WorkItem.parent_key,
            )
            .where(WorkItem.team_id.in_(chunk))
            .order_by(WorkItem.id)
        ).all()
        transitions = session.execute(
            select(WorkItem.team_id, StatusTransition.item_id, StatusTransition.to_status, StatusTransition.at)
            .join(WorkItem, WorkItem.id == StatusTransition.item_id)
            .where(WorkItem.team_id.in_(chunk))
            .order_by(StatusTransition.item_id, StatusTransition.at, StatusTransition.id)
        ).all()
        blocked = session.execute(
            select(WorkItem.team_id, BlockedInterval.item_id, BlockedInterval.start, BlockedInterval.end, BlockedInterval.reason)
            .join(WorkItem, WorkItem.id == BlockedInterval.item_id)
            .where(WorkItem.team_id.in_(chunk))
            .order_by(BlockedInterval.item_id, BlockedInterval.id)
        ).all()
        parts.append(
            (
                pl.DataFrame(
                    items,
                    orient="row",
                    schema={
                        "team_id": pl.Int64,
                        "item_id": pl.Int64,
                        "key": pl.Utf8,
                        "title": pl.Utf8,
                        "item_type": pl.Utf8,
                        "created_at": _UTC,
                        "parent_key": pl.Utf8,
                    },
                ),
                pl.DataFrame(
                    transitions, orient="row", schema={"team_id": pl.Int64, "item_id": pl.Int64, "status": pl.Utf8, "at": _UTC}
                ),
                pl.DataFrame(
                    blocked,
                    orient="row",
                    schema={"team_id": pl.Int64, "item_id": pl.Int64, "start": _UTC, "end": _UTC, "reason": pl.Utf8},
                ),
            )
        )
    items_frame, transitions_frame, blocked_frame = (pl.concat([part[index] for part in parts]) for index in range(3))
    return items_frame, transitions_frame, blocked_frame


def read_columns(session: Session, teams: Sequence[Team]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The three frames as ``read_teams_data`` reads them."""
    read = read_teams_data(session, teams)
    return read.items, read.transitions, read.blocked


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, optionally build the database, time both readers and print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--url", required=True, help="database URL (SQLite or PostgreSQL)")
    parser.add_argument("--prepare", action="store_true", help="build pages_bench.py's cockpit200 organisation first")
    parser.add_argument("--org-items", type=int, default=200_000, help="items of the organisation built by --prepare")
    parser.add_argument("--runs", type=int, default=5, help="rounds; the median is printed")
    arguments = parser.parse_args(argv)
    if arguments.prepare:
        sys.path.insert(0, str(Path(__file__).parent))
        import pages_bench  # noqa: PLC0415 - a sibling script, only to build the database

        print(pages_bench.prepare("cockpit200", arguments.url, team_items=5_000, org_items=arguments.org_items))
    engine = make_engine(arguments.url)
    readers: dict[str, Callable[[Session, Sequence[Team]], tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]]] = {
        "rows (SQLAlchemy rows, then a frame)": read_rows,
        "columns (read_teams_data)": read_columns,
    }
    with make_session_factory(engine)() as session:
        teams = list(session.scalars(select(Team).order_by(Team.id)))
        expected, got = read_rows(session, teams), read_columns(session, teams)
        for want, have in zip(expected, got, strict=True):
            assert_frame_equal(have, want)
        print(
            f"{engine.dialect.name}: {len(teams)} teams, {got[0].height:,} items, {got[1].height:,} transitions, "
            f"{got[2].height:,} blocked intervals; both readers give equal frames"
        )
        cpu: dict[str, list[float]] = {name: [] for name in readers}
        wall: dict[str, list[float]] = {name: [] for name in readers}
        for round_number in range(arguments.runs):
            line = []
            for name, reader in readers.items():
                session.expire_all()
                began, began_cpu = time.perf_counter(), time.process_time()
                reader(session, teams)
                cpu[name].append((time.process_time() - began_cpu) * 1000)
                wall[name].append((time.perf_counter() - began) * 1000)
                line.append(f"{cpu[name][-1]:,.0f}")
            load = " ".join(f"{value:.1f}" for value in os.getloadavg())
            print(f"round {round_number + 1}: CPU ms {' / '.join(line)}; load {load}", flush=True)
    engine.dispose()
    base = cpu["rows (SQLAlchemy rows, then a frame)"]
    width = max(len(name) for name in readers)
    print(f"\n| {'reader':<{width}} | CPU ms, median of {arguments.runs} | wall ms | × rows (median of ratios) |")
    print(f"|{'-' * (width + 2)}|---:|---:|---:|")
    for name in readers:
        ratio = statistics.median(value / old for value, old in zip(cpu[name], base, strict=True))
        print(f"| {name:<{width}} | {statistics.median(cpu[name]):,.0f} | {statistics.median(wall[name]):,.0f} | {ratio:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
