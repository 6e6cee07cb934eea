"""Posting one delivery to its webhook: the URL decrypted only here, sent only where the host policy allows.

A 2xx answer is delivered. 429, 5xx and network errors may pass: the job tries again (with a growing wait);
other answers (Slack's 400 ``invalid_payload``, 403 ``action_prohibited``, 404 ``no_service``, 410
``channel_is_archived``; a Teams 400) will not, so the delivery fails at once and the admin sees why. A
message queued before its channel was disabled fails at once too, unsent. Messages never contain the URL.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session

from deliveryops.connectors.base import ConnectorError
from deliveryops.connectors.hosts import GuardedTransport, HostPolicy, HostRefusedError, check_target, origin_of
from deliveryops.db import utcnow
from deliveryops.notify.models import TeamWebhook, WebhookDelivery
from deliveryops.secrets import SecretError, decrypt

__all__ = ["Outcome", "post"]

_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass(frozen=True)
class Outcome:
    """What one attempt did: sent, or failed with a message and whether another attempt may help."""

    sent: bool
    status: int | None = None
    error: str | None = None
    retryable: bool = False


def _attempt(url: str, payload: object, *, name: str, policy: HostPolicy, transport: httpx.BaseTransport | None) -> Outcome:
    try:
        check_target(origin_of(url), policy, resolve_host=transport is None)
    except HostRefusedError as exc:
        return Outcome(False, error=f"The webhook URL {exc}.")
    guarded = GuardedTransport(
        transport or httpx.HTTPTransport(), name=name, origins=[url], policy=policy, resolve_hosts=transport is None
    )
    try:
        with httpx.Client(transport=guarded, timeout=_TIMEOUT, follow_redirects=False) as client:
            response = client.post(url, json=payload)
    except ConnectorError as exc:
        return Outcome(False, error=exc.message)
    except httpx.HTTPError as exc:
        return Outcome(False, error=f"The receiver could not be reached ({exc.__class__.__name__}).", retryable=True)
    if 200 <= response.status_code < 300:
        return Outcome(True, status=response.status_code)
    said = response.text.strip()[:200]
    error = f"The receiver answered {response.status_code} {response.reason_phrase}{': ' + said if said else ''}."
    return Outcome(
        False, status=response.status_code, error=error, retryable=response.status_code == 429 or response.status_code >= 500
    )


def post(
    session: Session,
    delivery: WebhookDelivery,
    *,
    app_key: str,
    policy: HostPolicy,
    final: bool,
    transport: httpx.BaseTransport | None = None,
) -> Outcome:
    """Send a delivery once and record the attempt on it (status, attempts, the receiver's answer).

    Args:
        session: the unit of work holding ``delivery``.
        delivery: what to send.
        app_key: decrypts the webhook's URL.
        policy: where messages may go (https; loopback only when the settings allow it).
        final: no attempt follows this one: a retryable failure is final too.
        transport: an httpx transport (tests); None for the network.
    """
    webhook = session.get(TeamWebhook, delivery.webhook_id)
    assert webhook is not None
    if not webhook.enabled:  # turned off after the message was queued: it is not sent
        outcome = Outcome(False, error="Not sent: the channel is disabled. Enable it, then retry.")
    else:
        try:
            url = decrypt(webhook.url_encrypted, app_key=app_key)
        except SecretError:
            outcome = Outcome(False, error="The webhook URL cannot be decrypted (the secret key changed); enter it again.")
        else:
            outcome = _attempt(url, delivery.payload, name=webhook.name, policy=policy, transport=transport)
    delivery.attempts += 1
    delivery.last_status = outcome.status
    if outcome.sent:
        delivery.status, delivery.error, delivery.sent_at = "sent", None, utcnow()
    else:
        delivery.status = "retrying" if outcome.retryable and not final else "failed"
        delivery.error = outcome.error
    session.flush()
    return outcome
