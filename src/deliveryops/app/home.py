"""HTML pages that belong to no single domain: the home page per role, definitions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from deliveryops.accounts.dependencies import PageUser
from deliveryops.accounts.models import Role, User
from deliveryops.analytics.similarity.blended import HELD_OUT_RATES
from deliveryops.analytics.verdicts.reliability import published
from deliveryops.app import today
from deliveryops.coaching import service as coaching
from deliveryops.db import utcnow
from deliveryops.dependencies import risk as dependency_risk
from deliveryops.outcomes.lead import lead
from deliveryops.teams import service as teams
from deliveryops.teams.models import Group, Membership, Team, TeamRole
from deliveryops.web.security import SessionDep
from deliveryops.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)

register_nav("Home", "/", order=0)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Home page: what this person's role needs first."""
    my_memberships = list(
        session.scalars(select(Membership).where(Membership.user_id == actor.id).join(Team).order_by(Team.name))
    )
    context: dict[str, object] = {
        "my_memberships": my_memberships,
        "dm_team_count": sum(1 for m in my_memberships if m.team_role is TeamRole.DELIVERY_MANAGER),
    }
    if actor.role.sees_all_teams:
        context["groups"] = teams.list_groups(session=session, actor=actor)
        context["ungrouped"] = [t for t in teams.list_teams(session=session, actor=actor) if t.group_id is None]
    dm_teams = [m.team for m in my_memberships if m.team_role is TeamRole.DELIVERY_MANAGER]
    now = utcnow()
    if dm_teams:
        context["today"] = today.delivery_manager_sections(session, actor, dm_teams, now)
    elif actor.role is Role.MEMBER:
        context["today"] = today.member_sections(session, actor, [m.team for m in my_memberships], now)
        context["at_risk_dependencies"] = dependency_risk.at_risk(
            session, actor=actor, team_ids={m.team_id for m in my_memberships}
        )
        context["at_risk_scope"] = "of your teams"
    if dm_teams:
        # Recomputed first when a team's data changed since the last look.
        context["coaching_insights"] = [
            (team, coaching.list_insights(session=session, actor=actor, team_id=team.id).active) for team in dm_teams
        ]
        context["at_risk_dependencies"] = dependency_risk.at_risk(session, actor=actor, team_ids={t.id for t in dm_teams})
        context["at_risk_scope"] = "of the teams you enable"
    if actor.role in (Role.LEADER, Role.PRODUCT_OPS):
        context["lead"] = found = lead(session, actor, today=now.date())
        if actor.role is Role.LEADER:
            context["today"] = today.leader_sections(session, actor, found, now)
            context["lead_outcomes_only"] = True  # decisions waiting lead the page instead
    if actor.role is Role.PRODUCT_OPS:
        context["today"] = today.product_ops_sections(session, actor, now)
        context["coaching_teams"], context["coaching_counts"] = coaching.counts_by_kind(session=session, actor=actor)
    if actor.role is Role.ADMIN:
        context["counts"] = {
            "people": session.scalar(select(func.count()).select_from(User)) or 0,
            "teams": session.scalar(select(func.count()).select_from(Team)) or 0,
            "groups": session.scalar(select(func.count()).select_from(Group)) or 0,
        }
    return render(request, "home.html", context)


@router.get("/definitions", response_class=HTMLResponse)
def definitions(request: Request, actor: PageUser) -> Response:
    """The pinned metric definitions every chart links to."""
    return render(request, "definitions.html", {"similarity_rates": HELD_OUT_RATES, "verdict_rates": published()})
