"""Scheduling a retro through the API and the page: the same model, the same errors."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.teams.models import TeamRole
from tests.factories import join, login, make_team, make_user, token_headers
from tests.parity import api_error, page_errors


def test_the_api_and_the_page_refuse_a_bad_vote_budget_alike(client: TestClient, session: Session) -> None:
    team, dm = make_team(session), make_user(session)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    api = client.post(
        f"/api/v1/teams/{team.id}/retros", json={"title": "Sprint 4", "vote_budget": 11}, headers=token_headers(session, dm)
    )
    assert api.status_code == 422
    fields = {"vote_budget": "Vote budget must be at most 10."}
    assert api_error(api)["details"]["fields"] == fields

    csrf = login(client, dm.email)
    form = {"title": "Sprint 4", "format": "start-stop-continue", "columns": "", "vote_budget": "11", "csrf_token": csrf}
    page = client.post(f"/teams/{team.slug}/retros", data=form)
    assert page.status_code == 422
    assert page_errors(page.text) == fields
    assert 'value="Sprint 4"' in page.text

    custom = client.post(
        f"/teams/{team.slug}/retros",
        data={**form, "format": "custom", "columns": "Glad, Sad ,, Mad", "vote_budget": "2", "anonymous": "on"},
    )
    assert custom.status_code == 303, custom.text
    board = client.get(custom.headers["location"], headers=token_headers(session, dm))
    assert board.status_code == 200
    assert all(column in board.text for column in ("Glad", "Sad", "Mad"))
