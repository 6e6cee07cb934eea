"""A team's notifications page (admins): its Slack and Microsoft Teams webhooks and what was sent; JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deliveryops.accounts.dependencies import ApiUser, PageUser
from deliveryops.accounts.models import Role
from deliveryops.accounts.service import require_role
from deliveryops.connectors.hosts import HostPolicy
from deliveryops.errors import ValidationFailedError
from deliveryops.notify import service
from deliveryops.notify.models import EVENTS, KINDS
from deliveryops.notify.schemas import DeliveryRead, DeliveryStatus, WebhookCreate, WebhookRead, WebhookUpdate
from deliveryops.schemas import Page, paginate
from deliveryops.settings import Settings
from deliveryops.teams.service import get_team_or_raise
from deliveryops.web.errors import error_responses
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import render

WebhookForm = Annotated[FormInput[WebhookCreate], form_model(WebhookCreate)]
router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["notifications"], responses=error_responses(401, 403, 404, 422))
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    slug: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
    status: str | None = None,
) -> Response:
    require_role(actor, Role.ADMIN)
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    hooks = service.webhooks_of(session=session, actor=actor, team_id=team.id)
    return render(
        request,
        "notify/team.html",
        {
            "team": team,
            "webhooks": hooks,
            "names": {hook.id: hook.name for hook in hooks},
            "failures": service.failures_by_webhook(session=session, actor=actor, team_id=team.id),
            "status": status,
            "deliveries": service.deliveries_of(session=session, actor=actor, team_id=team.id, status=status)[:50],
            "kinds": KINDS,
            "events": EVENTS,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/teams/{slug}/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request, slug: str, session: SessionDep, actor: PageUser, status: Annotated[DeliveryStatus | None, Query()] = None
) -> Response:
    """The team's webhooks (URL hints only, on or off, their failures) and its recent messages (``?status=failed``: failures)."""
    return _page(request, session, actor, slug, status=status)


@router.post("/teams/{slug}/notifications", response_class=HTMLResponse)
def add_webhook_page(request: Request, slug: str, session: SessionDep, actor: PageUser, form: WebhookForm) -> Response:
    """Add a Slack or Microsoft Teams webhook."""
    require_role(actor, Role.ADMIN)
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    settings = _settings(request)
    try:
        body = form.validated()
        service.add_webhook(
            session=session,
            actor=actor,
            team_id=team.id,
            app_key=settings.resolved_secret_key(),
            hosts=HostPolicy.from_settings(settings),
            **body.model_dump(),
        )
    except ValidationFailedError as exc:
        session.rollback()
        values = {key: value for key, value in form.values.items() if key != "url"}  # the URL is never shown again
        return _page(request, session, actor, slug, errors=form.errors_with(exc), values=values, status_code=422)
    return RedirectResponse(f"/teams/{slug}/notifications", status_code=303)


@router.post("/teams/{slug}/notifications/{webhook_id}/delete")
def delete_webhook_page(slug: str, webhook_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Remove a webhook and what was sent through it."""
    service.remove_webhook(session=session, actor=actor, webhook_id=webhook_id)
    return RedirectResponse(f"/teams/{slug}/notifications", status_code=303)


def _switch_page(slug: str, webhook_id: int, session: SessionDep, actor: PageUser, *, enabled: bool) -> Response:
    require_role(actor, Role.ADMIN)
    team = get_team_or_raise(session=session, actor=actor, slug=slug)
    service.set_enabled(session=session, actor=actor, webhook_id=webhook_id, enabled=enabled, team_id=team.id)
    return RedirectResponse(f"/teams/{slug}/notifications", status_code=303)


@router.post("/teams/{slug}/notifications/{webhook_id}/enable")
def enable_webhook_page(slug: str, webhook_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Turn a webhook on: it posts the team's messages again."""
    return _switch_page(slug, webhook_id, session, actor, enabled=True)


@router.post("/teams/{slug}/notifications/{webhook_id}/disable")
def disable_webhook_page(slug: str, webhook_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Turn a webhook off: it posts nothing until enabled again (its settings and messages stay)."""
    return _switch_page(slug, webhook_id, session, actor, enabled=False)


@router.post("/teams/{slug}/notifications/{webhook_id}/test")
def send_test_page(slug: str, webhook_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Queue a test message to a webhook."""
    service.send_test(session=session, actor=actor, webhook_id=webhook_id)
    return RedirectResponse(f"/teams/{slug}/notifications", status_code=303)


@router.post("/teams/{slug}/notifications/deliveries/{delivery_id}/retry")
def retry_delivery_page(slug: str, delivery_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Queue a failed message again."""
    service.retry_delivery(session=session, actor=actor, delivery_id=delivery_id)
    return RedirectResponse(f"/teams/{slug}/notifications", status_code=303)


@api.get("/teams/{team_id}/webhooks", response_model=Page[WebhookRead])
def list_webhooks(session: SessionDep, actor: ApiUser, page: Pagination, team_id: IdPath) -> Page[WebhookRead]:
    """The team's webhooks (admins); the URL only as a hint."""
    hooks = service.webhooks_of(session=session, actor=actor, team_id=team_id)
    return paginate([WebhookRead.model_validate(hook) for hook in hooks], page)


@api.post("/teams/{team_id}/webhooks", response_model=WebhookRead, status_code=201)
def create_webhook(request: Request, body: WebhookCreate, session: SessionDep, actor: ApiUser, team_id: IdPath) -> WebhookRead:
    """Add a Slack or Microsoft Teams incoming webhook (admins); the URL is stored encrypted and never returned."""
    settings = _settings(request)
    hook = service.add_webhook(
        session=session,
        actor=actor,
        team_id=team_id,
        app_key=settings.resolved_secret_key(),
        hosts=HostPolicy.from_settings(settings),
        **body.model_dump(),
    )
    return WebhookRead.model_validate(hook)


@api.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(session: SessionDep, actor: ApiUser, webhook_id: IdPath) -> Response:
    """Remove a webhook (admins)."""
    service.remove_webhook(session=session, actor=actor, webhook_id=webhook_id)
    return Response(status_code=204)


@api.patch("/webhooks/{webhook_id}", response_model=WebhookRead)
def update_webhook(body: WebhookUpdate, session: SessionDep, actor: ApiUser, webhook_id: IdPath) -> WebhookRead:
    """Turn a webhook on or off (admins); a disabled webhook posts nothing."""
    return WebhookRead.model_validate(
        service.set_enabled(session=session, actor=actor, webhook_id=webhook_id, enabled=body.enabled)
    )


@api.post("/webhooks/{webhook_id}/test", response_model=DeliveryRead, status_code=202)
def send_test_message(session: SessionDep, actor: ApiUser, webhook_id: IdPath) -> DeliveryRead:
    """Queue a test message (admins); follow it in the team's deliveries."""
    return DeliveryRead.model_validate(service.send_test(session=session, actor=actor, webhook_id=webhook_id))


@api.get("/teams/{team_id}/webhook-deliveries", response_model=Page[DeliveryRead])
def list_deliveries(
    session: SessionDep,
    actor: ApiUser,
    page: Pagination,
    team_id: IdPath,
    status: Annotated[DeliveryStatus | None, Query(description="only messages of this status (failed: the failures)")] = None,
) -> Page[DeliveryRead]:
    """Messages to the team's webhooks, newest first, with their status and the receiver's last answer (admins)."""
    rows = service.deliveries_of(session=session, actor=actor, team_id=team_id, status=status)
    return paginate([DeliveryRead.model_validate(row) for row in rows], page)


@api.post("/webhook-deliveries/{delivery_id}/retry", response_model=DeliveryRead, status_code=202)
def retry_delivery(session: SessionDep, actor: ApiUser, delivery_id: IdPath) -> DeliveryRead:
    """Queue a failed message again with fresh attempts (admins)."""
    return DeliveryRead.model_validate(service.retry_delivery(session=session, actor=actor, delivery_id=delivery_id))
