"""What relinking costs when pull requests arrive after their deployments (DORA import-order independence).

Importing pull requests relinks every deployment whose links they can change: the deployments of their
repositories, deployments of any repository whose commit list names one of their merge commits (a service
named differently from its repository) and deployments linked to them now. Finding the second kind reads the
commit lists of all successful deployments of other repositories. This script measures that on SQLite:

- ``--repos`` repositories with ``--deployments`` production deployments each (half of them with a commit
  list of 3 commits) and 5 pull requests per deployment, inserted first;
- timed (median of ``--runs``): importing a changes CSV of 50 new pull requests of one repository through
  ``import_csv`` (the upload path; the relink included), ``relink_changes`` alone for that repository, and
  the part of it that finds which deployments to relink (the step added for import-order independence).

Usage::

    .venv/bin/python benchmarks/dora_relink_bench.py
    .venv/bin/python benchmarks/dora_relink_bench.py --repos 200 --deployments 250 --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from deliveryops.db import make_engine
from deliveryops.dora.csv_formats import import_csv
from deliveryops.dora.ingest import _groups_affected_by, _relink_group, relink_changes
from deliveryops.dora.models import Deployment
from deliveryops.migrate import upgrade
from deliveryops.teams import service as teams
from deliveryops.teams.models import Team
from deliveryops.work.models import Change

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def build(session: Session, *, repos: int, per_repo: int) -> int:
    team = teams.create_team(session=session, actor=None, name="Bench")
    deployments, changes = [], []
    for r in range(repos):
        repository = f"acme/repo-{r}"
        for d in range(per_repo):
            started = T0 + timedelta(hours=d * 8 + r % 7)
            shas = [f"{r:04x}{d:06x}{k}" for k in range(3)] if d % 2 else []
            deployments.append(
                {
                    "team_id": team.id,
                    "source": "bench",
                    "external_id": f"{r}-{d}",
                    "repository": repository,
                    "environment": "production",
                    "result": "success",
                    "started_at": started,
                    "finished_at": started + timedelta(minutes=10),
                    "commit_sha": shas[0] if shas else None,
                    "commit_shas": shas,
                    "status_at": started + timedelta(minutes=10),
                    "updated_at": started,
                }
            )
            for k in range(5):
                merged = started - timedelta(hours=k + 1)
                changes.append(
                    {
                        "team_id": team.id,
                        "source": "bench",
                        "repository": repository,
                        "number": d * 5 + k + 1,
                        "title": "x",
                        "author": "ann",
                        "opened_at": merged - timedelta(hours=2),
                        "merged_at": merged,
                        "merge_commit_sha": shas[k] if k < len(shas) else f"m{r:04x}{d:06x}{k}",
                        "base_branch": "main",
                    }
                )
    session.execute(insert(Deployment), deployments)
    session.execute(insert(Change), changes)
    session.commit()
    return team.id


def changes_file(start: int) -> str:
    rows = ["repository,number,author,opened_at,merged_at,merge_commit_sha"]
    for i in range(50):
        rows.append(f"acme/repo-0,{start + i},ann,2025-02-01T08:00:00Z,2025-02-01T09:00:00Z,new{start + i:08x}")
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--deployments", type=int, default=250, help="per repository")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'relink.db'}")
        upgrade(engine)
        with Session(engine) as session:
            team_id = build(session, repos=args.repos, per_repo=args.deployments)
        imports, relinks, finding, own = [], [], [], []
        for run in range(args.runs):
            with Session(engine) as session:
                team = session.get(Team, team_id)
                assert team is not None
                start = time.perf_counter()
                import_csv(session, team=team, kind="changes", content=changes_file(100_000 + run * 50))
                imports.append(time.perf_counter() - start)
                session.commit()
            with Session(engine) as session:
                team = session.get(Team, team_id)
                assert team is not None
                start = time.perf_counter()
                relink_changes(session, team=team, repositories=["acme/repo-0"])
                relinks.append(time.perf_counter() - start)
                session.rollback()
                start = time.perf_counter()
                _groups_affected_by(session, ["acme/repo-0"])
                finding.append(time.perf_counter() - start)
                start = time.perf_counter()
                _relink_group(session, repository="acme/repo-0", environment="production", since=None)
                own.append(time.perf_counter() - start)
                session.rollback()
        engine.dispose()
    total = args.repos * args.deployments
    print(f"{args.repos} repositories x {args.deployments} deployments = {total:,} deployments, {total * 5:,} pull requests")
    print("| step | median ms | runs (ms) |\n|---|---:|---|")
    for name, values in (
        ("import_csv, 50 pull requests of one repository", imports),
        ("relink_changes, one repository", relinks),
        ("of which: finding the deployments to relink", finding),
        ("relinking only that repository's own deployments (what relinking did before)", own),
    ):
        print(f"| {name} | {statistics.median(values) * 1000:.0f} | {', '.join(f'{v * 1000:.0f}' for v in values)} |")


if __name__ == "__main__":
    main()
