"""ORM models of enablement: organisation-level actions, playbooks, onboarding checklists, communities of practice."""

from __future__ import annotations

import enum
import weakref
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint, event, insert, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from deliveryops.actions.models import ActionStatus, TargetMetric
from deliveryops.db import Base, UTCDateTime, enum_values, utcnow
from deliveryops.teams.models import Membership, Team, TeamRole


class OrgAction(Base):
    """An improvement action Product Ops runs across chosen teams, measured in each with the team actions' rule."""

    __tablename__ = "org_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("cockpit_catalogue_entries.id", ondelete="SET NULL"), nullable=True
    )  # the tool or practice it spreads, if any
    status: Mapped[ActionStatus] = mapped_column(
        Enum(ActionStatus, native_enum=False, length=20, values_callable=enum_values), default=ActionStatus.OPEN
    )
    started_on: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    target_metric: Mapped[TargetMetric | None] = mapped_column(
        Enum(TargetMetric, native_enum=False, length=30, values_callable=enum_values), nullable=True
    )
    expected_direction: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    teams: Mapped[list[OrgActionTeam]] = relationship(cascade="all, delete-orphan", order_by="OrgActionTeam.id")


class OrgActionTeam(Base):
    """A team an organisation-level action touches."""

    __tablename__ = "org_action_teams"
    __table_args__ = (UniqueConstraint("org_action_id", "team_id", name="uq_org_action_teams_action_team"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_action_id: Mapped[int] = mapped_column(ForeignKey("org_actions.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)


class Playbook(Base):
    """A guide to a tool or practice (a catalogue entry, or a coaching practice), kept in versions."""

    __tablename__ = "playbooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("cockpit_catalogue_entries.id", ondelete="SET NULL"), nullable=True, index=True
    )
    practice_key: Mapped[str | None] = mapped_column(String(60), nullable=True)  # a coaching practice's key
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[PlaybookVersion]] = relationship(
        cascade="all, delete-orphan", order_by="PlaybookVersion.number", back_populates="playbook"
    )


class PlaybookVersion(Base):
    """One version of a playbook's text (Markdown); versions are only added, never changed."""

    __tablename__ = "playbook_versions"
    __table_args__ = (UniqueConstraint("playbook_id", "number", name="uq_playbook_versions_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(200), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    playbook: Mapped[Playbook] = relationship(back_populates="versions")


class OnboardingKind(enum.StrEnum):
    """Who a checklist onboards."""

    TEAM = "team"
    DELIVERY_MANAGER = "delivery_manager"
    MEMBER = "member"

    @property
    def label(self) -> str:
        """Human name."""
        return {"team": "a new team", "delivery_manager": "a new delivery manager", "member": "a new member"}[self.value]


class OnboardingTemplate(Base):
    """The checklist Product Ops keeps for one kind of newcomer (one per kind)."""

    __tablename__ = "onboarding_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[OnboardingKind] = mapped_column(
        Enum(OnboardingKind, native_enum=False, length=20, values_callable=enum_values), unique=True
    )
    title: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[OnboardingItem]] = relationship(
        cascade="all, delete-orphan", order_by="OnboardingItem.position", back_populates="template"
    )


class OnboardingItem(Base):
    """One step of a template; ``retired`` steps stay for the ticks already made, but no longer count."""

    __tablename__ = "onboarding_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("onboarding_templates.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(300))
    retired: Mapped[bool] = mapped_column(default=False)

    template: Mapped[OnboardingTemplate] = relationship(back_populates="items")


class OnboardingChecklist(Base):
    """A newcomer's checklist: a team's (``user_id`` None) or a person's in a team."""

    __tablename__ = "onboarding_checklists"
    __table_args__ = (UniqueConstraint("kind", "team_id", "user_id", name="uq_onboarding_checklists_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[OnboardingKind] = mapped_column(Enum(OnboardingKind, native_enum=False, length=20, values_callable=enum_values))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OnboardingTick(Base):
    """A step ticked on a checklist."""

    __tablename__ = "onboarding_ticks"
    __table_args__ = (UniqueConstraint("checklist_id", "item_id", name="uq_onboarding_ticks_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("onboarding_checklists.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("onboarding_items.id", ondelete="CASCADE"), index=True)
    ticked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    ticked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Community(Base):
    """A community of practice: people from several teams around a practice or tool."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("cockpit_catalogue_entries.id", ondelete="SET NULL"), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommunityMember(Base):
    """A person in a community."""

    __tablename__ = "community_members"
    __table_args__ = (UniqueConstraint("community_id", "user_id", name="uq_community_members_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommunityEvent(Base):
    """A meeting of a community (a talk, a clinic, a show-and-tell), with notes."""

    __tablename__ = "community_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


_MIGRATED: weakref.WeakSet[Engine] = weakref.WeakSet()


def _has_onboarding(connection: Connection) -> bool:
    """Whether the database holds the onboarding tables (a database migrated to an older revision does not)."""
    if connection.engine in _MIGRATED:
        return True
    if not inspect(connection).has_table(OnboardingTemplate.__tablename__):
        return False
    _MIGRATED.add(connection.engine)
    return True


def _add_checklist(connection: Connection, kind: OnboardingKind, team_id: int, user_id: int | None) -> None:
    """Give a newcomer the checklist of its kind, when Product Ops keeps a template for that kind."""
    if not _has_onboarding(connection):
        return
    template = connection.scalar(select(OnboardingTemplate.id).where(OnboardingTemplate.kind == kind))
    if template is None:
        return
    exists = connection.scalar(
        select(OnboardingChecklist.id).where(
            OnboardingChecklist.kind == kind,
            OnboardingChecklist.team_id == team_id,
            OnboardingChecklist.user_id.is_(None) if user_id is None else OnboardingChecklist.user_id == user_id,
        )
    )
    if exists is None:
        connection.execute(insert(OnboardingChecklist).values(kind=kind, team_id=team_id, user_id=user_id, created_at=utcnow()))


@event.listens_for(Team, "after_insert")
def _new_team(_mapper: Mapper[Any], connection: Connection, team: Team) -> None:
    """A new team gets the team checklist."""
    _add_checklist(connection, OnboardingKind.TEAM, team.id, None)


@event.listens_for(Membership, "after_insert")
def _new_member(_mapper: Mapper[Any], connection: Connection, membership: Membership) -> None:
    """A person joining a team gets the member's or the delivery manager's checklist."""
    kind = OnboardingKind.DELIVERY_MANAGER if membership.team_role == TeamRole.DELIVERY_MANAGER else OnboardingKind.MEMBER
    _add_checklist(connection, kind, membership.team_id, membership.user_id)
