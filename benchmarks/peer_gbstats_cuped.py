"""How far relative CUPED intervals differ from gbstats 0.8.0 on random cases, by covariate correlation per arm.

Our relative CUPED variance is current gbstats' ``frequentist_variance_relative_cuped``; gbstats 0.8.0 used
the plain delta method on the adjusted variances (see docs/experiment-statistics.md). The fixed cases of
``benchmarks/peer_gbstats.py`` differ by at most 4.7e-5; this script draws seeded random two-arm cases and
reports the largest difference on an interval bound, in absolute terms and as a share of gbstats' interval
half-width, separately for cases whose covariate correlation is the same in both arms and cases where it
differs. It uses the same gbstats virtualenv and runner as ``peer_gbstats.py``.

Usage::

    .venv/bin/python benchmarks/peer_gbstats_cuped.py                # 400 cases per group, seed 25
    .venv/bin/python benchmarks/peer_gbstats_cuped.py --cases 1000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from peer_gbstats import DEFAULT_VENV, METHODS, RUNNER, Case, ensure_venv, gb_080, sums

from deliveryops.analytics.experiments import MetricKind, analyse

RELATIVE = [spec for spec in METHODS if spec.relative]


def random_case(rng: np.random.Generator, index: int, *, same_correlation: bool) -> tuple[Case, float, float]:
    """A two-arm CUPED mean case; returns it and the covariate correlation drawn for each arm."""
    n_control, n_treatment = (int(rng.integers(200, 20_000)) for _ in range(2))
    rho_control = float(rng.uniform(0.0, 0.95))
    rho_treatment = rho_control if same_correlation else float(rng.uniform(0.0, 0.95))
    base = float(rng.uniform(5.0, 100.0))
    lift = float(rng.normal(0.0, 0.05))
    arms = []
    for name, n, rho, shift in (("control", n_control, rho_control, 0.0), ("treatment", n_treatment, rho_treatment, lift)):
        pre = rng.normal(base, base * 0.4, n)
        noise = rng.normal(0.0, base * 0.4, n)
        post = base * (1 + shift) + rho * (pre - base) + np.sqrt(1 - rho * rho) * noise
        arms.append(sums(name, post, pre=pre))
    return Case(f"random {index}", MetricKind.MEAN, tuple(arms), cuped=True), rho_control, rho_treatment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="the gbstats virtualenv (created if missing)")
    parser.add_argument("--cases", type=int, default=400, help="random cases per group")
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()
    python = ensure_venv(args.venv)
    rng = np.random.default_rng(args.seed)
    groups: dict[str, list[tuple[Case, float, float]]] = {
        "same correlation in both arms": [random_case(rng, i, same_correlation=True) for i in range(args.cases)],
        "different correlation per arm": [random_case(rng, i, same_correlation=False) for i in range(args.cases)],
    }
    cases = [case for drawn in groups.values() for case, _, _ in drawn]
    request = {
        "cases": [case.to_json() for case in cases],
        "methods": [spec.to_json() for spec in RELATIVE],
        "srm": [],
        "timed_methods": [],
        "batch": [],
        "runs": 0,
    }
    with tempfile.TemporaryDirectory() as folder:
        runner = Path(folder) / "gbstats_runner.py"
        runner.write_text(RUNNER, encoding="utf-8")
        done = subprocess.run(
            [str(python), str(runner)], input=json.dumps(request), capture_output=True, text=True, check=False, cwd=folder
        )
    if done.returncode != 0:
        sys.exit(f"gbstats runner failed:\n{done.stderr[-3000:]}")
    theirs = iter(json.loads(done.stdout)["results"])

    print(
        f"## Relative CUPED interval bounds: deliveryops vs gbstats 0.8.0, {args.cases} random cases per group, "
        f"seed {args.seed}\n"
    )
    print(
        "| cases | method | largest abs diff on a bound | its share of gbstats' half-width | largest share "
        "| correlations of the worst case (control / treatment) | gbstats rebuilt by 0.8.0's rule to 1e-6 |"
    )
    print("|---|---|---:|---:|---:|---|---:|")
    results: dict[tuple[str, str], list[tuple[float, float, float, float]]] = {}
    rebuilt: dict[tuple[str, str], int] = {}
    unchecked: dict[tuple[str, str], int] = {}
    for group, drawn in groups.items():
        for case, rho_control, rho_treatment in drawn:
            for spec in RELATIVE:
                ours = analyse([case.metric()], options=spec.options(cuped=True)).results[0]
                other = next(theirs)
                half = (other["ci_high"] - other["ci_low"]) / 2
                diff = max(abs(ours.ci_low - other["ci_low"]), abs(ours.ci_high - other["ci_high"]))
                results.setdefault((group, spec.name), []).append((diff, diff / half, rho_control, rho_treatment))
                try:
                    rule = gb_080(case, 1, spec)
                except OverflowError:  # the rebuild's sequential p-value overflows for huge effects: not checked
                    unchecked[(group, spec.name)] = unchecked.get((group, spec.name), 0) + 1
                    continue
                same = max(abs(rule["ci_low"] - other["ci_low"]), abs(rule["ci_high"] - other["ci_high"])) <= 1e-6
                rebuilt[(group, spec.name)] = rebuilt.get((group, spec.name), 0) + same
    for (group, method), rows in results.items():
        worst = max(rows, key=lambda row: row[0])
        share = max(row[1] for row in rows)
        print(
            f"| {group} | {method} | {worst[0]:.1e} | {worst[1]:.2%} | {share:.2%} | {worst[2]:.2f} / {worst[3]:.2f} "
            f"| {rebuilt.get((group, method), 0)} of {len(rows) - unchecked.get((group, method), 0)} |"
        )


if __name__ == "__main__":
    main()
