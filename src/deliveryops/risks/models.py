"""Cross-team risks (ROAM) and what they are linked to: dependencies, impediments, epics."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliveryops.db import Base, UTCDateTime, enum_values, utcnow


class RoamStatus(enum.StrEnum):
    """Where a risk stands: raised and not yet ROAMed, then Resolved, Owned, Accepted or Mitigated."""

    OPEN = "open"
    RESOLVED = "resolved"
    OWNED = "owned"
    ACCEPTED = "accepted"
    MITIGATED = "mitigated"

    @property
    def label(self) -> str:
        """Human name."""
        return "Not yet ROAMed" if self is RoamStatus.OPEN else self.value.capitalize()

    @property
    def is_closed(self) -> bool:
        """Resolved risks need no more reviews."""
        return self is RoamStatus.RESOLVED


class Impact(enum.StrEnum):
    """How much the risk would hurt if it happened."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class LinkKind(enum.StrEnum):
    """What a risk can be linked to."""

    DEPENDENCY = "dependency"
    IMPEDIMENT = "impediment"
    EPIC = "epic"


class Risk(Base):
    """A cross-team risk with its ROAM status, owner, impact and next review date."""

    __tablename__ = "risks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RoamStatus] = mapped_column(
        Enum(RoamStatus, native_enum=False, length=20, values_callable=enum_values), default=RoamStatus.OPEN
    )
    impact: Mapped[Impact] = mapped_column(
        Enum(Impact, native_enum=False, length=20, values_callable=enum_values), default=Impact.MEDIUM
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    review_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    response: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    links: Mapped[list[RiskLink]] = relationship(back_populates="risk", cascade="all, delete-orphan", order_by="RiskLink.id")


class RiskLink(Base):
    """A risk's link to a dependency or impediment (by id) or an epic (by key)."""

    __tablename__ = "risk_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LinkKind] = mapped_column(Enum(LinkKind, native_enum=False, length=20, values_callable=enum_values))
    ref: Mapped[str] = mapped_column(String(100))

    risk: Mapped[Risk] = relationship(back_populates="links")
