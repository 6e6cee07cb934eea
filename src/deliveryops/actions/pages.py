"""HTML pages: a team's improvement actions and each action's measured effect; JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deliveryops.accounts.dependencies import ApiUser, PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.actions import service, tracker
from deliveryops.actions.charts import effect_figure
from deliveryops.actions.measure import BASELINE_WEEKS
from deliveryops.actions.models import ActionIssue, ActionStatus, ImprovementAction, TargetMetric
from deliveryops.actions.reads import action_read
from deliveryops.actions.schemas import (
    ActionCreate,
    ActionIssueCreate,
    ActionIssueRead,
    ActionRead,
    ActionStatusUpdate,
)
from deliveryops.charts import page_figure
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.schemas import Page, paginate
from deliveryops.settings import Settings
from deliveryops.sync.service import ConnectionFailedError
from deliveryops.teams.service import get_team_or_raise, list_teams, members_of
from deliveryops.web.errors import error_responses
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_nav, render

CreateForm = Annotated[FormInput[ActionCreate], form_model(ActionCreate)]
IssueForm = Annotated[FormInput[ActionIssueCreate], form_model(ActionIssueCreate)]
StatusForm = Annotated[FormInput[ActionStatusUpdate], form_model(ActionStatusUpdate)]
router = APIRouter(include_in_schema=False)
register_nav("Actions", "/actions", order=16, visible=lambda u: u.role in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN))
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
            "issues": tracker.issues_of_team(session, team.id),
            "metrics": list(TargetMetric),
            "cards": sorted(service.health_card_keys(session, team.id).items(), key=lambda pair: pair[1]),
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
def create_action(request: Request, slug: str, session: SessionDep, actor: PageUser, form: CreateForm) -> Response:
    """Add an improvement action, optionally with a metric that should move."""
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    try:
        body = form.validated()
        if body.target_metric is not TargetMetric.HEALTH_CARD:
            body = body.model_copy(update={"target_card": None})  # the form's card choice, left from another metric
        action = service.create(session=session, actor=actor, team_id=team.id, **body.model_dump())
    except ValidationFailedError as exc:
        session.rollback()
        return _list_page(request, session, actor, slug, errors=form.errors_with(exc), values=form.values, status_code=422)
    return RedirectResponse(f"/actions/{action.id}", status_code=303)


def _reach(request: Request) -> tracker.IssueReach:
    settings: Settings = request.app.state.settings
    return tracker.IssueReach(app_key=settings.resolved_secret_key(), hosts=HostPolicy.from_settings(settings))


def _detail(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    action: ImprovementAction,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    team = get_team_or_raise(session=session, actor=actor, team_id=action.team_id)
    measured = service.measurement(session, action)
    figure = page_figure("effect", effect_figure(measured)) if measured else None
    return render(
        request,
        "actions/detail.html",
        {
            "action": action,
            "team": team,
            "measured": measured,
            "figure": figure,
            "statuses": list(ActionStatus),
            "baseline_weeks": BASELINE_WEEKS,
            "issue": tracker.issue_of(session, action.id),
            "trackers": tracker.trackers(session, team.id),
            "errors": errors or {},
        },
        status_code=status_code,
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
    """An action, its before/after chart, its effect with uncertainty and its verdict."""
    return _detail(request, session, actor, service.get_or_raise(session=session, actor=actor, action_id=action_id))


@router.post("/actions/{action_id}/status", response_class=HTMLResponse)
def set_status(request: Request, action_id: int, session: SessionDep, actor: PageUser, form: StatusForm) -> Response:
    """Mark an action open, doing, done or dropped."""
    action = service.get_or_raise(session=session, actor=actor, action_id=action_id)
    if not form.valid:
        return _detail(request, session, actor, action, errors=form.errors, status_code=422)
    body = form.validated()
    service.update(session=session, actor=actor, action_id=action_id, status=body.status, done_on=body.done_on)
    return RedirectResponse(f"/actions/{action_id}", status_code=303)


@router.post("/actions/{action_id}/issue", response_class=HTMLResponse)
def create_issue_page(request: Request, action_id: int, session: SessionDep, actor: PageUser, form: IssueForm) -> Response:
    """Create the action as a Jira or GitHub issue through one of its team's connections."""
    action = service.get_or_raise(session=session, actor=actor, action_id=action_id)
    settings: Settings = request.app.state.settings
    try:
        body = form.validated()
        tracker.create_issue(
            session=session,
            actor=actor,
            action_id=action.id,
            connection_id=body.connection_id,
            project=body.project,
            reach=_reach(request),
            public_url=settings.public_url,
        )
    except (ValidationFailedError, ConnectionFailedError, ConflictError) as exc:
        session.rollback()
        errors = form.errors_with(exc) if isinstance(exc, ValidationFailedError) else {"form": exc.message}
        return _detail(request, session, actor, action, errors=errors, status_code=422)
    return RedirectResponse(f"/actions/{action_id}", status_code=303)


@router.post("/actions/{action_id}/issue/refresh")
def refresh_issue_page(request: Request, action_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Read the linked issue's status again now."""
    tracker.refresh(session, _issue_or_raise(session, actor, action_id, change=True), _reach(request))
    return RedirectResponse(f"/actions/{action_id}", status_code=303)


def _issue_or_raise(session: SessionDep, actor: User, action_id: int, *, change: bool = False) -> ActionIssue:
    action = service.get_or_raise(session=session, actor=actor, action_id=action_id)
    if change and not service.may_change(session, actor, get_team_or_raise(session=session, actor=actor, team_id=action.team_id)):
        raise PermissionDeniedError("Only the team's people and its delivery manager can check its actions' issues.")
    issue = tracker.issue_of(session, action.id)
    if issue is None:
        raise NotFoundError("This action has not been created as a tracker issue.")
    return issue


@api.get("/teams/{team_id}/actions", response_model=Page[ActionRead])
def list_actions(session: SessionDep, actor: ApiUser, page: Pagination, team_id: IdPath) -> Page[ActionRead]:
    """The team's improvement actions with their verdicts."""
    return paginate([action_read(session, a) for a in service.list_team(session=session, actor=actor, team_id=team_id)], page)


@api.post("/teams/{team_id}/actions", response_model=ActionRead, status_code=201)
def api_create(body: ActionCreate, session: SessionDep, actor: ApiUser, team_id: IdPath) -> ActionRead:
    """Create an improvement action."""
    return action_read(session, service.create(session=session, actor=actor, team_id=team_id, **body.model_dump()))


@api.get("/actions/{action_id}", response_model=ActionRead)
def read_action(session: SessionDep, actor: ApiUser, action_id: IdPath) -> ActionRead:
    """One action with its weekly values and verdict."""
    return action_read(session, service.get_or_raise(session=session, actor=actor, action_id=action_id))


@api.patch("/actions/{action_id}", response_model=ActionRead)
def api_update_status(body: ActionStatusUpdate, session: SessionDep, actor: ApiUser, action_id: IdPath) -> ActionRead:
    """Mark an action open, doing, done or dropped (done records the day: ``done_on``, default today)."""
    action = service.update(session=session, actor=actor, action_id=action_id, status=body.status, done_on=body.done_on)
    return action_read(session, action)


@api.post("/actions/{action_id}/issue", response_model=ActionIssueRead, status_code=201, responses=error_responses(409))
def api_create_issue(
    request: Request, body: ActionIssueCreate, session: SessionDep, actor: ApiUser, action_id: IdPath
) -> ActionIssueRead:
    """Create the action as a Jira or GitHub issue through one of its team's connections; the link is kept."""
    settings: Settings = request.app.state.settings
    issue = tracker.create_issue(
        session=session,
        actor=actor,
        action_id=action_id,
        connection_id=body.connection_id,
        project=body.project,
        reach=_reach(request),
        public_url=settings.public_url,
    )
    return ActionIssueRead.model_validate(issue)


@api.get("/actions/{action_id}/issue", response_model=ActionIssueRead)
def api_read_issue(session: SessionDep, actor: ApiUser, action_id: IdPath) -> ActionIssueRead:
    """The issue the action was created as, with its status when last checked."""
    return ActionIssueRead.model_validate(_issue_or_raise(session, actor, action_id))


@api.post("/actions/{action_id}/issue/refresh", response_model=ActionIssueRead)
def api_refresh_issue(request: Request, session: SessionDep, actor: ApiUser, action_id: IdPath) -> ActionIssueRead:
    """Read the issue's status again now (a failure is returned in ``error``)."""
    issue = _issue_or_raise(session, actor, action_id, change=True)
    tracker.refresh(session, issue, _reach(request))
    return ActionIssueRead.model_validate(issue)
