"""Impediments, their timeline, affected items, clusters across teams, and escalation service levels."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliveryops.db import Base, UTCDateTime, enum_values, utcnow
from deliveryops.work.models import BigId


class Severity(enum.StrEnum):
    """How much an impediment hurts."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Status(enum.StrEnum):
    """Lifecycle: open → in progress → escalated → resolved / won't fix."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    WONT_FIX = "wont_fix"

    @property
    def is_closed(self) -> bool:
        """Resolved or won't fix."""
        return self in (Status.RESOLVED, Status.WONT_FIX)

    @property
    def label(self) -> str:
        """Human name."""
        return {"in_progress": "in progress", "wont_fix": "won't fix"}.get(self.value, self.value)


class Level(enum.StrEnum):
    """The escalation ladder: team → delivery manager → Product Ops → leadership."""

    TEAM = "team"
    DELIVERY_MANAGER = "delivery_manager"
    PRODUCT_OPS = "product_ops"
    LEADERSHIP = "leadership"

    @property
    def label(self) -> str:
        """Human name."""
        return {"team": "Team", "delivery_manager": "Delivery manager", "product_ops": "Product Ops", "leadership": "Leadership"}[
            self.value
        ]

    def next(self) -> Level | None:
        """The level above, or None at the top."""
        order = list(Level)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None

    def above(self) -> list[Level]:
        """Every level above this one, nearest first."""
        order = list(Level)
        return order[order.index(self) + 1 :]

    def previous(self) -> Level | None:
        """The level below, or None at the bottom."""
        order = list(Level)
        index = order.index(self)
        return order[index - 1] if index > 0 else None


class Category(Base):
    """A kind of impediment (a taxonomy admins can edit)."""

    __tablename__ = "impediment_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Cluster(Base):
    """Impediments of several teams that describe one underlying problem (proposed, then confirmed)."""

    __tablename__ = "impediment_clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="proposed")  # proposed, confirmed, rejected, resolved, merged
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    auto_escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    similarity: Mapped[float] = mapped_column(default=0.0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A cluster merged into another keeps its row (and history) and points to the one it became.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("impediment_clusters.id", ondelete="SET NULL"), nullable=True)

    members: Mapped[list[ClusterMember]] = relationship(back_populates="cluster", cascade="all, delete-orphan")


class ClusterMember(Base):
    """An impediment in a cluster (proposed or confirmed)."""

    __tablename__ = "impediment_cluster_members"
    __table_args__ = (UniqueConstraint("cluster_id", "impediment_id", name="uq_cluster_members_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("impediment_clusters.id", ondelete="CASCADE"), index=True)
    impediment_id: Mapped[int] = mapped_column(ForeignKey("impediments.id", ondelete="CASCADE"), index=True)

    cluster: Mapped[Cluster] = relationship(back_populates="members")


class Impediment(Base):
    """Something that stops a team, with where it sits on the escalation ladder."""

    __tablename__ = "impediments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("impediment_categories.id", ondelete="SET NULL"), nullable=True)
    severity: Mapped[Severity] = mapped_column(
        Enum(Severity, native_enum=False, length=20, values_callable=enum_values), default=Severity.MEDIUM
    )
    status: Mapped[Status] = mapped_column(
        Enum(Status, native_enum=False, length=20, values_callable=enum_values), default=Status.OPEN
    )
    level: Mapped[Level] = mapped_column(
        Enum(Level, native_enum=False, length=20, values_callable=enum_values), default=Level.TEAM
    )
    level_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    needed_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("impediment_clusters.id", ondelete="SET NULL"), nullable=True, index=True
    )
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    category: Mapped[Category | None] = relationship()
    events: Mapped[list[Event]] = relationship(back_populates="impediment", cascade="all, delete-orphan", order_by="Event.at")
    items: Mapped[list[AffectedItem]] = relationship(back_populates="impediment", cascade="all, delete-orphan")


class AffectedItem(Base):
    """A work item the impediment blocks."""

    __tablename__ = "impediment_items"
    __table_args__ = (UniqueConstraint("impediment_id", "work_item_id", name="uq_impediment_items_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    impediment_id: Mapped[int] = mapped_column(ForeignKey("impediments.id", ondelete="CASCADE"), index=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), index=True)

    impediment: Mapped[Impediment] = relationship(back_populates="items")


class Event(Base):
    """One entry of an impediment's timeline: who did what, when and why."""

    __tablename__ = "impediment_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    impediment_id: Mapped[int] = mapped_column(ForeignKey("impediments.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(30))  # raised, status, escalated, de_escalated, comment, resolved...
    from_value: Mapped[str | None] = mapped_column(String(40), nullable=True)
    to_value: Mapped[str | None] = mapped_column(String(40), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")

    impediment: Mapped[Impediment] = relationship(back_populates="events")


class ServiceLevel(Base):
    """How many working days an impediment of a severity may stay at a level before it is overdue."""

    __tablename__ = "impediment_service_levels"
    __table_args__ = (UniqueConstraint("level", "severity", name="uq_service_levels_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[Level] = mapped_column(Enum(Level, native_enum=False, length=20, values_callable=enum_values))
    severity: Mapped[Severity] = mapped_column(Enum(Severity, native_enum=False, length=20, values_callable=enum_values))
    working_days: Mapped[int] = mapped_column(Integer)


class ClusterEvent(Base):
    """One entry of a cluster's history: proposed, joined, confirmed, split, merged, moved… and who decided."""

    __tablename__ = "impediment_cluster_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("impediment_clusters.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(30))
    impediment_id: Mapped[int | None] = mapped_column(ForeignKey("impediments.id", ondelete="SET NULL"), nullable=True)
    other_cluster_id: Mapped[int | None] = mapped_column(ForeignKey("impediment_clusters.id", ondelete="SET NULL"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class PairDecision(Base):
    """What a person decided about two impediments: the same problem, or different ones (the latest counts)."""

    __tablename__ = "impediment_pair_decisions"
    __table_args__ = (UniqueConstraint("first_id", "second_id", name="uq_impediment_pair_decisions_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("impediments.id", ondelete="CASCADE"), index=True)  # the lower id
    second_id: Mapped[int] = mapped_column(ForeignKey("impediments.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(10))  # same, different
    source: Mapped[str] = mapped_column(String(20))  # confirm, reject, split, merge, move
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Synonym(Base):
    """An organisation's own term and what it means ("CAB" → "change advisory board"), read by the similarity."""

    __tablename__ = "impediment_synonyms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term: Mapped[str] = mapped_column(String(100), unique=True)
    meaning: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TextVector(Base):
    """A stored sentence vector, keyed by the hash of the model and the exact text it was computed from."""

    __tablename__ = "impediment_text_vectors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), unique=True)
    model: Mapped[str] = mapped_column(String(60))
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BlockerLink(Base):
    """A blocked interval of a work item that an impediment describes: proposed, linked or dismissed."""

    __tablename__ = "impediment_blocker_links"
    __table_args__ = (UniqueConstraint("interval_id", "impediment_id", name="uq_impediment_blocker_links_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interval_id: Mapped[int] = mapped_column(BigId, ForeignKey("blocked_intervals.id", ondelete="CASCADE"), index=True)
    impediment_id: Mapped[int] = mapped_column(ForeignKey("impediments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="proposed")  # proposed, linked, dismissed
    similarity: Mapped[float] = mapped_column(Float, default=0.0)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
