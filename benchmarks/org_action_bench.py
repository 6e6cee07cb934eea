"""Error rates of the pooled verdict of organisation-level actions on simulated teams whose truth is known.

Each simulated organisation-level action touches ``k`` teams; each team's history comes from the verdict
harness (:mod:`deliveryops.analytics.verdicts.simulation`, seeded) and is judged by the team actions' rule;
the pooled verdict (:func:`deliveryops.analytics.verdicts.pooled.pool`) reads the team verdicts together.
Three truths: no team changed; every team improved by 30%; half of the teams (rounded down) improved by 30%
and the others did not change.

Usage::

    .venv/bin/python benchmarks/org_action_bench.py --runs 600              # held-out seeds (published)
    .venv/bin/python benchmarks/org_action_bench.py --runs 600 --tuning     # tuning seeds
"""

from __future__ import annotations

import argparse
import time

from deliveryops.analytics.verdicts.pooled import PooledOutcome, pool
from deliveryops.analytics.verdicts.simulation import HELD_OUT_SEED, TUNING_SEED, Scenario, judge_history, run_seed, simulate

TEAM_COUNTS = (2, 3, 5, 8)
METRIC = "cycle_time_p85"
RATE = 10.0


def pooled_outcome(seed: int, teams: int, shifted: int, run: int, metric: str = METRIC) -> PooledOutcome:
    """The pooled verdict of one simulated action: ``shifted`` of ``teams`` teams truly improved by 30%."""
    outcomes = []
    for team in range(teams):
        shift = 0.3 if team < shifted else 0.0
        scenario = Scenario(metric=f"{metric}", rate=RATE, shift=shift)
        rng = run_seed(seed, scenario, run * 100 + team + 1000 * teams)
        history = simulate(rng, metric, rate=RATE, shift=shift, after_weeks=26)
        outcomes.append(judge_history(history, metric).outcome)
    return pool(outcomes).outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=600)
    parser.add_argument("--tuning", action="store_true", help="use the tuning seeds instead of the held-out ones")
    parser.add_argument("--metric", default=METRIC)
    args = parser.parse_args()
    seed = TUNING_SEED if args.tuning else HELD_OUT_SEED + 1
    started = time.perf_counter()
    print(f"metric {args.metric}, {RATE:g} items a week per team, {args.runs} organisations per cell, seed {seed}")
    print("teams | false pooled change (no team changed) | pooled improved (all +30%) | pooled improved (half +30%)")
    for teams in TEAM_COUNTS:
        cells = []
        for shifted in (0, teams, teams // 2):
            results = [pooled_outcome(seed, teams, shifted, run, args.metric) for run in range(args.runs)]
            if shifted == 0:
                hits = sum(1 for r in results if r in (PooledOutcome.IMPROVED, PooledOutcome.WORSENED))
            else:
                hits = sum(1 for r in results if r is PooledOutcome.IMPROVED)
            cells.append(f"{hits / args.runs:.1%}")
        print(f"{teams:5d} | {cells[0]:>39} | {cells[1]:>26} | {cells[2]:>27}")
    print(f"took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
