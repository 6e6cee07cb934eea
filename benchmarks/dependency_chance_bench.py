"""How often the dependency judgement "at risk" (chance of delivery below 70%) errs, on simulated providers.

The harness is :func:`deliveryops.analytics.dependency_chance.simulate_cases` (seeded, pure numpy): each case is a
provider team with a known Poisson pace (idle weekends in half of the cases), 1 to 25 items to finish and a
needed-by date near what the pace allows; the chance comes from the last ``window`` days of its history, the
actual delivery from the days that follow (the same pace, or with ``drift`` a pace times 0.6 to 1.3).

* ``--tuning``: on the **tuning** seeds, throughput windows of 30, 60 and 90 days side by side (the product uses
  the one chosen here).
* default: the chosen window on the frozen **held-out** seeds, evaluated once for the published table.

Usage::

    .venv/bin/python benchmarks/dependency_chance_bench.py --cases 2000
    .venv/bin/python benchmarks/dependency_chance_bench.py --tuning --cases 1000
"""

from __future__ import annotations

import argparse
import time

from deliveryops.analytics.dependency_chance import (
    DEFAULT_THRESHOLD,
    HELD_OUT_SEED,
    TUNING_SEED,
    WINDOW_DAYS,
    judgement_rates,
    simulate_cases,
)


def report(seed: int, cases: int, window: int) -> None:
    """Print false alarms, misses and calibration for stable and drifting providers."""
    for drift in (False, True):
        outcomes = simulate_cases(seed + int(drift), cases, drift=drift, window_days=window)
        rates = judgement_rates(outcomes, DEFAULT_THRESHOLD)
        print(
            f"window {window} d, {'drifting' if drift else 'stable'} pace, {rates.cases} cases: "
            f"at risk {rates.at_risk} (delivered anyway: {rates.false_alarm_rate:.1%}), "
            f"on track {rates.on_track} (late anyway: {rates.miss_rate:.1%})"
        )
        print(
            "  chance bin → share delivered: " + "; ".join(f"{lo}–{hi}%: {share:.0%} of {n}" for lo, hi, n, share in rates.bins)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--tuning", action="store_true", help="compare windows on the tuning seeds")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.tuning:
        for window in (30, 60, 90):
            report(TUNING_SEED, args.cases, window)
    else:
        report(HELD_OUT_SEED, args.cases, WINDOW_DAYS)
    print(f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
