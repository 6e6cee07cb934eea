"""JSON API: a team's workflow, imports and work items."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select

from deliveryops import jobs
from deliveryops.accounts.dependencies import ApiUser
from deliveryops.db import fetch_page
from deliveryops.errors import PermissionDeniedError
from deliveryops.jobs.schemas import JobRead
from deliveryops.schemas import Page, paginate
from deliveryops.teams.service import can_manage_team, get_team_or_raise
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep
from deliveryops.work import service, workflow
from deliveryops.work.jobs import import_job_of_team, start_import
from deliveryops.work.models import PendingUpload, WorkItem
from deliveryops.work.schemas import (
    DATE_ORDER_PATTERN,
    IMPORT_FORMAT_PATTERN,
    ImportResult,
    ImportRunRead,
    WorkflowStatusRead,
    WorkflowWrite,
    WorkItemRead,
)

router = APIRouter(tags=["work items"], responses=error_responses(401, 403, 404, 422))

TeamId = Annotated[int, Path(ge=1, le=2**31 - 1)]
JobId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _workflow_read(session: SessionDep, team_id: int, actor: ApiUser) -> list[WorkflowStatusRead]:
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    usage = workflow.status_usage(session, team)
    return [
        WorkflowStatusRead(name=s.name, category=s.category, position=s.position, items_now=usage.get(s.name, 0))
        for s in workflow.statuses_of(session, team)
    ]


@router.get("/teams/{team_id}/workflow", response_model=Page[WorkflowStatusRead])
def read_workflow(session: SessionDep, actor: ApiUser, page: Pagination, team_id: TeamId) -> Page[WorkflowStatusRead]:
    """The team's workflow in board order, with unmapped statuses (category null)."""
    return paginate(_workflow_read(session, team_id, actor), page)


@router.put("/teams/{team_id}/workflow", response_model=list[WorkflowStatusRead])
def write_workflow(body: WorkflowWrite, session: SessionDep, actor: ApiUser, team_id: TeamId) -> list[WorkflowStatusRead]:
    """Reorder and recategorise the workflow (admins or the team's delivery manager)."""
    workflow.save_workflow(session=session, actor=actor, team_id=team_id, statuses=[(s.name, s.category) for s in body.statuses])
    return _workflow_read(session, team_id, actor)


@router.get("/teams/{team_id}/imports", response_model=Page[ImportRunRead])
def list_imports(session: SessionDep, actor: ApiUser, page: Pagination, team_id: TeamId) -> Page[ImportRunRead]:
    """The team's latest imports, newest first."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    return paginate([ImportRunRead.model_validate(run) for run in service.list_imports(session=session, team=team)], page)


@router.post(
    "/teams/{team_id}/imports",
    response_model=ImportResult,
    status_code=201,
    responses={
        **error_responses(413),
        202: {
            "model": JobRead,
            "description": "A large file: accepted and imported by a background job; follow it at the Location given",
        },
    },
)
async def create_import(
    request: Request,
    session: SessionDep,
    actor: ApiUser,
    team_id: TeamId,
    file: Annotated[UploadFile, File(description="The CSV file")],
    file_format: Annotated[str | None, Form(alias="format", pattern=IMPORT_FORMAT_PATTERN)] = None,
    date_order: Annotated[str | None, Form(pattern=DATE_ORDER_PATTERN)] = None,
) -> ImportResult:
    """Validate a whole CSV file and import it; a bad file imports nothing and lists each problem.

    A file larger than DELIVERYOPS_IMPORT_BACKGROUND_MB (1 MB) is imported by a background job instead:
    the answer is 202 with the job, whose progress `GET .../import-jobs/{job_id}` follows and
    `POST .../import-jobs/{job_id}/cancel` stops (a cancelled or failed import writes nothing).
    """
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    if not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can import work items.")
    data = await file.read()  # the app refuses bodies over the upload limit (413) while they stream in
    if len(data) > request.app.state.settings.import_background_bytes:
        pending = PendingUpload(
            token=secrets.token_urlsafe(24),
            user_id=actor.id,
            team_id=team.id,
            file_name=(file.filename or "upload.csv")[:255],
            content=data,
        )
        session.add(pending)
        job = start_import(session, actor=actor, team=team, pending=pending, import_format=file_format, date_order=date_order)
        body = JobRead.model_validate(job).model_dump(mode="json")
        location = f"/api/v1/teams/{team.id}/import-jobs/{job.id}"
        return JSONResponse(body, status_code=202, headers={"Location": location})  # type: ignore[return-value]
    summary = await run_in_threadpool(
        service.import_file,
        session=session,
        actor=actor,
        team=team,
        data=data,
        file_name=file.filename or "",
        import_format=file_format,
        date_order=date_order,
    )
    return ImportResult(
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        transitions=summary.transitions,
        blocked_intervals=summary.blocked_intervals,
        unmapped_statuses=summary.unmapped_statuses,
        notes=summary.notes,
    )


@router.get("/teams/{team_id}/import-jobs/{job_id}", response_model=JobRead)
def read_import_job(session: SessionDep, actor: ApiUser, team_id: TeamId, job_id: JobId) -> JobRead:
    """A background import: its state, items written so far, and its result or error (admins, the team's DM)."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    return JobRead.model_validate(import_job_of_team(session, actor=actor, team=team, job_id=job_id))


@router.post("/teams/{team_id}/import-jobs/{job_id}/cancel", response_model=JobRead, responses=error_responses(409))
def cancel_import_job(session: SessionDep, actor: ApiUser, team_id: TeamId, job_id: JobId) -> JobRead:
    """Cancel a background import: a queued one never starts, a running one stops and writes nothing."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    found = import_job_of_team(session, actor=actor, team=team, job_id=job_id)
    return JobRead.model_validate(jobs.cancel(session=session, job_id=found.id))


@router.get("/teams/{team_id}/items", response_model=Page[WorkItemRead])
def list_items(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    team_id: TeamId,
    status: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[WorkItemRead]:
    """The team's work items, newest first, optionally in one current status."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    statement = select(WorkItem).where(WorkItem.team_id == team.id)
    if status is not None:
        statement = statement.where(WorkItem.current_status == status)
    statement = statement.order_by(WorkItem.created_at.desc(), WorkItem.id.desc())
    rows, total = fetch_page(session, statement, limit=page.limit, offset=page.offset)
    return Page[WorkItemRead](
        items=[WorkItemRead.model_validate(row) for row in rows], total=total, limit=page.limit, offset=page.offset
    )
