"""Benchmark the organisation simulator: items, transitions, time, throughput and peak memory.

Usage::

    .venv/bin/python benchmarks/simulate_bench.py           # 10k and 100k items
    .venv/bin/python benchmarks/simulate_bench.py --full    # also 1M items (200 teams x 24 months)

Each size runs in a fresh process so that its peak resident memory (``ru_maxrss``) is its own.
Teams are streamed and dropped after counting, as the import service consumes them.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date

END = date(2026, 6, 30)
MONTHS = 24
ITEMS_PER_TEAM = 5_000


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kilobytes


def measure(items_target: int, seed: int) -> dict[str, float]:
    """Simulate an organisation of about ``items_target`` items and measure it.

    Args:
        items_target: number of items to create (epics included).
        seed: organisation seed.

    Returns:
        Teams, items, transitions, blocked intervals, wall and CPU seconds, items per second (wall),
        resident memory after imports and at its peak (MB).
    """
    from deliveryops.simulate import simulate_organisation  # noqa: PLC0415 - import cost measured apart

    baseline = _rss_mb()
    teams = max(6, items_target // ITEMS_PER_TEAM)
    items = transitions = blocked = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for team in simulate_organisation(teams=teams, months=MONTHS, seed=seed, end=END, items_target=items_target):
        items += len(team.items)
        transitions += team.transition_count
        blocked += sum(len(item.blocked_intervals) for item in team.items)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    return {
        "teams": teams,
        "items": items,
        "transitions": transitions,
        "blocked": blocked,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "items_per_second": items / seconds,
        "baseline_mb": baseline,
        "peak_mb": _rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table.

    Args:
        argv: command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also simulate 1,000,000 items")
    parser.add_argument("--seed", type=int, default=1, help="organisation seed (default 1)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure(args.one, args.seed)))
        return 0

    sizes = [10_000, 100_000] + ([1_000_000] if args.full else [])
    header = (
        f"{'target':>9} {'teams':>5} {'items':>9} {'transitions':>11} {'blocked':>8} "
        f"{'seconds':>8} {'cpu s':>7} {'items/s':>9} {'base MB':>8} {'peak MB':>8}"
    )
    print(f"simulate_organisation(months={MONTHS}, end={END}, seed={args.seed}); memory = RSS, peak = ru_maxrss")
    print(header)
    print("-" * len(header))
    for size in sizes:
        command = [sys.executable, __file__, "--one", str(size), "--seed", str(args.seed)]
        row = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        print(
            f"{size:>9,} {row['teams']:>5} {row['items']:>9,} {row['transitions']:>11,} {row['blocked']:>8,} "
            f"{row['seconds']:>8.2f} {row['cpu_seconds']:>7.2f} {row['items_per_second']:>9,.0f} "
            f"{row['baseline_mb']:>8.1f} {row['peak_mb']:>8.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
