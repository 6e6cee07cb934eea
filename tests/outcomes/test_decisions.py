"""Decision briefs through the API: options, evidence, the expected effect and its follow-up on a hand-worked series."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.cockpit.leadership.service import add_question, decide_question
from deliveryops.db import utcnow
from tests.factories import login, make_group, make_user, token_headers


def test_brief_evidence_decision_and_follow_up(client: TestClient, session: Session) -> None:
    ops, leader, member = make_user(session, role=Role.PRODUCT_OPS), make_user(session, role=Role.LEADER), make_user(session)
    group = make_group(session, name="Commerce")
    question = add_question(session=session, actor=None, period="2026-Q4", text="Launch referrals?", group_id=group.id)
    headers = token_headers(session, ops)
    series = client.post("/api/v1/kpi-series", json={"name": "Sign-ups", "group_id": group.id}, headers=headers).json()
    today = utcnow().date()
    decided = today - timedelta(weeks=4)
    # Before: 10, 12 alternating (σ̂ = 2 / 1.128); after: 16, 18 → change +6 > 4 σ̂ √(1/4 + 1/6) = 4.578: appeared.
    values = [{"on": (decided - timedelta(weeks=6 - i)).isoformat(), "value": v} for i, v in enumerate([10, 12, 10, 12, 10, 12])]
    values += [{"on": (decided + timedelta(weeks=i)).isoformat(), "value": v} for i, v in enumerate([16, 18, 16, 18])]
    client.post(f"/api/v1/kpi-series/{series['id']}/values", json={"values": values}, headers=headers)
    url = f"/api/v1/decision-briefs/{question.id}"
    missing = client.put(url, json={"effect_series_id": series["id"], "effect_direction": "increase"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["error"]["details"]["fields"] == {
        "effect_size": "An expected effect needs its direction, size, decision date and follow-up date."
    }
    body = {
        "options": "Launch referrals\nRedesign loyalty",
        "recommendation": "Launch referrals",
        "effect_series_id": series["id"],
        "effect_direction": "increase",
        "effect_size": 5,
        "decided_on": decided.isoformat(),
        "follow_up_on": (today + timedelta(days=7)).isoformat(),
    }
    brief = client.put(url, json=body, headers=headers).json()
    assert brief["options"] == ["Launch referrals", "Redesign loyalty"]
    assert brief["follow_up"] == {
        "due": False,
        "outcome": None,
        "outcome_label": None,
        "change": None,
        "size_reached": False,
        "detail": "follow-up in 7 days",
    }
    bad = client.post(f"{url}/evidence", json={"label": "Flow", "url": "https://evil.example/x"}, headers=headers)
    assert bad.status_code == 422
    added = client.post(f"{url}/evidence", json={"label": "Flow", "url": "/flow", "snapshot": "Flat"}, headers=headers)
    assert [e["url"] for e in added.json()["evidence"]] == ["/flow"]
    assert client.put(url, json=body, headers=token_headers(session, leader)).status_code == 403
    assert client.get(url, headers=token_headers(session, member)).status_code == 403

    decide_question(session=session, actor=None, question_id=question.id, decision="Launch referrals")
    client.put(url, json={**body, "follow_up_on": (today - timedelta(days=1)).isoformat()}, headers=headers)
    follow_up = client.get(url, headers=token_headers(session, leader)).json()["follow_up"]
    assert (follow_up["due"], follow_up["outcome"], follow_up["change"], follow_up["size_reached"]) == (
        True,
        "appeared",
        6.0,
        True,
    )
    assert follow_up["detail"] == "change of the mean +6; natural variation ±4.01; expected +5"


def test_decisions_page_lists_follow_ups(client: TestClient, session: Session) -> None:
    leader = make_user(session, role=Role.LEADER)
    question = add_question(session=session, actor=None, period="2026-Q4", text="Fund staging?")
    login(client, leader.email)
    page = client.get("/outcomes/decisions").text
    assert f'<a href="/outcomes/decisions/{question.id}">Fund staging?</a>' in page
    assert "waiting for a decision" in page
    detail = client.get(f"/outcomes/decisions/{question.id}").text
    assert "Record the decision" in detail
    assert "Save brief" not in detail  # leaders decide; Product Ops writes the brief
