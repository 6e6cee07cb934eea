"""Groups (a tribe or value stream), teams and memberships."""

from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliveryops.accounts.models import User
from deliveryops.db import Base, UTCDateTime, enum_values, utcnow


class TeamRole(enum.StrEnum):
    """A person's part in one team."""

    MEMBER = "member"
    DELIVERY_MANAGER = "delivery_manager"

    @property
    def label(self) -> str:
        """Human name of the team role."""
        return "Delivery manager" if self is TeamRole.DELIVERY_MANAGER else "Member"


class Group(Base):
    """A set of teams (a tribe or value stream)."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    teams: Mapped[list[Team]] = relationship(back_populates="group", order_by="Team.name")


class Team(Base):
    """A delivery team; day-level metrics use its time zone."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"), nullable=True)
    # Bumped by every import and workflow change, so cached metrics know they are stale.
    data_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group | None] = relationship(back_populates="teams")
    memberships: Mapped[list[Membership]] = relationship(back_populates="team", cascade="all, delete-orphan")

    @property
    def zone(self) -> ZoneInfo:
        """The team's time zone: ``time_zone`` is its IANA name as stored and shown, this the one type code uses."""
        return ZoneInfo(self.time_zone)


class Membership(Base):
    """A person in a team, as a member or its delivery manager."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_memberships_team_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_role: Mapped[TeamRole] = mapped_column(
        Enum(TeamRole, native_enum=False, length=32, values_callable=enum_values), default=TeamRole.MEMBER
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
