"""The decision brief's decide form reads its model through the form adapter (issue 17): an empty or too long
decision is named beside the field and what was typed is kept."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.cockpit.digest.models import LeadershipQuestion
from deliveryops.cockpit.leadership.service import add_question
from tests.factories import login, make_group, make_user


def test_the_decision_is_checked_beside_its_field(client: TestClient, session: Session) -> None:
    leader = make_user(session, role=Role.LEADER)
    group = make_group(session, name="Commerce")
    question = add_question(session=session, actor=None, period="2026-Q4", text="Launch referrals?", group_id=group.id)
    csrf = login(client, leader.email)
    url = f"/outcomes/decisions/{question.id}/decide"
    empty = client.post(url, data={"decision": "  ", "csrf_token": csrf})
    assert empty.status_code == 422
    assert "Write what was decided." in empty.text
    too_long = client.post(url, data={"decision": "Go" * 2001, "csrf_token": csrf})
    assert too_long.status_code == 422
    assert "Decision has at most 4,000 characters." in too_long.text
    assert "GoGoGo" in too_long.text
    done = client.post(url, data={"decision": "Launch referrals", "csrf_token": csrf})
    assert done.status_code == 303
    session.expire_all()
    stored = session.get(LeadershipQuestion, question.id)
    assert stored is not None
    assert (stored.status, stored.decision) == ("decided", "Launch referrals")
