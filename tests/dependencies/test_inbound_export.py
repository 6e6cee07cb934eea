"""Webhooks-in (an admin's hook, token stored encrypted, upsert by external id, 422 naming the field with nothing
written), the CSV/JSON export of the filtered list (API and page), and proposals decided over HTTP."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.db import utcnow
from deliveryops.dependencies.models import Dependency, DependencyProposal, InboundHook
from deliveryops.teams.models import TeamRole
from tests.factories import csrf_from, join, login, make_team, make_user, token_headers


def _hook(client: TestClient, session: Session) -> str:
    admin = token_headers(session, make_user(session, role=Role.ADMIN))
    created = client.post("/api/v1/dependency-inbound-hooks", json={"name": "Jira Align"}, headers=admin)
    assert created.status_code == 201, created.text
    return str(created.json()["token"])


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Dependency)) or 0)


def test_inbound_hook_upserts_by_external_id_and_refuses_bad_fields_without_writing(client: TestClient, session: Session) -> None:
    app, payments = make_team(session, name="App"), make_team(session, name="Payments")
    token = _hook(client, session)
    stored = session.scalar(select(InboundHook))
    assert stored is not None
    assert token not in stored.token_encrypted  # encrypted at rest
    assert stored.prefix == token[: len(stored.prefix)]
    headers = {"Authorization": f"Bearer {token}"}
    needed = (utcnow().date() + timedelta(days=30)).isoformat()
    body = {
        "external_id": "ALIGN-7",
        "requester_team": app.slug,
        "provider_team": "Payments",
        "title": "Refund API",
        "needed_by": needed,
        "requester_keys": "APP-1, APP-2",
    }

    created = client.post("/api/v1/webhooks/dependencies", json=body, headers=headers)
    assert created.status_code == 201, created.text
    dependency_id = created.json()["dependency_id"]
    assert created.json()["status"] == "created"
    again = client.post("/api/v1/webhooks/dependencies", json=body, headers=headers)
    assert (again.status_code, again.json()["status"]) == (200, "unchanged")
    committed = (utcnow().date() + timedelta(days=25)).isoformat()
    accepted = {**body, "state": "accepted", "committed_on": committed}
    updated = client.post("/api/v1/webhooks/dependencies", json=accepted, headers=headers)
    assert (updated.status_code, updated.json()) == (
        200,
        {"external_id": "ALIGN-7", "dependency_id": dependency_id, "status": "updated"},
    )
    admin = token_headers(session, make_user(session, role=Role.PRODUCT_OPS))
    read = client.get(f"/api/v1/dependencies/{dependency_id}", headers=admin).json()
    assert (read["state"], read["committed_on"], read["provider"], read["requester_keys"]) == (
        "accepted",
        committed,
        payments.name,
        ["APP-1", "APP-2"],
    )
    assert [(e["action"], e["to_state"]) for e in read["events"]] == [("request", "requested"), ("inbound", "accepted")]

    before = _count(session)
    for bad, field in (
        ({**body, "external_id": "ALIGN-8", "provider_team": "Nobody"}, "provider_team"),
        ({**body, "external_id": "ALIGN-8", "needed_by": "soon"}, "needed_by"),
        ({**body, "external_id": "ALIGN-8", "state": "accepted"}, "committed_on"),
        ({**body, "external_id": "ALIGN-8", "requester_keys": ["not a key!"]}, "requester_keys"),
        ({**body, "external_id": "ALIGN-8", "colour": "red"}, "colour"),
    ):
        refused = client.post("/api/v1/webhooks/dependencies", json=bad, headers=headers)
        assert refused.status_code == 422, refused.text
        assert field in refused.json()["error"]["details"]["fields"], (field, refused.json())
    assert _count(session) == before

    assert client.post("/api/v1/webhooks/dependencies", json=body).status_code == 401
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert (
        client.post("/api/v1/webhooks/dependencies", json=body, headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    )
    admin_headers = token_headers(session, make_user(session, role=Role.ADMIN))
    assert client.post(f"/api/v1/dependency-inbound-hooks/{stored.id}/revoke", headers=admin_headers).status_code == 200
    assert client.post("/api/v1/webhooks/dependencies", json=body, headers=headers).status_code == 401


def test_export_csv_and_json_of_the_filtered_list(client: TestClient, session: Session) -> None:
    app, payments, web = make_team(session, name="App"), make_team(session, name="Payments"), make_team(session, name="Web")
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, app, dm, TeamRole.DELIVERY_MANAGER)
    headers = token_headers(session, dm)
    today = utcnow().date()
    for requester, provider, title, days in (
        (app, payments, "=HYPERLINK(evil)", -2),
        (app, web, "Design tokens", 10),
        (web, payments, "Not App's", 5),
    ):
        ops = token_headers(session, make_user(session, role=Role.PRODUCT_OPS))
        body = {
            "requester_team_id": requester.id,
            "provider_team_id": provider.id,
            "title": title,
            "needed_by": (today + timedelta(days=days)).isoformat(),
        }
        assert client.post("/api/v1/dependencies", json=body, headers=ops).status_code == 201

    as_csv = client.get("/api/v1/dependencies/export", headers=headers)
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["requester_team"], r["provider"], r["title"], r["overdue"]) for r in rows] == [
        ("App", "Payments", "'=HYPERLINK(evil)", "true"),  # a formula is neutralised
        ("App", "Web", "Design tokens", "false"),
    ]  # the member of App sees App's only
    overdue = client.get("/api/v1/dependencies/export", params={"format": "json", "overdue": "true"}, headers=headers)
    assert [d["title"] for d in overdue.json()] == ["=HYPERLINK(evil)"]
    assert client.get("/api/v1/dependencies/export", params={"format": "xml"}, headers=headers).status_code == 422

    login(client, dm.email)
    page = client.get("/dependencies")
    assert 'href="/dependencies/export.csv?' in page.text
    filtered = client.get("/dependencies/export.json", params={"team_id": web.id})
    assert filtered.status_code == 200
    assert [d["title"] for d in filtered.json()] == ["Design tokens"]
    assert "attachment" in filtered.headers["content-disposition"]


def test_proposals_are_confirmed_and_dismissed_over_http(client: TestClient, session: Session) -> None:
    app, payments = make_team(session, name="App"), make_team(session, name="Payments")
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, app, dm, TeamRole.DELIVERY_MANAGER)
    for number in (1, 2):
        session.add(
            DependencyProposal(
                signature=f"link:APP-{number}>PAY-{number}",
                source="tracker_link",
                requester_team_id=app.id,
                provider_team_id=payments.id,
                requester_key=f"APP-{number}",
                provider_key=f"PAY-{number}",
                title=f"Refund part {number}",
                evidence=f"APP-{number} is blocked by PAY-{number}.",
                dismiss_reason="",
            )
        )
    session.flush()
    first, second = session.scalars(select(DependencyProposal).order_by(DependencyProposal.id))
    headers = token_headers(session, dm)
    listed = client.get("/api/v1/dependency-proposals", params={"status": "proposed"}, headers=headers).json()
    assert [(p["requester_key"], p["can_confirm"], p["can_dismiss"]) for p in listed["items"]] == [
        ("APP-2", True, True),
        ("APP-1", True, True),
    ]
    missing = client.post(f"/api/v1/dependency-proposals/{first.id}/confirm", json={}, headers=headers)
    assert missing.status_code == 422
    assert list(missing.json()["error"]["details"]["fields"]) == ["needed_by"]

    csrf = login(client, dm.email)
    page = client.get("/dependencies/proposals")
    assert "Refund part 1" in page.text
    assert "APP-1 is blocked by PAY-1." in page.text
    needed = (utcnow().date() + timedelta(days=20)).isoformat()
    confirmed = client.post(f"/dependencies/proposals/{first.id}/confirm", data={"csrf_token": csrf, "needed_by": needed})
    assert confirmed.status_code == 303
    dependency = client.get(confirmed.headers["location"])
    assert "Refund part 1" in dependency.text
    assert "PAY-1" in dependency.text
    no_csrf = client.post(f"/dependencies/proposals/{second.id}/dismiss", data={"reason": "x"})
    assert no_csrf.status_code in (400, 403)
    dismissed = client.post(f"/dependencies/proposals/{second.id}/dismiss", data={"csrf_token": csrf, "reason": "Same epic"})
    assert dismissed.status_code == 303
    session.expire_all()
    assert [p.status.value for p in session.scalars(select(DependencyProposal).order_by(DependencyProposal.id))] == [
        "confirmed",
        "dismissed",
    ]
    assert "Nothing found" in client.get("/dependencies/proposals").text
    assert csrf_from(client.get("/dependencies/proposals", params={"status": "any"}).text)


def test_admins_map_phrases_and_aliases_and_create_a_hook_on_the_pages(client: TestClient, session: Session) -> None:
    payments = make_team(session, name="Payments")
    admin = make_user(session, role=Role.ADMIN)
    csrf = login(client, admin.email)
    settings = client.get("/dependencies/detection-settings")
    assert settings.status_code == 200
    assert "is blocked by" in settings.text
    assert "No aliases" in settings.text
    refused = client.post(
        "/dependencies/detection-settings/link-types", data={"csrf_token": csrf, "phrase": "depends on", "direction": "needs"}
    )
    assert refused.status_code == 422
    assert "mapped already" in refused.text
    mapped = client.post(
        "/dependencies/detection-settings/link-types",
        data={"csrf_token": csrf, "phrase": "Needs  Sign-off From", "direction": "needs"},
    )
    assert mapped.status_code == 303
    aliased = client.post(
        "/dependencies/detection-settings/aliases", data={"csrf_token": csrf, "alias": "payments squad", "team_id": payments.id}
    )
    assert aliased.status_code == 303
    shown = client.get("/dependencies/detection-settings").text
    assert "needs sign-off from" in shown
    assert "payments squad" in shown

    hooks = client.get("/dependencies/inbound-hooks")
    assert "No inbound hooks" in hooks.text
    created = client.post("/dependencies/inbound-hooks", data={"csrf_token": csrf, "name": "Jira Align"})
    assert created.status_code == 201
    assert "not shown again" in created.text
    token = created.text.split('id="new-token" readonly value="', 1)[1].split('"', 1)[0]
    assert token.startswith("dih_")
    assert token not in client.get("/dependencies/inbound-hooks").text
