"""How often an admin-defined check misjudges a team whose true level is known.

Usage::

    .venv/bin/python benchmarks/signal_check_bench.py [--runs 2000] [--seed 1000]

Synthetic teams (``deliveryops.analytics.signal_checks.simulate_signal_check``): true levels from a third of
the threshold to three times it (shares: 0 to 100%); events drawn over the check's window. "Error" is the
share of teams whose verdict contradicts their true level; "far" counts only teams more than 25% (10
points of a share) away from the threshold. Nothing is tuned on these runs; the seeds start at 1000.
"""

from __future__ import annotations

import argparse

from deliveryops.analytics.signal_checks import SignalKind, simulate_signal_check

CASES = (
    ("deployments or workflow runs a week", SignalKind.RATE, 1.0, False, (28, 56, 90)),
    ("deployments or workflow runs a week", SignalKind.RATE, 5.0, False, (28, 56)),
    ("pull requests reviewed (%)", SignalKind.SHARE, 80.0, False, (28, 90)),
    ("median pull-request lifetime (hours)", SignalKind.MEDIAN, 24.0, True, (28, 90)),
    ("retros, health checks, syncs or forecasts (count)", SignalKind.COUNT, 2.0, False, (28,)),
    ("retros, health checks, syncs or forecasts (count)", SignalKind.COUNT, 6.0, False, (90,)),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1_000)
    args = parser.parse_args()
    print("| signal | threshold | window (days) | error | error, far from the threshold | no verdict |")
    print("|---|---:|---:|---:|---:|---:|")
    for k, (name, kind, threshold, at_most, windows) in enumerate(CASES):
        for window in windows:
            rates = simulate_signal_check(
                kind, threshold=threshold, window_days=window, at_most=at_most, runs=args.runs, seed=args.seed + 100 * k + window
            )
            rule = f"{'≤' if at_most else '≥'} {threshold:g}"
            print(
                f"| {name} | {rule} | {window} | {rates['error']:.1%} | {rates['error_far']:.1%} | {rates['no_verdict']:.1%} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
