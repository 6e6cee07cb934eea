"""Objectives, key results, the KPI series they are measured by, their links to work, and decision briefs."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliveryops.db import Base, UTCDateTime, enum_values, utcnow


class SourceKind(enum.StrEnum):
    """Where a key result's values come from."""

    KPI = "kpi"  # a product KPI series (CSV, API, webhook)
    METRIC = "metric"  # a team metric DeliveryOps already has (flow, DORA, a health-check card)
    EXPERIMENT = "experiment"  # an experiment's result (lift of its primary metric)


class LinkKind(enum.StrEnum):
    """What can serve a key result."""

    EPIC = "epic"
    EXPERIMENT = "experiment"
    ACTION = "action"
    DEPENDENCY = "dependency"


class KpiSeries(Base):
    """A product KPI (sign-ups a week, conversion, NPS ...): dated values for a group or a team.

    Only the SHA-256 hash of its webhook token is stored; the token is shown once.
    """

    __tablename__ = "kpi_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    unit: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), nullable=True, index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True, index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    values: Mapped[list[KpiValue]] = relationship(back_populates="series", cascade="all, delete-orphan", order_by="KpiValue.on")


class KpiValue(Base):
    """One dated value of a KPI series (one per day; a new value for a day replaces the old one)."""

    __tablename__ = "kpi_values"
    __table_args__ = (UniqueConstraint("series_id", "on", name="uq_kpi_values_series_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("kpi_series.id", ondelete="CASCADE"), index=True)
    on: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)

    series: Mapped[KpiSeries] = relationship(back_populates="values")


class Objective(Base):
    """An objective of a group or of a team (exactly one of the two) for a period, with an owner."""

    __tablename__ = "objectives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), nullable=True, index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True, index=True)
    period: Mapped[str] = mapped_column(String(30), index=True)  # "2026-Q4" or "2026-10-01..2027-01-31"
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    key_results: Mapped[list[KeyResult]] = relationship(
        back_populates="objective", cascade="all, delete-orphan", order_by="KeyResult.id"
    )


class KeyResult(Base):
    """A measurable result: a baseline, a target, a direction and where its values come from."""

    __tablename__ = "key_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objectives.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    source: Mapped[SourceKind] = mapped_column(Enum(SourceKind, native_enum=False, length=20, values_callable=enum_values))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_series.id", ondelete="RESTRICT"), nullable=True, index=True)
    metric: Mapped[str | None] = mapped_column(String(30), nullable=True)  # a TargetMetric value (source "metric")
    metric_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True)
    metric_card: Mapped[str | None] = mapped_column(String(60), nullable=True)  # the card's key (metric "health_card")
    experiment_id: Mapped[int | None] = mapped_column(ForeignKey("experiments.id", ondelete="SET NULL"), nullable=True)
    baseline: Mapped[float] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(10))  # increase, decrease
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    objective: Mapped[Objective] = relationship(back_populates="key_results")
    links: Mapped[list[KeyResultLink]] = relationship(back_populates="key_result", cascade="all, delete-orphan")


class KeyResultLink(Base):
    """An epic, experiment, improvement action or dependency that serves a key result."""

    __tablename__ = "key_result_links"
    __table_args__ = (UniqueConstraint("key_result_id", "kind", "target_id", name="uq_key_result_links_kr_kind_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_results.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LinkKind] = mapped_column(Enum(LinkKind, native_enum=False, length=20, values_callable=enum_values))
    target_id: Mapped[int] = mapped_column(Integer)  # work item (epic), experiment, action or dependency id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    key_result: Mapped[KeyResult] = relationship(back_populates="links")


class DecisionBrief(Base):
    """The brief for one question to leadership: options, recommendation, expected effect and follow-up.

    The decision itself is the question's (``LeadershipQuestion.decision``); the brief adds what was expected
    to follow from it: a KPI series, a key result or a team metric (flow, DORA, a health-check card), the
    direction and size, and the follow-up date.
    """

    __tablename__ = "decision_briefs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("leadership_questions.id", ondelete="CASCADE"), unique=True)
    options: Mapped[str] = mapped_column(Text, default="")  # one option per line
    recommendation: Mapped[str] = mapped_column(Text, default="")
    effect_series_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_series.id", ondelete="SET NULL"), nullable=True)
    effect_key_result_id: Mapped[int | None] = mapped_column(ForeignKey("key_results.id", ondelete="SET NULL"), nullable=True)
    effect_team_metric: Mapped[str | None] = mapped_column(String(30), nullable=True)  # a TargetMetric value
    effect_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    effect_card: Mapped[str | None] = mapped_column(String(60), nullable=True)  # the card's key (metric "health_card")
    effect_direction: Mapped[str | None] = mapped_column(String(10), nullable=True)
    effect_size: Mapped[float | None] = mapped_column(Float, nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    follow_up_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    evidence: Mapped[list[DecisionEvidence]] = relationship(
        back_populates="brief", cascade="all, delete-orphan", order_by="DecisionEvidence.id"
    )


class DecisionEvidence(Base):
    """A link to a DeliveryOps page (with a text snapshot of what it showed) attached to a brief."""

    __tablename__ = "decision_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brief_id: Mapped[int] = mapped_column(ForeignKey("decision_briefs.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    snapshot: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    brief: Mapped[DecisionBrief] = relationship(back_populates="evidence")
