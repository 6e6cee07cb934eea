"""JSON API: dependencies (list with filters, request, one with its history, respond), the matrix, functions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.accounts.models import Role
from deliveryops.db import utcnow
from deliveryops.dependencies import detection, export, inbound, service
from deliveryops.dependencies.detection_schemas import (
    AliasCreate,
    AliasRead,
    DetectionRead,
    ExportFormat,
    HookCreate,
    HookCreated,
    HookRead,
    InboundDependency,
    InboundResult,
    LinkTypeCreate,
    LinkTypeRead,
    ProposalConfirm,
    ProposalDismiss,
    ProposalRead,
)
from deliveryops.dependencies.models import DependencyState, ProposalStatus
from deliveryops.dependencies.schemas import (
    DependencyCreate,
    DependencyDetailRead,
    DependencyFilter,
    DependencyRead,
    DependencyTransition,
    FunctionCreate,
    FunctionRead,
    MatrixRead,
)
from deliveryops.errors import PermissionDeniedError, ValidationFailedError, validation_failed
from deliveryops.schemas import Page, paginate
from deliveryops.settings import Settings
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

api = APIRouter(tags=["dependencies"], responses=error_responses(401, 403, 404, 409, 422))
DependencyId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@api.get("/dependencies", response_model=Page[DependencyRead])
def list_dependencies(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    team_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Requested by or from this team")] = None,
    state: Annotated[DependencyState | None, Query(description="Only this state")] = None,
    overdue: Annotated[bool | None, Query(description="Only overdue ones (true) or only the others (false)")] = None,
) -> Page[DependencyRead]:
    """The dependencies you may see (your teams' on either side; all for Product Ops, leaders, admins), soonest first."""
    filters = DependencyFilter(team_id=team_id, state=state, overdue=overdue)
    return service.list_(session=session, actor=actor, filters=filters, page=page)


@api.post("/dependencies", response_model=DependencyDetailRead, status_code=201)
def request_dependency(body: DependencyCreate, session: SessionDep, actor: ApiUser) -> DependencyDetailRead:
    """Request something from another team or a function (the requesting team's delivery managers, Product Ops, admins)."""
    dependency = service.create(session=session, actor=actor, body=body)
    return service.detail(session, actor, dependency, today=utcnow().date())


@api.get("/dependencies/matrix", response_model=MatrixRead)
def read_matrix(session: SessionDep, actor: ApiUser) -> MatrixRead:
    """Counts of open, overdue and all dependencies per requesting team × providing team or function."""
    return service.matrix(session=session, actor=actor)


@api.get("/dependencies/{dependency_id}", response_model=DependencyDetailRead)
def read_dependency(session: SessionDep, actor: ApiUser, dependency_id: DependencyId) -> DependencyDetailRead:
    """One dependency, its history and the actions you may take now."""
    dependency = service.get_or_raise(session=session, actor=actor, dependency_id=dependency_id)
    return service.detail(session, actor, dependency, today=utcnow().date())


@api.post("/dependencies/{dependency_id}/transitions", response_model=DependencyDetailRead)
def respond(body: DependencyTransition, session: SessionDep, actor: ApiUser, dependency_id: DependencyId) -> DependencyDetailRead:
    """Take one step: accept, counter, decline (provider); accept_counter, reject_counter (requester); deliver; miss.

    A step the current state does not allow is 409; a missing date or reason is 422 naming the field.
    """
    dependency = service.transition(session=session, actor=actor, dependency_id=dependency_id, body=body)
    return service.detail(session, actor, dependency, today=utcnow().date())


@api.get("/dependency-functions", response_model=Page[FunctionRead])
def list_functions(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[FunctionRead]:
    """The functions outside engineering that teams can depend on."""
    return paginate([service.function_read(session, f) for f in service.functions(session)], page)


@api.post("/dependency-functions", response_model=FunctionRead, status_code=201)
def add_function(body: FunctionCreate, session: SessionDep, actor: ApiUser) -> FunctionRead:
    """Add a function with its owner (admins)."""
    return service.function_read(session, service.create_function(session=session, actor=actor, body=body))


# --- detection, webhooks-in, export (included before ``api``: /dependencies/export is not /dependencies/{id}) ----

detection_api = APIRouter(tags=["dependencies"], responses=error_responses(401, 403, 404, 409, 422))
inbound_webhooks = APIRouter(tags=["webhooks"], responses=error_responses(401, 422))
ProposalId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_INBOUND_BYTES = 256 * 1024


def _app_key(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.resolved_secret_key()


@detection_api.get(
    "/dependencies/export",
    response_model=None,
    responses={200: {"content": {"text/csv": {}, "application/json": {}}, "description": "The file"}},
)
def export_dependencies(
    session: SessionDep,
    actor: ApiUser,
    team_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Requested by or from this team")] = None,
    state: Annotated[DependencyState | None, Query(description="Only this state")] = None,
    overdue: Annotated[bool | None, Query(description="Only overdue ones (true) or only the others (false)")] = None,
    output_format: Annotated[ExportFormat, Query(alias="format", description="csv or json")] = "csv",
) -> Response:
    """Every dependency the list shows with these filters (all pages), as a CSV or JSON file."""
    filters = DependencyFilter(team_id=team_id, state=state, overdue=overdue)
    text = export.export(export.rows(session=session, actor=actor, filters=filters), output_format)
    name = f"dependencies-{utcnow().date().isoformat()}.{output_format}"
    return Response(
        text, media_type=export.media_type(output_format), headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@detection_api.get("/dependency-proposals", response_model=Page[ProposalRead])
def list_proposals(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    status: Annotated[ProposalStatus | None, Query(description="Only this status (all when omitted)")] = None,
) -> Page[ProposalRead]:
    """Dependencies found in the data that you may see (your teams' on either side; all for cross-team roles), newest first."""
    return detection.list_proposals(session=session, actor=actor, status=status, page=page)


@detection_api.post("/dependency-proposals/detect", response_model=DetectionRead)
def detect_now(session: SessionDep, actor: ApiUser) -> DetectionRead:
    """Look for dependencies in the data now (Product Ops, admins); a job also does after every sync or import."""
    if actor.role not in (Role.ADMIN, Role.PRODUCT_OPS):
        raise PermissionDeniedError("Only Product Ops and admins start a detection; it also runs after every sync.")
    result = detection.detect(session)
    return DetectionRead(proposed=len(result.proposed), already_known=result.already_known, covered=result.covered)


@detection_api.post("/dependency-proposals/{proposal_id}/confirm", response_model=DependencyDetailRead, status_code=201)
def confirm_proposal(body: ProposalConfirm, session: SessionDep, actor: ApiUser, proposal_id: ProposalId) -> DependencyDetailRead:
    """Request the proposed dependency, with the linked items on both sides (the requesting side)."""
    dependency = detection.confirm(
        session=session, actor=actor, proposal_id=proposal_id, needed_by=body.needed_by, title=body.title, why=body.why
    )
    return service.detail(session, actor, dependency, today=utcnow().date())


@detection_api.post("/dependency-proposals/{proposal_id}/dismiss", response_model=ProposalRead)
def dismiss_proposal(body: ProposalDismiss, session: SessionDep, actor: ApiUser, proposal_id: ProposalId) -> ProposalRead:
    """Dismiss the proposal (either side): the same finding is never proposed again."""
    proposal = detection.dismiss(session=session, actor=actor, proposal_id=proposal_id, reason=body.reason)
    return detection.proposal_reads(session, actor, [proposal])[0]


@detection_api.get("/dependency-link-types", response_model=Page[LinkTypeRead])
def list_link_types(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[LinkTypeRead]:
    """The tracker link phrases read as dependencies: the built-in ones and those admins mapped."""
    return paginate(detection.link_type_reads(session), page)


@detection_api.post("/dependency-link-types", response_model=LinkTypeRead, status_code=201)
def add_link_type(body: LinkTypeCreate, session: SessionDep, actor: ApiUser) -> LinkTypeRead:
    """Map a link phrase to a dependency (admins)."""
    return LinkTypeRead.model_validate(detection.add_link_type(session=session, actor=actor, body=body))


@detection_api.delete("/dependency-link-types/{link_type_id}", status_code=204)
def delete_link_type(session: SessionDep, actor: ApiUser, link_type_id: ProposalId) -> Response:
    """Stop reading a mapped phrase as a dependency (admins)."""
    detection.delete_link_type(session=session, actor=actor, link_type_id=link_type_id)
    return Response(status_code=204)


@detection_api.get("/dependency-aliases", response_model=Page[AliasRead])
def list_aliases(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[AliasRead]:
    """Other names of teams and functions that blocked reasons are searched for."""
    return paginate(detection.alias_reads(session), page)


@detection_api.post("/dependency-aliases", response_model=AliasRead, status_code=201)
def add_alias(body: AliasCreate, session: SessionDep, actor: ApiUser) -> AliasRead:
    """Add an alias of a team or a function (admins)."""
    row = detection.add_alias(session=session, actor=actor, body=body)
    return next(a for a in detection.alias_reads(session) if a.id == row.id)


@detection_api.delete("/dependency-aliases/{alias_id}", status_code=204)
def delete_alias(session: SessionDep, actor: ApiUser, alias_id: ProposalId) -> Response:
    """Remove an alias (admins)."""
    detection.delete_alias(session=session, actor=actor, alias_id=alias_id)
    return Response(status_code=204)


@detection_api.get("/dependency-inbound-hooks", response_model=Page[HookRead])
def list_hooks(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[HookRead]:
    """Every inbound hook (admins); never their tokens."""
    return paginate([HookRead.model_validate(hook) for hook in inbound.hooks(session=session, actor=actor)], page)


@detection_api.post("/dependency-inbound-hooks", response_model=HookCreated, status_code=201)
def create_hook(request: Request, body: HookCreate, session: SessionDep, actor: ApiUser) -> HookCreated:
    """Create an inbound hook (admins); the token is in this answer only."""
    hook, token = inbound.create_hook(session=session, actor=actor, body=body, app_key=_app_key(request))
    return HookCreated(**HookRead.model_validate(hook).model_dump(), token=token)


@detection_api.post("/dependency-inbound-hooks/{hook_id}/revoke", response_model=HookRead)
def revoke_hook(session: SessionDep, actor: ApiUser, hook_id: ProposalId) -> HookRead:
    """Revoke an inbound hook (admins): its token stops working at once."""
    return HookRead.model_validate(inbound.revoke_hook(session=session, actor=actor, hook_id=hook_id))


@inbound_webhooks.post(
    "/webhooks/dependencies",
    response_model=InboundResult,
    responses={201: {"model": InboundResult, "description": "Created"}},
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": InboundDependency.model_json_schema()}}}
    },
)
async def receive_dependency(request: Request, session: SessionDep) -> JSONResponse:
    """Create or update a dependency another tool holds (``Authorization: Bearer <inbound hook token>``).

    The same ``external_id`` again updates it in place; a bad field is 422 naming it, and nothing is written.
    """
    hook = inbound.authenticate(session=session, authorization=request.headers.get("authorization"), app_key=_app_key(request))
    raw = await request.body()
    if len(raw) > MAX_INBOUND_BYTES:
        raise ValidationFailedError("The body is larger than 256 KB.", fields={"body": "too large"})
    try:
        event = InboundDependency.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_failed(exc.errors(), InboundDependency) from None
    result = inbound.receive(session=session, hook=hook, event=event)
    return JSONResponse(result.model_dump(), status_code=201 if result.status == "created" else 200)
