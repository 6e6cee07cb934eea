"""HTML pages: a team's stand-ups, refinements and plannings, and the live page of one."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from deliveryops.accounts.dependencies import PageUser
from deliveryops.facilitation import access, service
from deliveryops.facilitation.models import Kind
from deliveryops.facilitation.schemas import SessionCreate
from deliveryops.teams.service import get_team_or_raise
from deliveryops.web.form_pages import form_page, submit_form
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import render

CreateForm = Annotated[FormInput[SessionCreate], form_model(SessionCreate)]
router = APIRouter(include_in_schema=False)


def _list(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    slug: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    sessions = service.list_team(session=session, actor=actor, team_id=team.id)
    return form_page(
        request, "facilitation/list.html", {"team": team, "sessions": sessions, "kinds": list(Kind)}, values, errors, status
    )


@router.get("/teams/{slug}/sessions", response_class=HTMLResponse)
def sessions_page(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """The team's stand-ups, refinements and plannings, and a form to start one."""
    return _list(request, session, actor, slug)


@router.post("/teams/{slug}/sessions", response_class=HTMLResponse)
def start(request: Request, slug: str, session: SessionDep, actor: PageUser, form: CreateForm) -> Response:
    """Start a session and open its live page."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    return submit_form(
        session,
        form,
        lambda body: service.schedule(
            session=session, actor=actor, team_id=team.id, kind=body.kind, title=body.title, by_date=body.by_date
        ),
        done=lambda created: f"/sessions/{created.id}",
        again=partial(_list, request, session, actor, slug),
    )


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def live_page(request: Request, session_id: int, session: SessionDep, actor: PageUser) -> Response:
    """The live page: it follows the facilitator along the agenda as participants note, swarm and decide."""
    found = service.get_or_raise(session=session, actor=actor, session_id=session_id)
    team = get_team_or_raise(session=session, actor=actor, team_id=found.team_id)
    return render(
        request,
        "facilitation/live.html",
        {
            "live": found,
            "team": team,
            "state": service.state(session, found).model_dump(mode="json"),
            "is_facilitator": service.can_facilitate(session, actor, found),
            "people": access.team_people(session, team.id),
            "me": actor.id,
        },
    )
