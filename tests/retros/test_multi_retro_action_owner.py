"""The synthesis action form: an owner among the owning team's people and a due date, through the board
page (its CSRF token) and through the API."""

from __future__ import annotations

import json
import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.actions.models import ImprovementAction
from deliveryops.retros import multi
from deliveryops.retros.multi_models import MultiPhase, MultiRetro
from tests.factories import login, make_user, token_headers
from tests.retros.test_multi_retros import Org, breakout, organisation, run_breakout


def at_actions(session: Session, org: Org) -> MultiRetro:
    """A multi-team retro of Alpha and Beta in its actions phase."""
    found = multi.create(session=session, actor=org.ops, title="PI 9", team_ids=[org.alpha.id, org.beta.id])
    run_breakout(session, breakout(session, found, org.alpha), org.al, ["Reviews wait", "PRs sit", "Long standups"], "Reviews")
    run_breakout(session, breakout(session, found, org.beta), org.bea, ["Reviews slow", "No reviewer", "Flaky"], "Slow reviews")
    for _ in range(3):  # synthesis, vote, actions
        multi.advance(session=session, actor=org.ops, multi_id=found.id)
    assert found.phase is MultiPhase.ACTIONS
    session.commit()
    return found


def test_the_board_offers_each_teams_people_and_adds_an_owned_dated_action_with_its_csrf(
    client: TestClient, session: Session
) -> None:
    org = organisation(session)
    found = at_actions(session, org)
    login(client, org.al.email)
    page = client.get(f"/multi-retros/{found.id}")
    assert page.status_code == 200
    shown = re.search(r'<script type="application/json" id="multi-state">(.*?)</script>', page.text, re.S)
    assert shown is not None
    people = {t["name"]: [p["name"] for p in t["people"]] for t in json.loads(shown.group(1))["teams"]}
    assert people == {"Alpha": ["Al Member", "Dora Manager"], "Beta": ["Bea Member"]}
    csrf = re.search(r'data-csrf="([^"]+)"', page.text)
    assert csrf is not None
    body = {"title": "Pair on reviews", "team_id": org.beta.id, "owner_id": org.bea.id, "due_date": "2026-12-21"}
    url = f"/api/v1/multi-retros/{found.id}/actions"
    assert client.post(url, json=body).status_code == 403  # no CSRF token
    added = client.post(url, json=body, headers={"X-CSRF-Token": csrf.group(1)})
    assert added.status_code == 201, added.text
    assert [(a["owner"], a["due_date"]) for a in added.json()["actions"]] == [("Bea Member", "2026-12-21")]
    wrong = client.post(url, json={**body, "owner_id": org.al.id}, headers={"X-CSRF-Token": csrf.group(1)})
    assert wrong.status_code == 422
    assert "owning team's people" in wrong.text


def test_the_api_takes_an_owner_and_a_due_date_and_hides_people_from_onlookers(client: TestClient, session: Session) -> None:
    org = organisation(session)
    found = at_actions(session, org)
    added = client.post(
        f"/api/v1/multi-retros/{found.id}/actions",
        json={"title": "Review first", "team_id": org.alpha.id, "owner_id": org.dm.id, "due_date": "2027-01-08"},
        headers=token_headers(session, org.bea),
    )
    assert added.status_code == 201, added.text
    action = session.get(ImprovementAction, added.json()["actions"][0]["id"])
    assert action is not None
    assert (action.team_id, action.owner_id, action.due_date) == (org.alpha.id, org.dm.id, date(2027, 1, 8))
    onlooker = make_user(session, role=org.ops.role)
    seen = client.get(f"/api/v1/multi-retros/{found.id}", headers=token_headers(session, onlooker)).json()
    assert seen["taking_part"] is False
    assert [t["people"] for t in seen["teams"]] == [[], []]
