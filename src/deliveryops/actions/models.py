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
    DEPLOYMENT_FREQUENCY = "deployment_frequency"
    LEAD_TIME = "lead_time"
    CHANGE_FAILURE_RATE = "change_failure_rate"
    TIME_TO_RESTORE = "time_to_restore"
    HEALTH_CARD = "health_card"

    @property
    def label(self) -> str:
        """Human name with unit."""
        return {
            "cycle_time_p85": "85th percentile cycle time (days)",
            "throughput": "Throughput (items per week)",
            "wip": "Average WIP (items)",
            "flow_efficiency": "Flow efficiency (%)",
            "blocked_days": "Blocked time (days per week)",
            "deployment_frequency": "DORA: deployment frequency (production deployments per week)",
            "lead_time": "DORA: lead time for changes (hours per change)",
            "change_failure_rate": "DORA: change failure rate (% of deployments per week)",
            "time_to_restore": "DORA: time to restore service (hours per failed deployment)",
            "health_card": "Health check card score (0\u2013100 per round)",
        }[self.value]

    @property
    def better(self) -> str:
        """The direction that is an improvement."""
        return (
            "increase"
            if self
            in (
                TargetMetric.THROUGHPUT,
                TargetMetric.FLOW_EFFICIENCY,
                TargetMetric.DEPLOYMENT_FREQUENCY,
                TargetMetric.HEALTH_CARD,
            )
            else "decrease"
        )

    @property
    def per_event(self) -> bool:
        """Judged on one value per event (item, change, failed deployment) rather than one per week or round."""
        return self in (TargetMetric.CYCLE_TIME_P85, TargetMetric.LEAD_TIME, TargetMetric.TIME_TO_RESTORE)

    @property
    def source(self) -> str:
        """Where its values come from: "flow" (work items), "dora" (deployments, changes, incidents) or "health"."""
        if self is TargetMetric.HEALTH_CARD:
            return "health"
        if self in (
            TargetMetric.DEPLOYMENT_FREQUENCY,
            TargetMetric.LEAD_TIME,
            TargetMetric.CHANGE_FAILURE_RATE,
            TargetMetric.TIME_TO_RESTORE,
        ):
            return "dora"
        return "flow"


class ImprovementAction(Base):
    """An action a team takes to improve, with an owner, a due date and, optionally, a hypothesis."""

    __tablename__ = "improvement_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="retro")  # actions.service.SOURCES
    impediment_id: Mapped[int | None] = mapped_column(ForeignKey("impediments.id", ondelete="SET NULL"), nullable=True)
    retro_id: Mapped[int | None] = mapped_column(ForeignKey("retros.id", ondelete="SET NULL"), nullable=True)
    # The stand-up, refinement or planning that decided it (source "standup", "refinement" or "planning").
    session_id: Mapped[int | None] = mapped_column(ForeignKey("live_sessions.id", ondelete="SET NULL"), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[ActionStatus] = mapped_column(
        Enum(ActionStatus, native_enum=False, length=20, values_callable=enum_values), default=ActionStatus.OPEN
    )
    started_on: Mapped[date] = mapped_column(Date)  # the divider of its process behaviour chart
    target_metric: Mapped[TargetMetric | None] = mapped_column(
        Enum(TargetMetric, native_enum=False, length=30, values_callable=enum_values), nullable=True
    )
    target_card: Mapped[str | None] = mapped_column(String(60), nullable=True)  # health card key (health_card only)
    expected_direction: Mapped[str | None] = mapped_column(String(10), nullable=True)  # increase, decrease
    expected_size: Mapped[float | None] = mapped_column(Float, nullable=True)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def target_label(self) -> str | None:
        """The target metric for people, with the health card's key when it aims at a card."""
        if self.target_metric is None:
            return None
        if self.target_metric is TargetMetric.HEALTH_CARD and self.target_card:
            return f"Health check card \u201c{self.target_card}\u201d score (0\u2013100 per round)"
        return self.target_metric.label


class ActionIssue(Base):
    """The tracker issue (Jira or GitHub) an action was created as, through one of its team's connections.

    ``state`` is the issue's status in the action's terms (open, doing, done, dropped), read again on every
    status check; ``remote_status`` is the tracker's own name for it ("In Progress", "closed").
    """

    __tablename__ = "action_issues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("improvement_actions.id", ondelete="CASCADE"), unique=True)
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(40))  # the connector kind: jira-cloud, jira-server, github
    key: Mapped[str] = mapped_column(String(200))  # PAY-12, acme/app#7
    url: Mapped[str] = mapped_column(String(500))
    remote_status: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(20), default="open")  # open, doing, done, dropped
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # why the last status check failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
