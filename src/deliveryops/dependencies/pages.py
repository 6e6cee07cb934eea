"""HTML pages: the list with filters, the matrix, a team's "what we wait for / what we owe", the negotiation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.db import utcnow
from deliveryops.dependencies import detection, export, inbound, risk, service
from deliveryops.dependencies.detection_schemas import (
    AliasCreate,
    ExportFormat,
    HookCreate,
    LinkTypeCreate,
    ProposalConfirm,
    ProposalDismiss,
    ProposalFilter,
)
from deliveryops.dependencies.jobs import request_detection
from deliveryops.dependencies.models import Dependency, DependencyState, ProposalStatus
from deliveryops.dependencies.schemas import (
    DependencyCreate,
    DependencyFilter,
    DependencyTransition,
    FunctionCreate,
)
from deliveryops.errors import PermissionDeniedError
from deliveryops.schemas import PageParams
from deliveryops.settings import Settings
from deliveryops.teams.models import Team
from deliveryops.teams.service import get_team_or_raise, list_teams
from deliveryops.web.form_pages import form_page, submit_form
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_nav, register_team_link, render

M = TypeVar("M", bound=BaseModel)
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
    return form_page(
        request,
        "dependencies/list.html",
        {
            "page": listed,
            "teams": list_teams(session=session, actor=actor),
            "states": list(DependencyState),
            "can_request": bool(_requestable_teams(session, actor)),
            "filtered": form.submitted,
            "chances": _chances(session, [d.id for d in listed.items]),
            "base_query": "".join(f"{urlencode({k: v})}&" for k, v in request.query_params.multi_items() if k != "offset"),
        },
        form.values,
        form.errors,
        422 if form.errors else 200,
    )


def _new_page(
    request: Request, session: Session, actor: User, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    return form_page(
        request,
        "dependencies/new.html",
        {
            "requesters": _requestable_teams(session, actor),
            "teams": list(session.scalars(select(Team).order_by(Team.name))),
            "functions": service.functions(session),
        },
        values,
        errors,
        status,
    )


@router.get("/dependencies/new", response_class=HTMLResponse)
def new_page(request: Request, session: SessionDep, actor: PageUser, team: int | None = None) -> Response:
    """The form to request a dependency."""
    return _new_page(request, session, actor, {"requester_team_id": str(team or "")}, {}, 200)


@router.post("/dependencies/new", response_class=HTMLResponse)
def create_page(request: Request, session: SessionDep, actor: PageUser, form: CreateForm) -> Response:
    """Request a dependency; errors re-render beside each field."""
    return submit_form(
        session,
        form,
        lambda body: service.create(session=session, actor=actor, body=body),
        done=lambda dependency: f"/dependencies/{dependency.id}",
        again=partial(_new_page, request, session, actor),
    )


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
    return form_page(
        request,
        "dependencies/functions.html",
        {
            "functions": [service.function_read(session, f) for f in service.functions(session)],
            "people": list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))
            if actor.role is Role.ADMIN
            else [],
            "is_admin": actor.role is Role.ADMIN,
        },
        values,
        errors,
        status,
    )


@router.get("/dependencies/functions", response_class=HTMLResponse)
def functions_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """The functions outside engineering and their owners; admins add more."""
    return _functions_page(request, session, actor, {}, {}, 200)


@router.post("/dependencies/functions", response_class=HTMLResponse)
def add_function_page(request: Request, session: SessionDep, actor: PageUser, form: FunctionForm) -> Response:
    """Add a function (admins)."""
    return submit_form(
        session,
        form,
        lambda body: service.create_function(session=session, actor=actor, body=body),
        done="/dependencies/functions",
        again=partial(_functions_page, request, session, actor),
    )


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
    return form_page(
        request,
        "dependencies/detail.html",
        {
            "d": detail,
            "buttons": {a: ACTION_BUTTONS[a] for a in detail.allowed_actions},
            "chance": _chances(session, [dependency.id]).get(dependency.id),
            "can_set_threshold": service.acts_for_requester(session, actor, dependency),
        },
        values,
        errors,
        status,
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

    def again(values: dict[str, Any], errors: dict[str, str], status: int) -> Response:
        dependency = service.get_or_raise(session=session, actor=actor, dependency_id=dependency_id)
        return _detail_page(request, session, actor, dependency, values=values, errors=errors, status=status)

    return submit_form(
        session,
        form,
        lambda body: service.transition(session=session, actor=actor, dependency_id=dependency_id, body=body),
        done=f"/dependencies/{dependency.id}",
        again=again,
    )


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


# --- detection, inbound hooks, export (included before ``router``: these paths are not /dependencies/{id}) -------

detection_router = APIRouter(include_in_schema=False)
ProposalId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ProposalFilterForm = Annotated[FormInput[ProposalFilter], form_model(ProposalFilter)]
ConfirmForm = Annotated[FormInput[ProposalConfirm], form_model(ProposalConfirm)]
DismissForm = Annotated[FormInput[ProposalDismiss], form_model(ProposalDismiss)]
LinkTypeForm = Annotated[FormInput[LinkTypeCreate], form_model(LinkTypeCreate)]
AliasForm = Annotated[FormInput[AliasCreate], form_model(AliasCreate)]
HookForm = Annotated[FormInput[HookCreate], form_model(HookCreate)]
SOURCE_LABELS = {
    "tracker_link": "Tracker link",
    "blocked_reason": "Blocked reason",
    "code_reference": "Cross-repository reference",
}


def _proposals_page(
    request: Request,
    session: Session,
    actor: User,
    form: FormInput[ProposalFilter],
    page: PageParams,
    *,
    errors: dict[int, dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    chosen = form.model.status if form.model is not None else ProposalStatus.PROPOSED
    found = detection.list_proposals(session=session, actor=actor, status=chosen, page=page)
    return render(
        request,
        "dependencies/proposals.html",
        {
            "page": found,
            "items": found.items,
            "chosen": chosen.value if chosen else "any",
            "statuses": list(ProposalStatus),
            "errors": errors or {},
            "sources": SOURCE_LABELS,
            "can_detect": actor.role in (Role.ADMIN, Role.PRODUCT_OPS),
            "default_needed_by": (utcnow().date() + timedelta(days=14)).isoformat(),
        },
        status_code=status,
    )


@detection_router.get("/dependencies/proposals", response_class=HTMLResponse)
def proposals_page(
    request: Request, session: SessionDep, actor: PageUser, form: ProposalFilterForm, page: Pagination
) -> Response:
    """Dependencies found in the data, for the requesting side to confirm or either side to dismiss."""
    return _proposals_page(request, session, actor, form, page)


@detection_router.post("/dependencies/proposals/detect")
def detect_page(session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Look for dependencies now (Product Ops, admins)."""
    if actor.role not in (Role.ADMIN, Role.PRODUCT_OPS):
        raise PermissionDeniedError("Only Product Ops and admins start a detection; it also runs after every sync.")
    result = detection.detect(session)
    return RedirectResponse(f"/dependencies/proposals?found={len(result.proposed)}", status_code=303)


@detection_router.post("/dependencies/proposals/{proposal_id}/confirm")
def confirm_page(
    request: Request, session: SessionDep, actor: PageUser, proposal_id: ProposalId, form: ConfirmForm, page: Pagination
) -> Response:
    """Confirm: request the dependency, with the date it is needed by."""

    def again(_values: dict[str, Any], errors: dict[str, str], status: int) -> Response:
        detection.get_proposal_or_raise(session=session, actor=actor, proposal_id=proposal_id)
        listed = FormInput[ProposalFilter](model=ProposalFilter(), values={})
        return _proposals_page(request, session, actor, listed, page, errors={proposal_id: errors}, status=status)

    return submit_form(
        session,
        form,
        lambda body: detection.confirm(
            session=session, actor=actor, proposal_id=proposal_id, needed_by=body.needed_by, title=body.title, why=body.why
        ),
        done=lambda dependency: f"/dependencies/{dependency.id}",
        again=again,
    )


@detection_router.post("/dependencies/proposals/{proposal_id}/dismiss")
def dismiss_page(session: SessionDep, actor: PageUser, proposal_id: ProposalId, form: DismissForm) -> Response:
    """Dismiss: not a dependency; never proposed again."""
    body = form.model or ProposalDismiss()
    detection.dismiss(session=session, actor=actor, proposal_id=proposal_id, reason=body.reason)
    return RedirectResponse("/dependencies/proposals", status_code=303)


def _settings_page(
    request: Request,
    session: Session,
    actor: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return form_page(
        request,
        "dependencies/detection_settings.html",
        {
            "link_types": detection.link_type_reads(session),
            "unmapped": detection.unmapped_phrases(session),
            "aliases": detection.alias_reads(session),
            "teams": list(session.scalars(select(Team).order_by(Team.name))),
            "functions": service.functions(session),
            "is_admin": actor.role is Role.ADMIN,
        },
        values,
        errors,
        status,
    )


def _change_settings(
    request: Request, session: Session, actor: User, form: FormInput[M], change: Callable[[M], object]
) -> Response:
    """Apply a settings change; on bad input show the page again with the errors, else look for dependencies anew."""

    def detect_anew(_changed: object) -> str:
        request_detection(session, requested_by=actor.email)
        return "/dependencies/detection-settings"

    return submit_form(
        session,
        form,
        change,
        done=detect_anew,
        again=lambda values, errors, status: _settings_page(request, session, actor, values=values, errors=errors, status=status),
    )


@detection_router.get("/dependencies/detection-settings", response_class=HTMLResponse)
def detection_settings_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Which link phrases and names are read as dependencies; admins map more."""
    return _settings_page(request, session, actor)


@detection_router.post("/dependencies/detection-settings/link-types", response_class=HTMLResponse)
def add_link_type_page(request: Request, session: SessionDep, actor: PageUser, form: LinkTypeForm) -> Response:
    """Map a link phrase (admins)."""
    return _change_settings(
        request, session, actor, form, lambda body: detection.add_link_type(session=session, actor=actor, body=body)
    )


@detection_router.post("/dependencies/detection-settings/link-types/{link_type_id}/delete")
def delete_link_type_page(session: SessionDep, actor: PageUser, link_type_id: ProposalId, _csrf: CsrfChecked) -> Response:
    """Remove a mapped link phrase (admins)."""
    detection.delete_link_type(session=session, actor=actor, link_type_id=link_type_id)
    return RedirectResponse("/dependencies/detection-settings", status_code=303)


@detection_router.post("/dependencies/detection-settings/aliases", response_class=HTMLResponse)
def add_alias_page(request: Request, session: SessionDep, actor: PageUser, form: AliasForm) -> Response:
    """Add an alias of a team or a function (admins)."""
    return _change_settings(
        request, session, actor, form, lambda body: detection.add_alias(session=session, actor=actor, body=body)
    )


@detection_router.post("/dependencies/detection-settings/aliases/{alias_id}/delete")
def delete_alias_page(session: SessionDep, actor: PageUser, alias_id: ProposalId, _csrf: CsrfChecked) -> Response:
    """Remove an alias (admins)."""
    detection.delete_alias(session=session, actor=actor, alias_id=alias_id)
    return RedirectResponse("/dependencies/detection-settings", status_code=303)


def _hooks_page(
    request: Request,
    session: Session,
    actor: User,
    *,
    token: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return form_page(
        request,
        "dependencies/inbound_hooks.html",
        {"hooks": inbound.hooks(session=session, actor=actor), "token": token},
        values,
        errors,
        status,
    )


@detection_router.get("/dependencies/inbound-hooks", response_class=HTMLResponse)
def hooks_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Inbound hooks for tools that hold dependencies elsewhere (admins)."""
    return _hooks_page(request, session, actor)


@detection_router.post("/dependencies/inbound-hooks", response_class=HTMLResponse)
def create_hook_page(request: Request, session: SessionDep, actor: PageUser, form: HookForm) -> Response:
    """Create a hook (admins); its token is shown on this page once."""
    settings: Settings = request.app.state.settings
    return submit_form(
        session,
        form,
        lambda body: inbound.create_hook(session=session, actor=actor, body=body, app_key=settings.resolved_secret_key()),
        done=lambda created: _hooks_page(request, session, actor, token=created[1], status=201),
        again=lambda values, errors, status: _hooks_page(request, session, actor, values=values, errors=errors, status=status),
    )


@detection_router.post("/dependencies/inbound-hooks/{hook_id}/revoke")
def revoke_hook_page(session: SessionDep, actor: PageUser, hook_id: ProposalId, _csrf: CsrfChecked) -> Response:
    """Revoke a hook (admins)."""
    inbound.revoke_hook(session=session, actor=actor, hook_id=hook_id)
    return RedirectResponse("/dependencies/inbound-hooks", status_code=303)


@detection_router.get("/dependencies/export.{output_format}")
def export_page(session: SessionDep, actor: PageUser, output_format: ExportFormat, form: FilterForm) -> Response:
    """The list with the same filters, every page, as a CSV or JSON file."""
    filters = form.validated() if form.submitted else DependencyFilter()
    text = export.export(export.rows(session=session, actor=actor, filters=filters), output_format)
    name = f"dependencies-{utcnow().date().isoformat()}.{output_format}"
    return Response(
        text, media_type=export.media_type(output_format), headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
