"""Stand-ups, refinements and plannings: a live session of one team, and what it noted per work item.

The session's agenda (the work item keys it walks) is fixed when it is scheduled, so every participant,
late joiners included, walks the same list in the same order; the facilitator moves ``focus`` along it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliveryops.db import Base, UTCDateTime, enum_values, utcnow


class Kind(enum.StrEnum):
    """The kinds of session (the retro has its own board, ``deliveryops.retros``)."""

    STANDUP = "standup"
    REFINEMENT = "refinement"
    PLANNING = "planning"

    @property
    def label(self) -> str:
        """The name people use."""
        return {"standup": "Stand-up", "refinement": "Refinement", "planning": "Planning"}[self.value]


DECISIONS = ("", "ready", "split", "planned")
"""What refinement (ready, split) or planning (planned) decided for an item; "" is undecided."""


class LiveSession(Base):
    """One stand-up, refinement or planning of a team."""

    __tablename__ = "live_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[Kind] = mapped_column(Enum(Kind, native_enum=False, length=20, values_callable=enum_values))
    title: Mapped[str] = mapped_column(String(200))
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    agenda: Mapped[list[str]] = mapped_column(JSON, default=list)
    focus: Mapped[int] = mapped_column(Integer, default=0)
    by_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # planning: "how many by this date"
    forecast_id: Mapped[int | None] = mapped_column(ForeignKey("forecasts.id", ondelete="SET NULL"), nullable=True)
    outcome: Mapped[str] = mapped_column(Text, default="")
    timer_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    notes: Mapped[list[ItemNote]] = relationship(
        back_populates="live_session", cascade="all, delete-orphan", order_by="ItemNote.id"
    )


class ItemNote(Base):
    """What a session noted about one work item: helpers who swarm, the impediment raised, the escalation,
    and refinement's optional acceptance criteria, estimate and decision."""

    __tablename__ = "live_session_items"
    __table_args__ = (UniqueConstraint("session_id", "item_key", name="uq_live_session_items_session_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    item_key: Mapped[str] = mapped_column(String(100))
    helper_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    impediment_id: Mapped[int | None] = mapped_column(ForeignKey("impediments.id", ondelete="SET NULL"), nullable=True)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    acceptance_criteria: Mapped[str] = mapped_column(Text, default="")
    estimate: Mapped[float | None] = mapped_column(Float, nullable=True)
    decision: Mapped[str] = mapped_column(String(20), default="")

    live_session: Mapped[LiveSession] = relationship(back_populates="notes")
