"""JSON API: groups, teams and memberships."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from deliveryops.accounts.dependencies import ApiUser
from deliveryops.accounts.schemas import UserRead
from deliveryops.schemas import Page, paginate
from deliveryops.teams import service
from deliveryops.teams.schemas import (
    GroupCreate,
    GroupRead,
    MemberAdd,
    MemberRead,
    TeamCreate,
    TeamRead,
    TeamUpdate,
)
from deliveryops.web.errors import error_responses
from deliveryops.web.pagination import Pagination
from deliveryops.web.security import SessionDep

router = APIRouter(tags=["teams"], responses=error_responses(401, 403, 404, 422))

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/teams", response_model=Page[TeamRead])
def list_teams(
    session: SessionDep, actor: ApiUser, page: Pagination, group_id: int | None = Query(default=None, ge=1, le=2**31 - 1)
) -> Page[TeamRead]:
    """The teams the caller may see."""
    return paginate(
        [TeamRead.model_validate(t) for t in service.list_teams(session=session, actor=actor, group_id=group_id)], page
    )


@router.post("/teams", response_model=TeamRead, status_code=201, responses=error_responses(409))
def create_team(body: TeamCreate, session: SessionDep, actor: ApiUser) -> TeamRead:
    """Create a team (admins only)."""
    return TeamRead.model_validate(service.create_team(session=session, actor=actor, **body.model_dump()))


@router.get("/teams/{team_id}", response_model=TeamRead)
def read_team(session: SessionDep, actor: ApiUser, team_id: IdPath) -> TeamRead:
    """One team, if the caller may see it."""
    return TeamRead.model_validate(service.get_team_or_raise(session=session, actor=actor, team_id=team_id))


@router.patch("/teams/{team_id}", response_model=TeamRead)
def update_team(body: TeamUpdate, session: SessionDep, actor: ApiUser, team_id: IdPath) -> TeamRead:
    """Change a team (admins or its delivery manager)."""
    team = service.update_team(session=session, actor=actor, team_id=team_id, **body.model_dump(exclude_unset=True))
    return TeamRead.model_validate(team)


@router.get("/teams/{team_id}/members", response_model=Page[MemberRead])
def list_members(session: SessionDep, actor: ApiUser, page: Pagination, team_id: IdPath) -> Page[MemberRead]:
    """The people in a team."""
    team = service.get_team_or_raise(session=session, actor=actor, team_id=team_id)
    return paginate(
        [
            MemberRead(user=UserRead.model_validate(m.user), team_role=m.team_role)
            for m in service.members_of(session=session, team=team)
        ],
        page,
    )


@router.post("/teams/{team_id}/members", response_model=MemberRead, status_code=201)
def add_member(body: MemberAdd, request: Request, session: SessionDep, actor: ApiUser, team_id: IdPath) -> MemberRead:
    """Put a person in a team or change their team role (admins or its delivery manager).

    Only admins make someone a delivery manager, unless DELIVERYOPS_DELIVERY_MANAGERS_APPOINT lets delivery managers.
    """
    membership = service.add_member(
        session=session,
        actor=actor,
        team_id=team_id,
        user_id=body.user_id,
        team_role=body.team_role,
        delivery_managers_appoint=request.app.state.settings.delivery_managers_appoint,
    )
    return MemberRead(user=UserRead.model_validate(membership.user), team_role=membership.team_role)


@router.delete("/teams/{team_id}/members/{user_id}", status_code=204)
def remove_member(session: SessionDep, actor: ApiUser, team_id: IdPath, user_id: IdPath) -> Response:
    """Take a person out of a team."""
    service.remove_member(session=session, actor=actor, team_id=team_id, user_id=user_id)
    return Response(status_code=204)


@router.get("/groups", response_model=Page[GroupRead])
def list_groups(session: SessionDep, actor: ApiUser, page: Pagination) -> Page[GroupRead]:
    """The groups the caller may see."""
    return paginate([GroupRead.of(g) for g in service.list_groups(session=session, actor=actor)], page)


@router.post("/groups", response_model=GroupRead, status_code=201, responses=error_responses(409))
def create_group(body: GroupCreate, session: SessionDep, actor: ApiUser) -> GroupRead:
    """Create a group (admins only)."""
    return GroupRead.of(service.create_group(session=session, actor=actor, **body.model_dump()))


@router.get("/groups/{group_id}", response_model=GroupRead)
def read_group(session: SessionDep, actor: ApiUser, group_id: IdPath) -> GroupRead:
    """One group, if the caller may see it."""
    return GroupRead.of(service.get_group_or_raise(session=session, actor=actor, group_id=group_id))
