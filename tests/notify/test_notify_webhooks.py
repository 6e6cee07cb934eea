"""Slack and Microsoft Teams messages through a fake webhook receiver on 127.0.0.1 (real HTTP), delivered by the
job queue with retries; the URL stays encrypted and never shows (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deliveryops import jobs
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.db import unit_of_work, utcnow
from deliveryops.errors import ValidationFailedError
from deliveryops.jobs import JobRuntime
from deliveryops.notify import service
from deliveryops.notify.models import TeamWebhook, WebhookDelivery
from deliveryops.settings import Settings
from deliveryops.worker import JOB_MODULES
from tests.connectors.fakeserver import Reply, Request, fake_server
from tests.factories import make_team

KEY = "w" * 48
LATER = timedelta(days=3650)  # the runtime's clock starts here: every job queued now (by the real clock) is due
STEP = timedelta(minutes=5)  # and moves on at each reading, so each retry's wait (30 s to 2 min) has passed
LOOPBACK = HostPolicy(allow_http_loopback=True)


@pytest.fixture
def runtime(session_factory: sessionmaker[Session]) -> Iterator[JobRuntime]:
    settings = Settings(
        database_url="sqlite://", secret_key=KEY, queue_url="memory://", job_stale_seconds=60, connector_allow_http_loopback=True
    )
    readings = itertools.count()
    runtime = JobRuntime(settings, session_factory, clock=lambda: utcnow() + LATER + next(readings) * STEP)
    previous = jobs.configure(runtime)
    yield runtime
    jobs.configure(previous)


def slack_ok(_request: Request) -> Reply:
    return Reply(raw=b"ok", headers={"Content-Type": "text/html"})


def _hook(session: Session, url: str, kind: str, *events: str) -> TeamWebhook:
    team = make_team(session, name=f"Notify {kind}")
    return service.add_webhook(
        session=session,
        actor=None,
        team_id=team.id,
        kind=kind,
        name="#team",
        url=url,
        events=list(events),
        app_key=KEY,
        hosts=LOOPBACK,
    )


def test_a_slack_message_has_text_and_blocks(runtime: JobRuntime, session_factory: sessionmaker[Session]) -> None:
    assert "deliveryops.notify.jobs" in JOB_MODULES
    with fake_server(slack_ok) as receiver:
        url = f"{receiver.url}/services/T000/B000/XXXXsecretXXXX"
        with unit_of_work(session_factory) as session:
            hook = _hook(session, url, "slack", "impediment_escalated")
            team_id = hook.team_id
            assert hook.url_hint == "http://127.0.0.1/\u2026XXXX"
            assert "secret" not in hook.url_encrypted
            queued = service.announce(
                session,
                team_id=team_id,
                event="impediment_escalated",
                title="Impediment escalated to Product Ops: <no> test env",
                lines=["Tried: asked infra & waited"],
                link="/impediments/4",
            )
            assert len(queued) == 1
            assert service.announce(session, team_id=team_id, event="retro_finished", title="Not posted", lines=[]) == []
        assert runtime.run_queued() == 1
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/services/T000/B000/XXXXsecretXXXX"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body["text"] == "Impediment escalated to Product Ops: &lt;no&gt; test env"
    header, section, context = body["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Impediment escalated to Product Ops: <no> test env", "emoji": True},
    }
    assert section == {"type": "section", "text": {"type": "mrkdwn", "text": "• Tried: asked infra &amp; waited"}}
    assert context["type"] == "context"
    assert context["elements"][0]["text"].endswith("/impediments/4|Open in DeliveryOps>")
    with unit_of_work(session_factory) as session:
        [delivery] = service.deliveries_of(session=session, actor=None, team_id=team_id)
        assert (delivery.status, delivery.attempts, delivery.last_status, delivery.error) == ("sent", 1, 200, None)


def test_a_teams_message_is_an_adaptive_card_and_a_500_is_retried(
    runtime: JobRuntime, session_factory: sessionmaker[Session]
) -> None:
    answers = iter([Reply({"error": "busy"}, status=500), Reply({"error": "busy"}, status=503), Reply(raw=b"1")])
    with fake_server(lambda _request: next(answers)) as receiver:
        with unit_of_work(session_factory) as session:
            hook = _hook(session, f"{receiver.url}/webhookb2/abc/IncomingWebhook/def", "teams", "retro_finished")
            team_id = hook.team_id
            service.announce(
                session, team_id=team_id, event="retro_finished", title="Retro finished: Sprint 9", lines=["2 actions"]
            )
        assert runtime.run_queued() == 3  # two failed attempts, then the one that arrived
    assert len(receiver.requests) == 3
    body = receiver.requests[-1].json()
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert [block["text"] for block in card["body"]] == ["Retro finished: Sprint 9", "- 2 actions"]
    assert all(block["type"] == "TextBlock" for block in card["body"])
    with unit_of_work(session_factory) as session:
        [delivery] = service.deliveries_of(session=session, actor=None, team_id=team_id)
        assert (delivery.status, delivery.attempts, delivery.last_status) == ("sent", 3, 200)


def test_a_refused_message_fails_at_once_is_visible_and_can_be_retried(
    runtime: JobRuntime, session_factory: sessionmaker[Session]
) -> None:
    answers = iter([Reply(raw=b"no_service", status=404, headers={"Content-Type": "text/html"}), Reply(raw=b"ok")])
    with fake_server(lambda _request: next(answers)) as receiver:
        with unit_of_work(session_factory) as session:
            hook = _hook(session, f"{receiver.url}/services/gone", "slack", "digest")
            team_id, hook_id = hook.team_id, hook.id
            service.announce(session, team_id=team_id, event="digest", title="Week 49", lines=["Throughput 12"])
        assert runtime.run_queued() == 1  # a 404 will not get better: no second attempt
        with unit_of_work(session_factory) as session:
            [delivery] = service.deliveries_of(session=session, actor=None, team_id=team_id)
            assert (delivery.status, delivery.last_status) == ("failed", 404)
            assert delivery.error == "The receiver answered 404 Not Found: no_service."
            assert "/services/gone" not in (delivery.error or "")
            service.retry_delivery(session=session, actor=None, delivery_id=delivery.id)
        assert runtime.run_queued() == 1
    with unit_of_work(session_factory) as session:
        delivery_row = session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook_id)).one()
        assert (delivery_row.status, delivery_row.attempts) == ("sent", 2)


def test_a_webhook_url_must_be_https_to_a_public_host(session: Session) -> None:
    team = make_team(session, name="Notify refused")
    for url in ("http://hooks.example.com/x", "ftp://example.com/x", "https://127.0.0.1/x", "not a url"):
        with pytest.raises(ValidationFailedError) as raised:
            service.add_webhook(
                session=session,
                actor=None,
                team_id=team.id,
                kind="slack",
                name="#x",
                url=url,
                events=[],
                app_key=KEY,
                hosts=HostPolicy(),
            )
        assert "url" in (raised.value.fields or {}), url
    with pytest.raises(ValidationFailedError) as raised:
        service.add_webhook(
            session=session, actor=None, team_id=team.id, kind="email", name="", url="https://x", events=["nope"], app_key=KEY
        )
    assert set(raised.value.fields or {}) >= {"kind", "name", "events"}
