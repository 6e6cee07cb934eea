"""The weekly digest page (``/digest``), its e-mail opt-out, and its JSON (``/api/v1/digest``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deliveryops.accounts.dependencies import ApiUser, PageUser
from deliveryops.accounts.models import Role
from deliveryops.cockpit.digest.mail import is_subscribed, set_subscription
from deliveryops.cockpit.digest.schemas import DigestRead, digest_read
from deliveryops.cockpit.digest.service import build_digest
from deliveryops.web.errors import error_responses
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_nav, render

__all__ = ["api", "router"]

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["cockpit"], responses=error_responses(401, 403))
# Product Ops and leaders reach the digest from the cockpit's sub-navigation; delivery managers have no cockpit.
register_nav("Digest", "/digest", order=14, visible=lambda u: u.role is Role.DELIVERY_MANAGER)


@router.get("/digest", response_class=HTMLResponse)
def digest_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """The signed-in person's weekly digest."""
    digest = build_digest(session=session, user=actor)
    settings = request.app.state.settings
    return render(
        request,
        "cockpit/digest.html",
        {
            "digest": digest,
            "subscribed": is_subscribed(session, actor),
            "email_on": bool(settings.smtp_host),
            "cockpit_tab": "digest",
            "show_cockpit_nav": digest.role != "delivery_manager",
        },
    )


@router.post("/digest/subscription", response_class=HTMLResponse)
def change_subscription(
    session: SessionDep, actor: PageUser, _csrf: CsrfChecked, subscribed: Annotated[str, Form(max_length=5)] = ""
) -> Response:
    """Opt in or out of the weekly digest e-mail."""
    build_digest(session=session, user=actor)  # refuses people who get no digest
    set_subscription(session=session, user=actor, subscribed=subscribed == "yes")
    return RedirectResponse("/digest#subscription", status_code=303)


@api.get("/digest", response_model=DigestRead)
def read_digest(session: SessionDep, actor: ApiUser) -> DigestRead:
    """The caller's weekly digest: what changed in the last 7 days and what needs attention."""
    return digest_read(build_digest(session=session, user=actor))
