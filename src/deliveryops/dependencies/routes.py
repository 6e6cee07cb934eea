"""JSON API: dependencies (list with filters, request, one with its history, respond), the matrix, functions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.db import utcnow
from deliveryops.dependencies import service
from deliveryops.dependencies.models import DependencyState
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
from deliveryops.schemas import Page, paginate
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
