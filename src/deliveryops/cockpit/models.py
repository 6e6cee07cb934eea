"""ORM models of the cockpit: the catalogue of tools and practices, team adoption and its history.

Adoption is append-only: every change is a new :class:`AdoptionState` row, and a team's current state
of an entry is its latest row (highest ``set_at``, then ``id``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deliveryops.db import Base, UTCDateTime, enum_values, utcnow


class EntryKind(enum.StrEnum):
    """A catalogue entry is a tool or a practice."""

    TOOL = "tool"
    PRACTICE = "practice"


TOOL_CATEGORIES = (
    "tracker",
    "CI/CD",
    "source control",
    "analytics",
    "feature flags",
    "observability",
    "communication",
    "documentation",
    "other",
)
PRACTICE_CATEGORIES = ("flow", "quality", "learning", "experimentation", "other")


class AdoptionLevel(enum.StrEnum):
    """Where a team stands with a tool or practice."""

    NOT_STARTED = "not_started"
    TRYING = "trying"
    ADOPTED = "adopted"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        """Human name."""
        return {"not_started": "not started", "trying": "trying", "adopted": "adopted", "not_applicable": "not applicable"}[
            self.value
        ]


class DataCheck(enum.StrEnum):
    """The automatic checks a practice can be confirmed by (see ``deliveryops.cockpit.checks``)."""

    REGULAR_RETROSPECTIVES = "regular_retrospectives"
    WIP_LIMITS = "wip_limits"
    EXPERIMENT_PREREGISTRATION = "experiment_preregistration"

    @property
    def label(self) -> str:
        """Human name."""
        return {
            "regular_retrospectives": "A retro finished in the last 4 weeks",
            "wip_limits": "WIP within the team's limit on at least 80% of the last 90 days",
            "experiment_preregistration": "At least 80% of the last 365 days' experiments planned their sample "
            "size before they started",
        }[self.value]


class CatalogueEntry(Base):
    """A tool or standard practice the organisation supports, with an owner and a short guide."""

    __tablename__ = "cockpit_catalogue_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[EntryKind] = mapped_column(Enum(EntryKind, native_enum=False, length=20, values_callable=enum_values))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    category: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    guide: Mapped[str] = mapped_column(Text, default="")
    data_check: Mapped[DataCheck | None] = mapped_column(
        Enum(DataCheck, native_enum=False, length=40, values_callable=enum_values), nullable=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdoptionState(Base):
    """One declared adoption state of a team for an entry; rows are never changed, only added."""

    __tablename__ = "cockpit_adoption_states"
    __table_args__ = (Index("ix_cockpit_adoption_states_team_entry", "team_id", "entry_id", "set_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("cockpit_catalogue_entries.id", ondelete="CASCADE"), index=True)
    state: Mapped[AdoptionLevel] = mapped_column(Enum(AdoptionLevel, native_enum=False, length=20, values_callable=enum_values))
    note: Mapped[str] = mapped_column(Text, default="")
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TeamPracticeSetting(Base):
    """Per-team parameters of the data checks (today: the team's WIP limit)."""

    __tablename__ = "cockpit_team_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    wip_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImpedimentTool(Base):
    """An operational impediment names the tool or practice it concerns (at most one)."""

    __tablename__ = "cockpit_impediment_tools"
    __table_args__ = (UniqueConstraint("impediment_id", name="uq_cockpit_impediment_tools_impediment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    impediment_id: Mapped[int] = mapped_column(ForeignKey("impediments.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("cockpit_catalogue_entries.id", ondelete="CASCADE"), index=True)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
