"""Teams, groups, memberships and team scope (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from deliveryops.accounts.models import Role
from deliveryops.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from deliveryops.teams import service
from deliveryops.teams.models import TeamRole
from tests.factories import join, make_group, make_team, make_user


def test_slugify() -> None:
    assert service.slugify("Data Platform") == "data-platform"
    assert service.slugify("Zürich Café & Co.") == "zurich-cafe-co"
    assert service.slugify("!!!") == "team"


def test_create_team_checks_name_zone_group_and_duplicates(session: Session) -> None:
    group = make_group(session, name="Commerce")
    team = service.create_team(session=session, actor=None, name=" Payments ", time_zone="Europe/Berlin", group_id=group.id)
    assert (team.name, team.slug, team.time_zone, team.group_id) == ("Payments", "payments", "Europe/Berlin", group.id)
    with pytest.raises(ConflictError) as info:
        service.create_team(session=session, actor=None, name="Payments")
    assert info.value.message == "A team named 'Payments' exists already."
    with pytest.raises(ValidationFailedError) as bad_zone:
        service.create_team(session=session, actor=None, name="Mars", time_zone="Mars/Olympus")
    assert bad_zone.value.fields == {"time_zone": "Choose a time zone such as Europe/Berlin or America/New_York."}
    with pytest.raises(ValidationFailedError) as empty:
        service.create_team(session=session, actor=None, name="   ")
    assert empty.value.fields == {"name": "Enter a team name."}


def test_member_sees_only_own_teams(session: Session) -> None:
    team_a, team_b = make_team(session, name="Alpha"), make_team(session, name="Beta")
    member = make_user(session)
    join(session, team_a, member)
    assert [t.name for t in service.list_teams(session=session, actor=member)] == ["Alpha"]
    assert service.get_team_or_raise(session=session, actor=member, slug="alpha").id == team_a.id
    with pytest.raises(PermissionDeniedError) as info:
        service.get_team_or_raise(session=session, actor=member, team_id=team_b.id)
    assert info.value.message == "You are not in this team, so you cannot see its data."


@pytest.mark.parametrize("role", [Role.PRODUCT_OPS, Role.LEADER, Role.ADMIN])
def test_cross_team_roles_see_every_team(session: Session, role: Role) -> None:
    make_team(session, name="Alpha")
    make_team(session, name="Beta")
    names = {t.name for t in service.list_teams(session=session, actor=make_user(session, role=role))}
    assert {"Alpha", "Beta"} <= names


def test_delivery_manager_manages_own_team_only(session: Session) -> None:
    team_a, team_b = make_team(session), make_team(session)
    dm = make_user(session, role=Role.DELIVERY_MANAGER)
    join(session, team_a, dm, TeamRole.DELIVERY_MANAGER)
    newcomer = make_user(session)
    membership = service.add_member(session=session, actor=dm, team_id=team_a.id, user_id=newcomer.id)
    assert membership.team_role is TeamRole.MEMBER
    with pytest.raises(PermissionDeniedError) as info:
        service.add_member(session=session, actor=dm, team_id=team_b.id, user_id=newcomer.id)
    assert info.value.message == "Only an admin or the team's delivery manager can change its members."
    service.remove_member(session=session, actor=dm, team_id=team_a.id, user_id=newcomer.id)
    assert [m.user_id for m in service.members_of(session=session, team=team_a)] == [dm.id]


def test_member_cannot_add_people(session: Session) -> None:
    team = make_team(session)
    member = make_user(session)
    join(session, team, member)
    with pytest.raises(PermissionDeniedError):
        service.add_member(session=session, actor=member, team_id=team.id, user_id=make_user(session).id)


def test_add_member_twice_changes_role(session: Session) -> None:
    team, person = make_team(session), make_user(session)
    join(session, team, person)
    join(session, team, person, TeamRole.DELIVERY_MANAGER)
    [membership] = service.members_of(session=session, team=team)
    assert membership.team_role is TeamRole.DELIVERY_MANAGER


def test_group_visibility(session: Session) -> None:
    group_a, group_b = make_group(session, name="North"), make_group(session, name="South")
    team = make_team(session, group=group_a)
    member = make_user(session)
    join(session, team, member)
    assert [g.name for g in service.list_groups(session=session, actor=member)] == ["North"]
    with pytest.raises(PermissionDeniedError):
        service.get_group_or_raise(session=session, actor=member, group_id=group_b.id)
    ops = make_user(session, role=Role.PRODUCT_OPS)
    assert {"North", "South"} <= {g.name for g in service.list_groups(session=session, actor=ops)}


def test_update_team_needs_manager(session: Session) -> None:
    team = make_team(session)
    member = make_user(session)
    join(session, team, member)
    with pytest.raises(PermissionDeniedError):
        service.update_team(session=session, actor=member, team_id=team.id, description="x")
    admin = make_user(session, role=Role.ADMIN)
    assert service.update_team(session=session, actor=admin, team_id=team.id, time_zone="Asia/Tokyo").time_zone == "Asia/Tokyo"
