"""The pooled verdict of an organisation-level action: the team verdicts of the teams it touches, read together.

Each touched team is judged by the team actions' rule (:mod:`.rule`); the pooled verdict says what the
teams show together, without a new test on their data:

* **improved** (or **worsened**): more than half of the touched teams improved (worsened) and none moved
  the other way;
* **mixed**: at least one team improved and at least one worsened;
* **no change**: more than half showed no change and none moved;
* **measuring**: none of the above yet, and some teams are still inside their first verdict window;
* **not enough evidence**: none of the above, all windows over.

Its error rates (a pooled "improved" or "worsened" when no team truly changed; "improved" when every team
improved by 30%) are measured on seeded simulations by ``benchmarks/org_action_bench.py`` and published in
:data:`PUBLISHED_RATES` and ``benchmarks/README.md``.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from deliveryops.analytics.verdicts.rule import Outcome

__all__ = ["PUBLISHED_RATES", "PooledOutcome", "PooledRates", "PooledVerdict", "pool", "rates_for"]


class PooledOutcome(enum.StrEnum):
    """What the touched teams show together."""

    IMPROVED = "improved"
    WORSENED = "worsened"
    MIXED = "mixed"
    NO_CHANGE = "no_change"
    MEASURING = "measuring"
    NOT_ENOUGH_EVIDENCE = "not_enough_evidence"

    @property
    def label(self) -> str:
        """For people."""
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class PooledVerdict:
    """The pooled outcome, the count of teams per team outcome and a sentence."""

    outcome: PooledOutcome
    teams: int
    counts: dict[str, int]
    text: str


def _count_text(counts: Counter[Outcome], teams: int) -> str:
    parts = [f"{counts[o]} {o.value.replace('_', ' ')}" for o in Outcome if counts[o]]
    return f"{teams} team{'s' if teams != 1 else ''}: " + (", ".join(parts) if parts else "none measured")


def pool(outcomes: Sequence[Outcome]) -> PooledVerdict:
    """Read the touched teams' verdicts together (see the module's rule)."""
    teams = len(outcomes)
    counts = Counter(outcomes)
    summary = _count_text(counts, teams)
    improved, worsened = counts[Outcome.IMPROVED], counts[Outcome.WORSENED]
    majority = teams // 2 + 1
    if teams == 0:
        outcome, why = PooledOutcome.NOT_ENOUGH_EVIDENCE, "no team is measured."
    elif improved and worsened:
        outcome, why = PooledOutcome.MIXED, "some teams improved and some worsened: look at each team."
    elif improved >= majority:
        outcome, why = PooledOutcome.IMPROVED, "more than half of the teams improved and none worsened."
    elif worsened >= majority:
        outcome, why = PooledOutcome.WORSENED, "more than half of the teams worsened and none improved."
    elif counts[Outcome.NO_CHANGE] >= majority and not improved and not worsened:
        outcome, why = PooledOutcome.NO_CHANGE, "more than half of the teams show no change and none moved."
    elif counts[Outcome.MEASURING]:
        outcome, why = PooledOutcome.MEASURING, "some teams are still inside their first verdict window."
    else:
        outcome, why = PooledOutcome.NOT_ENOUGH_EVIDENCE, "no majority of the teams moved, and none is still measuring."
    return PooledVerdict(
        outcome=outcome,
        teams=teams,
        counts={o.value: counts[o] for o in Outcome},
        text=f"Across the teams: {outcome.label} \u2014 {why} ({summary})",
    )


@dataclass(frozen=True)
class PooledRates:
    """Measured on held-out simulations (``benchmarks/org_action_bench.py``), per number of touched teams."""

    teams: int
    false_pooled: float  # pooled improved or worsened when no team truly changed (by week 26)
    detected_all_30: float  # pooled improved when every team improved by 30%
    detected_half_30: float  # pooled improved when half the teams (rounded down) improved by 30%, the others not


# Cycle time at 10 finished items a week per team, 600 simulated organisations per cell, held-out seeds
# (``benchmarks/org_action_bench.py --runs 600``). None of the 600 stable organisations of any size got a
# pooled change: the 95% upper bound of that rate is 0.6%.
PUBLISHED_RATES: tuple[PooledRates, ...] = (
    PooledRates(teams=2, false_pooled=0.0, detected_all_30=0.457, detected_half_30=0.012),
    PooledRates(teams=3, false_pooled=0.0, detected_all_30=0.742, detected_half_30=0.020),
    PooledRates(teams=5, false_pooled=0.0, detected_all_30=0.795, detected_half_30=0.018),
    PooledRates(teams=8, false_pooled=0.0, detected_all_30=0.737, detected_half_30=0.005),
)


def rates_for(teams: int) -> PooledRates | None:
    """The published rates of the nearest number of touched teams (None before any is published)."""
    if not PUBLISHED_RATES:
        return None
    return min(PUBLISHED_RATES, key=lambda rates: (abs(rates.teams - teams), rates.teams))
