"""Benchmark of the experiment statistics engine (deliveryops.analytics.experiments).

Analyses ``--experiments`` experiments (default 1,000), each with ``--metrics`` metrics (default 10: means
with pre-period statistics, proportions and ratio metrics, one of them a guardrail) and ``--variations``
variations (default 3, control included), for each method (frequentist, sequential, bayesian), with and
without CUPED, two ways: all experiments in one :func:`analyse_many` call (vectorised over every
comparison), and one :func:`analyse` call per experiment. Building the inputs is not timed.
Each figure is the median of ``--runs`` runs (default 5). Target (product issue 10): ≤ 2 s for
1,000 × 10 × 3.

Usage::

    .venv/bin/python benchmarks/experiments_bench.py
    .venv/bin/python benchmarks/experiments_bench.py --experiments 200 --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from deliveryops.analytics.experiments import (
    AnalysisOptions,
    ArmStats,
    Method,
    MetricInput,
    MetricKind,
    analyse,
    analyse_many,
)

TARGET_SECONDS = 2.0


def synthetic_experiments(count: int, metrics: int, variations: int, *, seed: int) -> list[list[MetricInput]]:
    """Seeded sufficient statistics for ``count`` experiments.

    Args:
        count: experiments.
        metrics: metrics per experiment (kinds cycle mean, proportion, ratio).
        variations: arms per metric, control included.
        seed: numpy seed.

    Returns:
        One list of metrics per experiment.
    """
    rng = np.random.default_rng(seed)
    names = ["control", *(f"v{index}" for index in range(1, variations))]
    experiments: list[list[MetricInput]] = []
    for _ in range(count):
        units = rng.integers(5_000, 50_000, variations)
        metric_list = []
        for index in range(metrics):
            kind = (MetricKind.MEAN, MetricKind.PROPORTION, MetricKind.RATIO)[index % 3]
            arms = []
            for arm, name in enumerate(names):
                n = int(units[arm])
                mean = 20.0 * (1 + 0.02 * rng.standard_normal())
                if kind is MetricKind.PROPORTION:
                    conversions = float(rng.binomial(n, 0.1))
                    arms.append(ArmStats(name, n, conversions, conversions))
                    continue
                variance = 100.0
                total, squares = n * mean, (n - 1) * variance + n * mean * mean
                if kind is MetricKind.RATIO:
                    den_mean, den_variance = 3.0, 2.0
                    arms.append(
                        ArmStats(
                            name,
                            n,
                            total,
                            squares,
                            denominator_sum=n * den_mean,
                            denominator_sum_squares=(n - 1) * den_variance + n * den_mean**2,
                            cross_sum=(n - 1) * 5.0 + n * mean * den_mean,
                        )
                    )
                else:
                    pre_mean = 19.0
                    arms.append(
                        ArmStats(
                            name,
                            n,
                            total,
                            squares,
                            pre_sum=n * pre_mean,
                            pre_sum_squares=(n - 1) * 90.0 + n * pre_mean**2,
                            pre_cross_sum=(n - 1) * 60.0 + n * mean * pre_mean,
                        )
                    )
            role = "guardrail" if index == metrics - 1 else "primary" if index < 3 else "secondary"
            metric_list.append(MetricInput(f"metric_{index}", kind, tuple(arms), role=role))
        experiments.append(metric_list)
    return experiments


def median_seconds(
    experiments: list[list[MetricInput]], options: AnalysisOptions, runs: int, *, batched: bool
) -> tuple[float, float, float]:
    """Median, fastest and slowest wall time of analysing every experiment, in seconds.

    ``batched`` analyses all experiments in one :func:`analyse_many` call; otherwise one :func:`analyse`
    call per experiment (what a page showing one experiment does).
    """
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        if batched:
            analyse_many(experiments, options=options)
        else:
            for metrics in experiments:
                analyse(metrics, options=options)
        times.append(time.perf_counter() - began)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--variations", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    experiments = synthetic_experiments(arguments.experiments, arguments.metrics, arguments.variations, seed=arguments.seed)
    analyse(experiments[0], options=AnalysisOptions())  # warm-up: imports and first-call caches
    comparisons = arguments.experiments * arguments.metrics * (arguments.variations - 1)
    print(
        f"{arguments.experiments:,} experiments × {arguments.metrics} metrics × {arguments.variations} variations "
        f"= {comparisons:,} comparisons; median of {arguments.runs} runs; load average before: "
        f"{' '.join(f'{load:.2f}' for load in os.getloadavg())}"
    )
    print(f"| calls | method | CUPED | median s | min–max s | comparisons/s | target ≤ {TARGET_SECONDS:g} s |")
    print("|---|---|---|---:|---:|---:|---|")
    for batched in (True, False):
        for method in Method:
            for cuped in (False, True):
                median, fastest, slowest = median_seconds(
                    experiments, AnalysisOptions(method=method, cuped=cuped), arguments.runs, batched=batched
                )
                verdict = "met" if median <= TARGET_SECONDS else "missed"
                calls = "one analyse_many" if batched else "analyse per experiment"
                print(
                    f"| {calls} | {method.value} | {'on' if cuped else 'off'} | {median:.3f} | {fastest:.3f}–{slowest:.3f} | "
                    f"{comparisons / median:,.0f} | {verdict} |"
                )
    print(f"load average after: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
