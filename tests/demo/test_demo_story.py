"""The demo organisation tells one consistent story: every cross-reference an evaluator can follow agrees.

Actions and the retros or coaching insights they came from, retros and the coaching rule about retros
without actions, experiment decisions and their own results tables, and leadership questions and the
impediment clusters they cite. The run's shared demo organisation is only read.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from deliveryops.actions.models import ImprovementAction
from deliveryops.coaching.models import Insight
from deliveryops.cockpit.digest.models import LeadershipQuestion
from deliveryops.experiments import analysis
from deliveryops.experiments.models import Experiment
from deliveryops.impediments.models import Cluster, ClusterMember, Impediment
from deliveryops.retros.models import Retro
from tests.conftest import DEMO_NOW

NOW = DEMO_NOW
WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(demo_session: Session) -> Session:
    """The demo organisation shared by the run's demo tests (seed 3, "today" 2026-11-26), only read here."""
    return demo_session


def test_actions_agree_with_the_retros_and_insights_they_came_from(demo: Session) -> None:
    for action in demo.scalars(select(ImprovementAction)):
        if action.retro_id is not None:
            retro = demo.get(Retro, action.retro_id)
            assert retro is not None
            assert retro.finished_at is not None
            assert action.source == "retro", action.title
            assert retro.team_id == action.team_id
            # The retro decided the action, so it was held before the action started.
            assert retro.finished_at.date() <= action.started_on + timedelta(days=1), (action.title, retro.title)
        if action.source == "coaching":
            insight = demo.scalars(select(Insight).where(Insight.action_id == action.id)).first()
            assert insight is not None, f"{action.title!r} says it came from coaching, but no insight points to it"


def test_no_team_is_told_its_retros_had_no_action_when_one_came_out_of_them(demo: Session) -> None:
    claims = demo.scalars(select(Insight).where(Insight.kind == "retros_without_actions", Insight.resolved_at.is_(None))).all()
    for insight in claims:
        since = NOW.date() - timedelta(days=90)
        from_retros = demo.scalars(
            select(ImprovementAction).where(
                ImprovementAction.team_id == insight.team_id,
                ImprovementAction.started_on >= since,
                (ImprovementAction.source == "retro") | ImprovementAction.retro_id.is_not(None),
            )
        ).all()
        assert not from_retros, [a.title for a in from_retros]
    # And the retros themselves: a finished retro in that window whose action exists contradicts the claim.
    for insight in claims:
        linked = demo.scalars(
            select(ImprovementAction)
            .join(Retro, Retro.id == ImprovementAction.retro_id)
            .where(Retro.team_id == insight.team_id, Retro.finished_at >= NOW - timedelta(days=90))
        ).all()
        assert not linked, [a.title for a in linked]


def _percents(text: str) -> list[str]:
    return re.findall(r"[+-]?\d+(?:\.\d+)?%", text)


def test_experiment_decisions_quote_their_own_results(demo: Session) -> None:
    quoted = 0
    for experiment in demo.scalars(select(Experiment).where(Experiment.rationale != "")):
        results = analysis.results_of(demo, experiment, over_time=False).results
        shown = set()
        for result in results:
            for value in (result.lift, result.ci_low, result.ci_high):
                if value is not None:
                    shown.add(f"{value * 100:+.1f}%")
                    shown.add(f"{abs(value) * 100:.1f}%")
        for figure in _percents(experiment.rationale or ""):
            if figure in ("41%", "95%"):  # a business fact about wallets; the interval's level
                continue
            assert figure in shown, (experiment.title, figure, experiment.rationale)
            quoted += 1
        if "flat" in (experiment.rationale or "") or "unchanged" in (experiment.rationale or ""):
            words = (experiment.rationale or "").split(", ")
            for result in results:
                if any(result.metric in part and ("flat" in part or "unchanged" in part) for part in words):
                    assert not result.significant, (experiment.title, result.metric)
    assert quoted >= 10


def test_leadership_questions_cite_the_clusters_the_data_holds(demo: Session) -> None:
    teams = func.count(distinct(Impediment.team_id))
    sizes = {
        str(title): int(count)
        for title, count in demo.execute(
            select(Cluster.title, teams)
            .join(ClusterMember, ClusterMember.cluster_id == Cluster.id)
            .join(Impediment, Impediment.id == ClusterMember.impediment_id)
            .where(Cluster.status.in_(("proposed", "confirmed")))
            .group_by(Cluster.id, Cluster.title)
        )
    }
    cited = 0
    for question in demo.scalars(select(LeadershipQuestion)):
        match = re.search(r"\"([^\"]+)\" is the largest open cross-team impediment cluster: (\w+) teams", question.context)
        if "cluster" in question.context:
            assert match is not None, question.context
        if match is None:
            continue
        title, count = match.group(1), WORDS[match.group(2)]
        assert sizes.get(title) == count, (title, count, sizes)
        assert count == max(sizes.values())
        cited += 1
    assert cited == 1
