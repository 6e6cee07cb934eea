"""JSON API: connections (admins only) and their syncs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.connectors.registry import available
from deliveryops.schemas import Page, paginate
from deliveryops.settings import Settings
from deliveryops.sync import service
from deliveryops.sync.schemas import (
    ConnectionCreate,
    ConnectionRead,
    ConnectionUpdate,
    SyncRunRead,
    SyncStart,
    SyncStarted,
    TestResult,
)
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

router = APIRouter(tags=["connections"], responses=error_responses(401, 403, 404, 422))
ConnectionId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _key(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.resolved_secret_key()


def _hosts(request: Request) -> HostPolicy:
    settings: Settings = request.app.state.settings
    return HostPolicy.from_settings(settings)


@router.get("/connector-kinds", response_model=dict[str, str])
def connector_kinds(actor: ApiUser) -> dict[str, str]:
    """The kinds of connection DeliveryOps can make, with their labels."""
    return {kind: cls.label for kind, cls in sorted(available().items())}


@router.get("/connections", response_model=Page[ConnectionRead])
def list_connections(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[ConnectionRead]:
    """Every connection (admins only)."""
    return paginate([ConnectionRead.model_validate(c) for c in service.list_(session=session, actor=actor)], page)


@router.post("/connections", response_model=ConnectionRead, status_code=201, responses=error_responses(409))
def create_connection(body: ConnectionCreate, request: Request, session: SessionDep, actor: ApiUser) -> ConnectionRead:
    """Add a connection; the token is stored encrypted and never returned."""
    connection = service.create(
        session=session,
        actor=actor,
        name=body.name,
        kind=body.kind,
        team_id=body.team_id,
        settings=body.settings,
        secret=body.secret,
        app_key=_key(request),
        hosts=_hosts(request),
        interval_minutes=body.interval_minutes,
    )
    return ConnectionRead.model_validate(connection)


@router.get("/connections/{connection_id}", response_model=ConnectionRead)
def read_connection(session: SessionDep, actor: ApiUser, connection_id: ConnectionId) -> ConnectionRead:
    """One connection."""
    return ConnectionRead.model_validate(service.get_or_raise(session=session, actor=actor, connection_id=connection_id))


@router.patch("/connections/{connection_id}", response_model=ConnectionRead, responses=error_responses(409))
def update_connection(
    body: ConnectionUpdate, request: Request, session: SessionDep, actor: ApiUser, connection_id: ConnectionId
) -> ConnectionRead:
    """Change a connection's name, settings, token or schedule; its kind, team and sync history stay."""
    connection = service.update(
        session=session,
        actor=actor,
        connection_id=connection_id,
        app_key=_key(request),
        hosts=_hosts(request),
        name=body.name,
        settings=body.settings,
        secret=body.secret,
        interval_minutes=body.interval_minutes if "interval_minutes" in body.model_fields_set else service.KEEP,
    )
    return ConnectionRead.model_validate(connection)


@router.delete("/connections/{connection_id}", status_code=204)
def delete_connection(session: SessionDep, actor: ApiUser, connection_id: ConnectionId) -> Response:
    """Remove a connection and its sync history; imported items stay."""
    service.delete(session=session, actor=actor, connection_id=connection_id)
    return Response(status_code=204)


@router.post("/connections/{connection_id}/test", response_model=TestResult)
def check_connection(request: Request, session: SessionDep, actor: ApiUser, connection_id: ConnectionId) -> TestResult:
    """Reach the source with the stored credentials."""
    return TestResult(
        message=service.check(
            session=session, actor=actor, connection_id=connection_id, app_key=_key(request), hosts=_hosts(request)
        )
    )


@router.post("/connections/{connection_id}/sync", response_model=SyncStarted, status_code=202)
def start_sync(
    body: SyncStart, request: Request, session: SessionDep, actor: ApiUser, connection_id: ConnectionId
) -> SyncStarted:
    """Queue a sync on a worker; follow it with the job (``/api/v1/jobs/{job_id}``) or the runs endpoint."""
    job, started = service.start_sync(session=session, actor=actor, connection_id=connection_id, full=body.full)
    job_id = job.id
    # The job exists once this commits; with background syncs off (tests) it then runs in this request.
    session.commit()
    if started and not request.app.state.settings.sync_in_background:
        request.app.state.jobs.run(job_id)
    return SyncStarted(started=started, job_id=job_id)


@router.get("/connections/{connection_id}/runs", response_model=Page[SyncRunRead])
def list_runs(session: SessionDep, actor: ApiUser, page: Pagination, connection_id: ConnectionId) -> Page[SyncRunRead]:
    """The connection's latest syncs, newest first."""
    return paginate(
        [SyncRunRead.model_validate(r) for r in service.runs_of(session=session, actor=actor, connection_id=connection_id)], page
    )
