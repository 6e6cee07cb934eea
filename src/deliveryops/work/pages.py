"""HTML pages: a team's workflow board and the file import with its preview."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from deliveryops import jobs
from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import User
from deliveryops.db import utcnow
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.teams.models import Team
from deliveryops.teams.page_context import register_team_context
from deliveryops.teams.service import can_manage_team, get_team_or_raise
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import render
from deliveryops.work import service, workflow
from deliveryops.work.jobs import import_job_of_team, start_import
from deliveryops.work.models import PendingUpload
from deliveryops.work.records import StageCategory
from deliveryops.work.schemas import ImportOptions, WorkflowBoard

router = APIRouter(include_in_schema=False)
ImportForm = Annotated[FormInput[ImportOptions], form_model(ImportOptions)]

UPLOAD_TTL = timedelta(hours=1)
CATEGORY_HELP = {
    StageCategory.BACKLOG: "not started: ideas, ready queues",
    StageCategory.ACTIVE: "started, someone works on it",
    StageCategory.WAITING: "started, but waiting (for review, deploy...)",
    StageCategory.DONE: "finished",
    StageCategory.DISCARDED: "dropped; counts neither in throughput nor cycle time",
}


def data_status(session: Session, _viewer: User, team: Team) -> dict[str, Any]:
    """For the team's page: its items and status changes, its last import and the statuses still to map."""
    items, transitions = service.item_count(session=session, team=team)
    return {
        "item_total": items,
        "transition_total": transitions,
        "last_import": next(iter(service.list_imports(session=session, team=team, limit=1)), None),
        "unmapped": [s.name for s in workflow.statuses_of(session, team) if s.category is None],
    }


register_team_context("data_status", data_status)


def _workflow_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    team: Team,
    *,
    error: str | None = None,
    saved: bool = False,
    form: tuple[dict[str, str], dict[str, Any]] = ({}, {}),
    status_code: int = 200,
) -> Response:
    """The board; ``form`` holds a refused form's messages per field and what it held, to show again."""
    statuses = workflow.statuses_of(session, team)
    typed = {row.get("name"): row for row in form[1].get("statuses", []) if isinstance(row, dict)}
    return render(
        request,
        "work/workflow.html",
        {
            "team": team,
            "statuses": statuses,
            "usage": workflow.status_usage(session, team),
            "categories": list(StageCategory),
            "category_help": CATEGORY_HELP,
            "error": error,
            "errors": form[0],
            "typed": typed,
            "saved": saved,
            "can_manage": can_manage_team(session, actor, team),
            "unmapped": [s.name for s in statuses if s.category is None],
        },
        status_code=status_code,
    )


@router.get("/teams/{slug}/workflow", response_class=HTMLResponse)
def workflow_page(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """The team's workflow as a board of columns, with statuses still to map."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    return _workflow_page(request, session, actor, team, saved=request.query_params.get("saved") == "1")


@router.post("/teams/{slug}/workflow", response_class=HTMLResponse)
def save_workflow(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[WorkflowBoard], form_model(WorkflowBoard)],
) -> Response:
    """Save the order and categories chosen on the board."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    try:
        body = form.validated().in_order()
        workflow.save_workflow(
            session=session, actor=actor, team_id=team.id, statuses=[(s.name, s.category) for s in body.statuses]
        )
    except ValidationFailedError as exc:
        session.rollback()
        return _workflow_page(
            request, session, actor, team, error=exc.message, form=(form.errors_with(exc), form.values), status_code=422
        )
    return RedirectResponse(f"/teams/{team.slug}/workflow?saved=1", status_code=303)


def _import_page(request: Request, session: SessionDep, team: Team, **context: object) -> Response:
    status_code = int(str(context.pop("status_code", 200)))
    return render(
        request,
        "work/import.html",
        {
            "team": team,
            "imports": service.list_imports(session=session, team=team),
            "preview": None,
            "problems": [],
            "error": None,
            "errors": {},
            "token": None,
            "needs_date_order": False,
            "summary": None,
            **context,
        },
        status_code=status_code,
    )


@router.get("/teams/{slug}/import", response_class=HTMLResponse)
def import_page(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """Upload a CSV file, see a preview, then import it."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    if not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can import work items.")
    return _import_page(request, session, team)


async def _read_upload(upload: UploadFile | None) -> bytes | None:
    if upload is None or not upload.filename:
        return None
    return await upload.read()  # the app refuses bodies over the upload limit (413) while they stream in


@router.post("/teams/{slug}/import", response_class=HTMLResponse)
async def preview_upload(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    form: ImportForm,
    file: Annotated[UploadFile | None, File()] = None,
    blocked_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Validate the file and show what importing it would do; nothing is written yet.

    The fields are read as :class:`ImportOptions`; the two files through FastAPI's ``File``.
    """
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    if not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can import work items.")
    if form.model is None:
        return _import_page(request, session, team, error=_refused(form), errors=form.errors, status_code=422)
    options = form.model
    file_format, date_order, token = options.file_format, options.date_order, options.token
    session.execute(delete(PendingUpload).where(PendingUpload.created_at < utcnow() - UPLOAD_TTL))
    pending = _pending(session, token, actor.id, team.id) if token else None
    data = await _read_upload(file)
    blocked = await _read_upload(blocked_file)
    if pending is None:
        if data is None:
            return _import_page(request, session, team, error="Choose a CSV file to import.", status_code=422)
        pending = PendingUpload(
            token=secrets.token_urlsafe(24),
            user_id=actor.id,
            team_id=team.id,
            file_name=(file.filename if file else "") or "upload.csv",
            content=data,
            blocked_content=blocked,
        )
        session.add(pending)
        session.flush()
    try:
        preview = service.preview_file(
            session=session,
            actor=actor,
            team=team,
            data=pending.content,
            import_format=file_format,
            date_order=date_order,
            blocked=pending.blocked_content,
        )
    except service.ImportRejectedError as exc:
        return _import_page(
            request,
            session,
            team,
            problems=exc.problems,
            error=exc.message.splitlines()[0],
            needs_date_order=exc.needs_date_order,
            token=pending.token,
            file_name=pending.file_name,
            status_code=422,
        )
    return _import_page(
        request,
        session,
        team,
        preview=preview,
        token=pending.token,
        file_name=pending.file_name,
        file_format=file_format,
        date_order=date_order,
    )


def _refused(form: FormInput[ImportOptions]) -> str:
    """The import form's messages in one line, for the page's alert."""
    return " ".join(dict.fromkeys(form.errors.values()))


def _pending(session: SessionDep, token: str, user_id: int, team_id: int) -> PendingUpload | None:
    return session.scalar(
        select(PendingUpload).where(
            PendingUpload.token == token, PendingUpload.user_id == user_id, PendingUpload.team_id == team_id
        )
    )


@router.post("/teams/{slug}/import/confirm", response_class=HTMLResponse)
def confirm_upload(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    form: ImportForm,
) -> Response:
    """Import the previewed file."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    if not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can import work items.")
    if form.model is None:
        return _import_page(request, session, team, error=_refused(form), errors=form.errors, status_code=422)
    file_format, date_order, token = form.model.file_format, form.model.date_order, form.model.token
    pending = _pending(session, token, actor.id, team.id)
    if pending is None:
        return _import_page(
            request, session, team, error="That upload expired; choose the file again.", status_code=410 if token else 422
        )
    if len(pending.content) > request.app.state.settings.import_background_bytes:
        job = start_import(session, actor=actor, team=team, pending=pending, import_format=file_format, date_order=date_order)
        return RedirectResponse(f"/teams/{slug}/import/jobs/{job.id}", status_code=303)
    summary = service.import_file(
        session=session,
        actor=actor,
        team=team,
        data=pending.content,
        file_name=pending.file_name,
        import_format=file_format,
        date_order=date_order,
        blocked=pending.blocked_content,
    )
    session.delete(pending)
    session.flush()
    return _import_page(request, session, team, summary=summary, file_name=pending.file_name)


@router.get("/teams/{slug}/import/jobs/{job_id}", response_class=HTMLResponse)
def import_job_page(request: Request, slug: str, job_id: int, session: SessionDep, actor: PageUser) -> Response:
    """A background import's progress, result or error, with a Cancel button while it runs."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    job = import_job_of_team(session, actor=actor, team=team, job_id=job_id)
    return render(request, "work/import_job.html", {"team": team, "job": job})


@router.post("/teams/{slug}/import/jobs/{job_id}/cancel")
def cancel_import_job(
    request: Request, slug: str, job_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked
) -> Response:
    """Cancel a background import: nothing of the file is written."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    job = import_job_of_team(session, actor=actor, team=team, job_id=job_id)
    if job.state in ("queued", "running"):
        jobs.cancel(session=session, job_id=job.id)
    return RedirectResponse(f"/teams/{slug}/import/jobs/{job.id}", status_code=303)
