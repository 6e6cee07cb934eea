"""A finished stand-up, refinement or planning posts its outcome, its actions and (planning) the committed plan
to the team's channels that subscribe to it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from deliveryops.connectors.hosts import HostPolicy
from deliveryops.facilitation import service
from deliveryops.facilitation.models import Kind
from deliveryops.notify import service as notify
from tests.conftest import DEMO_NOW as NOW
from tests.facilitation.test_facilitation_sessions import people

PUBLIC = HostPolicy(resolver=lambda _host: ["3.5.6.7"])


def _channel(session: Session, team_id: int, kind: str, url: str, event: str) -> None:
    notify.add_webhook(
        session=session,
        actor=None,
        team_id=team_id,
        kind=kind,
        name="#c",
        url=url,
        events=[event],
        app_key="s" * 48,
        hosts=PUBLIC,
    )


def test_a_finished_planning_posts_its_outcome_plan_and_actions(demo_session: Session) -> None:
    session = demo_session
    team, dm, member = people(session)
    before = {d.id for d in notify.deliveries_of(session=session, actor=None, team_id=team.id)}
    _channel(session, team.id, "teams", "https://example.webhook.office.com/webhookb2/abc/IncomingWebhook/x", "session_finished")
    live = service.schedule(
        session=session, actor=dm, team_id=team.id, kind=Kind.PLANNING, by_date=(NOW + timedelta(days=14)).date(), now=NOW
    )
    service.commit_plan(session=session, actor=dm, session_id=live.id, now=NOW)
    service.add_action(session=session, actor=member, session_id=live.id, title="Ask Payments for the API early")
    service.finish(session=session, actor=dm, session_id=live.id, outcome="Eight items planned.", now=NOW)
    [delivery] = [d for d in notify.deliveries_of(session=session, actor=None, team_id=team.id) if d.id not in before]
    assert (delivery.event, delivery.title) == ("session_finished", f"Planning finished: {live.title}")
    card = delivery.payload["attachments"][0]["content"]
    texts = [block["text"] for block in card["body"]]
    assert texts[1] == "- Outcome: Eight items planned."
    assert texts[2].startswith("- Plan committed: at least ")
    assert texts[2].endswith(f" items by {(NOW + timedelta(days=14)).date().isoformat()} (85% confidence).")
    assert texts[3] == "- Action: Ask Payments for the API early"
    assert card["actions"][0]["url"].endswith(f"/sessions/{live.id}")


def test_a_channel_that_does_not_subscribe_gets_nothing(demo_session: Session) -> None:
    session = demo_session
    team, dm, _member = people(session)
    before = {d.id for d in notify.deliveries_of(session=session, actor=None, team_id=team.id)}
    _channel(session, team.id, "slack", "https://hooks.slack.com/services/T0/B0/digestOnly", "digest")
    live = service.schedule(session=session, actor=dm, team_id=team.id, kind=Kind.STANDUP, now=NOW)
    service.finish(session=session, actor=dm, session_id=live.id, now=NOW)
    assert {d.id for d in notify.deliveries_of(session=session, actor=None, team_id=team.id)} == before
