"""HTML pages: a team's improvement actions and each action's measured effect; JSON API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from deliveryops.accounts.dependencies import ApiUser, PageUser
from deliveryops.accounts.models import Role
from deliveryops.actions import service
from deliveryops.actions.charts import xmr_figure
from deliveryops.actions.models import ActionStatus, ImprovementAction, TargetMetric
from deliveryops.charts import page_figure
from deliveryops.errors import PermissionDeniedError, ValidationFailedError
from deliveryops.teams.service import get_team_or_raise, list_teams, members_of
from deliveryops.web.errors import error_responses
from deliveryops.web.forms import parse_date_field
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)
register_nav("Improvement", "/actions", order=16, visible=lambda u: u.role in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN))
api = APIRouter(tags=["improvement actions"], responses=error_responses(401, 403, 404, 422))
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _list_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    slug: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    actions = service.list_team(session=session, actor=actor, team_id=team.id)
    verdicts = {a.id: service.measurement(session, a) for a in actions if a.target_metric}
    return render(
        request,
        "actions/list.html",
        {
            "team": team,
            "actions": actions,
            "verdicts": verdicts,
            "metrics": list(TargetMetric),
            "people": [m.user for m in members_of(session=session, team=team)],
            "follow": service.follow_through(session, team),
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/teams/{slug}/actions", response_class=HTMLResponse)
def actions_page(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """The team's improvement actions with their measured verdicts."""
    return _list_page(request, session, actor, slug)


@router.post("/teams/{slug}/actions", response_class=HTMLResponse)
def create_action(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    _csrf: CsrfChecked,
    title: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    source: Annotated[str, Form(max_length=20)] = "retro",
    owner_id: Annotated[str, Form(max_length=12)] = "",
    due_date: Annotated[str, Form(max_length=10)] = "",
    started_on: Annotated[str, Form(max_length=10)] = "",
    target_metric: Annotated[str, Form(max_length=30)] = "",
    expected_direction: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Add an improvement action, optionally with a metric that should move."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    values = {
        "title": title,
        "description": description,
        "source": source,
        "owner_id": owner_id,
        "due_date": due_date,
        "started_on": started_on,
        "target_metric": target_metric,
        "expected_direction": expected_direction,
    }
    errors: dict[str, str] = {}
    due, started = parse_date_field(due_date, "due_date", errors), parse_date_field(started_on, "started_on", errors)
    metric = None
    if target_metric:
        try:
            metric = TargetMetric(target_metric)
        except ValueError:
            errors["target_metric"] = "Choose a metric from the list."
    try:
        if errors:
            raise ValidationFailedError("Please correct the marked fields.", fields=errors)
        action = service.create(
            session=session,
            actor=actor,
            team_id=team.id,
            title=title,
            description=description,
            source=source,
            owner_id=int(owner_id) if owner_id.isdigit() else None,
            due_date=due,
            started_on=started,
            target_metric=metric,
            expected_direction=expected_direction or None,
        )
    except ValidationFailedError as exc:
        session.rollback()
        return _list_page(request, session, actor, slug, errors=exc.fields, values=values, status_code=422)
    return RedirectResponse(f"/actions/{action.id}", status_code=303)


def _detail(request: Request, session: SessionDep, actor: PageUser, action: ImprovementAction) -> Response:
    team = get_team_or_raise(session=session, actor=actor, team_id=action.team_id)
    measured = service.measurement(session, action)
    figure = page_figure("xmr", xmr_figure(measured, action.target_metric)) if measured and action.target_metric else None
    return render(
        request,
        "actions/detail.html",
        {"action": action, "team": team, "measured": measured, "figure": figure, "statuses": list(ActionStatus)},
    )


@router.get("/actions", response_class=HTMLResponse)
def follow_through_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Product Ops and leaders: every team's follow-through on its improvement actions (never retro cards)."""
    if actor.role not in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN):
        raise PermissionDeniedError("The cross-team view of improvement actions is for Product Ops and leaders.")
    rows = [(team, service.follow_through(session, team)) for team in list_teams(session=session, actor=actor)]
    return render(request, "actions/follow_through.html", {"rows": rows})


@router.get("/actions/{action_id}", response_class=HTMLResponse)
def action_page(request: Request, action_id: int, session: SessionDep, actor: PageUser) -> Response:
    """An action, its process behaviour chart and its verdict."""
    return _detail(request, session, actor, service.get_or_raise(session=session, actor=actor, action_id=action_id))


@router.post("/actions/{action_id}/status")
def set_status(
    action_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked, status: Annotated[ActionStatus, Form()]
) -> Response:
    """Mark an action open, doing, done or dropped."""
    service.update(session=session, actor=actor, action_id=action_id, status=status)
    return RedirectResponse(f"/actions/{action_id}", status_code=303)


class ActionRead(BaseModel):
    """An improvement action and, when it has a target metric, its verdict."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    team_id: int
    title: str
    description: str
    source: str
    owner_id: int | None
    due_date: date | None
    status: ActionStatus
    started_on: date
    target_metric: TargetMetric | None
    expected_direction: str | None
    done_on: date | None
    verdict: str | None = None
    explanation: str | None = None
    weekly_values: list[dict[str, Any]] = []


class ActionCreate(BaseModel):
    """A new improvement action."""

    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    source: str = Field(default="retro", max_length=20)
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    due_date: date | None = None
    started_on: date | None = None
    target_metric: TargetMetric | None = None
    expected_direction: str | None = Field(default=None, pattern="^(increase|decrease)$")


def _read(session: SessionDep, action: ImprovementAction) -> ActionRead:
    read = ActionRead.model_validate(action)
    measured = service.measurement(session, action)
    if measured is not None:
        read.verdict = measured.verdict.outcome.value
        read.explanation = measured.verdict.explanation
        read.weekly_values = [{"week": w.isoformat(), "value": v} for w, v in zip(measured.weeks, measured.values, strict=True)]
    return read


@api.get("/teams/{team_id}/actions", response_model=list[ActionRead])
def list_actions(session: SessionDep, actor: ApiUser, team_id: IdPath) -> list[ActionRead]:
    """The team's improvement actions with their verdicts."""
    return [_read(session, a) for a in service.list_team(session=session, actor=actor, team_id=team_id)]


@api.post("/teams/{team_id}/actions", response_model=ActionRead, status_code=201)
def api_create(body: ActionCreate, session: SessionDep, actor: ApiUser, team_id: IdPath) -> ActionRead:
    """Create an improvement action."""
    return _read(session, service.create(session=session, actor=actor, team_id=team_id, **body.model_dump()))


@api.get("/actions/{action_id}", response_model=ActionRead)
def read_action(session: SessionDep, actor: ApiUser, action_id: IdPath) -> ActionRead:
    """One action with its weekly values and verdict."""
    return _read(session, service.get_or_raise(session=session, actor=actor, action_id=action_id))
