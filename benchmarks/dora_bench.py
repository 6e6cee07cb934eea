"""Benchmark of DORA's four keys (deliveryops.analytics.dora) on synthetic, seeded data.

Scenario (product issue 8: the four keys for 200 repositories over 2 years in <= 5 s):

- 200 repositories, 730 days: about 100,000 production and staging deployments, 500,000 pull requests and
  incidents for about 8% of the production deployments, all built in memory with numpy;
- timed, each the median of ``--runs`` runs:

  1. linking: which pull requests each deployment shipped (by merge time, the fallback when no commit list
     is known: the expensive case);
  2. the four keys of the whole organisation: linking, the per-item tables, and the keys over 2 years;
  3. the same per team (200 repositories split into ``--teams`` teams, one after the other), plus each
     team's weekly series;
  4. the service path of one team read from a SQLite database (``--service-repos`` repositories with
     their pull requests, deployments and incidents inserted first): ``dora.service.team_keys``.

Usage::

    .venv/bin/python benchmarks/dora_bench.py
    .venv/bin/python benchmarks/dora_bench.py --runs 5 --repos 200 --teams 20
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import polars as pl

from deliveryops.analytics import dora
from deliveryops.analytics.dora.series import dora_series

START = datetime(2024, 7, 1, tzinfo=UTC)
DAYS = 730
PERIOD = (date(2024, 7, 1), date(2026, 6, 30))


def synthetic(
    repos: int, *, seed: int, deployments_per_repo: int = 500, changes_per_repo: int = 2500, first_id: int = 1
) -> dict[str, pl.DataFrame]:
    """Seeded deployments (80% production), pull requests and incidents of ``repos`` repositories over 2 years."""
    rng = np.random.default_rng(seed)
    micros = DAYS * 86_400_000_000
    start_us = int(START.timestamp() * 1_000_000)
    n_dep, n_chg = repos * deployments_per_repo, repos * changes_per_repo
    dep_repo = np.repeat(np.arange(repos), deployments_per_repo)
    started = start_us + rng.integers(0, micros, n_dep)
    finished = started + rng.integers(120_000_000, 1_800_000_000, n_dep)
    environment = np.where(rng.random(n_dep) < 0.8, "production", "staging")
    result = np.where(rng.random(n_dep) < 0.06, "failure", "success")
    deployments = pl.DataFrame(
        {
            "id": np.arange(first_id, first_id + n_dep, dtype=np.int64),
            "repository": [f"org/repo-{r}" for r in dep_repo],
            "environment": environment,
            "result": result,
            "started_at": pl.Series(started).cast(pl.Datetime("us", "UTC")),
            "finished_at": pl.Series(finished).cast(pl.Datetime("us", "UTC")),
        }
    )
    chg_repo = np.repeat(np.arange(repos), changes_per_repo)
    merged = start_us + rng.integers(0, micros, n_chg)
    hour = 3_600_000_000
    review = merged - (rng.lognormal(np.log(6), 1.0, n_chg) * hour).astype(np.int64)
    opened = review - (rng.lognormal(np.log(4), 1.0, n_chg) * hour).astype(np.int64)
    first_commit = opened - (rng.lognormal(np.log(10), 1.0, n_chg) * hour).astype(np.int64)
    reviewed = rng.random(n_chg) > 0.05
    changes = pl.DataFrame(
        {
            "id": np.arange(first_id, first_id + n_chg, dtype=np.int64),
            "repository": [f"org/repo-{r}" for r in chg_repo],
            "first_commit_at": pl.Series(first_commit).cast(pl.Datetime("us", "UTC")),
            "opened_at": pl.Series(opened).cast(pl.Datetime("us", "UTC")),
            "first_review_at": pl.Series(np.where(reviewed, review, 0)).cast(pl.Datetime("us", "UTC")),
            "merged_at": pl.Series(merged).cast(pl.Datetime("us", "UTC")),
        }
    ).with_columns(pl.when(pl.Series(reviewed)).then(pl.col("first_review_at")).alias("first_review_at"))
    production = np.flatnonzero((environment == "production") & (result == "success"))
    hit = production[rng.random(production.size) < 0.08]
    created = finished[hit] + rng.integers(60_000_000, 4 * hour, hit.size)
    resolved = created + (rng.lognormal(np.log(3), 1.2, hit.size) * hour).astype(np.int64)
    explicit = rng.random(hit.size) < 0.5
    incidents = pl.DataFrame(
        {
            "id": np.arange(first_id, first_id + hit.size, dtype=np.int64),
            "created_at": pl.Series(created).cast(pl.Datetime("us", "UTC")),
            "resolved_at": pl.Series(resolved).cast(pl.Datetime("us", "UTC")),
            "repository": [f"org/repo-{r}" for r in dep_repo[hit]],
            "deployment_id": pl.Series(np.where(explicit, hit + first_id, -1)).cast(pl.Int64),
        }
    ).with_columns(pl.when(pl.col("deployment_id") >= 0).then(pl.col("deployment_id")).alias("deployment_id"))
    return {"deployments": deployments, "changes": changes, "incidents": incidents}


def median_ms(step: Callable[[], Any], runs: int) -> float:
    """The median wall time of ``runs`` calls of ``step``, in milliseconds."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        step()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def org_keys(data: dict[str, pl.DataFrame]) -> dora.DoraKeys:
    """Link, tabulate and compute the four keys of everything at once."""
    links = dora.link_changes_by_merge_time(data["deployments"], data["changes"])
    tables = dora.dora_tables(data["deployments"], data["changes"], links, data["incidents"])
    return dora.dora_keys(tables, start=PERIOD[0], end=PERIOD[1])


def per_team(data: dict[str, pl.DataFrame], teams: int, repos: int) -> int:
    """The keys and the weekly series of each team (``repos / teams`` repositories each)."""
    size = repos // teams
    done = 0
    for team in range(teams):
        names = [f"org/repo-{r}" for r in range(team * size, (team + 1) * size)]
        part = {name: frame.filter(pl.col("repository").is_in(names)) for name, frame in data.items()}
        links = dora.link_changes_by_merge_time(part["deployments"], part["changes"])
        tables = dora.dora_tables(part["deployments"], part["changes"], links, part["incidents"])
        dora.dora_keys(tables, start=PERIOD[0], end=PERIOD[1])
        dora_series(tables, start=PERIOD[0], end=PERIOD[1], period="month")
        done += 1
    return done


def service_path(repos: int, runs: int, seed: int) -> tuple[float, int, int]:
    """Insert one team's data into SQLite and time ``dora.service.team_keys`` on it."""
    from sqlalchemy import create_engine, insert  # noqa: PLC0415 (the analytics part needs no database)
    from sqlalchemy.orm import Session  # noqa: PLC0415

    import deliveryops.models  # noqa: F401, PLC0415 (registers every table)
    from deliveryops.dora import service  # noqa: PLC0415
    from deliveryops.dora.models import Deployment, DeploymentChange, Incident  # noqa: PLC0415
    from deliveryops.migrate import upgrade  # noqa: PLC0415
    from deliveryops.teams.models import Team  # noqa: PLC0415
    from deliveryops.work.models import Change  # noqa: PLC0415

    data = synthetic(repos, seed=seed)
    links = dora.link_changes_by_merge_time(data["deployments"], data["changes"])
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{folder}/bench.db")
        upgrade(engine)
        with Session(engine) as session:
            team = Team(name="Bench", slug="bench", time_zone="UTC")
            session.add(team)
            session.flush()
            session.execute(
                insert(Change),
                [
                    {
                        **row,
                        "team_id": team.id,
                        "source": "bench",
                        "number": row["id"],
                        "title": "PR",
                        "author": "a",
                        "merge_commit_sha": None,
                        "base_branch": "main",
                    }
                    for row in data["changes"].to_dicts()
                ],
            )
            session.execute(
                insert(Deployment),
                [
                    {
                        **row,
                        "team_id": team.id,
                        "source": "bench",
                        "external_id": str(row["id"]),
                        "commit_sha": None,
                        "commit_shas": [],
                        "status_at": row["finished_at"],
                    }
                    for row in data["deployments"].to_dicts()
                ],
            )
            session.execute(insert(DeploymentChange), links.to_dicts())
            session.execute(
                insert(Incident),
                [
                    {
                        **row,
                        "team_id": team.id,
                        "source": "bench",
                        "external_id": str(row["id"]),
                        "title": "Down",
                        "status_at": row["resolved_at"],
                    }
                    for row in data["incidents"].to_dicts()
                ],
            )
            session.commit()
            team_id = team.id
            milliseconds = median_ms(lambda: service.team_keys(session, team_id=team_id, start=PERIOD[0], end=PERIOD[1]), runs)
        engine.dispose()
    return milliseconds, data["deployments"].height, data["changes"].height


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--service-repos", type=int, default=10, help="repositories of the service-path team (0: skip)")
    args = parser.parse_args(argv)

    print(f"polars {pl.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}")
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}, {os.cpu_count()} CPUs")
    began = time.perf_counter()
    data = synthetic(args.repos, seed=args.seed)
    print(
        f"built {data['deployments'].height:,} deployments, {data['changes'].height:,} pull requests, "
        f"{data['incidents'].height:,} incidents of {args.repos} repositories over {DAYS} days "
        f"in {time.perf_counter() - began:.1f} s"
    )
    keys = org_keys(data)
    print(
        f"organisation keys: {keys.deployment_days_per_week} deployment days/week ({keys.deployment_frequency_band}), "
        f"lead time {keys.lead_time_hours:.1f} h ({keys.lead_time_band}), "
        f"change failure rate {keys.change_failure_rate:.3f} ({keys.change_failure_rate_band}), "
        f"recovery {keys.recovery_hours:.1f} h ({keys.recovery_band}); {keys.deployments:,} counted deployments, "
        f"{keys.changes:,} changes"
    )

    rows = [
        (
            "link changes to deployments (merge time)",
            median_ms(lambda: dora.link_changes_by_merge_time(data["deployments"], data["changes"]), args.runs),
        ),
        ("four keys of the organisation (link + tables + keys)", median_ms(lambda: org_keys(data), args.runs)),
        (
            f"four keys + monthly series of {args.teams} teams, one by one",
            median_ms(lambda: per_team(data, args.teams, args.repos), args.runs),
        ),
    ]
    if args.service_repos:
        service_ms, deployments, changes = service_path(args.service_repos, args.runs, args.seed + 1)
        rows.append((f"service team_keys, SQLite ({deployments:,} deployments, {changes:,} PRs)", service_ms))
    width = max(len(name) for name, _ in rows)
    print(f"\n{'step':<{width}}  median ms ({args.runs} runs)")
    for name, milliseconds in rows:
        print(f"{name:<{width}}  {milliseconds:10.1f}")
    verdict = "within" if rows[1][1] <= 5000 else "OVER"
    print(f"\nfour keys of 200 repositories over 2 years: {rows[1][1] / 1000:.2f} s, {verdict} the 5 s budget")
    print(
        f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB; "
        f"load average now: {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
