"""On the demo organisation, every team's one-pass flow summary equals its own ``flow_summary`` (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.analytics.flow import TeamFlowData, flow_summary, team_flow_summaries
from deliveryops.flow.data import load_team_data
from deliveryops.flow.service import default_types
from deliveryops.teams.models import Team
from tests.analytics.flow_histories import assert_same_summary
from tests.conftest import DEMO_NOW


def test_one_pass_per_team_results_equal_each_teams_flow_summary(demo_session: Session) -> None:
    teams: dict[str, TeamFlowData] = {}
    for team in demo_session.scalars(select(Team).order_by(Team.name)):
        data = load_team_data(demo_session, team)
        subset = data.only_types(default_types(data))
        teams[team.name] = TeamFlowData(subset.transitions, subset.items, subset.blocked, subset.workflow, subset.zone)
    # Teams sharing a zone and workflow are computed together: the demo has such teams.
    shared = Counter((inputs.zone, tuple(sorted(inputs.workflow.items()))) for inputs in teams.values())
    assert max(shared.values()) >= 2
    end = DEMO_NOW.date()
    for start in (end - timedelta(days=89), end - timedelta(days=540)):
        summaries = team_flow_summaries(teams, start=start, end=end, now=DEMO_NOW)
        assert list(summaries) == list(teams)
        for name, inputs in teams.items():
            expected = flow_summary(
                inputs.transitions,
                inputs.items,
                inputs.blocked,
                workflow=inputs.workflow,
                zone=inputs.zone,
                start=start,
                end=end,
                now=DEMO_NOW,
            )
            assert_same_summary(summaries[name], expected, name)
