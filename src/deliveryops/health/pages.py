"""HTML pages of health checks: a team's checks, a round to answer and read, templates, the heat map."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import ValidationError

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.charts import page_figure
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.health import catalog, charts, crossteam, service, views
from deliveryops.health.models import Colour, HealthRound, Trend
from deliveryops.health.schemas import AnswersWrite, AnswerWrite, RoundForm, TemplateForm
from deliveryops.health.scoring import GREEN_AT, RED_BELOW, result_colour
from deliveryops.teams.models import Team
from deliveryops.teams.service import can_manage_team, get_team_or_raise
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import NavViewer, register_nav, register_team_link, render

router = APIRouter(include_in_schema=False)
RoundFormInput = Annotated[FormInput[RoundForm], form_model(RoundForm)]
AnswersFormInput = Annotated[FormInput[AnswersWrite], form_model(AnswersWrite)]
TemplateFormInput = Annotated[FormInput[TemplateForm], form_model(TemplateForm)]


def _sees_heatmap(viewer: NavViewer) -> bool:
    return viewer.role in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN, Role.DELIVERY_MANAGER)


register_nav("Health", "/health", order=15, visible=_sees_heatmap)
register_team_link("Health checks", "health", order=45)


def _minimum(request: Request) -> int:
    return int(request.app.state.settings.min_group_size)


def _team_page(
    request: Request,
    session: SessionDep,
    actor: User,
    team: Team,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    least = _minimum(request)
    rounds = service.list_rounds(session=session, actor=actor, team_id=team.id)
    history = service.team_history(session, team_id=team.id, min_group_size=least)
    shown = [s for s in history if s.shown]
    open_round = next((r for r in rounds if views.round_state(r) == "open"), None)
    summary_by_id = {s.round_id: s for s in history}
    return render(
        request,
        "health/team.html",
        {
            "team": team,
            "rounds": rounds,
            "summaries": summary_by_id,
            "latest": shown[-1] if shown else None,
            "open_round": views.round_data(session, actor, open_round, minimum=least) if open_round else None,
            "streaks": service.red_streaks(history),
            "can_manage": can_manage_team(session, actor, team),
            "templates": catalog.list_templates(session=session),
            "figures": [
                page_figure("health-score", charts.score_figure(history, minimum=least), definition=charts.DEFINITIONS),
                page_figure("health-cards", charts.cards_figure(history), definition=charts.DEFINITIONS),
            ]
            if history
            else [],
            "minimum": least,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/teams/{slug}/health", response_class=HTMLResponse)
def team_health(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """The team's health checks: the open round, the latest results and the history."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    return _team_page(request, session, actor, team)


def _closing_time(team: Team, closes_on: date | None) -> datetime | None:
    """The end of the chosen day in the team's time zone."""
    if closes_on is None:
        return None
    return datetime.combine(closes_on + timedelta(days=1), time(0), tzinfo=team.zone)


@router.post("/teams/{slug}/health/rounds", response_class=HTMLResponse)
def open_round(request: Request, slug: str, session: SessionDep, actor: PageUser, form: RoundFormInput) -> Response:
    """Open a health check for the team and go to it."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    if not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only the team's delivery manager or an admin opens a health check.")
    try:
        body = form.validated()
        health_round = service.open_round(
            session=session,
            actor=actor,
            team_id=team.id,
            template_id=body.template_id,
            title=body.title,
            closes_at=_closing_time(team, body.closes_on),
        )
    except ValidationFailedError as exc:
        session.rollback()
        errors = form.errors_with(exc)
        if "closes_at" in errors:  # the service names the closing time; the form asks for a day
            errors["closes_on"] = errors.pop("closes_at")
        return _team_page(request, session, actor, team, errors=errors, values=form.values, status_code=422)
    return RedirectResponse(f"/health/rounds/{health_round.id}", status_code=303)


@router.get("/teams/{slug}/health/export.csv")
def export(slug: str, request: Request, session: SessionDep, actor: PageUser) -> Response:
    """The team's results as CSV (rounds below the minimum say so, without values; no comments)."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    return PlainTextResponse(
        service.export_csv(session, team_id=team.id, min_group_size=_minimum(request)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="health-{team.slug}.csv"'},
    )


def _round_page(
    request: Request,
    session: SessionDep,
    actor: User,
    health_round: HealthRound,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    data = views.round_data(session, actor, health_round, minimum=_minimum(request))
    return render(
        request,
        "health/round.html",
        {
            "round": data,
            "colours": list(Colour),
            "trends": list(Trend),
            "errors": errors or {},
            "values": values or {},
            "message": message,
            "green_at": GREEN_AT,
            "red_below": RED_BELOW,
        },
        status_code=status_code,
    )


@router.get("/health/rounds/{health_round_id}", response_class=HTMLResponse)
def round_page(request: Request, health_round_id: int, session: SessionDep, actor: PageUser) -> Response:
    """A round: the answer form for members, progress while open, results once closed."""
    health_round = service.get_round_or_raise(session=session, actor=actor, round_id=health_round_id)
    return _round_page(request, session, actor, health_round)


def _answered(form: FormInput[AnswersWrite]) -> dict[str, service.AnswerIn]:
    """The cards given both a colour and a trend; the service names the others, as it does for the API."""
    if form.model is not None:
        rows = form.model.answers
    else:
        rows = []
        for typed in form.values.get("answers", []):
            try:
                rows.append(AnswerWrite.model_validate(typed))
            except ValidationError:
                continue
    return {row.card_key: service.AnswerIn(row.colour, row.trend, row.comment) for row in rows}


@router.post("/health/rounds/{health_round_id}/answers", response_class=HTMLResponse)
def answer(request: Request, health_round_id: int, session: SessionDep, actor: PageUser, form: AnswersFormInput) -> Response:
    """Send the answers (once); they are tallied without any author."""
    try:
        service.submit_answers(session=session, actor=actor, round_id=health_round_id, answers=_answered(form))
    except ValidationFailedError as exc:
        session.rollback()
        health_round = service.get_round_or_raise(session=session, actor=actor, round_id=health_round_id)
        values = {str(row.get("card_key", "")): row for row in form.values.get("answers", [])}
        return _round_page(
            request, session, actor, health_round, errors=exc.fields, values=values, message=exc.message, status_code=422
        )
    return RedirectResponse(f"/health/rounds/{health_round_id}?answered=1", status_code=303)


@router.post("/health/rounds/{health_round_id}/close")
def close(health_round_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Close the round; its results appear if enough people answered."""
    service.close_round(session=session, actor=actor, round_id=health_round_id)
    return RedirectResponse(f"/health/rounds/{health_round_id}", status_code=303)


@router.get("/health", response_class=HTMLResponse)
def heatmap_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    granularity: Annotated[str, Query(max_length=10)] = "quarter",
    period: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """Teams × cards over time, for Product Ops and leaders (a DM sees their teams); no comments."""
    heat = crossteam.heatmap(
        session=session, actor=actor, granularity=granularity, period=period or None, min_group_size=_minimum(request)
    )
    return render(
        request,
        "health/heatmap.html",
        {"heat": heat, "granularities": crossteam.GRANULARITIES, "colour_of": lambda value: result_colour(value).value},
    )


@router.get("/health/definitions", response_class=HTMLResponse)
def definitions(request: Request, actor: PageUser) -> Response:
    """How health-check answers become scores, colours and trends."""
    return render(
        request, "health/definitions.html", {"green_at": GREEN_AT, "red_below": RED_BELOW, "minimum": _minimum(request)}
    )


def _templates_page(
    request: Request,
    session: SessionDep,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    templates = catalog.list_templates(session=session)
    return render(
        request,
        "health/templates.html",
        {
            "templates": templates,
            "errors": errors or {},
            "values": values or {"cards": catalog.cards_as_text(catalog.DEFAULT_CARDS)},
        },
        status_code=status_code,
    )


@router.get("/health/templates", response_class=HTMLResponse)
def templates_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Health-check templates and a form for a new one (admins and delivery managers)."""
    catalog.require_editor(session, actor)
    return _templates_page(request, session)


@router.post("/health/templates", response_class=HTMLResponse)
def create_template(request: Request, session: SessionDep, actor: PageUser, form: TemplateFormInput) -> Response:
    """Create a template from the form."""
    catalog.require_editor(session, actor)
    try:
        body = form.validated()
        template = catalog.create_template(
            session=session, actor=actor, name=body.name, description=body.description, cards=catalog.parse_cards(body.cards)
        )
    except ValidationFailedError as exc:
        session.rollback()
        return _templates_page(request, session, errors=form.errors_with(exc), values=form.values, status_code=422)
    return RedirectResponse(f"/health/templates/{template.id}?saved=1", status_code=303)


def _template_page(
    request: Request,
    session: SessionDep,
    template_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    template = catalog.get_template_or_raise(session=session, template_id=template_id)
    return render(
        request,
        "health/template.html",
        {
            "template": template,
            "errors": errors or {},
            "values": values
            or {"name": template.name, "description": template.description, "cards": catalog.cards_as_text(template.cards)},
        },
        status_code=status_code,
    )


@router.get("/health/templates/{health_template_id}", response_class=HTMLResponse)
def template_page(request: Request, health_template_id: int, session: SessionDep, actor: PageUser) -> Response:
    """A template's cards, editable unless it is the standard one."""
    catalog.require_editor(session, actor)
    return _template_page(request, session, health_template_id)


@router.post("/health/templates/{health_template_id}", response_class=HTMLResponse)
def update_template(
    request: Request, health_template_id: int, session: SessionDep, actor: PageUser, form: TemplateFormInput
) -> Response:
    """Save the template (a new version; past rounds keep their cards)."""
    catalog.require_editor(session, actor)
    try:
        body = form.validated()
        catalog.update_template(
            session=session,
            actor=actor,
            template_id=health_template_id,
            name=body.name,
            description=body.description,
            cards=catalog.parse_cards(body.cards),
        )
    except ValidationFailedError as exc:
        session.rollback()
        return _template_page(
            request, session, health_template_id, errors=form.errors_with(exc), values=form.values, status_code=422
        )
    return RedirectResponse(f"/health/templates/{health_template_id}?saved=1", status_code=303)
