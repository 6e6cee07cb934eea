"""How often a change between two periods is called a signal: stable processes (false signals) and shifts.

Usage::

    .venv/bin/python benchmarks/change_bench.py [--runs 2000] [--percentile-runs 300] [--seed 1]

Weekly Poisson counts at 2, 4 and 10 items a week, with and without a 4-week seasonal rhythm (±30%),
periods of 4 weeks (a month) and 13 weeks (a quarter). "weekly" is the XmR-based test of the leadership
pack's "Items finished"; "counts" the exact Poisson test of its other counts; "percentile" the bootstrap
test of the 85th percentile cycle time (lognormal cycle times, median 5 days); "latest" the portfolio's and
the digests' test of the latest week against the natural process limits of the 11 weeks before it (for
"latest", "weeks per period" is the baseline and the shift applies to the latest week). Shift 0 is a stable
process: every signal is false. Shifts of +30% and +50% give the detection rate.
"""

from __future__ import annotations

import argparse

from deliveryops.analytics.change import simulate_false_signals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2_000)
    parser.add_argument("--percentile-runs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=["weekly", "counts", "percentile", "latest"], default=None)
    args = parser.parse_args()
    print("| test | items/week | weeks per period | seasonal | false signals (stable) | detected +30% | detected +50% |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for test in ("weekly", "counts", "percentile", "latest"):
        if args.only and test != args.only:
            continue
        runs = args.percentile_runs if test == "percentile" else args.runs
        for mean in (2, 4, 10):
            for weeks in (11,) if test == "latest" else (4, 13):
                for seasonal in (False, True):
                    if test == "percentile" and seasonal:
                        continue
                    rates = [
                        simulate_false_signals(
                            test=test,
                            mean_per_week=mean,
                            weeks=weeks,
                            runs=runs,
                            seed=args.seed + mean * 100 + weeks,
                            seasonal=seasonal,
                            shift=shift,
                        )
                        for shift in (0.0, 0.3, 0.5)
                    ]
                    cells = " | ".join(f"{rate:.1%}" for rate in rates)
                    print(f"| {test} | {mean} | {weeks} | {'yes' if seasonal else 'no'} | {cells} |")


if __name__ == "__main__":
    main()
