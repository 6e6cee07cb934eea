"""The verdict rule's measured reliability, as published (benchmarks/README.md, docs/metrics.md).

These are results, not parameters: they come from ``benchmarks/verdict_bench.py`` on the frozen held-out
seed set (1,000 runs per cell) and tests/analytics/test_verdict_rates.py re-measures a sample of them
on fresh runs and fails when they no longer agree within binomial uncertainty. Each entry is
``(metric, pace) -> (false verdicts by week 26, worst of with and without seasonality;
30% improvement detected by week 8; by week 26)``, without seasonality for the detections. The pace is
items a week (flow metrics), production deployments a week (DORA keys) or people in the team, of whom 85%
answer each health-check round (health cards); ``Reliability.items_per_week`` holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from deliveryops.analytics.verdicts.simulation import HEALTH_ATTENDANCE

__all__ = ["LABELS", "RATES", "Reliability", "published", "reliability", "sentence"]


@dataclass(frozen=True, slots=True)
class Reliability:
    """Measured rates of the rule for one metric at one pace."""

    metric: str
    items_per_week: float
    false_rate: float
    detected_by_8: float
    detected_by_26: float


# From the held-out run of benchmarks/verdict_bench.py --runs 1000 (seed set 15900417).
RATES: dict[tuple[str, float], tuple[float, float, float]] = {
    ("cycle_time_p85", 2.0): (0.022, 0.116, 0.116),
    ("cycle_time_p85", 4.0): (0.025, 0.243, 0.364),
    ("cycle_time_p85", 10.0): (0.047, 0.590, 0.669),
    ("throughput", 2.0): (0.018, 0.022, 0.022),
    ("throughput", 4.0): (0.013, 0.059, 0.059),
    ("throughput", 10.0): (0.022, 0.165, 0.211),
    ("wip", 2.0): (0.036, 0.064, 0.064),
    ("wip", 4.0): (0.039, 0.106, 0.112),
    ("wip", 10.0): (0.053, 0.164, 0.215),
    ("flow_efficiency", 2.0): (0.019, 0.041, 0.041),
    ("flow_efficiency", 4.0): (0.020, 0.081, 0.087),
    ("flow_efficiency", 10.0): (0.023, 0.219, 0.448),
    ("blocked_days", 2.0): (0.037, 0.039, 0.039),
    ("blocked_days", 4.0): (0.032, 0.049, 0.049),
    ("blocked_days", 10.0): (0.033, 0.095, 0.095),
    # DORA keys and health cards: the held-out run of benchmarks/verdict_bench.py --runs 1000 --metrics
    # deployment_frequency,lead_time,change_failure_rate,time_to_restore,health_card (same seed set).
    ("deployment_frequency", 2.0): (0.014, 0.045, 0.045),
    ("deployment_frequency", 4.0): (0.016, 0.070, 0.070),
    ("deployment_frequency", 10.0): (0.017, 0.232, 0.273),
    ("lead_time", 2.0): (0.025, 0.206, 0.206),
    ("lead_time", 4.0): (0.031, 0.425, 0.498),
    ("lead_time", 10.0): (0.024, 0.877, 0.924),
    ("change_failure_rate", 2.0): (0.010, 0.018, 0.018),
    ("change_failure_rate", 4.0): (0.018, 0.040, 0.040),
    ("change_failure_rate", 10.0): (0.022, 0.062, 0.062),
    ("time_to_restore", 2.0): (0.000, 0.001, 0.001),
    ("time_to_restore", 4.0): (0.006, 0.017, 0.017),
    ("time_to_restore", 10.0): (0.018, 0.044, 0.044),
    ("health_card", 4.0): (0.013, 0.076, 0.078),
    ("health_card", 6.0): (0.017, 0.139, 0.148),
    ("health_card", 10.0): (0.022, 0.195, 0.238),
}


def reliability(metric: str, items_per_week: float) -> Reliability | None:
    """The measured rates at the simulated pace nearest to the team's (by ratio), or None when unmeasured."""
    paces = sorted({pace for name, pace in RATES if name == metric})
    if not paces or items_per_week <= 0:
        return None
    pace = min(paces, key=lambda candidate: abs(candidate - items_per_week) / min(candidate, items_per_week))
    false_rate, by_8, by_26 = RATES[(metric, pace)]
    return Reliability(metric, pace, false_rate, by_8, by_26)


def sentence(measured: Reliability, pace_unit: str = "items a week") -> str:
    """One sentence a delivery manager can read (``pace_unit``: what the team's pace counts)."""
    teams = {
        "items a week": f"finishing about {measured.items_per_week:g} items a week",
        "deployments a week": f"deploying to production about {measured.items_per_week:g} times a week",
        "people in the team": (
            f"of about {measured.items_per_week:g} people ({HEALTH_ATTENDANCE:.0%} of them answering each health-check round)"
        ),
    }.get(pace_unit, f"at about {measured.items_per_week:g} {pace_unit}")
    return (
        f"Measured reliability: on simulated teams {teams}, this rule "
        f"called a change that was not there in {measured.false_rate:.0%} of stable processes, and caught a real 30% "
        f"improvement in {measured.detected_by_8:.0%} of cases by week 8 ({measured.detected_by_26:.0%} by week 26)."
    )


LABELS = {
    "cycle_time_p85": "Cycle time (85th percentile)",
    "throughput": "Throughput",
    "wip": "Average WIP",
    "flow_efficiency": "Flow efficiency",
    "blocked_days": "Blocked time",
    "deployment_frequency": "Deployment frequency (DORA)",
    "lead_time": "Lead time for changes (DORA)",
    "change_failure_rate": "Change failure rate (DORA)",
    "time_to_restore": "Time to restore (DORA)",
    "health_card": "Health-check card",
}


def published() -> list[tuple[str, Reliability]]:
    """Every published row as ``(metric label, rates)``, metric by metric, slowest pace first."""
    order = list(LABELS)
    rows = [Reliability(metric, pace, *values) for (metric, pace), values in RATES.items()]
    rows.sort(key=lambda row: (order.index(row.metric) if row.metric in order else len(order), row.items_per_week))
    return [(LABELS.get(row.metric, row.metric), row) for row in rows]
