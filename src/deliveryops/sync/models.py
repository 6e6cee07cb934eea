"""Connections to trackers and the history of their syncs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliveryops.db import Base, UTCDateTime, utcnow


class Connection(Base):
    """A configured source (a Jira site, a GitHub organisation's repositories) feeding one team.

    ``secret_encrypted`` holds the token encrypted with the app's key; it is never shown again.
    """

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    interval_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    runs: Mapped[list[SyncRun]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", order_by="SyncRun.id.desc()"
    )


class SyncRun(Base):
    """One sync of a connection: counts, duration, the resume cursor and, if it failed, why."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running, succeeded, failed, interrupted
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[str] = mapped_column(String(20), default="manual")  # manual, schedule, cli
    owner: Mapped[str] = mapped_column(String(120), default="")  # host:pid of the process running it
    since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    resumed_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    deployments: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # DORA records imported
    incidents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    requests: Mapped[int] = mapped_column(Integer, default=0)
    server_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    connection: Mapped[Connection] = relationship(back_populates="runs")

    @property
    def duration_seconds(self) -> float | None:
        """How long the run took (None while running)."""
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None
