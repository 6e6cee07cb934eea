"""HTML pages of the ROAM register: the list with filters (overdue reviews flagged), raise, detail, edit."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.dependencies.service import managed_team_ids
from deliveryops.errors import PermissionDeniedError
from deliveryops.risks import service
from deliveryops.risks.models import Impact, LinkKind, Risk, RoamStatus
from deliveryops.risks.schemas import RiskFilter, RiskWrite
from deliveryops.teams.models import Team
from deliveryops.teams.service import list_teams
from deliveryops.web.form_pages import form_page, submit_form
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import render

router = APIRouter(include_in_schema=False)


RiskId = Annotated[int, Path(ge=1, le=2**31 - 1)]
FilterForm = Annotated[FormInput[RiskFilter], form_model(RiskFilter)]
WriteForm = Annotated[FormInput[RiskWrite], form_model(RiskWrite)]


def _teams_for(session: Session, actor: User) -> list[Team]:
    """The teams the actor may file risks under."""
    teams = list(session.scalars(select(Team).order_by(Team.name)))
    if actor.role in (Role.ADMIN, Role.PRODUCT_OPS):
        return teams
    managed = managed_team_ids(session, actor)
    return [t for t in teams if t.id in managed]


@router.get("/risks", response_class=HTMLResponse)
def list_page(request: Request, session: SessionDep, actor: PageUser, form: FilterForm, page: Pagination) -> Response:
    """The ROAM register: risks the signed-in person may see, overdue reviews flagged."""
    filters = form.model if form.model is not None else RiskFilter()
    listed = service.list_(session=session, actor=actor, filters=filters, page=page)
    return form_page(
        request,
        "risks/list.html",
        {
            "page": listed,
            "teams": list_teams(session=session, actor=actor),
            "statuses": list(RoamStatus),
            "can_raise": service.can_raise(session, actor),
            "filtered": form.submitted,
            "base_query": "".join(f"{urlencode({k: v})}&" for k, v in request.query_params.multi_items() if k != "offset"),
        },
        form.values,
        form.errors,
        422 if form.errors else 200,
    )


def _form_page(
    request: Request,
    session: Session,
    actor: User,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int,
    risk: Risk | None = None,
) -> Response:
    teams = _teams_for(session, actor)
    if risk is not None and risk.team_id is not None and risk.team_id not in {t.id for t in teams}:
        teams.append(session.get_one(Team, risk.team_id))  # its owner keeps the team it has
    return form_page(
        request,
        "risks/form.html",
        {
            "risk": risk,
            "teams": teams,
            "people": list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name))),
            "statuses": list(RoamStatus),
            "impacts": list(Impact),
            "can_raise": service.can_raise(session, actor),
            "org_wide": actor.role in (Role.ADMIN, Role.PRODUCT_OPS),
        },
        values,
        errors,
        status,
    )


@router.get("/risks/new", response_class=HTMLResponse)
def new_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """The form to raise a risk."""
    return _form_page(request, session, actor, {}, {}, 200)


@router.post("/risks/new", response_class=HTMLResponse)
def create_page(request: Request, session: SessionDep, actor: PageUser, form: WriteForm) -> Response:
    """Raise a risk; errors re-render beside each field."""
    return submit_form(
        session,
        form,
        lambda body: service.create(session=session, actor=actor, body=body),
        done=lambda risk: f"/risks/{risk.id}",
        again=partial(_form_page, request, session, actor),
    )


@router.get("/risks/{risk_id}", response_class=HTMLResponse)
def detail_page(request: Request, session: SessionDep, actor: PageUser, risk_id: RiskId) -> Response:
    """One risk: its ROAM status, owner, impact, review date, response and links."""
    risk = service.get_or_raise(session=session, actor=actor, risk_id=risk_id)
    return render(
        request, "risks/detail.html", {"r": service.reads(session, [risk])[0], "can_edit": service.can_edit(session, actor, risk)}
    )


def _values_of(risk: Risk) -> dict[str, Any]:
    return {
        "title": risk.title,
        "description": risk.description,
        "status": risk.status.value,
        "impact": risk.impact.value,
        "team_id": str(risk.team_id or ""),
        "owner_id": str(risk.owner_id or ""),
        "review_on": risk.review_on.isoformat() if risk.review_on else "",
        "response": risk.response,
        "dependency_ids": ", ".join(link.ref for link in risk.links if link.kind is LinkKind.DEPENDENCY),
        "impediment_ids": ", ".join(link.ref for link in risk.links if link.kind is LinkKind.IMPEDIMENT),
        "epic_keys": ", ".join(link.ref for link in risk.links if link.kind is LinkKind.EPIC),
    }


@router.get("/risks/{risk_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, session: SessionDep, actor: PageUser, risk_id: RiskId) -> Response:
    """The form to edit a risk (its owner, its team's delivery managers, Product Ops, admins)."""
    risk = service.get_or_raise(session=session, actor=actor, risk_id=risk_id)
    if not service.can_edit(session, actor, risk):
        raise PermissionDeniedError("Only the risk's owner, its team's delivery managers, Product Ops and admins edit it.")
    return _form_page(request, session, actor, _values_of(risk), {}, 200, risk)


@router.post("/risks/{risk_id}/edit", response_class=HTMLResponse)
def update_page(request: Request, session: SessionDep, actor: PageUser, risk_id: RiskId, form: WriteForm) -> Response:
    """Save a risk's edits; errors re-render beside each field."""
    risk = service.get_or_raise(session=session, actor=actor, risk_id=risk_id)

    def again(values: dict[str, Any], errors: dict[str, str], status: int) -> Response:
        risk = service.get_or_raise(session=session, actor=actor, risk_id=risk_id)
        return _form_page(request, session, actor, values, errors, status, risk)

    return submit_form(
        session,
        form,
        lambda body: service.update(session=session, actor=actor, risk_id=risk_id, body=body),
        done=f"/risks/{risk.id}",
        again=again,
    )
