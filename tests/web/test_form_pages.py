"""The form-page helper, through real routes (SQLite and PostgreSQL).

Raising and editing a risk go through ``submit_form``: the CSRF token is checked, a refused input (by
the model or by the service) is shown again with what was typed and a message beside the field, and
nothing is written; an accepted one redirects with a 303. A community's meeting form also shows a
conflict (the same meeting twice) on the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.enablement.models import CommunityEvent
from deliveryops.risks.models import Risk
from deliveryops.teams.models import TeamRole
from tests.factories import csrf_from, join, login, make_team, make_user, token_headers

DESCRIPTION = "Card processor <b>freeze</b> over the holidays"


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    app, payments = make_team(session, name="Form App"), make_team(session, name="Form Payments")
    app_dm, pay_dm = make_user(session, role=Role.DELIVERY_MANAGER), make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, app, app_dm, TeamRole.DELIVERY_MANAGER)
    join(session, payments, pay_dm, TeamRole.DELIVERY_MANAGER)
    return {"app": app, "payments": payments, "app_dm": app_dm, "pay_dm": pay_dm}


def _risks(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Risk)) or 0


class Answer(Protocol):
    """The test client's response (httpx's or httpx2's, whichever Starlette's test client uses)."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


def _raise(client: TestClient, email: str, **fields: str) -> Answer:
    """Sign in, open the form and raise a risk with its CSRF token."""
    login(client, email)
    token = csrf_from(client.get("/risks/new").text)
    return client.post("/risks/new", data={**fields, "csrf_token": token})


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, session: Session, world: dict[str, Any]) -> None:
    login(client, world["app_dm"].email)
    client.get("/risks/new")
    for token in (None, "not-the-token"):
        data = {"title": "Vendor contract ends", "team_id": str(world["app"].id)}
        refused = client.post("/risks/new", data=data if token is None else {**data, "csrf_token": token})
        assert refused.status_code == 403
        assert "CSRF check failed" in refused.text
    assert _risks(session) == 0


def test_input_the_model_refuses_is_shown_again_with_what_was_typed(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    refused = _raise(client, world["app_dm"].email, title="x" * 201, description=DESCRIPTION, team_id=str(world["app"].id))
    assert refused.status_code == 422
    assert "Raise a risk" in refused.text
    assert 'id="r-title" name="title" required maxlength="200" value="' + "x" * 201 + '" aria-invalid="true"' in refused.text
    assert "Card processor &lt;b&gt;freeze&lt;/b&gt; over the holidays</textarea>" in refused.text  # typed, escaped
    assert f'<option value="{world["app"].id}" selected>' in refused.text
    assert _risks(session) == 0


def test_input_the_service_refuses_is_rolled_back_and_shown_again(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    app_id = str(world["app"].id)  # Payments' delivery manager does not manage App
    refused = _raise(client, world["pay_dm"].email, title="Refund API late", description=DESCRIPTION, team_id=app_id)
    assert refused.status_code == 422
    assert 'value="Refund API late"' in refused.text
    assert 'name="team_id" aria-invalid="true"' in refused.text
    assert _risks(session) == 0


def test_accepted_input_redirects_and_an_edit_shows_the_risk_again(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    made = _raise(client, world["app_dm"].email, title="Vendor contract ends", team_id=str(world["app"].id))
    token = csrf_from(client.get("/risks/new").text)
    assert made.status_code == 303
    [risk_id] = session.scalars(select(Risk.id)).all()
    assert made.headers["location"] == f"/risks/{risk_id}"

    edit = client.post(f"/risks/{risk_id}/edit", data={"title": "", "team_id": str(world["app"].id), "csrf_token": token})
    assert edit.status_code == 422
    assert "Edit risk" in edit.text  # the form again, for the risk as it was stored
    assert f'action="/risks/{risk_id}/edit"' in edit.text
    assert session.scalars(select(Risk.title)).all() == ["Vendor contract ends"]

    saved = client.post(
        f"/risks/{risk_id}/edit", data={"title": "Vendor contract renewed", "team_id": str(world["app"].id), "csrf_token": token}
    )
    assert (saved.status_code, saved.headers["location"]) == (303, f"/risks/{risk_id}")
    session.expire_all()
    assert session.scalars(select(Risk.title)).all() == ["Vendor contract renewed"]


def test_a_conflict_is_shown_on_the_form_where_the_page_asks(client: TestClient, session: Session) -> None:
    ops = make_user(session, role=Role.PRODUCT_OPS)
    community = client.post("/api/v1/communities", json={"name": "Form guild"}, headers=token_headers(session, ops)).json()
    csrf = login(client, ops.email)
    meeting = {"csrf_token": csrf, "title": "Clinic", "held_on": "2026-12-01"}
    assert client.post(f"/communities/{community['id']}/meetings", data=meeting).status_code == 303
    again = client.post(f"/communities/{community['id']}/meetings", data=meeting)
    assert again.status_code == 422
    assert '<p class="alert" role="alert">That event is recorded already.</p>' in again.text
    assert 'name="title" required maxlength="200" value="Clinic"' in again.text  # what was typed
    assert session.scalar(select(func.count()).select_from(CommunityEvent)) == 1
