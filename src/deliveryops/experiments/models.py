"""ORM models of experiments: the registry, its variations and metrics, statistics snapshots,
links to work items, tags and the status history."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliveryops.analytics.experiments import Correction, Method, MetricKind
from deliveryops.db import Base, UTCDateTime, enum_values, utcnow

__all__ = [
    "Correction",
    "Decision",
    "Experiment",
    "ExperimentMetric",
    "ExperimentStatus",
    "ExperimentTag",
    "ExperimentWorkItem",
    "Method",
    "MetricKind",
    "MetricRole",
    "MetricSnapshot",
    "StatusChange",
    "Variation",
]

BigId = BigInteger().with_variant(Integer(), "sqlite")


class ExperimentStatus(enum.StrEnum):
    """Where an experiment is in its life."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    RUNNING = "running"
    ANALYSING = "analysing"
    DECIDED = "decided"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        """Human name of the status."""
        return {
            "draft": "Draft",
            "in_review": "In review",
            "running": "Running",
            "analysing": "Analysing",
            "decided": "Decided",
            "archived": "Archived",
        }[self.value]


class Decision(enum.StrEnum):
    """What the team decided after the analysis."""

    SHIP = "ship"
    ITERATE = "iterate"
    STOP = "stop"


class MetricRole(enum.StrEnum):
    """What a metric is for: the one decision metric, supporting ones, or guards against harm."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    GUARDRAIL = "guardrail"


def _enum(kind: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(kind, native_enum=False, length=length, values_callable=enum_values)


class Experiment(Base):
    """One experiment of a team, from hypothesis to decision and learnings."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # The structured hypothesis: because we saw ... we believe ... will result in ... measured by ...
    observation: Mapped[str] = mapped_column(Text, default="")
    belief: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    measure: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ExperimentStatus] = mapped_column(_enum(ExperimentStatus), default=ExperimentStatus.DRAFT)
    reviewer_required: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    review_note: Mapped[str] = mapped_column(Text, default="")
    planned_sample_size: Mapped[int | None] = mapped_column(Integer, nullable=True)  # per variation
    sample_size_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mde: Mapped[float | None] = mapped_column(Float, nullable=True)  # relative, e.g. 0.02 = 2%
    expected_daily_traffic: Mapped[int | None] = mapped_column(Integer, nullable=True)  # units per day, all arms
    planned_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    planned_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision: Mapped[Decision | None] = mapped_column(_enum(Decision), nullable=True)
    rationale: Mapped[str] = mapped_column(Text, default="")
    learnings: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[Method] = mapped_column(_enum(Method), default=Method.FREQUENTIST)
    correction: Mapped[Correction] = mapped_column(_enum(Correction), default=Correction.NONE)
    alpha: Mapped[float] = mapped_column(Float, default=0.05)
    cuped: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last analysis's warnings (codes), kept so the library and portfolio can show them without recomputing.
    last_warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Set when results were looked at while running before the planned end: fixed-horizon p-values then mislead.
    peeked: Mapped[bool] = mapped_column(Boolean, default=False)

    variations: Mapped[list[Variation]] = relationship(
        back_populates="experiment", cascade="all, delete-orphan", order_by="Variation.position"
    )
    metrics: Mapped[list[ExperimentMetric]] = relationship(
        back_populates="experiment", cascade="all, delete-orphan", order_by="ExperimentMetric.position"
    )
    tags: Mapped[list[ExperimentTag]] = relationship(cascade="all, delete-orphan", order_by="ExperimentTag.tag")
    work_items: Mapped[list[ExperimentWorkItem]] = relationship(cascade="all, delete-orphan", order_by="ExperimentWorkItem.id")
    history: Mapped[list[StatusChange]] = relationship(cascade="all, delete-orphan", order_by="StatusChange.id")

    @property
    def is_sequential(self) -> bool:
        """Whether the analysis is valid under continuous monitoring (peeking)."""
        return self.method is Method.SEQUENTIAL

    @property
    def hypothesis(self) -> str:
        """The hypothesis as one sentence."""
        return (
            f"Because we saw {self.observation.strip()}, we believe {self.belief.strip()} will result in "
            f"{self.outcome.strip()}, measured by {self.measure.strip()}."
        )

    @property
    def tag_names(self) -> list[str]:
        """The tags as plain strings."""
        return [t.tag for t in self.tags]


class Variation(Base):
    """One arm of an experiment and its share of traffic."""

    __tablename__ = "experiment_variations"
    __table_args__ = (UniqueConstraint("experiment_id", "name", name="uq_experiment_variations_experiment_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    is_control: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    experiment: Mapped[Experiment] = relationship(back_populates="variations")


class ExperimentMetric(Base):
    """A metric the experiment is judged by."""

    __tablename__ = "experiment_metrics"
    __table_args__ = (UniqueConstraint("experiment_id", "name", name="uq_experiment_metrics_experiment_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[MetricKind] = mapped_column(_enum(MetricKind), default=MetricKind.PROPORTION)
    role: Mapped[MetricRole] = mapped_column(_enum(MetricRole), default=MetricRole.PRIMARY)
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    experiment: Mapped[Experiment] = relationship(back_populates="metrics")


class MetricSnapshot(Base):
    """Cumulative sufficient statistics of one metric and variation up to and including ``day``."""

    __tablename__ = "experiment_snapshots"
    __table_args__ = (UniqueConstraint("metric_id", "variation_id", "day", name="uq_experiment_snapshots_cell"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"), index=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("experiment_metrics.id", ondelete="CASCADE"), index=True)
    variation_id: Mapped[int] = mapped_column(ForeignKey("experiment_variations.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    n: Mapped[int] = mapped_column(BigInteger)
    sum: Mapped[float] = mapped_column(Float)
    sum_squares: Mapped[float] = mapped_column(Float)
    denominator_sum: Mapped[float | None] = mapped_column(Float, nullable=True)
    denominator_sum_squares: Mapped[float | None] = mapped_column(Float, nullable=True)
    cross_sum: Mapped[float | None] = mapped_column(Float, nullable=True)
    pre_sum: Mapped[float | None] = mapped_column(Float, nullable=True)
    pre_sum_squares: Mapped[float | None] = mapped_column(Float, nullable=True)
    pre_cross_sum: Mapped[float | None] = mapped_column(Float, nullable=True)


class ExperimentTag(Base):
    """A tag (lower case) that the library filters by."""

    __tablename__ = "experiment_tags"
    __table_args__ = (UniqueConstraint("experiment_id", "tag", name="uq_experiment_tags_experiment_tag"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(50), index=True)


class ExperimentWorkItem(Base):
    """A work item that built the experiment, by its key in the team's tracker."""

    __tablename__ = "experiment_work_items"
    __table_args__ = (UniqueConstraint("experiment_id", "key", name="uq_experiment_work_items_experiment_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"), index=True)
    work_item_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("work_items.id", ondelete="SET NULL"), nullable=True)
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text, default="")


class StatusChange(Base):
    """Who moved the experiment from one status to another, and when."""

    __tablename__ = "experiment_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[ExperimentStatus | None] = mapped_column(_enum(ExperimentStatus), nullable=True)
    to_status: Mapped[ExperimentStatus] = mapped_column(_enum(ExperimentStatus))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
