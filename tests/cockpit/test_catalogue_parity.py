"""The catalogue and a team's practices through the API and the pages: the same models, the same errors."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.teams.models import TeamRole
from tests.factories import join, login, make_team, make_user, token_headers
from tests.parity import api_error, page_errors


def test_the_api_and_the_page_refuse_a_bad_entry_alike(client: TestClient, session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    body = {"kind": "gadget", "name": "Pipelines", "category": "CI/CD", "owner_id": "nobody"}
    api = client.post("/api/v1/cockpit/catalogue", json=body, headers=token_headers(session, ops))
    assert api.status_code == 422
    fields = api_error(api)["details"]["fields"]
    assert set(fields) == {"kind", "owner_id"}
    assert fields["owner_id"] == "Owner id is a whole number, e.g. 12000; got 'nobody'."

    csrf = login(client, ops.email)
    page = client.post("/cockpit/catalogue", data={**body, "csrf_token": csrf})
    assert page.status_code == 422
    assert page_errors(page.text) == fields
    assert 'value="Pipelines"' in page.text  # the input is kept


def test_the_api_and_the_page_refuse_a_bad_wip_limit_alike(client: TestClient, session: Session) -> None:
    team, dm = make_team(session), make_user(session)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    api = client.put(f"/api/v1/teams/{team.id}/practices/wip-limit", json={"wip_limit": 0}, headers=token_headers(session, dm))
    assert api.status_code == 422
    fields = {"wip_limit": "WIP limit must be at least 1."}
    assert api_error(api)["details"]["fields"] == fields

    csrf = login(client, dm.email)
    page = client.post(f"/teams/{team.slug}/practices/wip-limit", data={"wip_limit": "0", "csrf_token": csrf})
    assert page.status_code == 422
    assert page_errors(page.text) == fields
    assert client.post(f"/teams/{team.slug}/practices/wip-limit", data={"wip_limit": "", "csrf_token": csrf}).status_code == 303


def test_the_api_and_the_page_refuse_a_held_session_without_a_day_alike(client: TestClient, session: Session) -> None:
    team, dm = make_team(session), make_user(session)
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    body = {"kind": "retro", "held_on": "last friday"}
    api = client.post(f"/api/v1/teams/{team.id}/practices/held", json=body, headers=token_headers(session, dm))
    assert api.status_code == 422
    fields = {"held_on": "Held on: expected a date like 2026-03-31, got 'last friday'."}
    assert api_error(api)["details"]["fields"] == fields

    csrf = login(client, dm.email)
    page = client.post(f"/teams/{team.slug}/practices/held", data={**body, "csrf_token": csrf})
    assert page.status_code == 422
    assert page_errors(page.text) == fields
