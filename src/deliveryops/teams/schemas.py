"""API shapes for groups, teams and memberships."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from deliveryops.accounts.models import Role
from deliveryops.accounts.schemas import UserCreate, UserRead
from deliveryops.teams.models import Group, TeamRole


class TeamRead(BaseModel):
    """A team."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    slug: str
    description: str
    time_zone: str
    group_id: int | None


class TeamCreate(BaseModel):
    """A new team (admins only)."""

    name: str = Field(max_length=100)
    time_zone: str = Field(default="UTC", max_length=64)
    group_id: int | None = None
    description: str = Field(default="", max_length=2000)


class TeamUpdate(BaseModel):
    """Changes to a team; omitted fields stay as they are."""

    time_zone: str | None = Field(default=None, max_length=64)
    group_id: int | None = None
    description: str | None = Field(default=None, max_length=2000)


class PersonCreate(UserCreate):
    """A new person, as the admin's people page adds them: optionally straight into a team."""

    team_id: int | None = Field(default=None, ge=1, le=2**31 - 1, title="Team")


class PersonAccess(BaseModel):
    """A person's row of the admin's people page: the role and access fields of :class:`UserUpdate`.

    The page's checkbox ``is_active`` is false when left unticked.
    """

    role: Role
    is_active: bool = False


class GroupRead(BaseModel):
    """A group of teams."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    slug: str
    description: str
    team_ids: list[int]

    @classmethod
    def of(cls, group: Group) -> GroupRead:
        """The API shape of a group."""
        return cls(
            id=group.id, name=group.name, slug=group.slug, description=group.description, team_ids=[t.id for t in group.teams]
        )


class GroupCreate(BaseModel):
    """A new group (admins only)."""

    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)


class MemberRead(BaseModel):
    """A person in a team."""

    user: UserRead
    team_role: TeamRole


class MemberAdd(BaseModel):
    """Put a person in a team."""

    user_id: int
    team_role: TeamRole = TeamRole.MEMBER


class MemberAddForm(BaseModel):
    """A person to put in the team as the team page's form names them: chosen from the list, or by e-mail."""

    user_id: int | None = Field(default=None, ge=1, le=2**31 - 1, title="Person")
    email: str = Field(default="", max_length=254)
    team_role: TeamRole = TeamRole.MEMBER
