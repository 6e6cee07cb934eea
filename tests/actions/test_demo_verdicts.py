"""The demo's improvement actions: built on the simulator's known changes, judged right by the verdicts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.actions import service
from deliveryops.actions.measure import Outcome
from deliveryops.actions.models import ImprovementAction
from deliveryops.demo.actions import KNOWN_EFFECTS, build_actions
from deliveryops.demo.dora import build_dora
from deliveryops.demo.simulated import import_simulated
from deliveryops.simulate import simulate_organisation

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.slow
def test_demo_actions_that_worked_improved_and_those_that_did_nothing_did_not(session: Session) -> None:
    for simulated in simulate_organisation(teams=6, months=18, seed=7, end=NOW.date()):
        import_simulated(session, simulated)
    build_dora(session, now=NOW, seed=7)
    build_actions(session, now=NOW)
    verdicts = {}
    for action in session.scalars(select(ImprovementAction).where(ImprovementAction.target_metric.is_not(None))):
        measured = service.measurement(session, action)
        assert measured is not None
        verdicts[action.title] = measured.verdict
    assert set(verdicts) == set(KNOWN_EFFECTS)
    for title, truth in KNOWN_EFFECTS.items():
        outcome = verdicts[title].outcome
        if truth == "worked":
            # Never a wrong verdict; "not enough evidence" is allowed where the data cannot tell.
            assert outcome in (Outcome.IMPROVED, Outcome.NOT_ENOUGH_EVIDENCE), (title, verdicts[title].explanation)
        elif truth == "nothing":
            assert outcome in (Outcome.NO_CHANGE, Outcome.NOT_ENOUGH_EVIDENCE), (title, verdicts[title].explanation)
    # Work taking 45% as long from the action's date: clearly caught, with a clear effect.
    split = verdicts["Split stories below three days"]
    assert split.outcome is Outcome.IMPROVED
    assert split.result.effect is not None
    assert split.result.effect.relative_high is not None
    assert split.result.effect.relative_high < 0
    # The DORA keys are judged from the team's deployments and changes: an effect with its interval, and no
    # improved or worsened on a delivery process that did not change (checked above).
    for title in ("Review pull requests within the hour", "Generate release notes automatically"):
        assert verdicts[title].result.effect is not None, title
        assert verdicts[title].result.final, title
    # Blocks a quarter as long, but blocked time is too sparse and noisy in this team to tell within 8 weeks.
    assert verdicts["Request data access at refinement, not at start"].outcome is Outcome.NOT_ENOUGH_EVIDENCE
