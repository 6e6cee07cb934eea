"""Team sessions over HTTP: the API, the pages, the live stream and the refusals (SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.teams.models import TeamRole
from deliveryops.web.assets import static_url
from tests.factories import csrf_from, join, login, make_team, make_user, token_headers


def test_api_pages_and_stream(client: TestClient, session: Session) -> None:
    team = make_team(session)
    dm, member = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    join(session, team, member)
    headers = token_headers(session, dm)
    created = client.post(f"/api/v1/teams/{team.id}/sessions", json={"kind": "refinement"}, headers=headers)
    assert created.status_code == 201
    state = created.json()
    assert (state["kind"], state["items"], state["finished"], state["sle_days"]) == ("refinement", [], False, None)
    listed = client.get(f"/api/v1/teams/{team.id}/sessions?limit=1", headers=headers).json()
    assert (listed["total"], listed["limit"], listed["items"][0]["id"]) == (1, 1, state["id"])
    member_headers = token_headers(session, member)
    # Only the facilitator finishes; a member may add an action to the team's ledger.
    assert client.post(f"/api/v1/sessions/{state['id']}/finish", json={}, headers=member_headers).status_code == 403
    action = client.post(
        f"/api/v1/sessions/{state['id']}/actions", json={"title": "Write criteria first"}, headers=member_headers
    )
    assert action.json()["actions"][0]["title"] == "Write criteria first"
    finished = client.post(f"/api/v1/sessions/{state['id']}/finish", json={"outcome": "Nothing to refine"}, headers=headers)
    assert (finished.json()["finished"], finished.json()["outcome"]) == (True, "Nothing to refine")
    refused = client.post(f"/api/v1/sessions/{state['id']}/actions", json={"title": "Late"}, headers=member_headers)
    assert refused.status_code == 422
    # Product Ops, leaders and admins do not take part.
    for role in (Role.PRODUCT_OPS, Role.ADMIN):
        outsider = token_headers(session, make_user(session, role=role))
        assert client.get(f"/api/v1/sessions/{state['id']}", headers=outsider).status_code == 403
    # The pages: the list (empty state for a team with none), the start form, the live page and its stream.
    csrf = login(client, member.email)
    assert "Refinement" in client.get(f"/teams/{team.slug}/sessions").text
    other = make_team(session, name="Quiet")
    join(session, other, member)
    assert "No sessions yet" in client.get(f"/teams/{other.slug}/sessions").text
    started = client.post(
        f"/teams/{team.slug}/sessions", data={"kind": "standup", "title": "", "by_date": "", "csrf_token": csrf}
    )
    assert started.status_code == 303
    page = client.get(started.headers["location"])
    assert "Walk the board right to left" in page.text
    assert f'src="{static_url("live.js")}"' in page.text
    with client.stream("GET", started.headers["location"] + "/events") as stream:
        assert stream.status_code == 200
        first = next(stream.iter_lines())
    assert first == "event: state"
    wrong = client.post(f"/teams/{team.slug}/sessions", data={"kind": "daily", "csrf_token": csrf})
    assert wrong.status_code == 422
    assert csrf_from(wrong.text)
