"""The Cockpit's portfolio page (``/cockpit``) and its JSON (``/api/v1/cockpit/portfolio``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from deliveryops.accounts.dependencies import ApiUser, PageUser
from deliveryops.accounts.models import Role
from deliveryops.cockpit.portfolio.charts import sparkline
from deliveryops.cockpit.portfolio.schemas import PortfolioRead, portfolio_read
from deliveryops.cockpit.portfolio.service import PAGE_INLINE_TEAMS, build_portfolio
from deliveryops.cockpit.portfolio.sources import DORA_KEYS
from deliveryops.dependencies import risk as dependency_risk
from deliveryops.settings import Settings
from deliveryops.web.errors import error_responses
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import register_nav, render

__all__ = ["api", "router"]

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["cockpit"], responses=error_responses(401, 403, 404))
register_nav("Cockpit", "/cockpit", order=13, visible=lambda u: u.role in (Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN))
GroupQuery = Annotated[str | None, Query(max_length=100, description="Only this group (its slug).")]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/cockpit", response_class=HTMLResponse)
def portfolio_page(request: Request, session: SessionDep, actor: PageUser, group: GroupQuery = None) -> Response:
    """Every team on one page, with group roll-ups."""
    portfolio = build_portfolio(
        session=session,
        actor=actor,
        group_slug=group or None,
        min_group_size=_settings(request).min_group_size,
        inline_limit=PAGE_INLINE_TEAMS,
    )
    return render(
        request,
        "cockpit/portfolio.html",
        {
            "p": portfolio,
            "sparkline": sparkline,
            "dora_keys": DORA_KEYS,
            "cockpit_tab": "portfolio",
            "at_risk_dependencies": dependency_risk.at_risk(session, actor=actor, team_ids={r.team_id for r in portfolio.rows}),
            "at_risk_scope": "of these teams",
        },
    )


@api.get("/cockpit/portfolio", response_model=PortfolioRead)
def read_portfolio(request: Request, session: SessionDep, actor: ApiUser, group: GroupQuery = None) -> PortfolioRead:
    """Every team's portfolio cells and the group roll-ups (Product Ops, leaders, admins)."""
    return portfolio_read(
        build_portfolio(
            session=session,
            actor=actor,
            group_slug=group or None,
            min_group_size=_settings(request).min_group_size,
            inline_limit=PAGE_INLINE_TEAMS,
        )
    )
