"""The ROAM register: who raises and edits, links, overdue reviews; API, pages and CLI (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.db import utcnow
from deliveryops.dependencies import service as dependencies
from deliveryops.dependencies.schemas import DependencyCreate
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.risks import service
from deliveryops.risks.models import RoamStatus
from deliveryops.risks.schemas import RiskFilter, RiskWrite
from deliveryops.schemas import PageParams
from deliveryops.teams.models import TeamRole
from tests.factories import csrf_from, join, login, make_team, make_user, token_headers
from tests.parity import Parity

TODAY = date(2026, 12, 7)


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    app, payments = make_team(session, name="App"), make_team(session, name="Payments")
    app_dm, pay_dm, ops = (make_user(session, role=r) for r in (Role.DELIVERY_MANAGER, Role.DELIVERY_MANAGER, Role.PRODUCT_OPS))
    join(session, app, app_dm, TeamRole.DELIVERY_MANAGER)
    join(session, payments, pay_dm, TeamRole.DELIVERY_MANAGER)
    member = make_user(session)
    join(session, app, member)
    dependency = dependencies.create(
        session=session,
        actor=app_dm,
        body=DependencyCreate(requester_team_id=app.id, provider_team_id=payments.id, title="Refund API", needed_by=TODAY),
    )
    return {"app": app, "payments": payments, "app_dm": app_dm, "pay_dm": pay_dm, "ops": ops, "member": member, "dep": dependency}


def test_raise_edit_and_flag_overdue_reviews(session: Session, world: dict[str, Any]) -> None:
    body = RiskWrite(
        title="Refund API late for the returns campaign",
        team_id=world["app"].id,
        owner_id=world["pay_dm"].id,
        review_on=TODAY - timedelta(days=1),
        dependency_ids=f"{world['dep'].id}",
        epic_keys="APP-7",
    )
    risk = service.create(session=session, actor=world["app_dm"], body=body)
    [read] = service.reads(session, [risk], today=TODAY)
    assert read.review_overdue
    assert read.status is RoamStatus.OPEN
    assert [link.label for link in read.links] == [f"Dependency {world['dep'].id}: Refund API", "Epic APP-7"]
    with pytest.raises(PermissionDeniedError):
        service.create(session=session, actor=world["member"], body=body)
    with pytest.raises(ValidationFailedError) as info:
        service.create(session=session, actor=world["pay_dm"], body=body)  # not Payments' delegate for App
    assert list(info.value.fields or {}) == ["team_id"]
    # The owner (Payments' delivery manager) mitigates it; the review moves on.
    mitigated = body.model_copy(
        update={"status": RoamStatus.MITIGATED, "review_on": TODAY + timedelta(days=7), "response": "Stub"}
    )
    service.update(session=session, actor=world["pay_dm"], risk_id=risk.id, body=mitigated)
    page = service.list_(
        session=session, actor=world["member"], filters=RiskFilter(review_overdue=False), page=PageParams(), today=TODAY
    )
    assert [(r.id, r.status, r.review_overdue) for r in page.items] == [(risk.id, RoamStatus.MITIGATED, False)]
    with pytest.raises(ValidationFailedError) as bad_link:
        service.update(
            session=session, actor=world["ops"], risk_id=risk.id, body=body.model_copy(update={"impediment_ids": [999999]})
        )
    assert list(bad_link.value.fields or {}) == ["impediment_ids"]


def test_api_and_pages(client: TestClient, session: Session, world: dict[str, Any]) -> None:
    headers = token_headers(session, world["ops"])
    created = client.post("/api/v1/risks", json={"title": "Release freeze in December", "impact": "high"}, headers=headers)
    assert created.status_code == 201, created.text
    risk = created.json()
    assert (risk["team"], risk["status"], risk["impact"]) == (None, "open", "high")
    member_headers = token_headers(session, world["member"])
    assert client.get(f"/api/v1/risks/{risk['id']}", headers=member_headers).status_code == 200  # organisation-wide
    assert client.put(f"/api/v1/risks/{risk['id']}", json={"title": "x"}, headers=member_headers).status_code == 403
    edited = client.put(f"/api/v1/risks/{risk['id']}", json={"title": "Release freeze", "status": "accepted"}, headers=headers)
    assert edited.json()["status"] == "accepted"
    assert client.get("/api/v1/risks?status=accepted", headers=member_headers).json()["total"] == 1

    login(client, world["app_dm"].email)
    form = client.get("/risks/new")
    assert "Raise a risk" in form.text
    missing = client.post("/risks/new", data={"title": "", "team_id": str(world["app"].id), "csrf_token": csrf_from(form.text)})
    assert missing.status_code == 422
    assert 'aria-invalid="true"' in missing.text
    made = client.post(
        "/risks/new",
        data={
            "title": "Payments capacity",
            "team_id": str(world["app"].id),
            "review_on": (utcnow().date() - timedelta(days=2)).isoformat(),
            "dependency_ids": str(world["dep"].id),
            "csrf_token": csrf_from(form.text),
        },
    )
    assert made.status_code == 303
    detail = client.get(made.headers["location"])
    assert "review overdue" in detail.text
    assert f'href="/dependencies/{world["dep"].id}"' in detail.text
    listed = client.get("/risks?review_overdue=true")
    assert "Payments capacity" in listed.text
    assert "Release freeze" not in listed.text


def test_cli_matches_the_api(parity: Parity) -> None:
    with parity.seed() as session:
        ops = make_user(session, role=Role.PRODUCT_OPS)
        make_team(session, name="Risk CLI Team")
    added = parity.cli(
        "risks", "add", "--title", "Vendor contract ends", "--team", "Risk CLI Team", "--status", "owned", "--format", "json"
    )
    assert added.exit_code == 0, added.output
    risk = json.loads(added.output)
    api = parity.api.get("/api/v1/risks", params={"status": "owned"}, headers=parity.sign_in_api(ops)).json()
    cli = json.loads(parity.cli("risks", "list", "--status", "owned", "--format", "json").output)
    assert cli == api
    assert risk["id"] in [r["id"] for r in cli["items"]]
    bad = parity.cli("risks", "add", "--title", "x", "--dependencies", "nope", "--format", "json")
    assert bad.exit_code != 0
