"""Improvement-action verdicts designed from their measured error rates.

* :mod:`.effects`: before/after effects with intervals (per item on the log scale, per week with an
  autocorrelation allowance);
* :mod:`.rule`: the verdict rule (fixed window, at most two looks, sustained shift, no change, not enough
  evidence with what is still needed);
* :mod:`.simulation`: the seeded harness that measures the rule's error rates;
* :mod:`.reliability`: the published (held-out) rates.
"""

from deliveryops.analytics.verdicts.effects import Effect, compare_items, compare_weeks
from deliveryops.analytics.verdicts.reliability import Reliability, reliability, sentence
from deliveryops.analytics.verdicts.rule import BASELINE_WEEKS, Outcome, RuleSettings, VerdictResult, judge_items, judge_weeks

__all__ = [
    "BASELINE_WEEKS",
    "Effect",
    "Outcome",
    "Reliability",
    "RuleSettings",
    "VerdictResult",
    "compare_items",
    "compare_weeks",
    "judge_items",
    "judge_weeks",
    "reliability",
    "sentence",
]
