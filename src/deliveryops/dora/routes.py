"""JSON API of DORA: team and group summaries, drill-down lists, CSV upload, webhook sources and webhooks."""

from __future__ import annotations

import json
import secrets
from datetime import date
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from deliveryops import jobs
from deliveryops.accounts.dependencies import ApiUser
from deliveryops.connectors.base import DeploymentRecord, IncidentRecord
from deliveryops.dora import service
from deliveryops.dora.csv_formats import import_csv, preview_csv, upload_kind
from deliveryops.dora.import_jobs import import_job_of_team, start_import
from deliveryops.dora.ingest import ImportOutcome, import_deployments, import_incidents
from deliveryops.dora.models import Deployment, Incident
from deliveryops.dora.schemas import (
    ChangeRow,
    DeploymentEvent,
    DeploymentRow,
    DoraSummary,
    ImportResult,
    IncidentEvent,
    IncidentRow,
    WebhookResult,
    WebhookSourceCreate,
    WebhookSourceCreated,
    WebhookSourceRead,
)
from deliveryops.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from deliveryops.jobs.schemas import JobRead
from deliveryops.schemas import Page, paginate
from deliveryops.teams.service import get_group_or_raise, get_team_or_raise
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep
from deliveryops.work.models import PendingUpload

api = APIRouter(tags=["dora"], responses=error_responses(401, 403, 404, 422))
webhooks = APIRouter(tags=["webhooks"], responses=error_responses(401, 422))

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
JobId = Annotated[int, Path(ge=1, le=2**63 - 1)]
StartQuery = Annotated[date | None, Query(description="First day (default: 90 days before the end)")]
EndQuery = Annotated[date | None, Query(description="Last day (default: today in the team's zone)")]
AsOfQuery = Annotated[
    date | None,
    Query(description="Evaluate as if today were this day (team time zone): the default period ends there"),
]
PeriodQuery = Annotated[Literal["week", "month", "quarter"], Query(description="Bucket of the trend series")]
KindPath = Annotated[Literal["deployments", "changes", "incidents"], Path()]
MAX_WEBHOOK_BYTES = 1024 * 1024
_Event = TypeVar("_Event", bound=BaseModel)


@api.get("/teams/{team_id}/dora", response_model=DoraSummary)
def team_summary(
    session: SessionDep,
    actor: ApiUser,
    team_id: IdPath,
    start: StartQuery = None,
    end: EndQuery = None,
    period: PeriodQuery = "week",
    as_of: AsOfQuery = None,
) -> DoraSummary:
    """A team's four keys, bands and trend series."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    first, last = service.report_period(session, teams=[team], start=start, end=end, as_of=as_of)
    report = service.team_report(session=session, actor=actor, team_id=team.id, start=first, end=last, period=period)
    return service.summary_of(report)


@api.get("/groups/{group_id}/dora", response_model=DoraSummary)
def group_summary(
    session: SessionDep,
    actor: ApiUser,
    group_id: IdPath,
    start: StartQuery = None,
    end: EndQuery = None,
    period: PeriodQuery = "week",
    as_of: AsOfQuery = None,
) -> DoraSummary:
    """A group's roll-up: the keys over all its teams, and each team's."""
    group = get_group_or_raise(session=session, actor=actor, group_id=group_id)
    first, last = service.report_period(session, teams=group.teams, start=start, end=end, as_of=as_of)
    report = service.group_report(session=session, actor=actor, group_id=group.id, start=first, end=last, period=period)
    return service.summary_of(report)


@api.get("/teams/{team_id}/dora/{dora_list}", response_model=Page[DeploymentRow] | Page[ChangeRow] | Page[IncidentRow])
def team_items(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    team_id: IdPath,
    dora_list: KindPath,
    start: StartQuery = None,
    end: EndQuery = None,
    as_of: AsOfQuery = None,
) -> Page[dict[str, object]]:
    """The deployments, changes or incidents behind a team's numbers, newest first."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    first, last = service.report_period(session, teams=[team], start=start, end=end, as_of=as_of)
    report = service.team_report(session=session, actor=actor, team_id=team.id, start=first, end=last)
    return paginate(service.drill_down(report, dora_list), page)


@api.get("/groups/{group_id}/dora/{dora_list}", response_model=Page[DeploymentRow] | Page[ChangeRow] | Page[IncidentRow])
def group_items(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    group_id: IdPath,
    dora_list: KindPath,
    start: StartQuery = None,
    end: EndQuery = None,
    as_of: AsOfQuery = None,
) -> Page[dict[str, object]]:
    """The deployments, changes or incidents behind a group's numbers, newest first."""
    group = get_group_or_raise(session=session, actor=actor, group_id=group_id)
    first, last = service.report_period(session, teams=group.teams, start=start, end=end, as_of=as_of)
    report = service.group_report(session=session, actor=actor, group_id=group.id, start=first, end=last)
    return paginate(service.drill_down(report, dora_list), page)


@api.post(
    "/teams/{team_id}/dora/imports",
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
async def upload(
    request: Request,
    session: SessionDep,
    actor: ApiUser,
    team_id: IdPath,
    file: Annotated[UploadFile, File(description="The CSV file")],
    kind: Annotated[str | None, Form(max_length=20, description="deployments, changes or incidents")] = None,
    move_from_other_teams: Annotated[
        bool,
        Form(
            description="Move deployments and incidents whose source and id are already another team's (one you "
            "manage too) to this team; without it they are skipped and listed in `skipped`."
        ),
    ] = False,
    preview: Annotated[bool, Form(description="Only report what the import would do; nothing is saved.")] = False,
) -> ImportResult:
    """Import a deployments, changes or incidents CSV (admins, the team's DM); a bad file imports nothing.

    A deployment (source, repository, id) or incident (source, id) belongs to one team: records that are already
    another team's are listed in ``skipped`` with the reason, or moved and listed in ``moved``.

    A file larger than DELIVERYOPS_IMPORT_BACKGROUND_MB (1 MB) is imported by a background job instead:
    the answer is 202 with the job, whose progress `GET .../dora/import-jobs/{job_id}` follows and
    `POST .../dora/import-jobs/{job_id}/cancel` stops (a cancelled or failed import writes nothing).
    """
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    if not service.can_upload(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can upload DORA files.")
    kind = upload_kind(kind)
    data = await file.read()  # the app refuses bodies over the upload limit (413) while they stream in
    if not preview and len(data) > request.app.state.settings.import_background_bytes:
        pending = PendingUpload(
            token=secrets.token_urlsafe(24),
            user_id=actor.id,
            team_id=team.id,
            file_name=(file.filename or "upload.csv")[:255],
            content=data,
        )
        session.add(pending)
        job = start_import(session, actor=actor, team=team, pending=pending, kind=kind)
        body = JobRead.model_validate(job).model_dump(mode="json")
        location = f"/api/v1/teams/{team.id}/dora/import-jobs/{job.id}"
        return JSONResponse(body, status_code=202, headers={"Location": location})  # type: ignore[return-value]
    outcome = await run_in_threadpool(
        partial(
            preview_csv if preview else import_csv,
            session,
            team=team,
            kind=kind,
            content=data,
            file_name=file.filename or "",
            on_conflict="move" if move_from_other_teams else "skip",
            may_move_from=service.movable_from(session, actor),
        )
    )
    return ImportResult.of(kind, outcome)


@api.get("/teams/{team_id}/dora/import-jobs/{job_id}", response_model=JobRead)
def read_import_job(session: SessionDep, actor: ApiUser, team_id: IdPath, job_id: JobId) -> JobRead:
    """A background DORA import: its state, rows handled so far, and its result or error (admins, the team's DM)."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    return JobRead.model_validate(import_job_of_team(session, actor=actor, team=team, job_id=job_id))


@api.post("/teams/{team_id}/dora/import-jobs/{job_id}/cancel", response_model=JobRead, responses=error_responses(409))
def cancel_import_job(session: SessionDep, actor: ApiUser, team_id: IdPath, job_id: JobId) -> JobRead:
    """Cancel a background DORA import: a queued one never starts, a running one stops and writes nothing."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    found = import_job_of_team(session, actor=actor, team=team, job_id=job_id)
    return JobRead.model_validate(jobs.cancel(session=session, job_id=found.id))


@api.get("/dora/webhook-sources", response_model=Page[WebhookSourceRead])
def list_sources(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[WebhookSourceRead]:
    """Every webhook source (admins)."""
    return paginate(
        [WebhookSourceRead.model_validate(row) for row in service.list_webhook_sources(session=session, actor=actor)], page
    )


@api.post("/dora/webhook-sources", response_model=WebhookSourceCreated, status_code=201)
def create_source(body: WebhookSourceCreate, session: SessionDep, actor: ApiUser) -> WebhookSourceCreated:
    """Create a webhook source for a team (admins); the token is in this answer only."""
    row, token = service.create_webhook_source(session=session, actor=actor, team_id=body.team_id, name=body.name)
    return WebhookSourceCreated(**WebhookSourceRead.model_validate(row).model_dump(), token=token)


@api.post("/dora/webhook-sources/{webhook_source_id}/revoke", response_model=WebhookSourceRead)
def revoke_source(session: SessionDep, actor: ApiUser, webhook_source_id: IdPath) -> WebhookSourceRead:
    """Revoke a webhook source (admins)."""
    return WebhookSourceRead.model_validate(
        service.revoke_webhook_source(session=session, actor=actor, source_id=webhook_source_id)
    )


async def _event(request: Request, model: type[_Event]) -> _Event:
    """Read and validate a JSON body, naming each bad field."""
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise ValidationFailedError("The body is larger than 1 MB.", fields={"body": "too large"})
    try:
        data: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailedError(f"The body is not JSON: {exc}.", fields={"body": "Send a JSON object."}) from exc
    if not isinstance(data, dict):
        raise ValidationFailedError("The body must be a JSON object.", fields={"body": "Send a JSON object."})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "body"
            fields[name] = error["msg"].removeprefix("Value error, ")
        message = "; ".join(f"{name}: {text}" for name, text in fields.items())
        raise ValidationFailedError(f"Invalid {model.__name__}: {message}", fields=fields) from exc


def _answer(external_id: str, existed: bool, outcome: ImportOutcome) -> JSONResponse:
    if outcome.skipped:
        # A webhook source sends for one team only, so this means the id is another source's record.
        raise ConflictError(outcome.skipped[0].reason[:1].upper() + outcome.skipped[0].reason[1:] + ".")
    status = "unchanged" if not outcome.written else ("updated" if existed else "created")
    return JSONResponse(
        WebhookResult(id=external_id, status=status).model_dump(), status_code=201 if status == "created" else 200
    )


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Document a body the route reads itself (after checking the token, so a bad token is 401, not 422)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


@webhooks.post(
    "/webhooks/deployments",
    response_model=WebhookResult,
    status_code=200,
    responses={201: {"model": WebhookResult, "description": "Created"}},
    openapi_extra=_body_schema(DeploymentEvent),
)
async def deployment_webhook(request: Request, session: SessionDep) -> JSONResponse:
    """Record a deployment from any CI/CD tool (``Authorization: Bearer <webhook token>``)."""
    source, team = service.authenticate_webhook(session=session, authorization=request.headers.get("authorization"))
    event = await _event(request, DeploymentEvent)
    source_name = f"webhook-{source.id}"
    existed = (
        session.scalar(
            select(Deployment.id).where(
                Deployment.source == source_name, Deployment.repository == event.repository, Deployment.external_id == event.id
            )
        )
        is not None
    )
    outcome = import_deployments(
        session,
        team=team,
        deployments=[
            DeploymentRecord(
                source=source_name,
                external_id=event.id,
                repository=event.repository,
                environment=event.environment,
                result=event.result,
                started_at=event.started_at,
                finished_at=event.finished_at,
                commit_sha=event.commit_sha,
                commit_shas=tuple(event.commit_shas),
                ref=event.ref,
                url=event.url,
            )
        ],
    )
    return _answer(event.id, existed, outcome)


@webhooks.post(
    "/webhooks/incidents",
    response_model=WebhookResult,
    status_code=200,
    responses={201: {"model": WebhookResult, "description": "Created"}},
    openapi_extra=_body_schema(IncidentEvent),
)
async def incident_webhook(request: Request, session: SessionDep) -> JSONResponse:
    """Record an incident from any incident tool (``Authorization: Bearer <webhook token>``)."""
    source, team = service.authenticate_webhook(session=session, authorization=request.headers.get("authorization"))
    event = await _event(request, IncidentEvent)
    source_name = f"webhook-{source.id}"
    existed = (
        session.scalar(select(Incident.id).where(Incident.source == source_name, Incident.external_id == event.id)) is not None
    )
    outcome = import_incidents(
        session,
        team=team,
        incidents=[
            IncidentRecord(
                source=source_name,
                external_id=event.id,
                title=event.title,
                created_at=event.created_at,
                resolved_at=event.resolved_at,
                severity=event.severity,
                repository=event.repository,
                deployment_external_id=event.deployment_id,
                url=event.url,
            )
        ],
    )
    return _answer(event.id, existed, outcome)
