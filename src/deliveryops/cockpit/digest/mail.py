"""Send the weekly digest by e-mail through the configured SMTP server, once per person and ISO week.

Sending is started by the periodic job ``digests.weekly`` (``deliveryops.cockpit.digest.jobs``) from the configured weekday
and hour (``DELIVERYOPS_DIGEST_WEEKDAY``, ``DELIVERYOPS_DIGEST_HOUR_UTC``) or by ``deliveryops report digest
--send`` (from cron, e.g. Mondays 07:00); the per-week record makes both safe to run.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr
from html import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role, User
from deliveryops.cockpit.digest.models import DigestSend, DigestSubscription
from deliveryops.cockpit.digest.service import DIGEST_ROLES, Digest, build_digest, digest_role, iso_week
from deliveryops.db import utcnow
from deliveryops.errors import ValidationFailedError
from deliveryops.settings import Settings

__all__ = ["SendReport", "build_message", "digest_text", "is_subscribed", "recipients", "send_digests", "set_subscription"]

ROLE_OF_DIGEST = {"delivery_manager": [Role.DELIVERY_MANAGER], "product_ops": [Role.PRODUCT_OPS], "leader": [Role.LEADER]}


def digest_text(digest: Digest, base: str) -> str:
    lines = [
        f"Hello {digest.name},",
        "",
        f"your DeliveryOps digest ({digest.role_label}) for {digest.start:%Y-%m-%d} to {digest.end:%Y-%m-%d}.",
        "",
    ]
    for heading, sections in (("What changed in the last 7 days", digest.changed), ("Needs attention", digest.attention)):
        lines += [heading, "=" * len(heading)]
        shown = [s for s in sections if s.lines]
        if not shown:
            lines.append("Nothing.")
        for section in shown:
            lines.append(f"{section.title}:")
            lines += [f"- {line.text} <{base}{line.href}>" for line in section.lines]
        lines.append("")
    lines += [f"Open the digest: {base}/digest", f"Stop these e-mails: {base}/digest (Unsubscribe).", ""]
    return "\n".join(lines)


def _html(digest: Digest, base: str) -> str:
    parts = [
        f"<p>Hello {escape(digest.name)},</p><p>your DeliveryOps digest ({escape(digest.role_label)}) for "
        f"{digest.start:%Y-%m-%d} to {digest.end:%Y-%m-%d}.</p>"
    ]
    for heading, sections in (("What changed in the last 7 days", digest.changed), ("Needs attention", digest.attention)):
        parts.append(f"<h2>{heading}</h2>")
        shown = [s for s in sections if s.lines]
        if not shown:
            parts.append("<p>Nothing.</p>")
        for section in shown:
            items = "".join(
                f'<li><a href="{escape(base + line.href, quote=True)}">{escape(line.text)}</a></li>' for line in section.lines
            )
            parts.append(f"<h3>{escape(section.title)}</h3><ul>{items}</ul>")
    parts.append(f'<p><a href="{escape(base)}/digest">Open the digest</a> · <a href="{escape(base)}/digest">Unsubscribe</a></p>')
    return "<!doctype html><html><body>" + "".join(parts) + "</body></html>"


def build_message(digest: Digest, *, settings: Settings) -> EmailMessage:
    """The digest as an e-mail: plain text with an HTML alternative, links under ``settings.public_url``."""
    base = settings.public_url.rstrip("/")
    message = EmailMessage()
    message["Subject"] = f"DeliveryOps weekly digest {digest.week} ({digest.role_label})"
    message["From"] = settings.smtp_from
    message["To"] = formataddr((digest.name, digest.email))
    message.set_content(digest_text(digest, base))
    message.add_alternative(_html(digest, base), subtype="html")
    return message


def is_subscribed(session: Session, user: User) -> bool:
    """Whether ``user`` gets the digest e-mail (everyone, until they opt out)."""
    row = session.scalar(select(DigestSubscription).where(DigestSubscription.user_id == user.id))
    return row is None or row.subscribed


def set_subscription(*, session: Session, user: User, subscribed: bool) -> DigestSubscription:
    """Opt ``user`` in or out of the digest e-mail."""
    row = session.scalar(select(DigestSubscription).where(DigestSubscription.user_id == user.id))
    if row is None:
        row = DigestSubscription(user_id=user.id)
        session.add(row)
    row.subscribed, row.updated_at = subscribed, utcnow()
    session.flush()
    return row


@dataclass
class SendReport:
    """What a run did, per e-mail address."""

    sent: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (address, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address, error)


def recipients(session: Session, *, roles: list[str] | None, to: str | None) -> list[User]:
    if to is not None:
        user = session.scalar(select(User).where(User.email == to.strip().lower()))
        if user is None or not user.is_active:
            raise ValidationFailedError(f"No active person has the e-mail {to!r}.", fields={"to": "unknown address"})
        if digest_role(user) is None:
            raise ValidationFailedError(
                f"{user.email} is a team member; digests are for delivery managers, Product Ops and leaders.",
                fields={"to": "no digest for this role"},
            )
        return [user]
    wanted = roles or list(DIGEST_ROLES)
    unknown = [r for r in wanted if r not in DIGEST_ROLES]
    if unknown:
        raise ValidationFailedError(
            f"Unknown role {unknown[0]!r}; choose {', '.join(DIGEST_ROLES)}.", fields={"role": "unknown role"}
        )
    org_roles = [role for name in wanted for role in ROLE_OF_DIGEST[name]]
    return list(session.scalars(select(User).where(User.role.in_(org_roles), User.is_active.is_(True)).order_by(User.email)))


def send_digests(
    session: Session, *, settings: Settings, roles: list[str] | None = None, to: str | None = None, now: datetime | None = None
) -> SendReport:
    """E-mail the digest to every active, subscribed person of ``roles`` (or to one address).

    A person already sent this ISO week's digest is skipped, so a re-run sends nothing twice; a
    failed send is recorded with its error and retried by the next run.

    Args:
        session: the unit of work (records what was sent; the caller commits).
        settings: SMTP server, sender and public URL.
        roles: digest roles ("delivery_manager", "product_ops", "leader"); default all three.
        to: only this person's e-mail address (opt-out does not apply to an explicit address).
        now: the end of the digest's 7 days.

    Returns:
        Who was sent, skipped and failed.
    """
    if not settings.smtp_host:
        raise ValidationFailedError(
            "E-mail is off: set DELIVERYOPS_SMTP_HOST (and DELIVERYOPS_SMTP_PORT).", fields={"smtp_host": "not set"}
        )
    moment = now or utcnow()
    week = iso_week(moment.date())
    report = SendReport()
    people = recipients(session, roles=roles, to=to)
    pending: list[tuple[User, EmailMessage, DigestSend | None]] = []
    for user in people:
        previous = session.scalar(select(DigestSend).where(DigestSend.user_id == user.id, DigestSend.week == week))
        if previous is not None and previous.status == "sent":
            report.skipped.append((user.email, f"already sent for {week}"))
            continue
        if to is None and not is_subscribed(session, user):
            report.skipped.append((user.email, "unsubscribed"))
            continue
        pending.append((user, build_message(build_digest(session=session, user=user, now=moment), settings=settings), previous))
    if not pending:
        return report
    try:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    except OSError as exc:
        error = f"Cannot reach the SMTP server {settings.smtp_host}:{settings.smtp_port}: {exc}"
        for user, _message, previous in pending:
            _record(session, user, week, previous, "failed", error)
            report.failed.append((user.email, error))
        return report
    with smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        for user, message, previous in pending:
            try:
                smtp.send_message(message)
            except smtplib.SMTPException as exc:
                _record(session, user, week, previous, "failed", str(exc))
                report.failed.append((user.email, str(exc)))
            else:
                _record(session, user, week, previous, "sent", "")
                report.sent.append(user.email)
    return report


def _record(session: Session, user: User, week: str, previous: DigestSend | None, status: str, error: str) -> None:
    row = previous or DigestSend(user_id=user.id, week=week)
    row.status, row.error, row.sent_at = status, error[:2000], utcnow()
    if previous is None:
        session.add(row)
    session.flush()
