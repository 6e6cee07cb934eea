"""Canonical work-item tables (DESIGN.md, "Canonical data") and each team's workflow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from deliveryops.db import Base, UTCDateTime, enum_values, utcnow
from deliveryops.work.records import StageCategory

# SQLite only makes INTEGER PRIMARY KEY an auto-incrementing row id; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class WorkItem(Base):
    """One item of a team's tracker (story, bug, task, epic...)."""

    __tablename__ = "work_items"
    __table_args__ = (UniqueConstraint("team_id", "source", "external_key", name="uq_work_items_team_source_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(40))
    external_key: Mapped[str] = mapped_column(String(100))
    item_type: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    current_status: Mapped[str | None] = mapped_column(String(100), nullable=True)
    parent_key: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    estimate: Mapped[float | None] = mapped_column(Float, nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(100), nullable=True)
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    history_is_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StatusTransition(Base):
    """An item entering a status at a moment."""

    __tablename__ = "status_transitions"
    __table_args__ = (Index("ix_status_transitions_item_at", "item_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(100), nullable=True)
    to_status: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class BlockedInterval(Base):
    """A period an item was blocked (from a flag or a blocked status); ``end`` is None while blocked."""

    __tablename__ = "blocked_intervals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(20), default="flag")


class ItemLink(Base):
    """A link between items: ``kind`` is "blocks" or "is_blocked_by", or "outward" / "inward" for another link
    type, whose ``label`` is the phrase read from this item (e.g. "depends on")."""

    __tablename__ = "item_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    other_key: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(100), default="", server_default="")


class WorkflowStatus(Base):
    """One status of a team's workflow in board order; ``category`` None means "not mapped yet"."""

    __tablename__ = "workflow_statuses"
    __table_args__ = (UniqueConstraint("team_id", "name", name="uq_workflow_statuses_team_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[StageCategory | None] = mapped_column(
        Enum(StageCategory, native_enum=False, length=20, values_callable=enum_values), nullable=True
    )
    position: Mapped[int] = mapped_column(Integer)


class ImportRun(Base):
    """One import of a file (or a simulated history) into a team, with what it changed."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    format: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(255), default="")
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    transitions: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PendingUpload(Base):
    """An uploaded file between its preview and the user's confirmation (kept for an hour)."""

    __tablename__ = "pending_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    blocked_content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Change(Base):
    """A pull or merge request: what DORA's lead time and flow need later."""

    __tablename__ = "changes"
    __table_args__ = (
        UniqueConstraint("source", "repository", "number", name="uq_changes_source_repo_number"),
        # Linking deployments by merge time reads a repository's pull requests merged in a window.
        Index("ix_changes_repository_merged", "repository", "merged_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True)
    source: Mapped[str] = mapped_column(String(40))
    repository: Mapped[str] = mapped_column(String(200))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_commit_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    merge_commit_sha: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    base_branch: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Other repositories' issues or pull requests its title or description names ("owner/repo#12").
    references: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
