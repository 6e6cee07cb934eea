"""An admin turns a team's webhook off and on (page with CSRF, API, CLI) and sees its failures (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from deliveryops.accounts.models import Role
from deliveryops.cli.main import app
from deliveryops.cli.output import page_params
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.db import make_engine, make_session_factory, unit_of_work
from deliveryops.errors import NotFoundError
from deliveryops.migrate import upgrade
from deliveryops.notify import service
from deliveryops.notify.delivery import post
from deliveryops.notify.models import TeamWebhook, WebhookDelivery
from deliveryops.notify.schemas import DeliveryRead
from deliveryops.schemas import DEFAULT_LIMIT, paginate
from deliveryops.teams.models import Team
from tests.factories import login, make_team, make_user, token_headers

KEY = "t" * 48  # the test app's secret key (tests/conftest.py)
URL = "https://hooks.slack.com/services/T0001/B0001/sWiTcH1234"
PUBLIC = HostPolicy(resolver=lambda _host: ["3.5.6.7"])


def _hook(session: Session, team: Team) -> TeamWebhook:
    return service.add_webhook(
        session=session,
        actor=None,
        team_id=team.id,
        kind="slack",
        name="#ops",
        url=URL,
        events=["digest"],
        app_key=KEY,
        hosts=PUBLIC,
    )


def _failed(session: Session, hook: TeamWebhook, error: str) -> WebhookDelivery:
    delivery = WebhookDelivery(
        webhook_id=hook.id, event="digest", title="Week", payload={}, status="failed", attempts=5, error=error
    )
    session.add(delivery)
    session.flush()
    return delivery


def test_a_disabled_webhook_posts_nothing_until_enabled_again(session: Session) -> None:
    team = make_team(session, name="Switch service")
    hook = _hook(session, team)
    service.set_enabled(session=session, actor=None, webhook_id=hook.id, enabled=False)
    assert service.announce(session, team_id=team.id, event="digest", title="Week 1", lines=[]) == []
    assert team.id not in service.teams_posting(session, "digest")
    service.set_enabled(session=session, actor=None, webhook_id=hook.id, enabled=True)
    assert len(service.announce(session, team_id=team.id, event="digest", title="Week 2", lines=[])) == 1
    other = make_team(session, name="Switch other")
    with pytest.raises(NotFoundError):  # another team's page does not reach the webhook
        service.set_enabled(session=session, actor=None, webhook_id=hook.id, enabled=False, team_id=other.id)
    assert hook.enabled is True


def test_a_message_queued_before_the_channel_was_disabled_is_not_sent(session: Session) -> None:
    team = make_team(session, name="Switch queued")
    hook = _hook(session, team)
    (queued,) = service.announce(session, team_id=team.id, event="digest", title="Week 3", lines=[])
    service.set_enabled(session=session, actor=None, webhook_id=hook.id, enabled=False)
    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    receiver = httpx.MockTransport(receive)
    outcome = post(session, queued, app_key=KEY, policy=PUBLIC, final=False, transport=receiver)
    assert seen == []
    assert (outcome.sent, outcome.retryable) == (False, False)
    assert (queued.status, queued.attempts) == ("failed", 1)
    assert queued.error == "Not sent: the channel is disabled. Enable it, then retry."


def test_the_page_switches_a_webhook_and_shows_its_failures(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Switch page")
    other = make_team(session, name="Switch elsewhere")
    hook = _hook(session, team)
    _failed(session, hook, "The receiver answered 404 Not Found: no_service.")
    session.add(WebhookDelivery(webhook_id=hook.id, event="digest", title="Sent week", payload={}, status="sent", attempts=1))
    make_user(session, email="switch-admin@example.com", role=Role.ADMIN)
    session.flush()
    csrf = login(client, "switch-admin@example.com")
    page = client.get(f"/teams/{team.slug}/notifications")
    assert "1 failed" in page.text
    assert "Last: The receiver answered 404 Not Found: no_service." in page.text
    assert f'action="/teams/{team.slug}/notifications/{hook.id}/disable"' in page.text
    # Without the CSRF token nothing changes.
    assert client.post(f"/teams/{team.slug}/notifications/{hook.id}/disable", data={}).status_code == 403
    # Through another team's page the webhook is not found.
    assert client.post(f"/teams/{other.slug}/notifications/{hook.id}/disable", data={"csrf_token": csrf}).status_code == 404
    done = client.post(f"/teams/{team.slug}/notifications/{hook.id}/disable", data={"csrf_token": csrf})
    assert done.status_code == 303
    session.expire_all()
    assert session.get(TeamWebhook, hook.id).enabled is False  # type: ignore[union-attr]
    page = client.get(f"/teams/{team.slug}/notifications")
    assert "Disabled" in page.text
    assert f'action="/teams/{team.slug}/notifications/{hook.id}/enable"' in page.text
    failures = client.get(f"/teams/{team.slug}/notifications?status=failed")
    assert "Failed messages" in failures.text
    assert "Sent week" not in failures.text
    assert "Week" in failures.text
    assert client.post(f"/teams/{team.slug}/notifications/{hook.id}/enable", data={"csrf_token": csrf}).status_code == 303
    session.expire_all()
    assert session.get(TeamWebhook, hook.id).enabled is True  # type: ignore[union-attr]


def test_the_api_switches_a_webhook_and_lists_failures_for_admins_only(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Switch api")
    hook = _hook(session, team)
    failed = _failed(session, hook, "The receiver answered 410 Gone: channel_is_archived.")
    session.add(WebhookDelivery(webhook_id=hook.id, event="digest", title="Sent", payload={}, status="sent", attempts=1))
    admin = make_user(session, role=Role.ADMIN)
    member = make_user(session)
    headers = token_headers(session, admin)
    assert (
        client.patch(f"/api/v1/webhooks/{hook.id}", json={"enabled": False}, headers=token_headers(session, member)).status_code
        == 403
    )
    off = client.patch(f"/api/v1/webhooks/{hook.id}", json={"enabled": False}, headers=headers)
    assert off.status_code == 200
    assert off.json()["enabled"] is False
    assert "sWiTcH1234" not in off.text
    listed = client.get(f"/api/v1/teams/{team.id}/webhook-deliveries", params={"status": "failed"}, headers=headers)
    assert [row["id"] for row in listed.json()["items"]] == [failed.id]
    assert listed.json()["items"][0]["error"] == "The receiver answered 410 Gone: channel_is_archived."
    assert (
        client.get(f"/api/v1/teams/{team.id}/webhook-deliveries", params={"status": "lost"}, headers=headers).status_code == 422
    )


def test_the_cli_switches_a_webhook_and_lists_failures_as_the_api(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'switch.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        team = make_team(session, name="Payments")
        hook = _hook(session, team)
        _failed(session, hook, "The receiver could not be reached (ConnectError).")
        hook_id = hook.id
    runner = CliRunner()
    off = runner.invoke(app, ["notify", "disable", str(hook_id), "--database", url])
    assert off.exit_code == 0, off.output
    assert "#ops (slack) is disabled: it posts nothing." in off.output
    on = runner.invoke(app, ["notify", "enable", str(hook_id), "--format", "json", "--database", url])
    assert json.loads(on.output)["enabled"] is True
    listed = runner.invoke(app, ["notify", "deliveries", "payments", "--status", "failed", "--format", "json", "--database", url])
    assert listed.exit_code == 0, listed.output
    with unit_of_work(make_session_factory(engine)) as session:
        rows = service.deliveries_of(session=session, actor=None, team_id=team.id, status="failed")
        expected = paginate([DeliveryRead.model_validate(r) for r in rows], page_params(DEFAULT_LIMIT, 0))
    assert json.loads(listed.output) == json.loads(expected.model_dump_json())
    refused = runner.invoke(app, ["notify", "deliveries", "payments", "--status", "lost", "--database", url])
    assert refused.exit_code == 1
    missing = runner.invoke(app, ["notify", "enable", "999", "--database", url])
    assert missing.exit_code == 1
    assert "No webhook with id 999" in missing.output
    with unit_of_work(make_session_factory(engine)) as session:
        assert session.scalars(select(TeamWebhook.enabled)).one() is True
    engine.dispose()
