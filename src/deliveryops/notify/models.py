"""A team's incoming webhooks (Slack, Microsoft Teams) and every message sent, or tried, through them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from deliveryops.db import Base, UTCDateTime, utcnow

__all__ = ["EVENTS", "KINDS", "TeamWebhook", "WebhookDelivery"]

KINDS = {"slack": "Slack", "teams": "Microsoft Teams"}
EVENTS = {
    "retro_finished": "Retro finished: its summary and actions",
    "session_finished": "Stand-up, refinement or planning finished: its outcome and actions",
    "impediment_escalated": "Impediment escalated",
    "digest": "Weekly digest highlights",
}


class TeamWebhook(Base):
    """An incoming-webhook URL of a Slack or Microsoft Teams channel, configured by an admin for one team.

    The URL is a secret (whoever has it can post to the channel): ``url_encrypted`` holds it encrypted with
    the app's key, like connection tokens; ``url_hint`` (scheme, host and the last four characters) is all
    that is ever shown again.
    """

    __tablename__ = "team_webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # slack, teams
    name: Mapped[str] = mapped_column(String(100))
    url_encrypted: Mapped[str] = mapped_column(Text)
    url_hint: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One message to one webhook: what was sent and whether it arrived (queued, sent, failed)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("team_webhooks.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the receiver's HTTP status
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
