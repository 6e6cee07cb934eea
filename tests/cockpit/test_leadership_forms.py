"""The leadership page's forms read their input into the pack's models; a refused field is named beside it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.cockpit.digest.models import LeadershipQuestion
from tests.cockpit.test_portfolio import build_cockpit_world
from tests.factories import login


def _questions(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(LeadershipQuestion)) or 0


def test_a_context_too_long_is_named_beside_it_and_the_text_comes_back(client: TestClient, session: Session) -> None:
    world = build_cockpit_world(session)
    csrf = login(client, world.ops.email)
    before = _questions(session)
    data = {"csrf_token": csrf, "period": "2026-11", "group": "commerce", "text": "Hire a platform team?", "context": "c" * 5001}
    response = client.post("/cockpit/leadership/questions", data=data)
    assert response.status_code == 422
    assert 'id="context-error"' in response.text
    assert 'value="Hire a platform team?"' in response.text
    assert _questions(session) == before


def test_a_decision_is_recorded_through_its_form(client: TestClient, session: Session) -> None:
    world = build_cockpit_world(session)
    csrf = login(client, world.ops.email)
    added = client.post(
        "/cockpit/leadership/questions", data={"csrf_token": csrf, "period": "2026-11", "text": "Pause feature work?"}
    )
    assert added.status_code == 303
    question = session.scalars(select(LeadershipQuestion).order_by(LeadershipQuestion.id.desc())).first()
    assert question is not None
    decided = client.post(
        f"/cockpit/leadership/questions/{question.id}/decide", data={"csrf_token": csrf, "decision": "Yes, for a sprint."}
    )
    assert decided.status_code == 303
    session.expire_all()
    assert session.get(LeadershipQuestion, question.id).decision == "Yes, for a sprint."  # type: ignore[union-attr]
