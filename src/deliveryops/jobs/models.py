"""The job ledger: one row per job, the truth about its state, progress, lock and heartbeats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from deliveryops.db import Base, UTCDateTime, utcnow

__all__ = ["JOB_STATES", "DerivedResult", "Job"]

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")


class Job(Base):
    """One piece of background work: what to run, with which arguments, and what became of it.

    ``lock_key``: at most one job holding a key runs at a time (a partial unique index on the running
    ones enforces it across processes and machines). ``unique_key``: at most one job ever carries it
    (a scheduled job's name and period, so the period runs once however many workers fire it).
    ``heartbeat_at`` is refreshed while the job runs; a running job whose heartbeat stops is reaped:
    queued again while it has attempts left, failed otherwise.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "uq_jobs_running_lock",
            "lock_key",
            unique=True,
            sqlite_where=text("state = 'running'"),
            postgresql_where=text("state = 'running'"),
        ),
        Index("ix_jobs_state_run_after", "state", "run_after"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(200))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default="queued")  # one of JOB_STATES
    lock_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    unique_key: Mapped[str | None] = mapped_column(String(250), nullable=True, unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    progress_message: Mapped[str | None] = mapped_column(String(300), nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(120), nullable=True)  # host:pid of the process running it
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def retried(self) -> bool:
        """Whether the job has been tried more than once."""
        return self.attempts > 1

    @property
    def progress_percent(self) -> int | None:
        """Progress in whole percent (None while the total is unknown)."""
        if not self.progress_total:
            return None
        return min(100, self.progress_done * 100 // self.progress_total)


class DerivedResult(Base):
    """A result computed from the data (the DORA tables of a set of teams, say), stored for every process to read.

    ``kind`` names what it is ("dora.tables"), ``scope`` what it covers (teams, zone, settings), ``data_version``
    the version of the data it was computed from: a change of the data gives a new version, so a stored result is
    never stale, only superseded (older versions of the same kind and scope are removed when a new one is stored).
    """

    __tablename__ = "derived_results"
    __table_args__ = (UniqueConstraint("kind", "scope", "data_version", name="uq_derived_results_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(String(250))
    data_version: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)  # what a job needs to compute the scope's result again
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    compute_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
