"""Use cases of outgoing notifications: admins configure a team's webhooks; the domains announce what happened.

:func:`announce` is what the retro (finished), impediment (escalated) and digest (weekly highlights) domains
call: it stores one delivery per subscribed webhook of the team and queues a job to post it, so a slow or
failing receiver never holds up the page that caused the message. Admins see every delivery and retry failed ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.accounts.service import require_role
from deliveryops.connectors.hosts import HostPolicy, HostRefusedError, check_target, origin_of
from deliveryops.errors import NotFoundError, ValidationFailedError
from deliveryops.jobs import enqueue
from deliveryops.notify.formats import payload
from deliveryops.notify.jobs import deliver
from deliveryops.notify.models import EVENTS, KINDS, TeamWebhook, WebhookDelivery
from deliveryops.secrets import encrypt
from deliveryops.settings import get_settings
from deliveryops.teams.models import Team

__all__ = [
    "Failures",
    "add_webhook",
    "already_posted",
    "announce",
    "deliveries_of",
    "failures_by_webhook",
    "remove_webhook",
    "retry_delivery",
    "send_test",
    "set_enabled",
    "teams_posting",
    "url_hint",
    "webhooks_of",
]


def url_hint(url: str) -> str:
    """What is shown of a webhook URL: its scheme and host, and its last four characters."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}/\u2026{url[-4:]}"


def _team(session: Session, actor: User | None, team_id: int) -> Team:
    if actor is not None:
        require_role(actor, Role.ADMIN)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"No team with id {team_id}.")
    return team


def add_webhook(
    *,
    session: Session,
    actor: User | None,
    team_id: int,
    kind: str,
    name: str,
    url: str,
    events: list[str],
    app_key: str,
    hosts: HostPolicy | None = None,
) -> TeamWebhook:
    """Add a Slack or Microsoft Teams incoming webhook to a team (admins); the URL is stored encrypted.

    Raises:
        ValidationFailedError: an unknown kind or event, no name, or a URL that is not https to a public host.
    """
    team = _team(session, actor, team_id)
    errors: dict[str, str] = {}
    if kind not in KINDS:
        errors["kind"] = f"Choose one of: {', '.join(KINDS)}."
    if not name.strip():
        errors["name"] = "Name where it posts (e.g. #payments-team)."
    unknown = [event for event in events if event not in EVENTS]
    if unknown:
        errors["events"] = f"Unknown: {', '.join(unknown)}; choose from {', '.join(EVENTS)}."
    url = url.strip()
    try:
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise HostRefusedError("must start with https:// and name a host")
        check_target(origin_of(url), hosts or HostPolicy.from_settings())
    except HostRefusedError as exc:
        errors["url"] = f"The webhook URL {exc}."
    except (httpx.InvalidURL, ValueError):  # not a URL at all (bad characters, a host name that cannot be encoded)
        errors["url"] = "The webhook URL is not a web address; paste the whole https:// address the service gave."
    if errors:
        raise ValidationFailedError("Please correct the marked fields.", fields=errors)
    webhook = TeamWebhook(
        team_id=team.id,
        kind=kind,
        name=name.strip()[:100],
        url_encrypted=encrypt(url, app_key=app_key),
        url_hint=url_hint(url),
        events=list(dict.fromkeys(events)),
    )
    session.add(webhook)
    session.flush()
    return webhook


def _webhook(session: Session, actor: User | None, webhook_id: int) -> TeamWebhook:
    if actor is not None:
        require_role(actor, Role.ADMIN)
    webhook = session.get(TeamWebhook, webhook_id)
    if webhook is None:
        raise NotFoundError(f"No webhook with id {webhook_id}.")
    return webhook


def remove_webhook(*, session: Session, actor: User | None, webhook_id: int) -> None:
    """Remove a webhook and its deliveries (admins)."""
    session.delete(_webhook(session, actor, webhook_id))
    session.flush()


def set_enabled(
    *, session: Session, actor: User | None, webhook_id: int, enabled: bool, team_id: int | None = None
) -> TeamWebhook:
    """Turn a webhook on or off (admins): a disabled one posts nothing, its settings and messages stay.

    Args:
        session: the unit of work.
        actor: who asks (admins; None for trusted callers).
        webhook_id: the webhook.
        enabled: on or off.
        team_id: the team the caller reached it through (a page of one team): another team's webhook is not found.
    """
    webhook = _webhook(session, actor, webhook_id)
    if team_id is not None and webhook.team_id != team_id:
        raise NotFoundError(f"No webhook with id {webhook_id} in this team.")
    webhook.enabled = enabled
    session.flush()
    return webhook


def webhooks_of(*, session: Session, actor: User | None, team_id: int) -> list[TeamWebhook]:
    """A team's webhooks (admins), oldest first."""
    _team(session, actor, team_id)
    return list(session.scalars(select(TeamWebhook).where(TeamWebhook.team_id == team_id).order_by(TeamWebhook.id)))


def deliveries_of(
    *, session: Session, actor: User | None, team_id: int, status: str | None = None, webhook_id: int | None = None
) -> list[WebhookDelivery]:
    """The deliveries to the team's webhooks (admins), newest first; only those of a status or webhook if given."""
    _team(session, actor, team_id)
    query = (
        select(WebhookDelivery)
        .join(TeamWebhook, TeamWebhook.id == WebhookDelivery.webhook_id)
        .where(TeamWebhook.team_id == team_id)
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if webhook_id is not None:
        query = query.where(WebhookDelivery.webhook_id == webhook_id)
    return list(session.scalars(query.order_by(WebhookDelivery.id.desc())))


@dataclass(frozen=True)
class Failures:
    """A webhook's failed deliveries: how many, and the receiver's last answer."""

    count: int
    last_error: str | None


def failures_by_webhook(*, session: Session, actor: User | None, team_id: int) -> dict[int, Failures]:
    """Webhook id → its failed deliveries (admins); webhooks without failures are left out."""
    found: dict[int, Failures] = {}
    for row in deliveries_of(session=session, actor=actor, team_id=team_id, status="failed"):
        seen = found.get(row.webhook_id)
        found[row.webhook_id] = Failures(1, row.error) if seen is None else Failures(seen.count + 1, seen.last_error)
    return found


def _queue(session: Session, webhook: TeamWebhook, event: str, title: str, lines: list[str], link: str | None) -> WebhookDelivery:
    absolute = f"{get_settings().public_url.rstrip('/')}{link}" if link and link.startswith("/") else link
    delivery = WebhookDelivery(
        webhook_id=webhook.id, event=event, title=title[:300], payload=payload(webhook.kind, title, lines, absolute)
    )
    session.add(delivery)
    session.flush()
    enqueue(session, deliver, arguments={"delivery_id": delivery.id})
    return delivery


def announce(
    session: Session, *, team_id: int, event: str, title: str, lines: list[str], link: str | None = None
) -> list[WebhookDelivery]:
    """Queue a message to every enabled webhook of the team that posts ``event``.

    Args:
        session: the unit of work (the jobs are handed to workers once it commits).
        team_id: the team.
        event: one of :data:`EVENTS`.
        title: the message's headline.
        lines: its points, in order (never retro cards or authors).
        link: a DeliveryOps path ("/retros/7") or address to open.

    Returns:
        The deliveries queued (none when the team has no such webhook).
    """
    assert event in EVENTS, event
    webhooks = session.scalars(
        select(TeamWebhook).where(TeamWebhook.team_id == team_id, TeamWebhook.enabled.is_(True)).order_by(TeamWebhook.id)
    )
    return [_queue(session, hook, event, title, lines, link) for hook in webhooks if event in hook.events]


def send_test(*, session: Session, actor: User | None, webhook_id: int) -> WebhookDelivery:
    """Queue a test message to one webhook (admins), to check it reaches the channel."""
    webhook = _webhook(session, actor, webhook_id)
    team = session.get(Team, webhook.team_id)
    assert team is not None
    lines = [f"Posts: {', '.join(EVENTS[e] for e in webhook.events) or 'nothing yet'}."]
    return _queue(session, webhook, "test", f"DeliveryOps test message for {team.name}", lines, f"/teams/{team.slug}")


def retry_delivery(*, session: Session, actor: User | None, delivery_id: int) -> WebhookDelivery:
    """Queue a failed delivery again with fresh attempts (admins)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFoundError(f"No delivery with id {delivery_id}.")
    if delivery.status == "sent":
        raise ValidationFailedError("This message was delivered; there is nothing to retry.", fields={"status": "sent"})
    delivery.status = "queued"
    enqueue(session, deliver, arguments={"delivery_id": delivery.id})
    session.flush()
    return delivery


def teams_posting(session: Session, event: str) -> list[int]:
    """The teams with an enabled webhook that posts ``event``."""
    hooks = session.scalars(select(TeamWebhook).where(TeamWebhook.enabled.is_(True)).order_by(TeamWebhook.team_id))
    return list(dict.fromkeys(hook.team_id for hook in hooks if event in hook.events))


def already_posted(session: Session, *, team_id: int, event: str, title: str) -> bool:
    """Whether a message of that event and title was queued to the team's webhooks already."""
    found = session.scalar(
        select(WebhookDelivery.id)
        .join(TeamWebhook, TeamWebhook.id == WebhookDelivery.webhook_id)
        .where(TeamWebhook.team_id == team_id, WebhookDelivery.event == event, WebhookDelivery.title == title[:300])
        .limit(1)
    )
    return found is not None
