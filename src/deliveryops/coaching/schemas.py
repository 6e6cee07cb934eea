"""The contracts of coaching: insights, their counts, coaching notes and turning an insight into an action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from deliveryops.coaching import notes


class InsightRead(BaseModel):
    """An open coaching insight with its evidence; ``dismissed`` carries the dismissal when there is one."""

    id: int
    team_id: int
    kind: str
    subject: str
    severity: str
    title: str
    observed: str
    why: str
    practice: str
    evidence: list[dict[str, Any]]
    target_metric: str | None
    action_id: int | None
    first_seen_at: datetime
    last_seen_at: datetime
    dismissed: dict[str, Any] | None = None


class DismissBody(BaseModel):
    """Why the insight is not worth acting on, and optionally until when."""

    reason: str = Field(max_length=2000)
    until: datetime | None = None


class ToActionBody(BaseModel):
    """An optional title for the improvement action (default: the insight's suggestion)."""

    title: str = Field(default="", max_length=200)


class ActionCreated(BaseModel):
    """The improvement action made from an insight."""

    action_id: int
    title: str
    target_metric: str | None


class KindCountRead(BaseModel):
    """Open insights of one kind across teams."""

    kind: str
    label: str
    practice: str
    total: int
    by_team: dict[str, int]


class NoteRead(BaseModel):
    """A coaching note."""

    id: int
    team_id: int
    author_id: int
    text: str
    shared_with_team: bool
    created_at: datetime
    updated_at: datetime


class NoteCreate(BaseModel):
    """A new coaching note."""

    text: str = Field(max_length=notes.MAX_NOTE_CHARS + 100)
    shared_with_team: bool = False


class NoteUpdate(BaseModel):
    """Changes to a note."""

    text: str | None = Field(default=None, max_length=notes.MAX_NOTE_CHARS + 100)
    shared_with_team: bool | None = None
