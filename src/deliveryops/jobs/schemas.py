"""What the jobs API returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from deliveryops.schemas import Page

__all__ = ["JobCounts", "JobPage", "JobRead"]


class JobRead(BaseModel):
    """One job as admins see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    title: str
    arguments: dict[str, Any]
    state: str
    lock_key: str | None
    attempts: int
    max_attempts: int
    retried: bool
    progress_done: int
    progress_total: int | None
    progress_percent: int | None
    progress_message: str | None
    result: str | None
    error: str | None
    worker: str | None
    cancel_requested: bool
    requested_by: str | None
    created_at: datetime
    run_after: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None


class JobCounts(BaseModel):
    """How many jobs are in each state; ``retried`` counts jobs tried more than once, whatever their state."""

    queued: int
    running: int
    succeeded: int
    failed: int
    cancelled: int
    retried: int


class JobPage(Page[JobRead]):
    """A page of jobs, newest first (``items``, ``total``, ``limit``, ``offset``), with the counts per state."""

    counts: JobCounts
