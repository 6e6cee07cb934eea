"""What the admin jobs page and API read: a page of jobs with the counts per state (admins only)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from deliveryops import jobs
from deliveryops.accounts.models import Role, User
from deliveryops.accounts.service import require_role
from deliveryops.jobs.schemas import JobCounts, JobPage, JobRead

__all__ = ["Listing", "job_page"]

Listing = Literal["queued", "running", "succeeded", "failed", "cancelled", "retried", "all"]


def job_page(session: Session, actor: User, *, state: Listing, limit: int, offset: int) -> JobPage:
    """A page of jobs, newest first, with the listing's total and the counts per state (admins only)."""
    require_role(actor, Role.ADMIN)
    counts = JobCounts(**jobs.counts(session=session))
    total = sum(getattr(counts, name) for name in jobs.JOB_STATES) if state == "all" else getattr(counts, state)
    return JobPage(
        items=[JobRead.model_validate(job) for job in jobs.list_(session=session, state=state, limit=limit, offset=offset)],
        total=total,
        limit=limit,
        offset=offset,
        counts=counts,
    )
