"""How often the forecast-calibration verdict is right: seeded forecasters with a known hit rate.

Usage::

    .venv/bin/python benchmarks/calibration_bench.py [--runs 20000] [--seed 1]

For each confidence level P (50, 70, 85, 95) and number of scored forecasts n (10, 20, 40, 80, 160),
three forecasters are simulated, each forecast holding independently with probability:

* calibrated: P;
* too cautious: P + 0.6 × (100 − P) (85% → 94%);
* overconfident: P − 15 points (85% → 70%).

The verdict of ``deliveryops.analytics.calibration.judge_level`` is tallied per run; the table prints the
share of runs per verdict. A wrong verdict is "too cautious" or "overconfident" for the calibrated
forecaster, the opposite direction or "well calibrated" for the others.
"""

from __future__ import annotations

import argparse

from deliveryops.analytics.calibration import CalibrationOutcome, simulate_verdicts

LEVELS = (50, 70, 85, 95)
SCORED = (10, 20, 40, 80, 160)


def forecasters(level: int) -> dict[str, float]:
    """The true hit rate of each simulated forecaster at ``level``."""
    p = level / 100
    return {"calibrated": p, "too cautious": p + 0.6 * (1 - p), "overconfident": p - 0.15}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("| level | scored | forecaster (true hit rate) | well calibrated | too cautious | overconfident | not enough |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    for level in LEVELS:
        for scored in SCORED:
            for name, rate in forecasters(level).items():
                shares = simulate_verdicts(level=level, true_hit_rate=rate, scored=scored, runs=args.runs, seed=args.seed)
                cells = " | ".join(
                    f"{shares[o]:.1%}"
                    for o in (
                        CalibrationOutcome.WELL_CALIBRATED,
                        CalibrationOutcome.TOO_CAUTIOUS,
                        CalibrationOutcome.OVERCONFIDENT,
                        CalibrationOutcome.NOT_ENOUGH,
                    )
                )
                print(f"| {level}% | {scored} | {name} ({rate:.0%}) | {cells} |")


if __name__ == "__main__":
    main()
