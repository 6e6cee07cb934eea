"""HTML pages: a team's retrospectives and the live board."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from deliveryops.accounts.dependencies import PageUser
from deliveryops.actions import service as actions
from deliveryops.actions.models import TargetMetric
from deliveryops.flow import service as flow
from deliveryops.flow.data import load_team_data
from deliveryops.impediments.models import Impediment
from deliveryops.retros import service
from deliveryops.retros.models import FORMATS, Phase
from deliveryops.retros.participants import participant_token, voter_token
from deliveryops.retros.schemas import RetroCreate
from deliveryops.teams.service import get_team_or_raise
from deliveryops.web.form_pages import form_page, submit_form
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import render

CreateForm = Annotated[FormInput[RetroCreate], form_model(RetroCreate)]
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
    retros = service.list_team(session=session, actor=actor, team_id=team.id)
    return form_page(
        request, "retros/list.html", {"team": team, "retros": retros, "formats": list(FORMATS)}, values, errors, status
    )


@router.get("/teams/{slug}/retros", response_class=HTMLResponse)
def retros_page(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """The team's retrospectives and a form to schedule one."""
    return _list(request, session, actor, slug)


@router.post("/teams/{slug}/retros", response_class=HTMLResponse)
def schedule(request: Request, slug: str, session: SessionDep, actor: PageUser, form: CreateForm) -> Response:
    """Schedule a retro and open its board."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    return submit_form(
        session,
        form,
        lambda body: service.schedule(
            session=session,
            actor=actor,
            team_id=team.id,
            title=body.title,
            retro_format=body.format,
            custom_columns=body.columns,
            vote_budget=body.vote_budget,
            anonymous=body.anonymous,
        ),
        done=lambda retro: f"/retros/{retro.id}",
        again=partial(_list, request, session, actor, slug),
    )


@router.get("/retros/{retro_id}", response_class=HTMLResponse)
def board(request: Request, retro_id: int, session: SessionDep, actor: PageUser) -> Response:
    """The live board: it follows the retro as participants write, group, vote and decide."""
    retro = service.get_or_raise(session=session, actor=actor, retro_id=retro_id)
    team = get_team_or_raise(session=session, actor=actor, team_id=retro.team_id)
    # The evidence beside the board: the team's flow over the last 30 days and its open impediments.
    end = flow.today_in(team)
    evidence = None
    data = load_team_data(session, team)
    if not data.transitions.is_empty() and data.workflow:
        _team, _query, summary, _data = flow.team_flow(
            session=session, actor=actor, team_id=team.id, start=end - timedelta(days=29), end=end
        )
        evidence = {
            "finished": summary.cycle_times.height,
            "p85": summary.cycle_time_percentiles.get(85.0),
            "p50": summary.cycle_time_percentiles.get(50.0),
            "blocked_days": round(float(summary.blocker_clusters["blocked_days"].sum()), 1)
            if summary.blocker_clusters.height
            else 0.0,
        }
    open_impediments = [
        i for i in session.scalars(select(Impediment).where(Impediment.team_id == team.id)) if not i.status.is_closed
    ]
    reviews = [(a, actions.measurement(session, a)) for a in service.open_actions(session, team.id)]
    # While the team reviews and reflects: its latest health check with enough respondents (the board
    # hides the panel when the retro moves on; the page is only ever shown to the team's people).
    health = (
        service.health_snapshot(session, team_id=team.id, min_group_size=int(request.app.state.settings.min_group_size))
        if retro.phase in service.HEALTH_PHASES
        else None
    )
    return render(
        request,
        "retros/board.html",
        {
            "retro": retro,
            "team": team,
            "state": service.state(
                session, retro, token=participant_token(request, retro.id), voter=voter_token(request, retro.id, actor)
            ).model_dump(mode="json"),
            "phases": [p.value for p in Phase],
            "evidence": evidence,
            "open_impediments": open_impediments,
            "reviews": reviews,
            "is_facilitator": service.can_facilitate(session, actor, retro),
            "people": service.team_people(session, team.id),
            "target_metrics": list(TargetMetric),
            "icebreakers": list(service.ICEBREAKERS),
            "health": health,
            "change_label": service.change_label,
            "change_arrow": service.change_arrow,
        },
    )
