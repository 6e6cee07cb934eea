"""HTML pages: multi-team retros (the list, a form to create one, the live synthesis board) and the
retro of retros (recurring themes across teams' retros)."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import User
from deliveryops.errors import ValidationFailedError
from deliveryops.retros import multi, themes
from deliveryops.retros.models import FORMATS
from deliveryops.retros.multi_routes import create_from, view
from deliveryops.retros.multi_schemas import MultiRetroCreate
from deliveryops.teams.models import Group, Membership, Team, TeamRole
from deliveryops.web.form_pages import form_page, submit_form
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import render

CreateForm = Annotated[FormInput[MultiRetroCreate], form_model(MultiRetroCreate)]
router = APIRouter(include_in_schema=False)


def _choices(session: SessionDep, actor: User) -> tuple[list[Team], list[Group]]:
    """The teams and groups the actor may create a multi-team retro across."""
    if actor.role in multi.ORGANISERS:
        return list(session.scalars(select(Team).order_by(Team.name))), list(session.scalars(select(Group).order_by(Group.name)))
    managed = select(Membership.team_id).where(Membership.user_id == actor.id, Membership.team_role == TeamRole.DELIVERY_MANAGER)
    return list(session.scalars(select(Team).where(Team.id.in_(managed)).order_by(Team.name))), []


def _list(
    request: Request,
    session: SessionDep,
    actor: User,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    teams, groups = _choices(session, actor)
    return form_page(
        request,
        "retros/multi_list.html",
        {
            "retros": multi.summaries(session, multi.list_visible(session=session, actor=actor)),
            "teams": teams,
            "groups": groups,
            "can_create": len(teams) >= multi.MIN_TEAMS,
            "sees_themes": actor.role.sees_all_teams,
            "formats": list(FORMATS),
        },
        values,
        errors,
        status,
    )


@router.get("/multi-retros", response_class=HTMLResponse)
def multi_retros_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """The multi-team retros the person sees, and a form to create one (Product Ops, admins, delivery managers)."""
    return _list(request, session, actor)


@router.post("/multi-retros", response_class=HTMLResponse)
def create(request: Request, session: SessionDep, actor: PageUser, form: CreateForm) -> Response:
    """Create a multi-team retro and open its synthesis board."""
    return submit_form(
        session,
        form,
        lambda body: create_from(session, actor, body),
        done=lambda found: f"/multi-retros/{found.id}",
        again=partial(_list, request, session, actor),
    )


@router.get("/multi-retros/{multi_id}", response_class=HTMLResponse)
def board(request: Request, multi_id: int, session: SessionDep, actor: PageUser) -> Response:
    """The live synthesis board, with each team's breakout (a link to the viewer's own team's only)."""
    found = multi.get_or_raise(session=session, actor=actor, multi_id=multi_id)
    return render(
        request,
        "retros/multi_board.html",
        {"retro": found, "state": view(request, session, actor, found).model_dump(mode="json")},
    )


@router.get("/retro-themes", response_class=HTMLResponse)
def themes_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    start: Annotated[str | None, Query(max_length=10)] = None,
    end: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """Recurring themes across teams' retros over a period (Product Ops, leaders, admins)."""
    minimum = int(request.app.state.settings.min_group_size)
    error = None
    try:
        first, last = themes.period(date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None)
    except ValueError:
        first, last = themes.period(None, None)
        error = "Give the dates as YYYY-MM-DD."
    found: list[themes.RecurringTheme] = []
    try:
        found = themes.recurring_themes(session=session, actor=actor, start=first, end=last, min_group_size=minimum)
    except ValidationFailedError as exc:
        error = exc.message
    return render(
        request,
        "retros/themes.html",
        {"themes": found, "start": first, "end": last, "minimum": max(2, minimum), "error": error},
        status_code=422 if error else 200,
    )
