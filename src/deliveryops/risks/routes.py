"""JSON API of the ROAM register: list with filters, raise, read, edit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.risks import service
from deliveryops.risks.models import RoamStatus
from deliveryops.risks.schemas import RiskFilter, RiskRead, RiskWrite
from deliveryops.schemas import Page
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

api = APIRouter(tags=["risks"], responses=error_responses(401, 403, 404, 422))
RiskId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@api.get("/risks", response_model=Page[RiskRead])
def list_risks(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    status: Annotated[RoamStatus | None, Query(description="Only this ROAM status")] = None,
    team_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Only this team's risks")] = None,
    review_overdue: Annotated[bool | None, Query(description="Only risks whose review is overdue (true) or not (false)")] = None,
) -> Page[RiskRead]:
    """The risks you may see (your teams' and the organisation's; all for Product Ops, leaders, admins), overdue reviews first."""
    filters = RiskFilter(status=status, team_id=team_id, review_overdue=review_overdue)
    return service.list_(session=session, actor=actor, filters=filters, page=page)


@api.post("/risks", response_model=RiskRead, status_code=201)
def raise_risk(body: RiskWrite, session: SessionDep, actor: ApiUser) -> RiskRead:
    """Raise a cross-team risk (Product Ops, admins; delivery managers for the teams they manage)."""
    risk = service.create(session=session, actor=actor, body=body)
    return service.reads(session, [risk])[0]


@api.get("/risks/{risk_id}", response_model=RiskRead)
def read_risk(session: SessionDep, actor: ApiUser, risk_id: RiskId) -> RiskRead:
    """One risk with its links."""
    return service.reads(session, [service.get_or_raise(session=session, actor=actor, risk_id=risk_id)])[0]


@api.put("/risks/{risk_id}", response_model=RiskRead)
def edit_risk(body: RiskWrite, session: SessionDep, actor: ApiUser, risk_id: RiskId) -> RiskRead:
    """Replace a risk's fields and links (its owner, its team's delivery managers, Product Ops, admins)."""
    risk = service.update(session=session, actor=actor, risk_id=risk_id, body=body)
    return service.reads(session, [risk])[0]
