"""Webhooks for deployments and incidents: tokens, validation, idempotence and ordering."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.dora import service
from deliveryops.dora.models import Deployment, Incident, WebhookSource
from deliveryops.teams.models import Team
from tests.factories import login, make_team, make_user, token_headers

DEPLOYMENT: dict[str, Any] = {
    "id": "build-42",
    "repository": "shop",
    "environment": "production",
    "result": "in_progress",
    "started_at": "2026-03-02T10:00:00Z",
}


def hook(session: Session) -> tuple[Team, dict[str, str]]:
    team = make_team(session)
    admin = make_user(session, role=Role.ADMIN)
    _row, token = service.create_webhook_source(session=session, actor=admin, team_id=team.id, name="Jenkins")
    session.flush()
    return team, {"Authorization": f"Bearer {token}"}


def test_a_deployment_is_created_updated_and_a_duplicate_changes_nothing(client: TestClient, session: Session) -> None:
    team, headers = hook(session)
    created = client.post("/api/v1/webhooks/deployments", json=DEPLOYMENT, headers=headers)
    assert (created.status_code, created.json()) == (201, {"id": "build-42", "status": "created"})
    finished = {**DEPLOYMENT, "result": "success", "finished_at": "2026-03-02T10:20:00Z", "commit_sha": "abc"}
    updated = client.post("/api/v1/webhooks/deployments", json=finished, headers=headers)
    assert (updated.status_code, updated.json()) == (200, {"id": "build-42", "status": "updated"})
    duplicate = client.post("/api/v1/webhooks/deployments", json=finished, headers=headers)
    assert (duplicate.status_code, duplicate.json()) == (200, {"id": "build-42", "status": "unchanged"})
    row = session.scalars(select(Deployment)).one()
    assert (row.team_id, row.result, row.commit_sha, row.source) == (
        team.id,
        "success",
        "abc",
        f"webhook-{session.scalars(select(WebhookSource.id)).one()}",
    )
    assert session.scalars(select(WebhookSource.last_used_at)).one() is not None


def test_an_out_of_order_older_delivery_does_not_overwrite_the_newer_state(client: TestClient, session: Session) -> None:
    _team, headers = hook(session)
    finished = {**DEPLOYMENT, "result": "failure", "finished_at": "2026-03-02T10:20:00Z"}
    assert client.post("/api/v1/webhooks/deployments", json=finished, headers=headers).status_code == 201
    late = client.post("/api/v1/webhooks/deployments", json=DEPLOYMENT, headers=headers)  # "in progress", sent first
    assert (late.status_code, late.json()) == (200, {"id": "build-42", "status": "unchanged"})
    assert session.scalars(select(Deployment.result)).one() == "failure"
    incident = {
        "id": "INC-7",
        "title": "Checkout down",
        "created_at": "2026-03-02T11:00:00Z",
        "resolved_at": "2026-03-02T12:00:00Z",
        "deployment_id": "build-42",
    }
    assert client.post("/api/v1/webhooks/incidents", json=incident, headers=headers).status_code == 201
    reopened = {**incident, "resolved_at": None}  # the "opened" event arriving after the "resolved" one
    assert client.post("/api/v1/webhooks/incidents", json=reopened, headers=headers).json()["status"] == "unchanged"
    row = session.scalars(select(Incident)).one()
    assert row.resolved_at is not None
    assert row.deployment_id == session.scalars(select(Deployment.id)).one()


def test_bad_or_missing_tokens_are_refused(client: TestClient, session: Session) -> None:
    _team, _headers = hook(session)
    member = make_user(session)
    answers = [
        client.post("/api/v1/webhooks/deployments", json=DEPLOYMENT),
        client.post("/api/v1/webhooks/deployments", json=DEPLOYMENT, headers={"Authorization": "Bearer dwh_wrong"}),
        client.post("/api/v1/webhooks/deployments", json=DEPLOYMENT, headers={"Authorization": "Basic abc"}),
        # A person's API token is not a webhook token.
        client.post("/api/v1/webhooks/incidents", json={}, headers=token_headers(session, member)),
    ]
    assert [(a.status_code, a.json()["error"]["message"]) for a in answers] == [
        (401, "Send the webhook token as 'Authorization: Bearer <token>'."),
        (401, "The webhook token is unknown or revoked."),
        (401, "Send the webhook token as 'Authorization: Bearer <token>'."),
        (401, "The webhook token is unknown or revoked."),
    ]
    assert session.query(Deployment).count() == 0


def test_a_signed_in_session_without_a_webhook_token_is_refused(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    session.flush()
    csrf = login(client, admin.email)
    answer = client.post("/api/v1/webhooks/deployments", json=DEPLOYMENT, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 401


def test_a_revoked_token_stops_working(client: TestClient, session: Session) -> None:
    _team, headers = hook(session)
    admin = make_user(session, role=Role.ADMIN)
    service.revoke_webhook_source(session=session, actor=admin, source_id=session.scalars(select(WebhookSource.id)).one())
    session.flush()
    assert client.post("/api/v1/webhooks/deployments", json=DEPLOYMENT, headers=headers).status_code == 401


def test_malformed_bodies_are_refused_naming_the_field(client: TestClient, session: Session) -> None:
    _team, headers = hook(session)
    not_json = client.post("/api/v1/webhooks/deployments", content=b"{not json", headers=headers)
    assert not_json.status_code == 422
    assert not_json.json()["error"]["details"] == {"fields": {"body": "Send a JSON object."}}
    bad = client.post(
        "/api/v1/webhooks/deployments",
        headers=headers,
        json={"id": "", "repository": "shop", "result": "exploded", "started_at": "2026-03-02T10:00:00"},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"] == {
        "id": "String should have at least 1 character",
        "environment": "Field required",
        "result": "Input should be 'success', 'failure', 'error', 'cancelled' or 'in_progress'",
        "started_at": "Input should have timezone info",
    }
    backwards = client.post(
        "/api/v1/webhooks/deployments",
        headers=headers,
        json={**DEPLOYMENT, "result": "success", "finished_at": "2026-03-02T09:00:00Z"},
    )
    assert backwards.json()["error"]["message"] == "Invalid DeploymentEvent: body: finished_at is before started_at"
    listed = client.post("/api/v1/webhooks/incidents", headers=headers, json=[1, 2])
    assert listed.json()["error"]["message"] == "The body must be a JSON object."
    assert session.query(Deployment).count() == 0


def test_webhook_sources_are_admin_only_and_show_the_token_once(client: TestClient, session: Session) -> None:
    team = make_team(session)
    admin, dm = make_user(session, role=Role.ADMIN), make_user(session, role=Role.DELIVERY_MANAGER)
    created = client.post(
        "/api/v1/dora/webhook-sources", json={"name": "GitLab CI", "team_id": team.id}, headers=token_headers(session, admin)
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("dwh_")
    assert created.json()["prefix"] == token[:10]
    listed = client.get("/api/v1/dora/webhook-sources", headers=token_headers(session, admin)).json()["items"]
    assert [set(row) for row in listed] == [{"id", "team_id", "name", "prefix", "created_at", "last_used_at", "revoked_at"}]
    denied = client.get("/api/v1/dora/webhook-sources", headers=token_headers(session, dm))
    assert (denied.status_code, denied.json()["error"]["message"]) == (403, "Only admins can manage webhook sources.")
    assert (
        client.post("/api/v1/webhooks/deployments", json=DEPLOYMENT, headers={"Authorization": f"Bearer {token}"}).status_code
        == 201
    )


def test_nul_characters_are_refused_before_they_reach_the_database(client: TestClient, session: Session) -> None:
    _team, headers = hook(session)
    answer = client.post(
        "/api/v1/webhooks/incidents", headers=headers, json={"id": "I\x00", "title": "Down", "created_at": "2026-03-02T11:00:00Z"}
    )
    assert answer.json()["error"]["details"]["fields"] == {"id": "must not contain NUL characters"}
