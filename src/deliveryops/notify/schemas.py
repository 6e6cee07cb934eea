"""The contracts of teams' webhooks and their deliveries (the URL is write-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DeliveryRead", "DeliveryStatus", "WebhookCreate", "WebhookRead", "WebhookUpdate"]

Event = Literal["retro_finished", "session_finished", "impediment_escalated", "digest"]
DeliveryStatus = Literal["queued", "retrying", "sent", "failed"]


class WebhookCreate(BaseModel):
    """A Slack or Microsoft Teams incoming webhook for a team."""

    kind: Literal["slack", "teams"]
    name: str = Field(max_length=100, description="where it posts, for people (e.g. #payments-team)")
    url: str = Field(max_length=2000, description="the incoming-webhook URL; stored encrypted, never shown again")
    events: list[Event] = Field(default_factory=list, description="what it posts")


class WebhookUpdate(BaseModel):
    """Turn a webhook on or off; a disabled webhook posts nothing until it is enabled again."""

    enabled: bool


class WebhookRead(BaseModel):
    """A configured webhook; only a hint of its URL."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    team_id: int
    kind: str
    name: str
    url_hint: str = Field(description="scheme, host and the URL's last four characters")
    events: list[str]
    enabled: bool
    created_at: datetime


class DeliveryRead(BaseModel):
    """One message to a webhook and what became of it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    webhook_id: int
    event: str
    title: str
    status: str = Field(description="queued, retrying, sent or failed")
    attempts: int
    last_status: int | None = Field(description="the receiver's HTTP status on the last attempt")
    error: str | None
    created_at: datetime
    sent_at: datetime | None
