"""Error rates of improvement-action verdicts on simulated processes whose truth is known.

The harness is :mod:`deliveryops.analytics.verdicts.simulation` (seeded, pure numpy). Two modes:

* ``--compare``: on the **tuning** seed set, the candidate rules side by side: the previous rule (weekly
  values on an XmR chart, three signals, re-judged every week) and the new rule at several confidence
  levels, with and without the sustained-shift check. The rule in ``RuleSettings()`` was chosen from this.
* default: the chosen rule on the frozen **held-out** seed set (evaluated once for the published table):
  every metric × pace (2, 4, 10 items or production deployments a week; 4, 6, 10 people answering a
  health check) × seasonality × shift (0, 20, 30, 50%); false verdicts
  (improved or worsened on a stable process) and detections (improved when the process truly improved),
  counted by week 8, 13 and 26 after the action, with the share of final "no change" and "not enough
  evidence" verdicts.

Usage::

    .venv/bin/python benchmarks/verdict_bench.py --runs 1000            # held-out table
    .venv/bin/python benchmarks/verdict_bench.py --compare --runs 600   # tuning comparison (flow metrics)
    .venv/bin/python benchmarks/verdict_bench.py --compare-clustering --runs 600  # DORA per-event keys
    .venv/bin/python benchmarks/verdict_bench.py --tuning --metrics lead_time,health_card --runs 600
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace

from deliveryops.analytics.verdicts.rule import Outcome, RuleSettings, settings_for
from deliveryops.analytics.verdicts.simulation import (
    FLOW_METRICS,
    HELD_OUT_SEED,
    METRICS,
    PACES,
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


def held_out(runs: int, metrics: tuple[str, ...] = METRICS, seed: int = HELD_OUT_SEED) -> None:
    """Print the full rates table of the chosen rule on the held-out seeds (or the tuning seeds)."""
    print(
        f"Rule: {RuleSettings()}; per metric: "
        + ", ".join(f"{m}: {settings_for(m)}" for m in metrics if settings_for(m) != RuleSettings())
    )
    print(f"Seed set {seed}, {runs} runs per row; ± is the 95% half-width at the worst rate shown.\n")
    header = ("metric", "pace", "seasonal", "true shift", "verdict by week 8", "by week 13", "by week 26")
    print("| " + " | ".join([*header, "no change", "not enough evidence"]) + " |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    started = time.perf_counter()
    worst_false = 0.0
    for metric in metrics:
        for rate in PACES[metric]:
            for seasonal in (False, True):
                for shift in SHIFTS:
                    result = run_scenario(
                        Scenario(metric, rate, shift, seasonal), runs, seed=seed, settings=settings_for(metric), weeks=WEEKS
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
    for metric in FLOW_METRICS:
        for rate in RATES:
            for seasonal in (False, True):
                rates = _old_rates(Scenario(metric, rate, 0.0, seasonal), runs // 2)
                false = sum(rates[26])
                worst, total, cells = max(worst, false), total + false, cells + 1
    det4 = [_old_rates(Scenario(m, 4.0, 0.3), runs // 4) for m in FLOW_METRICS]
    det10 = [_old_rates(Scenario(m, 10.0, 0.3), runs // 4) for m in FLOW_METRICS]
    mean = lambda rows, week: sum(r[week][0] for r in rows) / len(rows)  # noqa: E731
    print(
        f"| previous (XmR, shown at week w; {runs // 2} runs) | {worst:.1%} | {total / cells:.1%} "
        f"| {mean(det4, 8):.0%} / {mean(det4, 26):.0%} | {mean(det10, 8):.0%} / {mean(det10, 26):.0%} |",
        flush=True,
    )
    for name, rules in candidates.items():
        worst, total, cells = 0.0, 0.0, 0
        for metric in FLOW_METRICS:
            for rate in RATES:
                for seasonal in (False, True):
                    result = run_scenario(Scenario(metric, rate, 0.0, seasonal), runs, settings=rules, weeks=WEEKS)
                    worst, total, cells = max(worst, result.false_rate(26)), total + result.false_rate(26), cells + 1
        d4 = [run_scenario(Scenario(m, 4.0, 0.3), runs // 2, settings=rules, weeks=WEEKS) for m in FLOW_METRICS]
        d10 = [run_scenario(Scenario(m, 10.0, 0.3), runs // 2, settings=rules, weeks=WEEKS) for m in FLOW_METRICS]
        avg = lambda rows, week: sum(r.detection(week) for r in rows) / len(rows)  # noqa: E731
        print(
            f"| {name} | {worst:.1%} | {total / cells:.1%} | {avg(d4, 8):.0%} / {avg(d4, 26):.0%} "
            f"| {avg(d10, 8):.0%} / {avg(d10, 26):.0%} |",
            flush=True,
        )


def compare_clustering(runs: int) -> None:
    """Tuning seeds: the per-event DORA keys judged as independent events, and with the week-clustering
    allowance (``RuleSettings.cluster_weeks``)."""
    print(f"Tuning seed set {TUNING_SEED}, {runs} runs per cell.\n")
    print("| metric | deployments/week | allowance | false by wk 26 (no season / season) | 30% detected by wk 8 / 26 |")
    print("|---|---:|---|---:|---:|")
    for metric in ("lead_time", "time_to_restore"):
        for rate in PACES[metric]:
            for name, rules in (("none", RuleSettings()), ("week clustering", RuleSettings(cluster_weeks=True))):
                false = [
                    run_scenario(Scenario(metric, rate, 0.0, seasonal), runs, settings=rules, weeks=WEEKS).false_rate(26)
                    for seasonal in (False, True)
                ]
                found = run_scenario(Scenario(metric, rate, 0.3), runs, settings=rules, weeks=WEEKS)
                print(
                    f"| {metric} | {rate:g} | {name} | {false[0]:.1%} / {false[1]:.1%} "
                    f"| {found.detection(8):.0%} / {found.detection(26):.0%} |",
                    flush=True,
                )


def main() -> None:
    """Parse the arguments and run a mode."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000, help="runs per scenario (default 1000)")
    parser.add_argument("--compare", action="store_true", help="compare candidate rules on the tuning seeds (flow metrics)")
    parser.add_argument("--metrics", default="", help="comma-separated metrics for the table (default: all)")
    parser.add_argument("--tuning", action="store_true", help="the table on the tuning seeds instead of the held-out ones")
    parser.add_argument("--compare-clustering", action="store_true", help="DORA per-event keys with and without clustering")
    args = parser.parse_args()
    metrics = tuple(name for name in args.metrics.split(",") if name) or METRICS
    unknown = [name for name in metrics if name not in METRICS]
    if unknown:
        parser.error(f"unknown metric {unknown[0]!r}; choose from {', '.join(METRICS)}")
    if args.compare:
        compare(args.runs)
    elif args.compare_clustering:
        compare_clustering(args.runs)
    else:
        held_out(args.runs, metrics, TUNING_SEED if args.tuning else HELD_OUT_SEED)


if __name__ == "__main__":
    main()
