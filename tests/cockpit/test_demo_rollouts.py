"""The demo organisation's two rollouts: progress against targets and what the data says about their effect."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from deliveryops.analytics.rollouts import RolloutOutcome
from deliveryops.cockpit.rollouts import service as rollouts
from tests.conftest import DEMO_NOW

pytestmark = pytest.mark.slow


def test_demo_rollouts_follow_their_teams_and_measure_the_effect(demo_session: Session) -> None:
    session = demo_session  # the demo organisation, built once per run (seed 3, today DEMO_NOW)
    found = {r.title: r for r in rollouts.list_rollouts(session=session)}
    aging = rollouts.report(session, found["Daily aging review in the Commerce and platform teams"], today=DEMO_NOW.date())
    progress = {p.team.name: (p.declared.value, p.on_time) for p in aging.teams}
    assert progress == {"Payments": ("adopted", True), "Data Platform": ("adopted", False), "Search": ("trying", None)}
    assert (aging.curve[0].declared, aging.curve[-1].declared, aging.curve[-1].teams) == (0, 2, 3)
    # Payments and Data Platform adopted on the days their flow truly changed (the simulator's step changes):
    # the estimate is a shorter 85th percentile cycle time, but two adopting teams leave a wide interval.
    assert (aging.effect.adopted_teams, aging.effect.comparison_teams) == (2, 4)
    assert aging.effect.effect is not None
    assert aging.effect.effect < 0
    postmortems = rollouts.report(session, found["Blameless postmortems for Growth and Mobile"], today=DEMO_NOW.date())
    # Nothing changes in Growth's or Mobile's flow when they adopt: no clear effect on throughput.
    assert postmortems.effect.outcome is RolloutOutcome.NO_CLEAR_EFFECT
    assert [p.on_time for p in postmortems.teams] == [True, False]  # Growth on its target, Mobile five days late
