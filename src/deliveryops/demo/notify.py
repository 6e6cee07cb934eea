"""An example Slack channel of the Payments team, so its notifications page shows what a configured one looks like.

The webhook is disabled and its URL points nowhere (``.invalid`` never resolves): the demo posts nothing. Its
name says so. The URL is encrypted with the app's secret key, like a connection token; one failed message
shows how a failure looks to the admin.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.notify.formats import payload
from deliveryops.notify.models import EVENTS, TeamWebhook, WebhookDelivery
from deliveryops.notify.service import url_hint
from deliveryops.secrets import encrypt
from deliveryops.teams.models import Team

TEAM = "Payments"
NAME = "#payments-team (example: disabled, points nowhere)"
URL = "https://hooks.slack.example.invalid/services/T0DEMO/B0DEMO/example"


def build_notifications(session: Session, *, now: datetime, app_key: str | None = None) -> int:
    """The example webhook (disabled) and one message it failed to deliver before it was disabled.

    Args:
        session: the unit of work.
        now: the demo's "now".
        app_key: the app's secret key, which encrypts the URL (None: a throwaway key; the URL then cannot be
            read back, which a disabled example never needs).

    Returns:
        The number of webhooks added (1).
    """
    team = session.scalars(select(Team).where(Team.name == TEAM)).one()
    webhook = TeamWebhook(
        team_id=team.id,
        kind="slack",
        name=NAME,
        url_encrypted=encrypt(URL, app_key=app_key or secrets.token_urlsafe(48)),
        url_hint=url_hint(URL),
        events=list(EVENTS),
        enabled=False,
        created_at=now - timedelta(days=9),
    )
    session.add(webhook)
    session.flush()
    title = f"DeliveryOps test message for {team.name}"
    session.add(
        WebhookDelivery(
            webhook_id=webhook.id,
            event="test",
            title=title,
            payload=payload("slack", title, ["An example channel: its address points nowhere."], None),
            status="failed",
            attempts=5,
            error="The receiver could not be reached (ConnectError).",
            created_at=now - timedelta(days=8),
        )
    )
    session.flush()
    return 1
