"""Improvement actions: from retros, impediments or coaching, optionally with a measurable hypothesis."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from deliveryops.db import Base, UTCDateTime, enum_values, utcnow


class ActionStatus(enum.StrEnum):
    """Where an action stands."""

    OPEN = "open"
    DOING = "doing"
    DONE = "done"
    DROPPED = "dropped"


class TargetMetric(enum.StrEnum):
    """Team metrics an action can aim at, measured per ISO week."""

    CYCLE_TIME_P85 = "cycle_time_p85"
    THROUGHPUT = "throughput"
    WIP = "wip"
    FLOW_EFFICIENCY = "flow_efficiency"
    BLOCKED_DAYS = "blocked_days"

    @property
    def label(self) -> str:
        """Human name with unit."""
        return {
            "cycle_time_p85": "85th percentile cycle time (days)",
            "throughput": "Throughput (items per week)",
            "wip": "Average WIP (items)",
            "flow_efficiency": "Flow efficiency (%)",
            "blocked_days": "Blocked time (days per week)",
        }[self.value]

    @property
    def better(self) -> str:
        """The direction that is an improvement."""
        return "increase" if self in (TargetMetric.THROUGHPUT, TargetMetric.FLOW_EFFICIENCY) else "decrease"


class ImprovementAction(Base):
    """An action a team takes to improve, with an owner, a due date and, optionally, a hypothesis."""

    __tablename__ = "improvement_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="retro")  # retro, impediment, coaching, other
    impediment_id: Mapped[int | None] = mapped_column(ForeignKey("impediments.id", ondelete="SET NULL"), nullable=True)
    retro_id: Mapped[int | None] = mapped_column(ForeignKey("retros.id", ondelete="SET NULL"), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[ActionStatus] = mapped_column(
        Enum(ActionStatus, native_enum=False, length=20, values_callable=enum_values), default=ActionStatus.OPEN
    )
    started_on: Mapped[date] = mapped_column(Date)  # the divider of its process behaviour chart
    target_metric: Mapped[TargetMetric | None] = mapped_column(
        Enum(TargetMetric, native_enum=False, length=30, values_callable=enum_values), nullable=True
    )
    expected_direction: Mapped[str | None] = mapped_column(String(10), nullable=True)  # increase, decrease
    expected_size: Mapped[float | None] = mapped_column(Float, nullable=True)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
