"""Use cases for groups, teams and memberships, with the team-scope rules of DESIGN.md."""

from __future__ import annotations

import re
import unicodedata
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from deliveryops.accounts.models import Role, User
from deliveryops.accounts.service import require_role
from deliveryops.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from deliveryops.teams.models import Group, Membership, Team, TeamRole

__all__ = [
    "add_member",
    "can_manage_team",
    "can_view_team",
    "create_group",
    "create_team",
    "find_group",
    "find_team",
    "get_group_or_raise",
    "get_team_or_raise",
    "list_groups",
    "list_teams",
    "remove_member",
    "slugify",
    "team_ids_of",
    "update_team",
]


def slugify(name: str) -> str:
    """Return a URL-safe slug: ``"Data Platform"`` → ``"data-platform"``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug or "team"


def team_ids_of(session: Session, user: User) -> set[int]:
    """Return the ids of the teams ``user`` belongs to (as member or delivery manager)."""
    return set(session.scalars(select(Membership.team_id).where(Membership.user_id == user.id)))


def can_view_team(session: Session, user: User, team: Team) -> bool:
    """Whether ``user`` may read the team's shared data (flow, DORA, impediments, members)."""
    return user.role.sees_all_teams or team.id in team_ids_of(session, user)


def can_manage_team(session: Session, user: User, team: Team) -> bool:
    """Whether ``user`` may change the team's members and settings (admins, its delivery manager)."""
    if user.role is Role.ADMIN:
        return True
    return (
        session.scalar(
            select(Membership.id).where(
                Membership.team_id == team.id,
                Membership.user_id == user.id,
                Membership.team_role == TeamRole.DELIVERY_MANAGER,
            )
        )
        is not None
    )


def _check_time_zone(time_zone: str) -> str:
    if time_zone not in available_timezones():
        raise ValidationFailedError(
            f"Unknown time zone {time_zone!r}.",
            fields={"time_zone": "Choose a time zone such as Europe/Berlin or America/New_York."},
        )
    ZoneInfo(time_zone)
    return time_zone


def find_team(session: Session, name: str) -> Team:
    """The team ``name`` names: its name, its slug or its id (as the API's paths name it), for the trusted
    local caller (the CLI). A team whose name or slug is ``name`` wins over the team with that id.

    Raises:
        NotFoundError: no team has that name, slug or id.
    """
    named = (Team.name == name) | (Team.slug == name)
    if re.fullmatch(r"[0-9]{1,10}", name) and int(name) <= 2**31 - 1:  # ids are 32-bit integers
        named = named | (Team.id == int(name))
    found = list(session.scalars(select(Team).where(named)))
    team = next((t for t in found if name in (t.name, t.slug)), found[0] if found else None)
    if team is None:
        raise NotFoundError(f"No team named {name!r}. See `deliveryops teams list`.")
    return team


def find_group(session: Session, name: str) -> Group:
    """The group called ``name`` (its name or its slug), for the trusted local caller (the CLI).

    Raises:
        NotFoundError: no group has that name or slug.
    """
    group = session.scalar(select(Group).where((Group.name == name) | (Group.slug == name)))
    if group is None:
        raise NotFoundError(f"No group named {name!r}. See `deliveryops groups list`.")
    return group


def list_teams(*, session: Session, actor: User | None, group_id: int | None = None) -> list[Team]:
    """Return the teams ``actor`` may see (every team for ``None``, the trusted local caller), by name."""
    statement = select(Team).options(selectinload(Team.group)).order_by(Team.name)
    if group_id is not None:
        statement = statement.where(Team.group_id == group_id)
    if actor is not None and not actor.role.sees_all_teams:
        statement = statement.where(Team.id.in_(team_ids_of(session, actor)))
    return list(session.scalars(statement))


def get_team_or_raise(*, session: Session, actor: User, team_id: int | None = None, slug: str | None = None) -> Team:
    """Return a team by id or slug if ``actor`` may see it.

    Args:
        session: the unit of work.
        actor: who asks.
        team_id: the team's id.
        slug: or its slug.

    Returns:
        The team.
    """
    team = session.get(Team, team_id) if team_id is not None else session.scalar(select(Team).where(Team.slug == slug))
    if team is None:
        raise NotFoundError(f"No team {team_id if team_id is not None else slug!r}.")
    if not can_view_team(session, actor, team):
        raise PermissionDeniedError("You are not in this team, so you cannot see its data.")
    return team


def create_team(
    *,
    session: Session,
    actor: User | None,
    name: str,
    time_zone: str = "UTC",
    group_id: int | None = None,
    description: str = "",
) -> Team:
    """Create a team (admins; ``actor=None`` for the CLI).

    Args:
        session: the unit of work.
        actor: who asks.
        name: unique team name.
        time_zone: IANA zone for day-level metrics.
        group_id: the group it belongs to, if any.
        description: what the team works on.

    Returns:
        The new team.
    """
    if actor is not None:
        require_role(actor, Role.ADMIN)
    name = name.strip()
    if not name:
        raise ValidationFailedError("Enter a team name.", fields={"name": "Enter a team name."})
    if len(name) > 100:
        raise ValidationFailedError("Name too long.", fields={"name": "Use at most 100 characters."})
    _check_time_zone(time_zone)
    if group_id is not None and session.get(Group, group_id) is None:
        raise ValidationFailedError(f"No group with id {group_id}.", fields={"group_id": "Choose an existing group."})
    slug = slugify(name)
    if session.scalar(select(Team.id).where((Team.name == name) | (Team.slug == slug))) is not None:
        raise ConflictError(f"A team named {name!r} exists already.", details={"field": "name"})
    team = Team(name=name, slug=slug, time_zone=time_zone, group_id=group_id, description=description.strip())
    session.add(team)
    session.flush()
    return team


def update_team(
    *,
    session: Session,
    actor: User,
    team_id: int,
    time_zone: str | None = None,
    group_id: int | None = None,
    description: str | None = None,
) -> Team:
    """Change a team's time zone, group or description (admins or its delivery manager)."""
    team = get_team_or_raise(session=session, actor=actor, team_id=team_id)
    if not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can change the team.")
    if time_zone is not None:
        team.time_zone = _check_time_zone(time_zone)
    if group_id is not None:
        if session.get(Group, group_id) is None:
            raise ValidationFailedError(f"No group with id {group_id}.", fields={"group_id": "Choose an existing group."})
        team.group_id = group_id
    if description is not None:
        team.description = description.strip()
    session.flush()
    return team


def add_member(
    *,
    session: Session,
    actor: User | None,
    team_id: int,
    user_id: int,
    team_role: TeamRole = TeamRole.MEMBER,
    delivery_managers_appoint: bool = False,
) -> Membership:
    """Put a person in a team, or change their team role if already in it.

    Who is a team's delivery manager is an admin's decision: a delivery manager adds and removes members,
    but makes someone a delivery manager of the team, or takes that role from another one, only where
    the organisation allows it (``delivery_managers_appoint``, setting ``DELIVERYOPS_DELIVERY_MANAGERS_APPOINT``).

    Args:
        session: the unit of work.
        actor: who asks (admin or the team's delivery manager; None for the CLI).
        team_id: the team.
        user_id: the person.
        team_role: member or delivery manager.
        delivery_managers_appoint: the policy letting delivery managers appoint others in their team.

    Returns:
        The membership.
    """
    team = session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"No team with id {team_id}.")
    if actor is not None and not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can change its members.")
    user = session.get(User, user_id)
    if user is None:
        raise ValidationFailedError(f"No person with id {user_id}.", fields={"user_id": "Choose an existing person."})
    membership = session.scalar(select(Membership).where(Membership.team_id == team_id, Membership.user_id == user_id))
    if actor is not None and actor.role is not Role.ADMIN and not delivery_managers_appoint:
        was_manager = membership is not None and membership.team_role is TeamRole.DELIVERY_MANAGER
        if team_role is TeamRole.DELIVERY_MANAGER and not was_manager:
            raise PermissionDeniedError(
                "Only an admin can make someone a delivery manager of a team; add them as a member, "
                "or ask an admin (the setting DELIVERYOPS_DELIVERY_MANAGERS_APPOINT lets delivery managers do it)."
            )
        if was_manager and team_role is not TeamRole.DELIVERY_MANAGER and user_id != actor.id:
            raise PermissionDeniedError("Only an admin can take the delivery manager role from someone else.")
    if membership is None:
        membership = Membership(team_id=team_id, user_id=user_id, team_role=team_role)
        session.add(membership)
    else:
        membership.team_role = team_role
    session.flush()
    return membership


def remove_member(*, session: Session, actor: User, team_id: int, user_id: int) -> None:
    """Take a person out of a team."""
    team = session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"No team with id {team_id}.")
    if not can_manage_team(session, actor, team):
        raise PermissionDeniedError("Only an admin or the team's delivery manager can change its members.")
    membership = session.scalar(select(Membership).where(Membership.team_id == team_id, Membership.user_id == user_id))
    if membership is None:
        raise NotFoundError("That person is not in this team.")
    session.delete(membership)
    session.flush()


def members_of(*, session: Session, team: Team) -> list[Membership]:
    """Return the team's memberships, delivery managers first, then by name."""
    rows = session.scalars(select(Membership).options(selectinload(Membership.user)).where(Membership.team_id == team.id))
    return sorted(rows, key=lambda m: (m.team_role is not TeamRole.DELIVERY_MANAGER, m.user.name))


def list_groups(*, session: Session, actor: User | None) -> list[Group]:
    """Return the groups ``actor`` may see: all for cross-team roles (and ``None``, the CLI), else those of their teams."""
    statement = select(Group).options(selectinload(Group.teams)).order_by(Group.name)
    if actor is not None and not actor.role.sees_all_teams:
        own = team_ids_of(session, actor)
        statement = statement.where(Group.id.in_(select(Team.group_id).where(Team.id.in_(own))))
    return list(session.scalars(statement))


def get_group_or_raise(*, session: Session, actor: User, group_id: int | None = None, slug: str | None = None) -> Group:
    """Return a group by id or slug if ``actor`` may see it."""
    group = session.get(Group, group_id) if group_id is not None else session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        raise NotFoundError(f"No group {group_id if group_id is not None else slug!r}.")
    if not actor.role.sees_all_teams and not ({t.id for t in group.teams} & team_ids_of(session, actor)):
        raise PermissionDeniedError("You are in no team of this group, so you cannot see it.")
    return group


def create_group(*, session: Session, actor: User | None, name: str, description: str = "") -> Group:
    """Create a group of teams (admins; ``actor=None`` for the CLI)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    name = name.strip()
    if not name:
        raise ValidationFailedError("Enter a group name.", fields={"name": "Enter a group name."})
    if len(name) > 100:
        raise ValidationFailedError("Name too long.", fields={"name": "Use at most 100 characters."})
    slug = slugify(name)
    if session.scalar(select(Group.id).where((Group.name == name) | (Group.slug == slug))) is not None:
        raise ConflictError(f"A group named {name!r} exists already.", details={"field": "name"})
    group = Group(name=name, slug=slug, description=description.strip())
    session.add(group)
    session.flush()
    return group
