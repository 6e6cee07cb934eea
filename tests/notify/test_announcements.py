"""What the domains post: a finished retro's summary, an impediment escalation, the week's highlights; and the
admin's notifications page and API, which never show a webhook URL (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.cockpit.digest.highlights import post_highlights
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.impediments import service as impediments
from deliveryops.notify import service
from deliveryops.notify.models import TeamWebhook, WebhookDelivery
from deliveryops.retros import service as retros
from deliveryops.teams.models import Team, TeamRole
from tests.factories import join, login, make_team, make_user, token_headers

KEY = "t" * 48  # the test app's secret key (tests/conftest.py)
URL = "https://hooks.slack.com/services/T0001/B0001/sEcReTpArT9876"


def _hook(session: Session, team: Team, kind: str, *events: str) -> TeamWebhook:
    return service.add_webhook(
        session=session,
        actor=None,
        team_id=team.id,
        kind=kind,
        name="#team",
        url=URL,
        events=list(events),
        app_key=KEY,
        hosts=HostPolicy(resolver=lambda _host: ["3.5.6.7"]),
    )


def _deliveries(session: Session, team: Team) -> list[WebhookDelivery]:
    return service.deliveries_of(session=session, actor=None, team_id=team.id)


def test_a_finished_retro_posts_its_themes_and_actions_but_no_card(session: Session) -> None:
    team = make_team(session, name="Notify retro")
    dm, member = make_user(session, role=Role.DELIVERY_MANAGER, name="Dana"), make_user(session, name="Mo")
    join(session, team, dm, TeamRole.DELIVERY_MANAGER)
    join(session, team, member)
    _hook(session, team, "teams", "retro_finished")
    retro = retros.schedule(session=session, actor=dm, team_id=team.id, title="Sprint 9", vote_budget=2)
    retros.advance(session=session, actor=dm, retro_id=retro.id)
    retros.add_card(session=session, actor=member, retro_id=retro.id, token="m", column="Stop", text="Long stand-ups")
    retros.add_card(session=session, actor=member, retro_id=retro.id, token="m", column="Start", text="Secret gripe")
    for _ in range(2):
        retros.advance(session=session, actor=dm, retro_id=retro.id)
    first, second = retro.themes
    retros.rename_theme(session=session, actor=dm, retro_id=retro.id, theme_id=second.id, title="Unvoted theme")
    retros.vote(session=session, actor=member, retro_id=retro.id, token="m", theme_id=first.id)
    retros.advance(session=session, actor=dm, retro_id=retro.id)
    retros.add_action(session=session, actor=member, retro_id=retro.id, title="Time-box stand-ups", owner_id=member.id)
    retros.advance(session=session, actor=dm, retro_id=retro.id)
    assert _deliveries(session, team) == []
    retros.advance(session=session, actor=dm, retro_id=retro.id)
    [delivery] = _deliveries(session, team)
    assert delivery.event == "retro_finished"
    assert delivery.title == "Retro finished: Sprint 9"
    card = delivery.payload["attachments"][0]["content"]
    texts = [block["text"] for block in card["body"]]
    assert texts[0] == "Retro finished: Sprint 9"
    assert texts[1] == "- Theme \u201cLong stand-ups\u201d: 1 vote"
    assert texts[2].startswith("- Action: Time-box stand-ups (Mo, due ")
    assert "Secret gripe" not in str(delivery.payload)
    assert card["actions"][0]["url"].endswith(f"/retros/{retro.id}")


def test_an_escalation_posts_what_was_tried_and_what_is_needed(session: Session) -> None:
    team = make_team(session, name="Notify impediments")
    _hook(session, team, "slack", "impediment_escalated")
    impediment = impediments.raise_(session=session, actor=None, team_id=team.id, title="No test environment")
    impediments.escalate(session=session, actor=None, impediment_id=impediment.id, tried="Asked infra", needed="A budget")
    [delivery] = _deliveries(session, team)
    assert delivery.payload["blocks"][0]["text"]["text"].startswith("Impediment escalated to ")
    assert delivery.payload["blocks"][1]["text"]["text"] == "• Tried: Asked infra\n• Needed: A budget"


def test_the_weeks_highlights_are_posted_once(session: Session) -> None:
    team, quiet = make_team(session, name="Notify digest"), make_team(session, name="Notify none")
    _hook(session, team, "slack", "digest")
    _hook(session, quiet, "slack", "retro_finished")
    impediments.raise_(session=session, actor=None, team_id=team.id, title="Flaky pipeline")
    now = datetime.now(UTC)
    assert post_highlights(session, now=now) == 1
    assert post_highlights(session, now=now) == 0
    [delivery] = _deliveries(session, team)
    assert delivery.title.startswith("Weekly highlights of Notify digest, ")
    assert "• Impediments raised: Flaky pipeline" in delivery.payload["blocks"][1]["text"]["text"]
    assert _deliveries(session, quiet) == []


def test_the_admin_page_and_api_show_a_hint_never_the_url(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Notify admin")
    admin = make_user(session, role=Role.ADMIN, email="notify.admin@example.com")
    member = make_user(session, email="notify.member@example.com")
    join(session, team, member)
    hook = _hook(session, team, "slack", "digest")
    session.add(
        WebhookDelivery(
            webhook_id=hook.id,
            event="digest",
            title="Week 49",
            payload={},
            status="failed",
            attempts=5,
            last_status=503,
            error="The receiver answered 503 Service Unavailable.",
        )
    )
    session.commit()
    csrf = login(client, "notify.admin@example.com")
    assert f'<a href="/teams/{team.slug}/notifications">Notifications</a>' in client.get(f"/teams/{team.slug}").text
    page = client.get(f"/teams/{team.slug}/notifications")
    assert page.status_code == 200
    assert "https://hooks.slack.com/\u20269876" in page.text
    assert "sEcReT" not in page.text
    assert "The receiver answered 503 Service Unavailable." in page.text
    assert f"/notifications/deliveries/{_deliveries(session, team)[0].id}/retry" in page.text
    refused = client.post(
        f"/teams/{team.slug}/notifications",
        data={"csrf_token": csrf, "kind": "teams", "name": "#x", "url": "http://example.com/sEcReT2", "events": ["digest"]},
    )
    assert refused.status_code == 422
    assert "must use https://" in refused.text
    assert "sEcReT2" not in refused.text
    listed = client.get(f"/api/v1/teams/{team.id}/webhooks", headers=token_headers(session, admin)).json()
    assert listed["items"][0]["url_hint"] == "https://hooks.slack.com/\u20269876"
    assert "sEcReT" not in str(listed)
    made = client.post(
        f"/api/v1/teams/{team.id}/webhooks",
        json={"kind": "teams", "name": "#api", "url": "https://example.webhook.office.com/webhookb2/aBcD", "events": ["digest"]},
        headers=token_headers(session, admin),
    )
    assert made.status_code in (201, 422), made.text
    assert "webhookb2" not in made.text
    login(client, "notify.member@example.com")
    assert client.get(f"/teams/{team.slug}/notifications").status_code == 403
    assert "/notifications" not in client.get(f"/teams/{team.slug}").text
