"""A rollout's effect measured from teams' declared adoption and their finished items (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.actions.models import TargetMetric
from deliveryops.analytics.rollouts import RolloutOutcome
from deliveryops.cockpit.adoption import service as adoption
from deliveryops.cockpit.catalogue import service as catalogue
from deliveryops.cockpit.rollouts.service import adopted_since, measure_rollout
from tests.actions.test_actions import FIRST_MONDAY, THIS_MONDAY, weekly_team
from tests.factories import join, make_user, token_headers

ADOPTION_WEEK = 16


def test_adopters_finishing_four_more_a_week_than_the_others(session: Session) -> None:
    entry = catalogue.create(session=session, actor=None, kind="practice", name="Pairing", category="flow")
    rhythm = [5 + week % 2 for week in range(28)]
    adopters = [
        weekly_team(session, [n + (4 if week >= ADOPTION_WEEK else 0) for week, n in enumerate(rhythm)]) for _ in range(3)
    ]
    others = [weekly_team(session, rhythm) for _ in range(3)]
    adopted_at = datetime.combine(FIRST_MONDAY + timedelta(weeks=ADOPTION_WEEK), datetime.min.time(), tzinfo=UTC)
    for team in adopters:
        adoption.set_state(
            session=session,
            actor=None,
            team_id=team.id,
            entry_id=entry.id,
            state="trying",
            set_at=adopted_at - timedelta(weeks=4),
        )
        adoption.set_state(
            session=session,
            actor=None,
            team_id=team.id,
            entry_id=entry.id,
            state="adopted",
            set_at=adopted_at + timedelta(hours=10),
        )
    # A team that adopted and went back is a comparison team.
    adoption.set_state(session=session, actor=None, team_id=others[0].id, entry_id=entry.id, state="adopted", set_at=adopted_at)
    adoption.set_state(
        session=session,
        actor=None,
        team_id=others[0].id,
        entry_id=entry.id,
        state="trying",
        set_at=adopted_at + timedelta(days=1),
    )
    since = adopted_since(session, entry_id=entry.id, team_ids=[t.id for t in adopters + others])
    assert since[adopters[0].id] == adopted_at.date()
    assert since[others[0].id] is None

    result = measure_rollout(session, entry_id=entry.id, teams=adopters + others, today=THIS_MONDAY + timedelta(days=2))
    assert result.effect == pytest.approx(4.0)
    assert (result.adopted_teams, result.comparison_teams) == (3, 3)
    assert result.outcome is RolloutOutcome.HIGHER

    # Without comparison teams there is not enough evidence.
    alone = measure_rollout(session, entry_id=entry.id, teams=adopters, today=THIS_MONDAY + timedelta(days=2))
    assert alone.outcome is RolloutOutcome.NOT_ENOUGH

    with pytest.raises(ValueError, match="not a flow metric"):
        measure_rollout(session, entry_id=entry.id, teams=adopters, today=THIS_MONDAY, metric=TargetMetric.HEALTH_CARD)


def test_api_rollout_effect_and_its_audience(session: Session, client: TestClient) -> None:
    entry = catalogue.create(session=session, actor=None, kind="practice", name="Swarming", category="flow")
    teams = [weekly_team(session, [3] * 28) for _ in range(4)]
    ops = make_user(session, role=Role.PRODUCT_OPS)
    member = make_user(session)
    join(session, teams[0], member)
    session.commit()
    query = "&".join(f"team_id={t.id}" for t in teams)
    answer = client.get(f"/api/v1/cockpit/catalogue/{entry.id}/rollout-effect?{query}", headers=token_headers(session, ops))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["outcome"], body["adopted_teams"], body["comparison_teams"]) == ("not_enough_evidence", 0, 0)
    assert body["definition"] == "/definitions#rollout-effect"
    refused = client.get(f"/api/v1/cockpit/catalogue/{entry.id}/rollout-effect?{query}", headers=token_headers(session, member))
    assert refused.status_code == 403
    wrong = client.get(
        f"/api/v1/cockpit/catalogue/{entry.id}/rollout-effect?{query}&metric=health_card",
        headers=token_headers(session, ops),
    )
    assert wrong.status_code == 422
