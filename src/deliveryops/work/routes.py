"""JSON API: a team's workflow, imports and work items."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from sqlalchemy import func, select

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.teams.service import get_team_or_raise
from deliveryops.web.errors import error_responses
from deliveryops.web.security import SessionDep
from deliveryops.work import service, workflow
from deliveryops.work.models import WorkItem
from deliveryops.work.schemas import (
    ImportResult,
    ImportRunRead,
    WorkflowStatusRead,
    WorkflowWrite,
    WorkItemPage,
    WorkItemRead,
)

router = APIRouter(tags=["work items"], responses=error_responses(401, 403, 404, 422))

TeamId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _workflow_read(session: SessionDep, team_id: int, actor: ApiUser) -> list[WorkflowStatusRead]:
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    usage = workflow.status_usage(session, team)
    return [
        WorkflowStatusRead(name=s.name, category=s.category, position=s.position, items_now=usage.get(s.name, 0))
        for s in workflow.statuses_of(session, team)
    ]


@router.get("/teams/{team_id}/workflow", response_model=list[WorkflowStatusRead])
def read_workflow(session: SessionDep, actor: ApiUser, team_id: TeamId) -> list[WorkflowStatusRead]:
    """The team's workflow in board order, with unmapped statuses (category null)."""
    return _workflow_read(session, team_id, actor)


@router.put("/teams/{team_id}/workflow", response_model=list[WorkflowStatusRead])
def write_workflow(body: WorkflowWrite, session: SessionDep, actor: ApiUser, team_id: TeamId) -> list[WorkflowStatusRead]:
    """Reorder and recategorise the workflow (admins or the team's delivery manager)."""
    workflow.save_workflow(session=session, actor=actor, team_id=team_id, statuses=[(s.name, s.category) for s in body.statuses])
    return _workflow_read(session, team_id, actor)


@router.get("/teams/{team_id}/imports", response_model=list[ImportRunRead])
def list_imports(session: SessionDep, actor: ApiUser, team_id: TeamId) -> list[ImportRunRead]:
    """The team's latest imports, newest first."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    return [ImportRunRead.model_validate(run) for run in service.list_imports(session=session, team=team)]


@router.post("/teams/{team_id}/imports", response_model=ImportResult, status_code=201)
async def create_import(
    session: SessionDep,
    actor: ApiUser,
    team_id: TeamId,
    file: Annotated[UploadFile, File(description="The CSV file")],
    file_format: Annotated[str | None, Form(alias="format", pattern="^(stage-dates|full-history|jira-export)$")] = None,
    date_order: Annotated[str | None, Form(pattern="^(day_first|month_first)$")] = None,
) -> ImportResult:
    """Validate a whole CSV file and import it; a bad file imports nothing and lists each problem."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    data = await file.read()  # the app refuses bodies over the upload limit (413) while they stream in
    summary = service.import_file(
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


@router.get("/teams/{team_id}/items", response_model=WorkItemPage)
def list_items(
    session: SessionDep,
    actor: ApiUser,
    team_id: TeamId,
    status: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> WorkItemPage:
    """The team's work items, newest first, optionally in one current status."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    where = [WorkItem.team_id == team.id]
    if status is not None:
        where.append(WorkItem.current_status == status)
    total = session.scalar(select(func.count()).select_from(WorkItem).where(*where)) or 0
    rows = session.scalars(
        select(WorkItem).where(*where).order_by(WorkItem.created_at.desc(), WorkItem.id.desc()).limit(limit).offset(offset)
    )
    return WorkItemPage(total=total, items=[WorkItemRead.model_validate(row) for row in rows])
