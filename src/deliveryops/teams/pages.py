"""HTML pages: teams, groups, and their admin forms."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts import service as accounts
from deliveryops.accounts.dependencies import PageUser, register_viewer_teams
from deliveryops.accounts.models import Role, User
from deliveryops.errors import ConflictError, ValidationFailedError
from deliveryops.teams import service
from deliveryops.teams.models import Membership, Team, TeamRole
from deliveryops.teams.page_context import team_context
from deliveryops.teams.schemas import GroupCreate, MemberAddForm, TeamCreate
from deliveryops.web.forms import FormInput, form_model
from deliveryops.web.security import CsrfChecked, SessionDep
from deliveryops.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)

register_nav("Teams", "/teams", order=10)
register_nav("Forecasts", "/forecasts", order=12)
register_nav("Retros", "/retros", order=13, visible=lambda u: u.role in (Role.MEMBER, Role.DELIVERY_MANAGER))


def _teams_of(session: Session, user_id: int) -> tuple[tuple[str, str], ...]:
    rows = session.execute(
        select(Team.name, Team.slug).join(Membership, Membership.team_id == Team.id).where(Membership.user_id == user_id)
    )
    return tuple(sorted((name, slug) for name, slug in rows))


register_viewer_teams(_teams_of)

# The team sub-pages the navigation reaches directly: (heading, what the page is for).
CHOOSERS = {
    "forecasts": ("Forecasts", "When will it be done, and how much by a date: Monte Carlo forecasts from throughput."),
    "retros": ("Retrospectives", "Schedule, run and look back on each team's retros."),
}


def _chooser(request: Request, session: Session, actor: User, suffix: str) -> Response:
    """The person's own teams' page for ``suffix``: straight there with one team, a choice with several."""
    own = service.team_ids_of(session, actor)
    every = suffix == "forecasts" and actor.role.sees_all_teams  # retros are the team's own, even for admins
    mine = [team for team in service.list_teams(session=session, actor=actor) if every or team.id in own]
    if len(mine) == 1:
        return RedirectResponse(f"/teams/{mine[0].slug}/{suffix}", status_code=303)
    title, purpose = CHOOSERS[suffix]
    return render(request, "teams/choose.html", {"title": title, "purpose": purpose, "suffix": suffix, "teams": mine})


@router.get("/forecasts", response_class=HTMLResponse)
def forecasts(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Forecasts, from the navigation: the team's forecasts page, or a choice of team."""
    return _chooser(request, session, actor, "forecasts")


@router.get("/retros", response_class=HTMLResponse)
def retros(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Retrospectives, from the navigation: the team's retros page, or a choice of team (retros are the team's own)."""
    return _chooser(request, session, actor, "retros")


COMMON_ZONES = sorted(available_timezones())


@router.get("/teams", response_class=HTMLResponse)
def teams_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Every team the person may see."""
    return render(request, "teams/list.html", {"teams": service.list_teams(session=session, actor=actor)})


def _team_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    slug: str,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    team = service.get_team_or_raise(session=session, actor=actor, slug=slug)
    manage = service.can_manage_team(session, actor, team)
    members = service.members_of(session=session, team=team)
    candidates = []
    if manage:
        in_team = {m.user_id for m in members}
        candidates = (
            [u for u in accounts.list_(session=session, actor=actor) if u.id not in in_team] if actor.role is Role.ADMIN else []
        )
    return render(
        request,
        "teams/detail.html",
        {
            "team": team,
            "members": members,
            "can_manage": manage,
            "candidates": candidates,
            "in_team": any(m.user_id == actor.id for m in members),
            # Only admins appoint delivery managers, unless the organisation lets delivery managers do it.
            "team_roles": list(TeamRole)
            if actor.role is Role.ADMIN or request.app.state.settings.delivery_managers_appoint
            else [TeamRole.MEMBER],
            "errors": errors or {},
            # The team's data status (work) and its dependencies at risk (dependencies).
            **team_context(session, actor, team),
        },
        status_code=status_code,
    )


@router.get("/teams/{slug}", response_class=HTMLResponse)
def team_page(request: Request, slug: str, session: SessionDep, actor: PageUser) -> Response:
    """One team: who is in it and where to look next."""
    return _team_page(request, session, actor, slug)


@router.post("/teams/{slug}/members", response_class=HTMLResponse)
def add_member(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: PageUser,
    form: Annotated[FormInput[MemberAddForm], form_model(MemberAddForm)],
) -> Response:
    """Put a person in the team, chosen from a list (admins) or by e-mail (delivery managers)."""
    team = service.get_team_or_raise(session=session, actor=actor, slug=slug)
    try:
        body = form.validated()
        target_id = body.user_id
        if target_id is None and body.email.strip():
            target_id = _user_id_by_email(session, body.email)
        if target_id is None:
            raise ValidationFailedError("Choose a person.", fields={"user_id": "Choose a person to add."})
        service.add_member(
            session=session,
            actor=actor,
            team_id=team.id,
            user_id=target_id,
            team_role=body.team_role,
            delivery_managers_appoint=request.app.state.settings.delivery_managers_appoint,
        )
    except ValidationFailedError as exc:
        session.rollback()
        return _team_page(request, session, actor, slug, errors=form.errors_with(exc), status_code=422)
    return RedirectResponse(f"/teams/{slug}", status_code=303)


def _user_id_by_email(session: SessionDep, email: str) -> int:
    user_id = session.scalar(select(User.id).where(User.email == email.strip().lower()))
    if user_id is None:
        raise ValidationFailedError("No such person.", fields={"user_id": f"Nobody has the e-mail {email.strip()}."})
    return user_id


@router.post("/teams/{slug}/members/{member_id}/remove")
def remove_member(slug: str, member_id: int, session: SessionDep, actor: PageUser, _csrf: CsrfChecked) -> Response:
    """Take a person out of the team."""
    team = service.get_team_or_raise(session=session, actor=actor, slug=slug)
    service.remove_member(session=session, actor=actor, team_id=team.id, user_id=member_id)
    return RedirectResponse(f"/teams/{slug}", status_code=303)


@router.get("/groups", response_class=HTMLResponse)
def groups_page(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Every group the person may see."""
    return render(request, "teams/groups.html", {"groups": service.list_groups(session=session, actor=actor)})


@router.get("/groups/{group_slug}", response_class=HTMLResponse)
def group_page(request: Request, group_slug: str, session: SessionDep, actor: PageUser) -> Response:
    """One group and its teams."""
    group = service.get_group_or_raise(session=session, actor=actor, slug=group_slug)
    visible = {t.id for t in service.list_teams(session=session, actor=actor, group_id=group.id)}
    return render(request, "teams/group.html", {"group": group, "visible_team_ids": visible})


def _admin_teams(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    *,
    errors: dict[str, str],
    values: dict[str, Any],
    group: tuple[dict[str, str], dict[str, Any]] = ({}, {}),
    status_code: int = 200,
) -> Response:
    """The admin page; ``errors`` and ``values`` are the team form's, ``group`` the group form's."""
    accounts.require_role(actor, Role.ADMIN)
    return render(
        request,
        "teams/admin.html",
        {
            "teams": service.list_teams(session=session, actor=actor),
            "groups": service.list_groups(session=session, actor=actor),
            "zones": COMMON_ZONES,
            "errors": errors,
            "values": values,
            "group_errors": group[0],
            "group_values": group[1],
        },
        status_code=status_code,
    )


@router.get("/admin/teams", response_class=HTMLResponse)
def admin_teams(request: Request, session: SessionDep, actor: PageUser) -> Response:
    """Admin: teams and groups, with forms to create them."""
    return _admin_teams(request, session, actor, errors={}, values={})


@router.post("/admin/teams", response_class=HTMLResponse)
def create_team(
    request: Request, session: SessionDep, actor: PageUser, form: Annotated[FormInput[TeamCreate], form_model(TeamCreate)]
) -> Response:
    """Admin: create a team."""
    try:
        team = service.create_team(session=session, actor=actor, **form.validated().model_dump())
    except ValidationFailedError as exc:
        session.rollback()
        return _admin_teams(request, session, actor, errors=form.errors_with(exc), values=form.values, status_code=422)
    except ConflictError as exc:
        session.rollback()
        return _admin_teams(request, session, actor, errors={"name": exc.message}, values=form.values, status_code=409)
    return RedirectResponse(f"/teams/{team.slug}", status_code=303)


@router.post("/admin/groups", response_class=HTMLResponse)
def create_group(
    request: Request, session: SessionDep, actor: PageUser, form: Annotated[FormInput[GroupCreate], form_model(GroupCreate)]
) -> Response:
    """Admin: create a group."""
    try:
        service.create_group(session=session, actor=actor, **form.validated().model_dump())
    except ValidationFailedError as exc:
        session.rollback()
        errors = form.errors_with(exc, key="name")
        return _admin_teams(request, session, actor, errors={}, values={}, group=(errors, form.values), status_code=422)
    except ConflictError as exc:
        session.rollback()
        errors = {"name": exc.message}
        return _admin_teams(request, session, actor, errors={}, values={}, group=(errors, form.values), status_code=409)
    return RedirectResponse("/admin/teams", status_code=303)
