"""Who takes part in and who runs a team's facilitated sessions (retros, stand-ups, refinements, plannings).

Only the team's people (members and its delivery managers) take part: not Product Ops, leaders or admins
(DESIGN.md, privacy). Whoever scheduled a session, or a delivery manager of the team, facilitates it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliveryops.accounts.models import User
from deliveryops.errors import PermissionDeniedError
from deliveryops.teams.models import Membership, TeamRole

__all__ = ["can_facilitate", "membership", "require_facilitator", "require_team_person", "team_people"]


def membership(session: Session, user: User, team_id: int) -> Membership | None:
    """The user's membership of the team, if any."""
    return session.scalar(select(Membership).where(Membership.team_id == team_id, Membership.user_id == user.id))


def require_team_person(session: Session, user: User, team_id: int, what: str = "Team sessions") -> Membership:
    """The user's membership; refused when they are not one of the team's people."""
    found = membership(session, user, team_id)
    if found is None:
        raise PermissionDeniedError(f"{what} are visible only to the team and its delivery manager.")
    return found


def can_facilitate(session: Session, user: User, team_id: int, facilitator_id: int | None) -> bool:
    """Whether the user runs the session: whoever scheduled it, or a delivery manager of the team."""
    found = membership(session, user, team_id)
    if found is None:
        return False
    return user.id == facilitator_id or found.team_role is TeamRole.DELIVERY_MANAGER


def require_facilitator(session: Session, user: User, team_id: int, facilitator_id: int | None, what: str = "session") -> None:
    """Refused unless the user facilitates (see ``can_facilitate``)."""
    require_team_person(session, user, team_id)
    if not can_facilitate(session, user, team_id, facilitator_id):
        raise PermissionDeniedError(f"Only the facilitator or the team's delivery manager runs the {what}.")


def team_people(session: Session, team_id: int) -> list[User]:
    """The team's people, by name: who can help, or own an action decided in one of its sessions."""
    users = session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(Membership.team_id == team_id))
    return sorted(users, key=lambda u: u.name.casefold())
