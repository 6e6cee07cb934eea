"""Error rates of improvement-action verdicts on simulated processes whose truth is known.

The harness is :mod:`deliveryops.analytics.verdicts.simulation` (seeded, pure numpy). Two modes:

* ``--compare``: on the **tuning** seed set, the candidate rules side by side: the previous rule (weekly
  values on an XmR chart, three signals, re-judged every week) and the new rule at several confidence
  levels, with and without the sustained-shift check. The rule in ``RuleSettings()`` was chosen from this.
* default: the chosen rule on the frozen **held-out** seed set (evaluated once for the published table):
  every metric × rate (2, 4, 10 items a week) × seasonality × shift (0, 20, 30, 50%); false verdicts
  (improved or worsened on a stable process) and detections (improved when the process truly improved),
  counted by week 8, 13 and 26 after the action, with the share of final "no change" and "not enough
  evidence" verdicts.

Usage::

    .venv/bin/python benchmarks/verdict_bench.py --runs 1000            # held-out table
    .venv/bin/python benchmarks/verdict_bench.py --compare --runs 600   # tuning comparison
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace

from deliveryops.analytics.verdicts.rule import Outcome, RuleSettings
from deliveryops.analytics.verdicts.simulation import (
    HELD_OUT_SEED,
    METRICS,
    TUNING_SEED,
    Scenario,
    old_xmr_verdict,
    run_scenario,
    run_seed,
    simulate_history,
)

RATES = (2.0, 4.0, 10.0)
SHIFTS = (0.0, 0.2, 0.3, 0.5)
WEEKS = (8, 13, 26)


def _half_width(rate: float, runs: int) -> float:
    """Half-width of a 95% Wilson interval around a rate."""
    z = 1.96
    centre = (rate + z * z / (2 * runs)) / (1 + z * z / runs)
    return z * math.sqrt(rate * (1 - rate) / runs + z * z / (4 * runs * runs)) / (1 + z * z / runs) + abs(centre - rate)


def held_out(runs: int) -> None:
    """Print the full rates table of the chosen rule on the held-out seeds."""
    rules = RuleSettings()
    print(f"Rule: {rules}")
    print(f"Held-out seed set {HELD_OUT_SEED}, {runs} runs per row; ± is the 95% half-width at the worst rate shown.\n")
    header = ("metric", "items/week", "seasonal", "true shift", "verdict by week 8", "by week 13", "by week 26")
    print("| " + " | ".join([*header, "no change", "not enough evidence"]) + " |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    started = time.perf_counter()
    worst_false = 0.0
    for metric in METRICS:
        for rate in RATES:
            for seasonal in (False, True):
                for shift in SHIFTS:
                    result = run_scenario(
                        Scenario(metric, rate, shift, seasonal), runs, seed=HELD_OUT_SEED, settings=rules, weeks=WEEKS
                    )
                    if shift == 0:
                        cells = [result.false_rate(week) for week in WEEKS]
                        worst_false = max(worst_false, cells[-1])
                        label = "false"
                    else:
                        cells = [result.detection(week) for week in WEEKS]
                        label = "detected"
                    shown = " | ".join(f"{cell:.1%}" for cell in cells)
                    print(
                        f"| {metric} | {rate:g} | {'yes' if seasonal else 'no'} | {shift:.0%} | {label} {shown} "
                        f"| {result.rate(Outcome.NO_CHANGE):.1%} | {result.rate(Outcome.NOT_ENOUGH_EVIDENCE):.1%} |",
                        flush=True,
                    )
    print(f"\nWorst false-verdict rate over 26 weeks: {worst_false:.1%} (± {_half_width(worst_false, runs):.1%})")
    print(f"Elapsed {time.perf_counter() - started:.0f} s")


def _old_rates(scenario: Scenario, runs: int) -> dict[int, tuple[float, float]]:
    """The previous rule: (false or detected share, worsened share) as shown at each week."""
    counts = {week: [0, 0, 0] for week in WEEKS}  # improved, worsened
    for run in range(runs):
        history = simulate_history(
            run_seed(TUNING_SEED, scenario, run),
            rate=scenario.rate,
            shift_metric=scenario.metric if scenario.shift else None,
            shift=scenario.shift,
            seasonal=scenario.seasonal,
        )
        for week in WEEKS:
            outcome = old_xmr_verdict(history, scenario.metric, week)
            counts[week][0] += outcome == "improved"
            counts[week][1] += outcome == "worsened"
    return {week: (c[0] / runs, c[1] / runs) for week, c in counts.items()}


def compare(runs: int) -> None:
    """Print the candidates on the tuning seeds."""
    base = RuleSettings()
    candidates = {
        f"new, {level:.1%} interval, {'sustained' if sustained else 'no sustained check'}": replace(
            base, level=level, sustained=sustained
        )
        for level in (0.95, 0.975, 0.98)
        for sustained in (True, False)
    }
    print(f"Tuning seed set {TUNING_SEED}, {runs} runs per stable scenario, {runs // 2} per shifted one.\n")
    print("| rule | worst false by wk 26 | mean false by wk 26 | 30% detected at 4/wk (wk 8 / 26) | at 10/wk (wk 8 / 26) |")
    print("|---|---:|---:|---:|---:|")
    # The previous rule, re-judged every week: the verdict shown at week w.
    worst, total, cells = 0.0, 0.0, 0
    for metric in METRICS:
        for rate in RATES:
            for seasonal in (False, True):
                rates = _old_rates(Scenario(metric, rate, 0.0, seasonal), runs // 2)
                false = sum(rates[26])
                worst, total, cells = max(worst, false), total + false, cells + 1
    det4 = [_old_rates(Scenario(m, 4.0, 0.3), runs // 4) for m in METRICS]
    det10 = [_old_rates(Scenario(m, 10.0, 0.3), runs // 4) for m in METRICS]
    mean = lambda rows, week: sum(r[week][0] for r in rows) / len(rows)  # noqa: E731
    print(
        f"| previous (XmR, shown at week w; {runs // 2} runs) | {worst:.1%} | {total / cells:.1%} "
        f"| {mean(det4, 8):.0%} / {mean(det4, 26):.0%} | {mean(det10, 8):.0%} / {mean(det10, 26):.0%} |",
        flush=True,
    )
    for name, rules in candidates.items():
        worst, total, cells = 0.0, 0.0, 0
        for metric in METRICS:
            for rate in RATES:
                for seasonal in (False, True):
                    result = run_scenario(Scenario(metric, rate, 0.0, seasonal), runs, settings=rules, weeks=WEEKS)
                    worst, total, cells = max(worst, result.false_rate(26)), total + result.false_rate(26), cells + 1
        d4 = [run_scenario(Scenario(m, 4.0, 0.3), runs // 2, settings=rules, weeks=WEEKS) for m in METRICS]
        d10 = [run_scenario(Scenario(m, 10.0, 0.3), runs // 2, settings=rules, weeks=WEEKS) for m in METRICS]
        avg = lambda rows, week: sum(r.detection(week) for r in rows) / len(rows)  # noqa: E731
        print(
            f"| {name} | {worst:.1%} | {total / cells:.1%} | {avg(d4, 8):.0%} / {avg(d4, 26):.0%} "
            f"| {avg(d10, 8):.0%} / {avg(d10, 26):.0%} |",
            flush=True,
        )


def main() -> None:
    """Parse the arguments and run a mode."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000, help="runs per scenario (default 1000)")
    parser.add_argument("--compare", action="store_true", help="compare candidate rules on the tuning seeds")
    args = parser.parse_args()
    if args.compare:
        compare(args.runs)
    else:
        held_out(args.runs)


if __name__ == "__main__":
    main()
