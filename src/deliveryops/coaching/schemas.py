"""The contracts of coaching: insights, their counts, coaching notes and turning an insight into an action."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from deliveryops.coaching import notes
from deliveryops.coaching.models import Dismissal, Insight


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

    @classmethod
    def of(cls, row: Insight, dismissal: Dismissal | None = None) -> InsightRead:
        """A stored insight (and its dismissal, if any) as the API shows it."""
        payload = row.payload
        return cls(
            id=row.id,
            team_id=row.team_id,
            kind=row.kind,
            subject=row.subject,
            severity=row.severity,
            title=str(payload.get("title", "")),
            observed=str(payload.get("observed", "")),
            why=str(payload.get("why", "")),
            practice=str(payload.get("practice", "")),
            evidence=list(payload.get("evidence", [])),
            target_metric=payload.get("target_metric"),
            action_id=row.action_id,
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
            dismissed=None
            if dismissal is None
            else {
                "reason": dismissal.reason,
                "at": dismissal.at.isoformat(),
                "until": dismissal.until.isoformat() if dismissal.until else None,
            },
        )


class DismissBody(BaseModel):
    """Why the insight is not worth acting on, and optionally until when."""

    reason: str = Field(max_length=2000)
    until: datetime | None = Field(default=None, description="A date, or a date and time; without a zone, UTC")

    @field_validator("until")
    @classmethod
    def _in_utc_unless_zoned(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


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
