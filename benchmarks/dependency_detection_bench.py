"""What detecting dependencies costs on an organisation's synced data (SQLite or PostgreSQL).

Builds ``--teams`` teams of ``--items`` items each (seeded): 10% of the items carry a link to a random
item of any team (half "is blocked by", half "relates to", which is not a dependency) and 5% are blocked
now with a reason naming a random team. Then times :func:`deliveryops.dependencies.detection.detect` twice:
the first run proposes everything, the second finds everything known (what the job does after each sync).

Usage::

    .venv/bin/python benchmarks/dependency_detection_bench.py
    .venv/bin/python benchmarks/dependency_detection_bench.py --database postgresql+psycopg://... --items 5000
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from deliveryops.db import make_engine
from deliveryops.dependencies import detection
from deliveryops.migrate import upgrade
from deliveryops.teams import service as teams
from deliveryops.work.importing import import_records
from deliveryops.work.records import BlockedIntervalRecord, LinkRecord, WorkItemRecord

START = datetime(2026, 11, 1, tzinfo=UTC)


def _records(team_index: int, teams_count: int, items: int, rng: random.Random) -> list[WorkItemRecord]:
    records = []
    for number in range(items):
        links: tuple[LinkRecord, ...] = ()
        if rng.random() < 0.1:
            other = f"B{rng.randrange(teams_count)}-{rng.randrange(items)}"
            links = (LinkRecord("is_blocked_by", other),) if rng.random() < 0.5 else (LinkRecord("outward", other, "relates to"),)
        blocked: tuple[BlockedIntervalRecord, ...] = ()
        if rng.random() < 0.05:
            blocked = (BlockedIntervalRecord(START, None, f"waiting on bench {rng.randrange(teams_count)}"),)
        records.append(
            WorkItemRecord(
                source="bench",
                external_key=f"B{team_index}-{number}",
                item_type="Story",
                title="Bench item",
                created_at=START,
                links=links,
                blocked_intervals=blocked,
            )
        )
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="database URL (default: a new SQLite file)")
    parser.add_argument("--teams", type=int, default=8)
    parser.add_argument("--items", type=int, default=2500, help="items per team")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(args.database or f"sqlite:///{Path(directory) / 'bench.db'}")
        upgrade(engine)
        rng = random.Random(7)
        with Session(engine) as session:
            created = [teams.create_team(session=session, actor=None, name=f"Bench {i}") for i in range(args.teams)]
            for index, team in enumerate(created):
                records = _records(index, args.teams, args.items, rng)
                import_records(session=session, actor=None, team=team, import_format="bench", records=records)
            session.flush()
            print(f"{engine.dialect.name}: {args.teams} teams × {args.items} items")
            for run in ("first", "again"):
                started = time.perf_counter()
                result = detection.detect(session)
                seconds = time.perf_counter() - started
                print(f"  {run}: {len(result.proposed)} new, {result.already_known} known, {seconds:.2f} s")
            session.rollback()
        engine.dispose()


if __name__ == "__main__":
    main()
