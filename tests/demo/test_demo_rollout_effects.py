"""The demo organisation shows a rollout whose effect is measured from its teams' data, and rollouts without one."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from deliveryops.analytics.rollouts import RolloutOutcome
from deliveryops.cockpit.rollouts import service as rollouts
from tests.conftest import DEMO_NOW

pytestmark = pytest.mark.slow


def test_the_demo_shows_one_rollout_with_a_measured_effect_and_one_without(demo_session: Session) -> None:
    session = demo_session
    found = {r.title: r for r in rollouts.list_rollouts(session=session)}
    verdicts = {title: rollouts.report(session, rollout, today=DEMO_NOW.date()).effect for title, rollout in found.items()}
    # Data Platform, Growth and Payments adopted regular retrospectives on the days their WIP limits truly fell in
    # the simulator (staggered, 300, 275 and 250 days before the demo's today), Checkout, whose limit tightens
    # gradually, 225 days before; Mobile and Search had not adopted and serve as comparison teams. The staggered
    # difference-in-differences finds less work in progress, with a 95% interval that excludes zero.
    retros = verdicts["Regular retrospectives in Checkout, Data Platform, Growth and Payments"]
    assert (retros.outcome, retros.adopted_teams, retros.comparison_teams) == (RolloutOutcome.LOWER, 4, 2)
    assert retros.effect is not None
    assert retros.low is not None
    assert retros.high is not None
    assert retros.low < retros.effect < retros.high < 0
    # The others read no clear effect: the interval holds zero.
    without = [effect for title, effect in verdicts.items() if effect.outcome is RolloutOutcome.NO_CLEAR_EFFECT]
    assert len(without) == 2
    assert all(e.low is not None and e.high is not None and e.low < 0 < e.high for e in without)
