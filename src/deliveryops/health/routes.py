"""JSON API of health checks: templates, rounds, anonymous answers, results, history and the heat map."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.health import catalog, crossteam, service, views
from deliveryops.health.catalog import CardIn
from deliveryops.health.models import HealthTemplate
from deliveryops.health.schemas import (
    AnswersRead,
    AnswersWrite,
    HeatmapRead,
    RoundCreate,
    RoundRead,
    TeamHistoryRead,
    TemplateRead,
    TemplateWrite,
)
from deliveryops.schemas import Page, paginate
from deliveryops.teams.service import get_team_or_raise
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

api = APIRouter(tags=["health checks"], responses=error_responses(401, 403, 404, 409, 422))
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def minimum(request: Request) -> int:
    """The minimum respondents from the app's settings."""
    return int(request.app.state.settings.min_group_size)


def _cards(body: TemplateWrite) -> list[CardIn]:
    return [CardIn(c.key, c.title, c.awesome, c.crappy) for c in body.cards]


def _template(template: HealthTemplate) -> TemplateRead:
    return TemplateRead.model_validate(template)


@api.get("/health/templates", response_model=Page[TemplateRead])
def list_templates(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[TemplateRead]:
    """Every health-check template, the standard Squad Health Check first."""
    return paginate([_template(t) for t in catalog.list_templates(session=session)], page)


@api.post("/health/templates", response_model=TemplateRead, status_code=201)
def create_template(body: TemplateWrite, session: SessionDep, actor: ApiUser) -> TemplateRead:
    """Write a custom template (admins and delivery managers)."""
    return _template(
        catalog.create_template(session=session, actor=actor, name=body.name, description=body.description, cards=_cards(body))
    )


@api.get("/health/templates/{health_template_id}", response_model=TemplateRead)
def get_template(session: SessionDep, actor: ApiUser, health_template_id: IdPath) -> TemplateRead:
    """One template."""
    return _template(catalog.get_template_or_raise(session=session, template_id=health_template_id))


@api.put("/health/templates/{health_template_id}", response_model=TemplateRead)
def update_template(body: TemplateWrite, session: SessionDep, actor: ApiUser, health_template_id: IdPath) -> TemplateRead:
    """Replace a custom template's name, description and cards; past rounds keep their cards."""
    return _template(
        catalog.update_template(
            session=session,
            actor=actor,
            template_id=health_template_id,
            name=body.name,
            description=body.description,
            cards=_cards(body),
        )
    )


@api.get("/teams/{team_id}/health/rounds", response_model=Page[RoundRead])
def list_rounds(request: Request, session: SessionDep, actor: ApiUser, page: Pagination, team_id: IdPath) -> Page[RoundRead]:
    """The team's rounds, newest first, with their results when shown."""
    rounds = service.list_rounds(session=session, actor=actor, team_id=team_id)
    return paginate([views.round_read(session, actor, r, minimum=minimum(request)) for r in rounds], page)


@api.post("/teams/{team_id}/health/rounds", response_model=RoundRead, status_code=201)
def open_round(body: RoundCreate, request: Request, session: SessionDep, actor: ApiUser, team_id: IdPath) -> RoundRead:
    """Open a health check for the team (its delivery manager or an admin)."""
    health_round = service.open_round(
        session=session, actor=actor, team_id=team_id, template_id=body.template_id, title=body.title, closes_at=body.closes_at
    )
    return views.round_read(session, actor, health_round, minimum=minimum(request))


@api.get("/health/rounds/{health_round_id}", response_model=RoundRead)
def get_round(request: Request, session: SessionDep, actor: ApiUser, health_round_id: IdPath) -> RoundRead:
    """A round: its cards, your status, progress, and results once closed with enough respondents."""
    health_round = service.get_round_or_raise(session=session, actor=actor, round_id=health_round_id)
    return views.round_read(session, actor, health_round, minimum=minimum(request))


@api.post("/health/rounds/{health_round_id}/answers", response_model=AnswersRead, status_code=201)
def answer(body: AnswersWrite, session: SessionDep, actor: ApiUser, health_round_id: IdPath) -> AnswersRead:
    """Answer every card once (the team's members); no author is stored with the answers."""
    answers = {a.card_key: service.AnswerIn(a.colour, a.trend, a.comment) for a in body.answers}
    service.submit_answers(session=session, actor=actor, round_id=health_round_id, answers=answers)
    return AnswersRead(answered=True)


@api.post("/health/rounds/{health_round_id}/close", response_model=RoundRead)
def close(request: Request, session: SessionDep, actor: ApiUser, health_round_id: IdPath) -> RoundRead:
    """Close the round (its team's delivery manager or an admin)."""
    health_round = service.close_round(session=session, actor=actor, round_id=health_round_id)
    return views.round_read(session, actor, health_round, minimum=minimum(request))


@api.get("/teams/{team_id}/health/history", response_model=TeamHistoryRead)
def history(request: Request, session: SessionDep, actor: ApiUser, team_id: IdPath) -> TeamHistoryRead:
    """The team's closed rounds (hidden below the minimum) and the cards red several rounds running."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    return views.team_history_read(session, team.id, minimum=minimum(request))


@api.get("/health/heatmap", response_model=HeatmapRead)
def heatmap(
    request: Request,
    session: SessionDep,
    actor: ApiUser,
    granularity: Annotated[str, Query(max_length=10)] = "quarter",
    period: Annotated[str | None, Query(max_length=10)] = None,
) -> HeatmapRead:
    """Teams × cards per period (Product Ops, leaders, admins; a DM their teams); small groups hidden."""
    heat = crossteam.heatmap(
        session=session, actor=actor, granularity=granularity, period=period, min_group_size=minimum(request)
    )
    return views.heatmap_read(heat)
