"""HTML pages: the list with filters, the matrix, a team's "what we wait for / what we owe", the negotiation."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.db import utcnow
from deliveryops.dependencies import risk, service
from deliveryops.dependencies.models import Dependency, DependencyState
from deliveryops.dependencies.schemas import (
    DependencyCreate,
    DependencyFilter,
    DependencyTransition,
    FunctionCreate,
)
from deliveryops.errors import ValidationFailedError
from deliveryops.teams.models import Team
from deliveryops.teams.service import get_team_or_raise, list_teams
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import register_nav, register_team_link, render

router = APIRouter(include_in_schema=False)
register_nav("Dependencies", "/dependencies", order=18)
register_team_link("Dependencies", "dependencies", order=50, section="/dependencies")

DependencyId = Annotated[int, Path(ge=1, le=2**31 - 1)]
FilterForm = Annotated[FormInput[DependencyFilter], form_model(DependencyFilter)]
CreateForm = Annotated[FormInput[DependencyCreate], form_model(DependencyCreate)]
TransitionForm = Annotated[FormInput[DependencyTransition], form_model(DependencyTransition)]
FunctionForm = Annotated[FormInput[FunctionCreate], form_model(FunctionCreate)]

ACTION_BUTTONS = {
    "accept": "Accept with a committed date",
    "counter": "Propose another date",
    "decline": "Decline",
    "accept_counter": "Accept the proposed date",
    "reject_counter": "Reject the proposed date",
    "deliver": "Mark delivered",
    "miss": "Record as missed",
}


def _requestable_teams(session: Session, actor: User) -> list[Team]:
    """The teams the actor may request for: all for Product Ops and admins, else those they manage."""
    if actor.role in (Role.ADMIN, Role.PRODUCT_OPS):
        return list(session.scalars(select(Team).order_by(Team.name)))
    managed = service.managed_team_ids(session, actor)
    return [t for t in session.scalars(select(Team).order_by(Team.name)) if t.id in managed]


@router.get("/dependencies", response_class=HTMLResponse)
def list_page(request: Request, session: SessionDep, actor: PageUser, form: FilterForm, page: Pagination) -> Response:
    """The dependencies the signed-in person may see, with filters by team, state and overdue."""
    filters = form.model if form.model is not None else DependencyFilter()
    listed = service.list_(session=session, actor=actor, filters=filters, page=page)
    return render(
        request,
        "dependencies/list.html",
        {
            "page": listed,
            "values": form.values,
            "errors": form.errors,
            "teams": list_teams(session=session, actor=actor),
            "states": list(DependencyState),
            "can_request": bool(_requestable_teams(session, actor)),
            "filtered": form.submitted,
            "chances": _chances(session, [d.id for d in listed.items]),
            "base_query": "".join(f"{urlencode({k: v})}&" for k, v in request.query_params.multi_items() if k != "offset"),
        },
        status_code=422 if form.errors else 200,
    )


def _new_page(
    request: Request, session: Session, actor: User, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    return render(
        request,
        "dependencies/new.html",
        {
            "values": values,
            "errors": errors,
            "requesters": _requestable_teams(session, actor),
            "teams": list(session.scalars(select(Team).order_by(Team.name))),
            "functions": service.functions(session),
        },
        status_code=status,
    )


@router.get("/dependencies/new", response_class=HTMLResponse)
def new_page(request: Request, session: SessionDep, actor: PageUser, team: int | None = None) -> Response:
    """The form to request a dependency."""
    return _new_page(request, session, actor, {"requester_team_id": str(team or "")}, {}, 200)


@router.post("/dependencies/new", response_class=HTMLResponse)
def create_page(request: Request, session: SessionDep, actor: PageUser, form: CreateForm) -> Response:
    """Request a dependency; errors re-render beside each field."""
    try:
        dependency = service.create(session=session, actor=actor, body=form.validated())
    except ValidationFailedError as exc:
        session.rollback()
        return _new_page(request, session, actor, form.values, form.errors_with(exc), 422)
    return RedirectResponse(f"/dependencies/{dependency.id}", status_code=303)


@router.get("/dependencies/matrix", response_class=HTMLResponse)
def matrix_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Requesting teams × providing teams and functions: open, overdue and all dependencies per cell."""
    grid = service.matrix(session=session, actor=actor)
    cells = {(c.requester_team_id, c.provider_key): c for c in grid.cells}
    return render(
        request, "dependencies/matrix.html", {"grid": grid, "cells": cells, "at_risk_cells": _at_risk_cells(session, actor)}
    )


def _functions_page(
    request: Request, session: Session, actor: User, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    return render(
        request,
        "dependencies/functions.html",
        {
            "functions": [service.function_read(session, f) for f in service.functions(session)],
            "people": list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))
            if actor.role is Role.ADMIN
            else [],
            "is_admin": actor.role is Role.ADMIN,
            "values": values,
            "errors": errors,
        },
        status_code=status,
    )


@router.get("/dependencies/functions", response_class=HTMLResponse)
def functions_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """The functions outside engineering and their owners; admins add more."""
    return _functions_page(request, session, actor, {}, {}, 200)


@router.post("/dependencies/functions", response_class=HTMLResponse)
def add_function_page(request: Request, session: SessionDep, actor: PageUser, form: FunctionForm) -> Response:
    """Add a function (admins)."""
    try:
        service.create_function(session=session, actor=actor, body=form.validated())
    except ValidationFailedError as exc:
        session.rollback()
        return _functions_page(request, session, actor, form.values, form.errors_with(exc), 422)
    return RedirectResponse("/dependencies/functions", status_code=303)


def _detail_page(
    request: Request,
    session: Session,
    actor: User,
    dependency: Dependency,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    detail = service.detail(session, actor, dependency, today=utcnow().date())
    return render(
        request,
        "dependencies/detail.html",
        {
            "d": detail,
            "buttons": {a: ACTION_BUTTONS[a] for a in detail.allowed_actions},
            "values": values or {},
            "errors": errors or {},
            "chance": _chances(session, [dependency.id]).get(dependency.id),
            "can_set_threshold": service.acts_for_requester(session, actor, dependency),
        },
        status_code=status,
    )


@router.get("/dependencies/{dependency_id}", response_class=HTMLResponse)
def detail_page(request: Request, session: SessionDep, actor: PageUser, dependency_id: DependencyId) -> Response:
    """One dependency: what, why, by when, its history, and the steps the signed-in person may take."""
    dependency = service.get_or_raise(session=session, actor=actor, dependency_id=dependency_id)
    return _detail_page(request, session, actor, dependency)


@router.post("/dependencies/{dependency_id}/transitions", response_class=HTMLResponse)
def transition_page(
    request: Request, session: SessionDep, actor: PageUser, dependency_id: DependencyId, form: TransitionForm
) -> Response:
    """Take one negotiation step; a missing date or reason re-renders beside its field."""
    dependency = service.get_or_raise(session=session, actor=actor, dependency_id=dependency_id)
    try:
        service.transition(session=session, actor=actor, dependency_id=dependency_id, body=form.validated())
    except ValidationFailedError as exc:
        session.rollback()
        dependency = service.get_or_raise(session=session, actor=actor, dependency_id=dependency_id)
        return _detail_page(request, session, actor, dependency, values=form.values, errors=form.errors_with(exc), status=422)
    return RedirectResponse(f"/dependencies/{dependency.id}", status_code=303)


@router.get("/teams/{slug}/dependencies", response_class=HTMLResponse)
def team_page(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """What the team waits for from others, and what it owes them."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    view = service.team_view(session=session, team=team)
    can_request = team.id in {t.id for t in _requestable_teams(session, actor)}
    return render(
        request,
        "dependencies/team.html",
        {
            "team": team,
            "view": view,
            "can_request": can_request,
            "chances": _chances(session, [d.id for d in (*view.waits_for, *view.owes)]),
        },
    )


def _chances(session: Session, ids: list[int]) -> dict[int, risk.ChanceRead]:
    """The chance of delivery of the listed dependencies, by id (computed again where stale)."""
    if not ids:
        return {}
    dependencies = list(session.scalars(select(Dependency).where(Dependency.id.in_(ids))))
    return {c.dependency.id: c for c in risk.chance_reads(session, dependencies)}


def _at_risk_cells(session: Session, actor: User) -> dict[tuple[int, str], int]:
    """How many at-risk dependencies each matrix cell (requesting team, provider key) holds."""
    cells: dict[tuple[int, str], int] = {}
    for row in risk.at_risk(session, actor=actor):
        d = row.dependency
        key = f"team:{d.provider_team_id}" if d.provider_team_id else f"function:{d.provider_function_id}"
        cells[(d.requester_team_id, key)] = cells.get((d.requester_team_id, key), 0) + 1
    return cells
