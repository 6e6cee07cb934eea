"""Authorisation expectations for the admin jobs page and API (see ``authz_roles`` for the contract)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deliveryops import jobs
from deliveryops.db import utcnow
from tests.jobs import sample_jobs
from tests.web.authz_roles import ADMINS, Expectations, WorldBase

EXPECTED: Expectations = {
    ("GET", "/api/v1/jobs"): (ADMINS, None),
    ("GET", "/api/v1/jobs/{job_id}"): (ADMINS, None),
    ("POST", "/api/v1/jobs/{job_id}/retry"): (ADMINS, None),
    ("POST", "/api/v1/jobs/{job_id}/cancel"): (ADMINS, None),
    ("GET", "/admin/jobs"): (ADMINS, None),
    ("GET", "/admin/jobs/{job_id}"): (ADMINS, None),
    ("POST", "/admin/jobs/{job_id}/retry"): (ADMINS, {}),
    ("POST", "/admin/jobs/{job_id}/cancel"): (ADMINS, {}),
}


def world_values(session: Session, world: WorldBase) -> dict[str, str]:
    """A failed job to read, retry and cancel; its path placeholder."""
    job = jobs.enqueue(session, sample_jobs.add, arguments={"a": 1})
    job.state, job.attempts, job.error, job.finished_at = "failed", 1, "It broke.", utcnow()
    session.flush()
    return {"job_id": str(job.id)}
