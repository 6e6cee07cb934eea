"""Time the Monte Carlo forecasts and print a table (median of 7 runs after one warm-up).

Run: ``python benchmarks/forecast_bench.py``. Not a test: the budgets are printed, never enforced.

Data: a 90-day throughput window drawn once from Poisson(2 items/day) with seed 0 (about 180
items in the window, zero days included); each run uses a fresh seed so no caching can help.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np

from deliveryops.analytics.forecast import forecast_how_many, forecast_when

RUNS = 7
TRIALS = 100_000
TODAY = date(2024, 3, 1)


def _time(run: Callable[[int], object]) -> list[float]:
    run(0)  # warm-up: imports, first allocations
    timings = []
    for seed in range(1, RUNS + 1):
        start = time.perf_counter()
        run(seed)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    """Print one row per benchmark: median, fastest and slowest run, and the budget."""
    window = np.random.default_rng(0).poisson(2.0, size=90)
    cases: list[tuple[str, float, Callable[[int], object]]] = [
        (
            "when: 200 items",
            250.0,
            lambda seed: forecast_when(window, remaining_items=200, start_date=TODAY, trials=TRIALS, seed=seed),
        ),
        (
            "how many: 90 days",
            100.0,
            lambda seed: forecast_how_many(
                window, by_date=TODAY + timedelta(days=90), start_date=TODAY, trials=TRIALS, seed=seed
            ),
        ),
    ]
    print(f"window: 90 days, {int(window.sum())} items; {TRIALS:,} trials; median of {RUNS} runs")
    header = f"{'case':<20} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'budget ms':>10}  within"
    print(header)
    print("-" * len(header))
    for name, budget, run in cases:
        timings = _time(run)
        median = statistics.median(timings)
        within = "yes" if median <= budget else "NO"
        print(f"{name:<20} {median:>10.1f} {min(timings):>8.1f} {max(timings):>8.1f} {budget:>10.0f}  {within}")


if __name__ == "__main__":
    main()
