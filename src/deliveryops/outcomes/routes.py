"""JSON API: objectives, key results and their links, KPI series and values (JSON, CSV, webhook), decision briefs."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile
from pydantic import ValidationError

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.db import utcnow
from deliveryops.errors import ValidationFailedError, validation_failed
from deliveryops.outcomes import decisions, service
from deliveryops.outcomes import series as kpi
from deliveryops.outcomes.schemas import (
    BriefRead,
    BriefUpdate,
    EvidenceCreate,
    KeyResultCreate,
    KeyResultDetail,
    KeyResultRead,
    KeyResultUpdate,
    LinkCreate,
    LinkRead,
    ObjectiveCreate,
    ObjectiveRead,
    ObjectiveUpdate,
    SeriesCreate,
    SeriesCreated,
    SeriesRead,
    ValuesIn,
    ValuesWritten,
)
from deliveryops.schemas import Page
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

api = APIRouter(tags=["outcomes"], responses=error_responses(401, 403, 404, 422))
webhooks = APIRouter(tags=["webhooks"], responses=error_responses(401, 422))

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_BODY_BYTES = 1024 * 1024


@api.get("/objectives", response_model=Page[ObjectiveRead])
def list_objectives(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    group_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    team_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    period: Annotated[str | None, Query(max_length=30, description='e.g. "2026-Q4"')] = None,
) -> Page[ObjectiveRead]:
    """The objectives you may read (your teams' and groups'; all for cross-team roles), key results measured."""
    today = utcnow().date()
    rows = service.list_objectives(session=session, actor=actor, group_id=group_id, team_id=team_id, period=period)
    chosen = rows[page.offset : page.offset + page.limit]
    return Page(
        items=[service.objective_read(session, row, today=today) for row in chosen],
        total=len(rows),
        limit=page.limit,
        offset=page.offset,
    )


@api.post("/objectives", response_model=ObjectiveRead, status_code=201)
def create_objective(body: ObjectiveCreate, session: SessionDep, actor: ApiUser) -> ObjectiveRead:
    """Set an objective: group ones by leaders, Product Ops, admins; team ones by its delivery managers, admins."""
    today = utcnow().date()
    row = service.create_objective(session=session, actor=actor, body=body, today=today)
    return service.objective_read(session, row, today=today)


@api.get("/objectives/{objective_id}", response_model=ObjectiveRead)
def read_objective(session: SessionDep, actor: ApiUser, objective_id: IdPath) -> ObjectiveRead:
    """One objective with its key results measured."""
    row = service.get_objective_or_raise(session=session, actor=actor, objective_id=objective_id)
    return service.objective_read(session, row, today=utcnow().date())


@api.patch("/objectives/{objective_id}", response_model=ObjectiveRead)
def update_objective(body: ObjectiveUpdate, session: SessionDep, actor: ApiUser, objective_id: IdPath) -> ObjectiveRead:
    """Change an objective's title, description, period or owner (the people who may set it)."""
    row = service.get_objective_or_raise(session=session, actor=actor, objective_id=objective_id, edit=True)
    service.update_objective(session=session, actor=actor, objective=row, body=body)
    return service.objective_read(session, row, today=utcnow().date())


@api.delete("/objectives/{objective_id}", status_code=204)
def delete_objective(session: SessionDep, actor: ApiUser, objective_id: IdPath) -> Response:
    """Delete an objective with its key results and their links (the people who may set it)."""
    row = service.get_objective_or_raise(session=session, actor=actor, objective_id=objective_id, edit=True)
    service.delete_objective(session=session, actor=actor, objective=row)
    return Response(status_code=204)


@api.post("/objectives/{objective_id}/key-results", response_model=KeyResultRead, status_code=201)
def add_key_result(body: KeyResultCreate, session: SessionDep, actor: ApiUser, objective_id: IdPath) -> KeyResultRead:
    """Add a key result: a KPI series, a team metric or an experiment's result, with baseline, target, direction."""
    objective = service.get_objective_or_raise(session=session, actor=actor, objective_id=objective_id, edit=True)
    row = service.add_key_result(session=session, actor=actor, objective=objective, body=body)
    return service.key_result_read(session, row, today=utcnow().date())


@api.get("/key-results/{key_result_id}", response_model=KeyResultDetail)
def read_key_result(session: SessionDep, actor: ApiUser, key_result_id: IdPath) -> KeyResultDetail:
    """A key result: its values, progress, verdict, confidence and the work and experiments linked to it."""
    row = service.get_key_result_or_raise(session=session, actor=actor, key_result_id=key_result_id)
    return service.key_result_detail(session, row, today=utcnow().date())


@api.patch("/key-results/{key_result_id}", response_model=KeyResultRead)
def update_key_result(body: KeyResultUpdate, session: SessionDep, actor: ApiUser, key_result_id: IdPath) -> KeyResultRead:
    """Change a key result's title, owner, baseline, target or direction (its objective's editors)."""
    row = service.get_key_result_or_raise(session=session, actor=actor, key_result_id=key_result_id, edit=True)
    service.update_key_result(session=session, actor=actor, row=row, body=body)
    return service.key_result_read(session, row, today=utcnow().date())


@api.delete("/key-results/{key_result_id}", status_code=204)
def delete_key_result(session: SessionDep, actor: ApiUser, key_result_id: IdPath) -> Response:
    """Delete a key result and its links (its objective's editors)."""
    row = service.get_key_result_or_raise(session=session, actor=actor, key_result_id=key_result_id, edit=True)
    service.delete_key_result(session=session, actor=actor, row=row)
    return Response(status_code=204)


@api.post("/key-results/{key_result_id}/links", response_model=LinkRead, status_code=201)
def link_key_result(body: LinkCreate, session: SessionDep, actor: ApiUser, key_result_id: IdPath) -> LinkRead:
    """Link an epic (work item id), experiment, improvement action or dependency to the key result it serves."""
    row = service.get_key_result_or_raise(session=session, actor=actor, key_result_id=key_result_id, edit=True)
    service.add_link(session=session, actor=actor, key_result=row, body=body)
    detail = service.key_result_detail(session, row, today=utcnow().date())
    return next(link for link in detail.links if link.kind is body.kind and link.target_id == body.target_id)


@api.get("/kpi-series", response_model=Page[SeriesRead])
def list_series(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[SeriesRead]:
    """The KPI series you may read."""
    rows = kpi.list_(session=session, actor=actor)
    chosen = rows[page.offset : page.offset + page.limit]
    return Page(items=[kpi.read(session, row) for row in chosen], total=len(rows), limit=page.limit, offset=page.offset)


@api.post("/kpi-series", response_model=SeriesCreated, status_code=201)
def create_series(body: SeriesCreate, session: SessionDep, actor: ApiUser) -> SeriesCreated:
    """Add a KPI series; the answer holds its webhook token, shown this once."""
    row, token = kpi.create(session=session, actor=actor, body=body)
    return SeriesCreated(**kpi.read(session, row).model_dump(), token=token)


@api.get("/kpi-series/{series_id}", response_model=SeriesRead)
def read_series(session: SessionDep, actor: ApiUser, series_id: IdPath) -> SeriesRead:
    """One KPI series."""
    return kpi.read(session, kpi.get_or_raise(session=session, actor=actor, series_id=series_id))


@api.post("/kpi-series/{series_id}/values", response_model=ValuesWritten)
def add_values(body: ValuesIn, session: SessionDep, actor: ApiUser, series_id: IdPath) -> ValuesWritten:
    """Add dated values (all or nothing; a value for a day that has one replaces it)."""
    row = kpi.get_or_raise(session=session, actor=actor, series_id=series_id, edit=True)
    return ValuesWritten(series_id=row.id, written=kpi.write_values(session, row, body.values))


@api.post("/kpi-series/{series_id}/values.csv", response_model=ValuesWritten, responses=error_responses(413))
async def upload_values(
    session: SessionDep, actor: ApiUser, series_id: IdPath, file: Annotated[UploadFile, File()]
) -> ValuesWritten:
    """Add values from a CSV file with the columns date,value (all or nothing; errors name the line and column)."""
    row = kpi.get_or_raise(session=session, actor=actor, series_id=series_id, edit=True)
    text = (await file.read()).decode("utf-8", errors="replace")
    return ValuesWritten(series_id=row.id, written=kpi.write_values(session, row, kpi.parse_csv(text)))


@webhooks.post("/webhooks/kpi", response_model=ValuesWritten)
async def kpi_webhook(request: Request, session: SessionDep) -> ValuesWritten:
    """Add values to the series of the token (``Authorization: Bearer <series token>``); body as for /values."""
    row = kpi.authenticate_webhook(session=session, authorization=request.headers.get("authorization"))
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise ValidationFailedError("The body is larger than 1 MB.", fields={"body": "Send at most 1 MB."})
    try:
        data: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailedError(f"The body is not JSON: {exc}.", fields={"body": "Send a JSON object."}) from exc
    try:
        values = ValuesIn.model_validate(data)
    except ValidationError as exc:
        raise validation_failed(exc.errors(), ValuesIn) from exc
    return ValuesWritten(series_id=row.id, written=kpi.write_values(session, row, values.values))


@api.get("/decision-briefs/{question_id}", response_model=BriefRead)
def read_brief(session: SessionDep, actor: ApiUser, question_id: IdPath) -> BriefRead:
    """A question to leadership with its brief, decision, expected effect and follow-up (leaders, Product Ops, admins)."""
    question = decisions.get_question_or_raise(session=session, actor=actor, question_id=question_id)
    return decisions.brief_read(session, question, today=utcnow().date())


@api.put("/decision-briefs/{question_id}", response_model=BriefRead)
def write_brief(body: BriefUpdate, session: SessionDep, actor: ApiUser, question_id: IdPath) -> BriefRead:
    """Write the brief: options, recommendation, expected effect and follow-up date (Product Ops, admins)."""
    decisions.update_brief(session=session, actor=actor, question_id=question_id, body=body)
    question = decisions.get_question_or_raise(session=session, actor=actor, question_id=question_id)
    return decisions.brief_read(session, question, today=utcnow().date())


@api.post("/decision-briefs/{question_id}/evidence", response_model=BriefRead, status_code=201)
def add_evidence(body: EvidenceCreate, session: SessionDep, actor: ApiUser, question_id: IdPath) -> BriefRead:
    """Attach evidence from a DeliveryOps page (its address and what it showed) (Product Ops, admins)."""
    decisions.add_evidence(session=session, actor=actor, question_id=question_id, body=body)
    question = decisions.get_question_or_raise(session=session, actor=actor, question_id=question_id)
    return decisions.brief_read(session, question, today=utcnow().date())
