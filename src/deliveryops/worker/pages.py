"""The admin page of background jobs: queued, running, failed and retried jobs, with retry and cancel."""

from __future__ import annotations

from typing import Annotated, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deliveryops import jobs
from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role
from deliveryops.accounts.service import require_role
from deliveryops.errors import ConflictError
from deliveryops.jobs import queue_location
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import render
from deliveryops.worker.service import Listing, job_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
TABS: tuple[tuple[str, str], ...] = (
    ("all", "All"),
    ("queued", "Queued"),
    ("running", "Running"),
    ("failed", "Failed"),
    ("retried", "Retried"),
    ("cancelled", "Cancelled"),
    ("succeeded", "Succeeded"),
)
NOTICES = {"retried": "The job is queued again.", "cancelled": "Cancelled (a running job stops at its next safe point)."}


def _queue(request: Request) -> str:
    location = queue_location(request.app.state.settings)
    return location.split("://", 1)[0].split("+", 1)[0]  # the kind of store only, never a password


@router.get("/admin/jobs", response_class=HTMLResponse)
def jobs_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    state: Annotated[str, Query(max_length=20)] = "all",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    done: Annotated[str, Query(max_length=20)] = "",
    problem: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """Background jobs by state, newest first, with retry for failed ones and cancel for queued or running ones."""
    listing: Listing = state if state in get_args(Listing) else "all"  # type: ignore[assignment]
    page = job_page(session, actor, state=listing, limit=PAGE_SIZE, offset=offset)
    settings = request.app.state.settings
    return render(
        request,
        "worker/jobs.html",
        {
            "page": page,
            "state": listing,
            "tabs": TABS,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "notice": NOTICES.get(done),
            "problem": problem,
            "embedded": settings.scheduler,
            "queue": _queue(request),
        },
    )


@router.get("/admin/jobs/{job_id}", response_class=HTMLResponse)
def job_detail(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    job_id: int,
    done: Annotated[str, Query(max_length=20)] = "",
    problem: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """One job: what it runs, its attempts, progress, result or last error."""
    require_role(actor, Role.ADMIN)
    job = jobs.get_or_raise(session=session, job_id=job_id)
    return render(request, "worker/job.html", {"job": job, "notice": NOTICES.get(done), "problem": problem})


def _back(request: Request, job_id: int, **query: str) -> RedirectResponse:
    """Back to the page the button was on (the job's own page or the list), saying what happened."""
    referer = request.headers.get("referer", "")
    path = f"/admin/jobs/{job_id}" if f"/admin/jobs/{job_id}" in referer else "/admin/jobs"
    return RedirectResponse(f"{path}?{urlencode(query)}", status_code=303)


@router.post("/admin/jobs/{job_id}/retry")
def retry_job(request: Request, session: SessionDep, actor: PageUser, _csrf: CsrfChecked, job_id: int) -> Response:
    """Queue a failed or cancelled job again."""
    require_role(actor, Role.ADMIN)
    try:
        jobs.retry(session=session, job_id=job_id, requested_by=actor.email)
    except ConflictError as exc:
        session.rollback()
        return _back(request, job_id, problem=exc.message)
    return _back(request, job_id, done="retried")


@router.post("/admin/jobs/{job_id}/cancel")
def cancel_job(request: Request, session: SessionDep, actor: PageUser, _csrf: CsrfChecked, job_id: int) -> Response:
    """Cancel a queued job, or ask a running one to stop."""
    require_role(actor, Role.ADMIN)
    try:
        jobs.cancel(session=session, job_id=job_id)
    except ConflictError as exc:
        session.rollback()
        return _back(request, job_id, problem=exc.message)
    return _back(request, job_id, done="cancelled")
