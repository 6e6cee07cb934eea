"""ORM models of the cockpit: the catalogue of tools and practices, team adoption and its history.

Adoption is append-only: every change is a new :class:`AdoptionState` row, and a team's current state
of an entry is its latest row (highest ``set_at``, then ``id``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    """The automatic checks a practice can be confirmed by (see ``deliveryops.cockpit.adoption.checks``)."""

    REGULAR_RETROSPECTIVES = "regular_retrospectives"
    WIP_LIMITS = "wip_limits"
    EXPERIMENT_PREREGISTRATION = "experiment_preregistration"
    DEPLOYMENTS = "deployments"
    GITHUB_ACTIONS = "github_actions"
    CODE_REVIEW = "code_review"
    TRUNK_BASED = "trunk_based"
    TRACKER_SYNC = "tracker_sync"
    FORECASTING = "forecasting"
    HEALTH_CHECKS = "health_checks"
    CUSTOM = "custom"
    NOT_OBSERVABLE = "not_observable"

    @property
    def label(self) -> str:
        """Human name."""
        return {
            "regular_retrospectives": "A retro finished in DeliveryOps or recorded as held in the last 4 weeks",
            "wip_limits": "Peak WIP of the last 90 days within the team's limit, and the limit no higher than "
            "Little's Law and the team's size call for",
            "experiment_preregistration": "At least 80% of the last 365 days' experiments planned their sample "
            "size before they started",
            "deployments": "Deployments recorded in at least 4 of the last 8 weeks",
            "github_actions": "GitHub Actions workflow runs recorded as deployments in at least 4 of the last 8 weeks",
            "code_review": "At least 80% of the last 90 days' merged pull requests reviewed by someone other than the author",
            "trunk_based": "Median pull-request lifetime (first commit to merge) of the last 90 days at most 1 day",
            "tracker_sync": "A tracker sync or import succeeded in the last 7 days",
            "forecasting": "A forecast committed (plan, shared, exported or in the pack) in the last 90 days",
            "health_checks": "A health check closed in DeliveryOps or recorded as held in the last 120 days",
            "custom": "An admin-defined check: a signal against a threshold over a window",
            "not_observable": "Cannot be observed from the data DeliveryOps holds",
        }[self.value]

    @property
    def observable(self) -> bool:
        """False for the marker of entries no data can confirm."""
        return self is not DataCheck.NOT_OBSERVABLE


class Signal(enum.StrEnum):
    """What an admin-defined check can measure: the quantities the built-in checks already compute."""

    DEPLOYMENTS_PER_WEEK = "deployments_per_week"
    WORKFLOW_RUNS_PER_WEEK = "workflow_runs_per_week"
    REVIEWED_SHARE = "reviewed_share"
    PR_LIFETIME_HOURS = "pr_lifetime_hours"
    RETROS_HELD = "retros_held"
    HEALTH_CHECKS_HELD = "health_checks_held"
    SUCCESSFUL_SYNCS = "successful_syncs"
    FORECASTS_COMMITTED = "forecasts_committed"

    @property
    def label(self) -> str:
        """Human name with unit."""
        return {
            "deployments_per_week": "Deployments per week (any source)",
            "workflow_runs_per_week": "GitHub Actions workflow runs recorded as deployments, per week",
            "reviewed_share": "Share of merged pull requests reviewed by someone else before the merge (%)",
            "pr_lifetime_hours": "Median pull-request lifetime, first commit to merge (hours)",
            "retros_held": "Retros finished in DeliveryOps or recorded as held (count)",
            "health_checks_held": "Health checks closed in DeliveryOps or recorded as held (count)",
            "successful_syncs": "Successful syncs of the team's connections (count)",
            "forecasts_committed": "Forecasts committed (count)",
        }[self.value]

    @property
    def at_most(self) -> bool:
        """True when the practice keeps the signal low (the check passes at or below the threshold)."""
        return self is Signal.PR_LIFETIME_HOURS

    @property
    def unit(self) -> str:
        """The unit the threshold is given in."""
        return {
            "deployments_per_week": "per week",
            "workflow_runs_per_week": "per week",
            "reviewed_share": "%",
            "pr_lifetime_hours": "hours",
        }.get(self.value, "")


class HeldKind(enum.StrEnum):
    """A session a team can record as held outside DeliveryOps."""

    RETRO = "retro"
    HEALTH_CHECK = "health_check"

    @property
    def label(self) -> str:
        """Human name."""
        return {"retro": "retrospective", "health_check": "health check"}[self.value]


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


class HeldSession(Base):
    """A light record that a team held a retro or a health check outside DeliveryOps, with its date."""

    __tablename__ = "cockpit_held_sessions"
    __table_args__ = (Index("ix_cockpit_held_sessions_team_kind_held", "team_id", "kind", "held_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    kind: Mapped[HeldKind] = mapped_column(Enum(HeldKind, native_enum=False, length=20, values_callable=enum_values))
    held_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomCheck(Base):
    """An admin-defined data check of a catalogue entry: a signal, a threshold and a window (no code)."""

    __tablename__ = "cockpit_custom_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("cockpit_catalogue_entries.id", ondelete="CASCADE"), unique=True)
    signal: Mapped[Signal] = mapped_column(Enum(Signal, native_enum=False, length=40, values_callable=enum_values))
    threshold: Mapped[float] = mapped_column(Float)
    window_days: Mapped[int] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rollout(Base):
    """A planned rollout of a catalogue entry across chosen teams, with the outcome it should move."""

    __tablename__ = "cockpit_rollouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("cockpit_catalogue_entries.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    metric: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RolloutTeam(Base):
    """A team of a rollout and the day it should have adopted by."""

    __tablename__ = "cockpit_rollout_teams"
    __table_args__ = (UniqueConstraint("rollout_id", "team_id", name="uq_cockpit_rollout_teams_rollout_team"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("cockpit_rollouts.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    target_on: Mapped[date] = mapped_column(Date)
