"""Authorisation expectations for actions sent to trackers and for teams' notification webhooks.

Team A's people, its delivery manager and admins create Team A's actions as tracker issues and check their
status (as they change the actions); whoever sees Team A reads the link. Webhooks, their messages and retries
are for admins only: a webhook URL is a secret that lets its holder post to the channel.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.actions import service as actions
from deliveryops.actions.models import ActionIssue
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.notify import service as notify
from deliveryops.notify.models import WebhookDelivery
from tests.web.authz_roles import A_RAISERS, A_VIEWERS, ADMINS, Expectations, WorldBase

HOOK: dict[str, Any] = {
    "kind": "slack",
    "name": "#walk",
    "url": "https://hooks.slack.com/services/T0/B0/walk",
    "events": ["digest"],
}

EXPECTED: Expectations = {
    ("POST", "/actions/{action_id}/issue"): (A_RAISERS, {"connection_id": "{connection_id}"}),
    ("POST", "/actions/{action_id}/issue/refresh"): (A_RAISERS, {}),
    ("POST", "/api/v1/actions/{action_id}/issue"): (A_RAISERS, {"connection_id": "{connection_id}"}),
    ("GET", "/api/v1/actions/{action_id}/issue"): (A_VIEWERS, None),
    ("POST", "/api/v1/actions/{action_id}/issue/refresh"): (A_RAISERS, {}),
    ("GET", "/teams/{slug}/notifications"): (ADMINS, None),
    ("POST", "/teams/{slug}/notifications"): (ADMINS, {"kind": "slack", "name": "#page", "url": "ftp://refused"}),
    ("POST", "/teams/{slug}/notifications/{webhook_id}/delete"): (ADMINS, {}),
    ("POST", "/teams/{slug}/notifications/{webhook_id}/test"): (ADMINS, {}),
    ("POST", "/teams/{slug}/notifications/{webhook_id}/enable"): (ADMINS, {}),
    ("POST", "/teams/{slug}/notifications/{webhook_id}/disable"): (ADMINS, {}),
    ("POST", "/teams/{slug}/notifications/deliveries/{delivery_id}/retry"): (ADMINS, {}),
    ("GET", "/api/v1/teams/{team_id}/webhooks"): (ADMINS, None),
    ("POST", "/api/v1/teams/{team_id}/webhooks"): (ADMINS, {**HOOK, "url": "ftp://refused"}),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): (ADMINS, None),
    ("POST", "/api/v1/webhooks/{webhook_id}/test"): (ADMINS, {}),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): (ADMINS, {"enabled": True}),
    ("GET", "/api/v1/teams/{team_id}/webhook-deliveries"): (ADMINS, None),
    ("POST", "/api/v1/webhook-deliveries/{delivery_id}/retry"): (ADMINS, {}),
}

# Issue routes use an action already linked (creating it again is a conflict, which the walk counts as allowed);
# each delete removes a webhook of its own.
PATH_OVERRIDES = {
    ("POST", "/actions/{action_id}/issue"): {"action_id": "linked_action_id"},
    ("POST", "/actions/{action_id}/issue/refresh"): {"action_id": "linked_action_id"},
    ("POST", "/api/v1/actions/{action_id}/issue"): {"action_id": "linked_action_id"},
    ("GET", "/api/v1/actions/{action_id}/issue"): {"action_id": "linked_action_id"},
    ("POST", "/api/v1/actions/{action_id}/issue/refresh"): {"action_id": "linked_action_id"},
    ("POST", "/teams/{slug}/notifications/{webhook_id}/delete"): {"webhook_id": "page_webhook_id"},
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): {"webhook_id": "api_webhook_id"},
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """An action of Team A linked to an issue (its connection gone), three webhooks of Team A and a failed delivery."""
    action = actions.create(session=session, actor=None, team_id=world.team_a.id, title="Linked walk action")
    session.add(
        ActionIssue(action_id=action.id, connection_id=None, kind="github", key="a/b#1", url="https://github.com/a/b/issues/1")
    )
    hooks = [
        notify.add_webhook(session=session, actor=None, team_id=world.team_a.id, app_key="k" * 48, hosts=HostPolicy(), **HOOK)
        for _ in range(3)
    ]
    session.add(WebhookDelivery(webhook_id=hooks[0].id, event="digest", title="Walk", payload={}, status="failed"))
    session.flush()
    delivery = session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hooks[0].id)).one()
    return {
        "linked_action_id": str(action.id),
        "webhook_id": str(hooks[0].id),
        "page_webhook_id": str(hooks[1].id),
        "api_webhook_id": str(hooks[2].id),
        "delivery_id": str(delivery.id),
    }
