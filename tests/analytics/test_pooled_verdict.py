"""The pooled verdict of an organisation-level action, on hand-worked cases."""

from __future__ import annotations

import pytest

from deliveryops.analytics.verdicts.pooled import PooledOutcome, pool
from deliveryops.analytics.verdicts.rule import Outcome

UP, W, N, E, M = Outcome.IMPROVED, Outcome.WORSENED, Outcome.NO_CHANGE, Outcome.NOT_ENOUGH_EVIDENCE, Outcome.MEASURING


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([UP, UP, N], PooledOutcome.IMPROVED),  # 2 of 3 is more than half, none worsened
        ([UP, N, N, E], PooledOutcome.NOT_ENOUGH_EVIDENCE),  # 1 of 4 improved: no majority
        ([UP, UP, N, N], PooledOutcome.NOT_ENOUGH_EVIDENCE),  # half is not more than half
        ([UP, UP, W], PooledOutcome.MIXED),
        ([W, W, E], PooledOutcome.WORSENED),
        ([N, N, E], PooledOutcome.NO_CHANGE),
        ([N, M, M], PooledOutcome.MEASURING),
        ([UP], PooledOutcome.IMPROVED),  # one team: its own verdict
        ([], PooledOutcome.NOT_ENOUGH_EVIDENCE),
    ],
)
def test_pooled_outcomes(outcomes: list[Outcome], expected: PooledOutcome) -> None:
    assert pool(outcomes).outcome is expected


def test_the_sentence_counts_the_teams() -> None:
    verdict = pool([UP, UP, N])
    assert verdict.counts == {"improved": 2, "worsened": 0, "no_change": 1, "not_enough_evidence": 0, "measuring": 0}
    assert verdict.text == (
        "Across the teams: improved \u2014 more than half of the teams improved and none worsened. "
        "(3 teams: 2 improved, 1 no change)"
    )
