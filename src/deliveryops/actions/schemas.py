"""The contracts of improvement actions: an action, its measured effect and the verdict's reliability."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from deliveryops.actions.models import ActionStatus, TargetMetric


class EffectRead(BaseModel):
    """The before/after effect: levels, the change and its interval, in the metric's unit."""

    statistic: str = Field(description="85th percentile (cycle time, scaled by the ratio of geometric means) or weekly mean")
    unit: str
    before: float
    after: float
    change: float
    interval_low: float
    interval_high: float
    level: float = Field(description="confidence level of the interval")
    relative_change: float | None = Field(description="change as a fraction of before")
    n_before: int = Field(description="items (cycle time) or weeks in the baseline")
    n_after: int = Field(description="items or weeks after the action that the verdict used")
    text: str


class ReliabilityRead(BaseModel):
    """The rule's measured error rates at the simulated pace nearest the team's."""

    items_per_week: float
    false_verdict_rate: float = Field(description="improved or worsened on a stable process, by week 26")
    detected_30_by_week_8: float
    detected_30_by_week_26: float
    sentence: str


class NeededRead(BaseModel):
    """What the data still needs before it can tell a 30% change from routine variation."""

    weeks_after_action: float | None = Field(description="weeks after the action in all; null when unreachable")
    more_weeks: int | None
    items: float | None
    text: str


class ActionRead(BaseModel):
    """An improvement action and, when it has a target metric, its verdict."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    team_id: int
    title: str
    description: str
    source: str
    owner_id: int | None
    due_date: date | None
    status: ActionStatus
    started_on: date
    target_metric: TargetMetric | None
    target_card: str | None = Field(default=None, description="the health-check card key (target metric health_card)")
    expected_direction: str | None
    done_on: date | None
    verdict: str | None = Field(
        default=None, description="improved, worsened, no_change, not_enough_evidence or measuring (null: no target metric)"
    )
    verdict_final: bool | None = None
    decided_at_week: int | None = None
    weeks_after: int | None = None
    explanation: str | None = None
    effect: EffectRead | None = None
    reliability: ReliabilityRead | None = None
    needed_more: NeededRead | None = None
    weekly_values: list[dict[str, Any]] = []


class ActionCreate(BaseModel):
    """A new improvement action."""

    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    source: str = Field(default="retro", max_length=20)
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    due_date: date | None = None
    started_on: date | None = None
    target_metric: TargetMetric | None = None
    target_card: str | None = Field(
        default=None, max_length=60, description="the health-check card key; required when target_metric is health_card"
    )
    expected_direction: Literal["increase", "decrease"] | None = None


class ActionStatusUpdate(BaseModel):
    """A new status for an action."""

    status: ActionStatus
    done_on: date | None = Field(default=None, description="the day it was done (status done only; default today)")


class ActionIssueCreate(BaseModel):
    """Create the action as an issue through one of its team's Jira or GitHub connections."""

    connection_id: int = Field(ge=1, le=2**31 - 1)
    project: str | None = Field(
        default=None,
        max_length=200,
        description="a Jira project key or GitHub owner/name the connection reads (default: its first)",
    )


class ActionIssueRead(BaseModel):
    """The tracker issue an action was created as, and its status when last checked."""

    model_config = ConfigDict(from_attributes=True)

    action_id: int
    connection_id: int | None
    kind: str = Field(description="jira-cloud, jira-server or github")
    key: str = Field(description="PAY-12 or owner/name#7")
    url: str
    remote_status: str = Field(description="the tracker's own status name")
    state: str = Field(description="what it means for the action: open, doing, done or dropped")
    synced_at: datetime | None
    error: str | None = Field(description="why the last status check failed (null: it succeeded)")
