"""The demo's example notification channel: disabled, pointing nowhere, labelled so, its URL encrypted with the app's key."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.demo.notify import NAME, build_notifications
from deliveryops.notify import service
from deliveryops.notify.models import TeamWebhook
from deliveryops.secrets import decrypt
from deliveryops.teams.models import Team
from tests.conftest import DEMO_NOW


def test_payments_has_a_disabled_example_channel_with_a_visible_failure(demo_session: Session) -> None:
    team = demo_session.scalars(select(Team).where(Team.name == "Payments")).one()
    (hook,) = service.webhooks_of(session=demo_session, actor=None, team_id=team.id)
    assert hook.enabled is False
    assert "example" in hook.name
    assert "disabled" in hook.name
    assert hook.url_hint.startswith("https://hooks.slack.example.invalid/")
    failures = service.failures_by_webhook(session=demo_session, actor=None, team_id=team.id)
    assert failures[hook.id].count == 1
    # Disabled: the team's announcements post nothing.
    assert service.announce(demo_session, team_id=team.id, event="digest", title="Demo week", lines=[]) == []


def test_the_url_is_encrypted_with_the_apps_key_and_points_nowhere(demo_session: Session) -> None:
    key = "d" * 48
    build_notifications(demo_session, now=DEMO_NOW, app_key=key)
    hook = demo_session.scalars(select(TeamWebhook).where(TeamWebhook.name == NAME).order_by(TeamWebhook.id.desc())).first()
    assert hook is not None
    url = decrypt(hook.url_encrypted, app_key=key)
    assert url not in hook.url_encrypted
    assert httpx.URL(url).host.endswith(".invalid")  # a reserved name that never resolves
