"""ORM models of coaching: insights from the rules, dismissals, and delivery managers' notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deliveryops.db import Base, UTCDateTime, utcnow


class Insight(Base):
    """What one rule found about one subject of a team; resolved when the rule stops firing.

    ``subject`` is the fingerprint within the kind ("team" for team-wide findings, "action:12",
    "reason:Waiting for security approval", ...). The rule's finding (texts, numbers, evidence) is
    kept in ``payload``.
    """

    __tablename__ = "coaching_insights"
    __table_args__ = (UniqueConstraint("team_id", "kind", "subject", name="uq_coaching_insights_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(10))  # info, warning, critical
    magnitude: Mapped[float] = mapped_column(Float, default=0.0)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("improvement_actions.id", ondelete="SET NULL"), nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Dismissal(Base):
    """A delivery manager's decision that an insight is not worth acting on, with the reason.

    The same kind and subject stays quiet while the dismissal holds: until ``until`` (when set)
    and unless it gets materially worse (a higher severity, or a magnitude at least
    ``WORSE_FACTOR`` times the one dismissed; see docs/coaching.md).
    """

    __tablename__ = "coaching_dismissals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    magnitude: Mapped[float] = mapped_column(Float, default=0.0)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # it got materially worse


class CoachingState(Base):
    """The fingerprint of a team's inputs when its insights were last computed (for lazy refresh)."""

    __tablename__ = "coaching_states"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    inputs: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoachingNote(Base):
    """A delivery manager's private note about a team; the team sees it only when shared."""

    __tablename__ = "coaching_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    shared_with_team: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
