"""JSON API of the job queue (admins only): jobs by state with the counts, one job, retry and cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from deliveryops import jobs
from deliveryops.accounts.dependencies import ApiUser
from deliveryops.accounts.models import Role
from deliveryops.accounts.service import require_role
from deliveryops.jobs.schemas import JobPage, JobRead
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep
from deliveryops.worker.service import Listing, job_page

__all__ = ["api"]

api = APIRouter(tags=["jobs"], responses=error_responses(401, 403, 404, 422))
JobId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@api.get("/jobs", response_model=JobPage)
def list_jobs(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    state: Annotated[Listing, Query(description="A state, 'retried' (tried more than once) or 'all'.")] = "all",
) -> JobPage:
    """Background jobs, newest first, with how many are queued, running, failed, cancelled, succeeded and retried."""
    return job_page(session, actor, state=state, limit=page.limit, offset=page.offset)


@api.get("/jobs/{job_id}", response_model=JobRead)
def read_job(session: SessionDep, actor: ApiUser, job_id: JobId) -> JobRead:
    """One job: its state, attempts, progress, result or last error."""
    require_role(actor, Role.ADMIN)
    return JobRead.model_validate(jobs.get_or_raise(session=session, job_id=job_id))


@api.post("/jobs/{job_id}/retry", response_model=JobRead, responses=error_responses(409))
def retry_job(session: SessionDep, actor: ApiUser, job_id: JobId) -> JobRead:
    """Queue a failed or cancelled job again, with one more attempt."""
    require_role(actor, Role.ADMIN)
    return JobRead.model_validate(jobs.retry(session=session, job_id=job_id, requested_by=actor.email))


@api.post("/jobs/{job_id}/cancel", response_model=JobRead, responses=error_responses(409))
def cancel_job(session: SessionDep, actor: ApiUser, job_id: JobId) -> JobRead:
    """Cancel a queued job, or ask a running one to stop at its next safe point."""
    require_role(actor, Role.ADMIN)
    return JobRead.model_validate(jobs.cancel(session=session, job_id=job_id))
